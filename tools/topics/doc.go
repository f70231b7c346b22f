// Package topics holds the tools that manage topics and their data from the
// outside: kafka-topics.sh, kafka-configs.sh, kafka-get-offsets.sh and
// kafka-delete-records.sh, as `strata topics`, `configs`, `get-offsets` and
// `delete-records`.
//
// Every tool speaks only the Kafka protocol through kgo and kadm (dump-log
// aside), so it works against any Kafka-compatible cluster; flags and output
// follow Kafka 4.1's scripts.
package topics

import "github.com/stratabroker/strata/tools/cli"

// Commands are this family's tools.
var Commands = []cli.Command{
	{Name: "topics", Summary: "create, list, describe, alter and delete topics (kafka-topics.sh)", Run: runTopics},
	{Name: "configs", Summary: "describe and alter topic and broker configs (kafka-configs.sh)", Run: runConfigs},
	{Name: "get-offsets", Summary: "earliest, latest or by-time offsets of partitions (kafka-get-offsets.sh)", Run: runGetOffsets},
	{Name: "delete-records", Summary: "move log start offsets forward (kafka-delete-records.sh)", Run: runDeleteRecords},
}
