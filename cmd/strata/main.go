// Command strata is the Strata broker and the tools Kafka users know, one
// subcommand each:
//
//	strata broker [--config server.properties] [--<kafka.property> value ...]
//	strata topics --list
//	strata console-producer --topic t
//	strata console-consumer --topic t --from-beginning
//	strata consumer-groups --describe --group g
//	strata dump-log --files 00000000000000000000.log
//
// The tools speak only the Kafka protocol (franz-go's kgo and kadm), so each
// also works against Apache Kafka; their flags and output follow Kafka's
// kafka-*.sh scripts. Run `strata --help` for the list of subcommands.
package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(args []string, e *env) int
}

// commands lists the subcommands, one file each.
var commands = []command{
	{"broker", "run the broker (Kafka's server.properties names; KAFKA_* environment variables)", func(args []string, e *env) int {
		return runBroker(args, e.environ, e.stdout, e.stderr, e.signals)
	}},
	{"topics", "create, list, describe, alter and delete topics (kafka-topics.sh)", runTopics},
	{"console-producer", "produce lines of standard input (kafka-console-producer.sh)", runConsoleProducer},
	{"console-consumer", "print records to standard output (kafka-console-consumer.sh)", runConsoleConsumer},
	{"consumer-groups", "list, describe, delete groups and reset offsets (kafka-consumer-groups.sh)", runConsumerGroups},
	{"get-offsets", "earliest, latest or by-time offsets of partitions (kafka-get-offsets.sh)", runGetOffsets},
	{"delete-records", "move log start offsets forward (kafka-delete-records.sh)", runDeleteRecords},
	{"configs", "describe and alter topic and broker configs (kafka-configs.sh)", runConfigs},
	{"log-dirs", "describe the brokers' log directories (kafka-log-dirs.sh)", runLogDirs},
	{"dump-log", "print, verify and repair segment files, no broker needed (kafka-dump-log.sh)", runDumpLog},
	{"producer-perf-test", "producer throughput and latency (kafka-producer-perf-test.sh)", runProducerPerf},
	{"consumer-perf-test", "consumer throughput (kafka-consumer-perf-test.sh)", runConsumerPerf},
	{"e2e-latency", "produce-to-consume latency, one record at a time (kafka-e2e-latency.sh)", runE2ELatency},
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the command failed
	exitUsage = 2 // bad command line
)

func main() {
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	e := &env{
		environ: os.Environ(),
		stdin:   os.Stdin,
		stdout:  os.Stdout,
		stderr:  os.Stderr,
		signals: signals,
		isTTY:   isTerminal(os.Stderr),
	}
	os.Exit(runEnv(os.Args[1:], e))
}

// run dispatches to a subcommand with no standard input and returns the
// exit code.
func run(args, environ []string, stdout, stderr io.Writer, signals <-chan os.Signal) int {
	return runEnv(args, &env{environ: environ, stdout: stdout, stderr: stderr, signals: signals})
}

// runEnv dispatches to a subcommand and returns the exit code.
func runEnv(args []string, e *env) int {
	e.init()
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(e.stdout)
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(args[1:], e)
		}
	}
	fmt.Fprintf(e.stderr, "strata: unknown command %q (run strata --help)\n", args[0])
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Strata, a Kafka-compatible broker, and the tools Kafka users know.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: strata <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-19s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run strata <command> --help for a command's flags. The tools talk to")
	fmt.Fprintln(w, "--bootstrap-server (default localhost:9092) with the Kafka protocol only.")
}
