package process

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/stratabroker/strata/tools/cli"
)

const stopUsage = `Usage: strata server-stop [--node-id N | --process-role ROLES] [--timeout MS]
       kafka-server-stop.sh [--node-id=N] [--process-role=ROLES]

Stops the Strata brokers this binary runs on this machine: each gets
SIGTERM (or the signal named by $SIGNAL, as Kafka's script), shuts down
cleanly (logs flushed, clean-shutdown marker written) and is waited for.
Brokers are found exactly, by the strata.pid file of each log dir they
hold locked (Linux: /proc). Without any: "No kafka server to stop", exit 1.

  --node-id N            only the broker whose meta.properties has node.id N
  --process-role ROLES   only brokers with these process.roles (a Strata node
                         is broker,controller); --node-id wins over it
  --timeout MS           how long to wait for the brokers to exit (60000)
  --help                 this text
`

// signals SIGNAL may name, as kill -s takes them.
var signalNames = map[string]syscall.Signal{
	"TERM": syscall.SIGTERM, "INT": syscall.SIGINT, "KILL": syscall.SIGKILL,
	"HUP": syscall.SIGHUP, "QUIT": syscall.SIGQUIT,
}

// stopper is server-stop with what tests replace.
type stopper struct {
	finder
	poll time.Duration // how often exits are checked
}

// newStopper returns the stopper of this process: /proc, os.Executable.
func newStopper() (stopper, error) {
	exe, err := os.Executable()
	if err != nil {
		return stopper{}, err
	}
	return stopper{finder: finder{proc: "/proc", exe: exe, self: os.Getpid()}, poll: 20 * time.Millisecond}, nil
}

// runServerStop is the command: args, the environment (for SIGNAL), the
// streams; it returns the exit code (0, 1 failed or nothing to stop, 2
// usage).
func runServerStop(s stopper, args, environ []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("server-stop", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	nodeID := fs.String("node-id", "", "")
	role := fs.String("process-role", "", "")
	timeoutMs := fs.Int64("timeout", 60000, "")
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "strata server-stop: %s (run strata server-stop --help)\n", fmt.Sprintf(format, a...))
		return cli.ExitUsage
	}
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, stopUsage)
		return cli.ExitOK
	}
	if err != nil {
		return usageErr("%s", strings.Replace(err.Error(), "flag provided but not defined: -", "unknown flag --", 1))
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	var wantNode int64 = -1
	if *nodeID != "" {
		n, err := strconv.ParseInt(*nodeID, 10, 32)
		if err != nil || n < 0 {
			return usageErr("--node-id %q: want a node id (0 or more)", *nodeID)
		}
		wantNode = n
	}
	var wantRoles []string
	if *role != "" {
		wantRoles = splitRoles(*role)
		for _, r := range wantRoles {
			if r != "broker" && r != "controller" {
				return usageErr("--process-role %q: want broker, controller or both", *role)
			}
		}
	}
	if *timeoutMs <= 0 {
		return usageErr("--timeout %d: want a positive number of ms", *timeoutMs)
	}
	sig := syscall.SIGTERM
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "SIGNAL="); ok && v != "" {
			name := strings.TrimPrefix(strings.ToUpper(v), "SIG")
			if sig, ok = signalNames[name]; !ok {
				fmt.Fprintf(stderr, "strata server-stop: SIGNAL=%s: want TERM, INT, HUP, QUIT or KILL\n", v)
				return cli.ExitError
			}
		}
	}
	if wantNode >= 0 && wantRoles != nil {
		// Kafka's script's notice, on standard output as there.
		fmt.Fprintln(stdout, "When both node-id and process-role are provided, the value for node-id will take precedence")
		wantRoles = nil
	}

	brokers, err := s.find()
	if err != nil {
		fmt.Fprintf(stderr, "strata server-stop: %v\n", err)
		return cli.ExitError
	}
	var chosen []Broker
	for _, b := range brokers {
		switch {
		case wantNode >= 0 && int64(b.NodeID) != wantNode:
		case wantRoles != nil && !slices.Equal(wantRoles, b.Roles):
		default:
			chosen = append(chosen, b)
		}
	}
	if len(chosen) == 0 {
		fmt.Fprintln(stdout, "No kafka server to stop")
		return cli.ExitError
	}
	var signalled []Broker
	code := 0
	for _, b := range chosen {
		if err := kill(b.PID, sig); err != nil {
			if errors.Is(err, syscall.ESRCH) {
				continue // it exited meanwhile
			}
			fmt.Fprintf(stderr, "strata server-stop: broker pid %d: %v\n", b.PID, err)
			code = 1
			continue
		}
		signalled = append(signalled, b)
	}
	deadline := time.Now().Add(time.Duration(*timeoutMs) * time.Millisecond)
	for _, b := range signalled {
		if !s.waitExit(b.PID, deadline) {
			fmt.Fprintf(stderr, "strata server-stop: broker pid %d (node.id %d) is still running after %d ms\n", b.PID, b.NodeID, *timeoutMs)
			code = 1
			continue
		}
		fmt.Fprintf(stdout, "Stopped broker pid %d (node.id %d, log.dirs %s)\n", b.PID, b.NodeID, strings.Join(b.LogDirs, ","))
		if left := pidFilesLeft(b); len(left) > 0 {
			fmt.Fprintf(stderr, "strata server-stop: broker pid %d exited without a clean shutdown (%s left behind)\n", b.PID, strings.Join(left, ", "))
			code = 1
		}
	}
	return code
}

// waitExit waits until process pid has exited (gone, or a zombie), until
// deadline; it reports whether it has.
func (s stopper) waitExit(pid int, deadline time.Time) bool {
	t := time.NewTicker(s.poll)
	defer t.Stop()
	for {
		if s.exited(pid) {
			return true
		}
		if !time.Now().Before(deadline) {
			return false
		}
		<-t.C
	}
}

// exited reports whether pid is gone or a zombie: /proc/<pid>/stat's
// state (the field after the parenthesised command name) is Z or X.
func (s stopper) exited(pid int) bool {
	b, err := os.ReadFile(filepath.Join(s.proc, strconv.Itoa(pid), "stat"))
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 || i+2 >= len(b) {
		return false
	}
	state := b[i+2]
	return state == 'Z' || state == 'X'
}

// pidFilesLeft returns the pid files of b still naming it: the broker
// removes them at the end of its clean shutdown.
func pidFilesLeft(b Broker) []string {
	var left []string
	want := strconv.Itoa(b.PID) + "\n"
	for _, d := range b.LogDirs {
		p := filepath.Join(d, pidFile)
		if got, err := os.ReadFile(p); err == nil && string(got) == want {
			left = append(left, p)
		}
	}
	return left
}
