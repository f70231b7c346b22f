// Package logs holds the tools that look at log directories:
// kafka-log-dirs.sh (through the broker, DescribeLogDirs) and
// kafka-dump-log.sh (segment files read directly, no broker needed; with
// --repair it truncates a log at its first invalid batch under the log
// dir's lock). It is the one tool family that reads the on-disk formats,
// through segment/, recordbatch/ and internal/dirlock.
//
// Flags and output follow Kafka 4.1's scripts.
package logs

import "github.com/stratabroker/strata/tools/cli"

// Commands are this family's tools.
var Commands = []cli.Command{
	{Name: "log-dirs", Summary: "describe the brokers' log directories (kafka-log-dirs.sh)", Run: runLogDirs},
	{Name: "dump-log", Summary: "print, verify and repair segment files, no broker needed (kafka-dump-log.sh)", Run: runDumpLog},
}
