// Command strata is the Strata broker and its tools, one subcommand each.
//
//	strata broker [--config server.properties] [--<kafka.property> value ...]
//
// Run `strata --help` for the list of subcommands.
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
	run     func(args, environ []string, stdout, stderr io.Writer, signals <-chan os.Signal) int
}

// commands lists the subcommands, one file each.
var commands = []command{
	{"broker", "run the broker (Kafka's server.properties names; KAFKA_* environment variables)", runBroker},
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
	os.Exit(run(os.Args[1:], os.Environ(), os.Stdout, os.Stderr, signals))
}

// run dispatches to a subcommand and returns the exit code.
func run(args, environ []string, stdout, stderr io.Writer, signals <-chan os.Signal) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(args[1:], environ, stdout, stderr, signals)
		}
	}
	fmt.Fprintf(stderr, "strata: unknown command %q (run strata --help)\n", args[0])
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Strata, a Kafka-compatible broker.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: strata <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run strata <command> --help for a command's flags.")
}
