// Package verifiable holds kafka-verifiable-producer.sh and
// kafka-verifiable-consumer.sh: the clients Kafka's system tests drive,
// which print what they do as JSON events on stdout, one object a line.
//
// The events are Kafka 4.1's VerifiableProducer and VerifiableConsumer
// (tools/src/main/java/org/apache/kafka/tools/), with their names, fields
// and field order, since the tests parse them: every event opens with
// "timestamp" (ms since the epoch) and "name", then the fields as Jackson
// writes the Java classes (declaration order):
//
//	startup_complete, shutdown_complete
//	producer_send_success  key value topic partition offset
//	producer_send_error    topic key value exception message
//	tool_data              sent acked target_throughput avg_throughput
//	partitions_assigned, partitions_revoked  partitions: [{topic partition}]
//	records_consumed       count partitions: [{topic partition count minOffset maxOffset}]
//	record_data            key value topic partition offset          (--verbose)
//	offsets_committed      offsets: [{topic partition offset}] error (on failure) success
//
// The producer sends "0", "1", ... (or "<prefix>.<i>") with no retries, as
// Kafka's does, and on the end of its messages or a signal flushes what it
// sent, then prints shutdown_complete and tool_data (in that order, as the
// Java tool's shutdown hook does). --throughput is Kafka's
// ThroughputThrottler with the elapsed time in nanoseconds rather than
// milliseconds (throttle.go says why). The consumer is a classic-protocol group
// member (kgo with BlockRebalanceOnPoll, so rebalance callbacks run between
// polls as the Java client's run inside poll) that commits synchronously
// after each poll unless --enable-autocommit; --assignment-strategy takes
// the Java assignor class names and maps them to kgo's balancers.
//
// Events are written by one printer under a mutex: the producer's
// callbacks and the consumer's rebalance callbacks run on kgo's goroutines.
// Both tools speak only the Kafka protocol (kgo), so they run against any
// Kafka-compatible cluster.
package verifiable

import "github.com/stratabroker/strata/tools/cli"

// Commands are this family's tools.
var Commands = []cli.Command{
	{Name: "verifiable-producer", Summary: "produce integers, print each send as JSON (kafka-verifiable-producer.sh)", Run: runProducer},
	{Name: "verifiable-consumer", Summary: "consume in a group, print its events as JSON (kafka-verifiable-consumer.sh)", Run: runConsumer},
}
