// Package transactions holds kafka-transactions.sh as `strata
// transactions`: list transactions, describe one, describe the active
// producers of a partition, find hanging transactions and abort one.
//
// Subcommands, flags, checks, tables and error texts follow Kafka 4.1's
// TransactionsCommand (tools/src/main/java/org/apache/kafka/tools/): the
// global flags (--bootstrap-server, --command-config) come before the
// subcommand, as argparse takes them there:
//
//	strata transactions --bootstrap-server host:9092 describe --transactional-id t
//
// Tables are ToolsUtils.prettyPrintTable's: every column padded to its
// widest cell and followed by a tab, header first. Where Kafka's order
// comes from a Java HashMap or HashSet (transactions of one coordinator,
// the partitions of a transaction, hanging transactions), rows are sorted
// (transactional ID; topic and partition; topic, partition and producer
// ID), so the output is stable.
//
// `list` sends ListTransactions to every broker (Kafka's AllBrokersStrategy)
// and names each row's coordinator; --duration-filter (KIP-994) needs
// ListTransactions v1 and --transactional-id-pattern (KIP-1152, Kafka 4.1)
// v2, else the command fails with Kafka's message. `abort` writes an abort
// marker with WriteTxnMarkers to the partition's leader, the producer
// found by --start-offset through DescribeProducers or given by
// --producer-id, --producer-epoch and --coordinator-epoch.
// `find-hanging` lists open transactions (DescribeProducers) older than
// --max-transaction-timeout minutes and reports those whose producer has
// no transactional ID any more (ListTransactions with a producer-ID
// filter) or whose transaction no longer includes the partition
// (DescribeTransactions).
//
// The tool speaks only the Kafka protocol (kgo, kadm, kmsg).
package transactions

import "github.com/stratabroker/strata/tools/cli"

// Commands are this family's tools.
var Commands = []cli.Command{
	{Name: "transactions", Summary: "list, describe, abort and find hanging transactions (kafka-transactions.sh)", Run: run},
}
