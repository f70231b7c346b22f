// Package clients holds the console clients: kafka-console-producer.sh and
// kafka-console-consumer.sh as `strata console-producer` and
// `console-consumer`.
//
// Every tool speaks only the Kafka protocol through kgo and kadm (dump-log
// aside), so it works against any Kafka-compatible cluster; flags and output
// follow Kafka 4.1's scripts.
package clients

import "github.com/stratabroker/strata/tools/cli"

// Commands are this family's tools.
var Commands = []cli.Command{
	{Name: "console-producer", Summary: "produce lines of standard input (kafka-console-producer.sh)", Run: runConsoleProducer},
	{Name: "console-consumer", Summary: "print records to standard output (kafka-console-consumer.sh)", Run: runConsoleConsumer},
}
