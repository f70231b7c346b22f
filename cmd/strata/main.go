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

	"github.com/stratabroker/strata/tools"
	"github.com/stratabroker/strata/tools/cli"
)

// brokerCommand is the broker; the tools come from tools/.
var brokerCommand = cli.Command{
	Name:    "broker",
	Summary: "run the broker (Kafka's server.properties names; KAFKA_* environment variables)",
	Run: func(args []string, e *cli.Env) int {
		return runBroker(args, e.Environ, e.Stdout, e.Stderr, e.Signals)
	},
}

// commands lists the subcommands: the broker, then every tool family.
var commands = append([]cli.Command{brokerCommand}, tools.Commands()...)

// Exit codes.
const (
	exitOK    = cli.ExitOK
	exitError = cli.ExitError
	exitUsage = cli.ExitUsage
)

func main() {
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	e := &cli.Env{
		Environ: os.Environ(),
		Stdin:   os.Stdin,
		Stdout:  os.Stdout,
		Stderr:  os.Stderr,
		Signals: signals,
		IsTTY:   cli.IsTerminal(os.Stderr),
	}
	os.Exit(runEnv(argsByName(os.Args), e))
}

// run dispatches to a subcommand with no standard input and returns the
// exit code.
func run(args, environ []string, stdout, stderr io.Writer, signals <-chan os.Signal) int {
	return runEnv(args, &cli.Env{Environ: environ, Stdout: stdout, Stderr: stderr, Signals: signals})
}

// runEnv dispatches to a subcommand and returns the exit code.
func runEnv(args []string, e *cli.Env) int {
	e.Init()
	if len(args) == 0 {
		usage(e.Stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(e.Stdout)
		return exitOK
	case "--kafka-scripts":
		for _, name := range kafkaScripts() {
			fmt.Fprintln(e.Stdout, name)
		}
		return exitOK
	}
	for _, c := range commands {
		if c.Name == args[0] {
			return c.Run(args[1:], e)
		}
	}
	if why, ok := laterScripts[args[0]]; ok {
		fmt.Fprintf(e.Stderr, "strata: kafka-%s.sh is not available: %s\n", args[0], why)
		return exitError
	}
	fmt.Fprintf(e.Stderr, "strata: unknown command %q (run strata --help)\n", args[0])
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Strata, a Kafka-compatible broker, and the tools Kafka users know.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: strata <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	width := 0
	for _, c := range commands {
		width = max(width, len(c.Name))
	}
	for _, c := range commands {
		fmt.Fprintf(w, "  %-*s %s\n", width, c.Name, c.Summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run strata <command> --help for a command's flags. The tools talk to")
	fmt.Fprintln(w, "--bootstrap-server (default localhost:9092) with the Kafka protocol only.")
}
