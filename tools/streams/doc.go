// Package streams holds kafka-streams-application-reset.sh as `strata
// streams-application-reset`: it resets the processing state of a Kafka
// Streams application, as Kafka's StreamsResetter (tools/StreamsResetter.java)
// does, so the application can reprocess its input from scratch.
//
// A run does, in Kafka's order:
//
//  1. Describe the application's consumer group (its id is the
//     application.id). Members present refuse the run ("Consumer group '<id>'
//     is still active ..."), unless --force, which removes them all with one
//     LeaveGroup (v3+: each member by its group.instance.id, or else its
//     member id; KIP-345), retrying up to three times when a member left by
//     itself meanwhile (UNKNOWN_MEMBER_ID). As in Kafka, --force removes
//     members even with --dry-run.
//  2. List the topics (internal topics left out).
//  3. Compute the group's new position on each partition of --input-topics
//     (--to-earliest, the default, --to-latest, --to-offset, --shift-by,
//     --to-datetime, --by-duration, --from-file; a position outside a
//     partition's log is brought to its start or end with Kafka's "New
//     offset (n) is lower than earliest offset" lines, including Kafka's
//     quirk that a position equal to the log start or end is reported too)
//     and the log end of each partition of --intermediate-topics, print them,
//     and commit them all (OffsetCommit with generation -1, as the Java
//     consumer in assign mode does) unless --dry-run. A topic that does not
//     exist is listed and skipped, and the exit code becomes 1.
//  4. Delete the application's internal topics: those named
//     "<application.id>-..." ending in -changelog, -repartition,
//     -subscription-registration-topic or -subscription-response-topic, or
//     matching -KTABLE-FK-JOIN-SUBSCRIPTION-{REGISTRATION,RESPONSE}-<n>-topic
//     (StreamsResetter.matchesInternalTopicFormat), input and intermediate
//     topics excepted (KAFKA-7930); or the subset --internal-topics names,
//     which must all be such topics.
//
// Output lines are Kafka's, on stdout; an error is one line on stderr:
// Kafka's "ERROR: <exception>: <message>" where Kafka raises one of its own
// (an active group, a bad --internal-topics, a failed delete), else Strata's
// one-line error. Where Kafka iterates a hash set or map (partitions, listed
// topics) the lines come sorted by topic and partition instead.
//
// Flags are Kafka 4.1's plus --command-config, which Kafka's tool gained
// after 4.1 while deprecating --config-file (which still works here and says
// so on stdout, as Kafka's does); a bad command line is one
// line and exit code 2, a failure exit code 1. The tool speaks only the
// Kafka protocol (kgo, kadm, kmsg), so it works against any Kafka-compatible
// cluster. It holds no state and takes no locks.
package streams

import "github.com/stratabroker/strata/tools/cli"

// Commands are this family's tools.
var Commands = []cli.Command{
	{Name: cmdName, Summary: "reset a Kafka Streams application's offsets, delete its internal topics (kafka-streams-application-reset.sh)", Run: runReset},
}
