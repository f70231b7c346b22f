// Package groups holds kafka-consumer-groups.sh as `strata consumer-groups`:
// list, describe and delete groups, reset and delete their offsets.
//
// Every tool speaks only the Kafka protocol through kgo and kadm (dump-log
// aside), so it works against any Kafka-compatible cluster; flags and output
// follow Kafka 4.1's scripts.
package groups

import "github.com/stratabroker/strata/tools/cli"

// Commands are this family's tools.
var Commands = []cli.Command{
	{Name: "consumer-groups", Summary: "list, describe, delete groups and reset offsets (kafka-consumer-groups.sh)", Run: runConsumerGroups},
}
