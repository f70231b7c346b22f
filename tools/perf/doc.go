// Package perf holds the performance tools: kafka-producer-perf-test.sh,
// kafka-consumer-perf-test.sh and kafka-e2e-latency.sh, with Kafka's
// flags and their periodic and final lines.
//
// Every tool speaks only the Kafka protocol through kgo and kadm (dump-log
// aside), so it works against any Kafka-compatible cluster; flags and output
// follow Kafka 4.1's scripts.
package perf

import "github.com/stratabroker/strata/tools/cli"

// Commands are this family's tools.
var Commands = []cli.Command{
	{Name: "producer-perf-test", Summary: "producer throughput and latency (kafka-producer-perf-test.sh)", Run: runProducerPerf},
	{Name: "consumer-perf-test", Summary: "consumer throughput (kafka-consumer-perf-test.sh)", Run: runConsumerPerf},
	{Name: "e2e-latency", Summary: "produce-to-consume latency, one record at a time (kafka-e2e-latency.sh)", Run: runE2ELatency},
}
