package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// The -daemon mode of kafka-server-start.sh, as Kafka's kafka-run-class.sh
// does it (nohup, stdin from /dev/null, output to a file under LOG_DIR,
// LOG_DIR defaulting to logs): the starting process runs this binary
// again as `strata broker` with the same arguments but -daemon, in a new
// session (setsid: no controlling terminal, no SIGHUP when the terminal
// closes), stdin /dev/null, stdout and stderr appended to
// $LOG_DIR/server.log. Unlike Kafka's script it waits for the outcome: the
// broker writes one line to an inherited pipe once it listens
// (notifyStarted), and the starting process exits 0 then, or 1 with the
// broker's last log lines if the broker exits before that.

// readyFDEnv names, in the detached broker's environment, the descriptor
// of the pipe it reports its start on.
const readyFDEnv = "STRATA_DAEMON_READY_FD"

// serverStartUsage is kafka-server-start.sh's line when it has no
// properties file (bin/kafka-server-start.sh); %s is the name it was run by.
const serverStartUsage = "USAGE: %s [-daemon] server.properties [--override property=value]*\n"

// runServerStart is kafka-server-start.sh: the broker, with the properties
// file required as Kafka's script requires it (its usage line and exit 1
// without one). name is the name the binary was run by (os.Args[0]).
// runBroker does the same when os.Args[0] is such a name, so the link
// works through the broker command too.
func runServerStart(name string, args, environ []string, stdout, stderr io.Writer, signals <-chan os.Signal) int {
	f, err := parseBrokerFlags(args)
	if err == nil && !f.help && f.configFile == "" {
		fmt.Fprintf(stderr, serverStartUsage, name)
		return exitError
	}
	return runBroker(args, environ, stdout, stderr, signals)
}

// isServerStartScript reports whether name (a path) is Kafka's
// kafka-server-start.sh, or kafka-server-start as some distributions
// install it.
func isServerStartScript(name string) bool {
	base := filepath.Base(name)
	return base == "kafka-server-start.sh" || base == "kafka-server-start"
}

// logDir is where -daemon writes server.log: $LOG_DIR, else ./logs.
func logDir(environ []string) string {
	dir := "logs"
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "LOG_DIR="); ok && v != "" {
			dir = v
		}
	}
	return dir
}

// runDaemon starts the detached broker with args (the command line without
// -daemon) and waits until it listens or exits.
func runDaemon(args, environ []string, stdout, stderr io.Writer, signals <-chan os.Signal) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "strata broker: "+format+"\n", a...)
		return exitError
	}
	exe, err := os.Executable()
	if err != nil {
		return fail("-daemon: cannot find this executable: %v", err)
	}
	dir := logDir(environ)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail("-daemon: %v", err)
	}
	logPath := filepath.Join(dir, "server.log")
	out, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fail("-daemon: %v", err)
	}
	defer out.Close()
	start, err := out.Seek(0, io.SeekEnd)
	if err != nil {
		return fail("-daemon: %v", err)
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		return fail("-daemon: %v", err)
	}
	defer null.Close()
	ready, readyW, err := os.Pipe()
	if err != nil {
		return fail("-daemon: %v", err)
	}
	defer ready.Close()

	cmd := exec.Command(exe, append([]string{"broker"}, args...)...)
	cmd.Args[0] = "strata"
	// The first of ExtraFiles is descriptor 3 in the child.
	cmd.Env = append(withoutEnv(environ, readyFDEnv), readyFDEnv+"=3")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, out, out
	cmd.ExtraFiles = []*os.File{readyW}
	if err := newSession(cmd); err != nil {
		readyW.Close()
		return fail("-daemon: %v", err)
	}
	err = cmd.Start()
	readyW.Close() // the child holds its own copy; EOF when it exits
	if err != nil {
		return fail("-daemon: %v", err)
	}
	pid := cmd.Process.Pid

	started := make(chan bool, 1)
	go func() {
		line, _ := bufio.NewReader(ready).ReadString('\n')
		started <- line == "started\n"
	}()
	var ok bool
	select {
	case ok = <-started:
	case sig := <-signals:
		cmd.Process.Release()
		return fail("%v while the broker (pid %d) was starting; it goes on in the background, see %s", sig, pid, logPath)
	}
	if ok {
		cmd.Process.Release()
		return exitOK
	}
	// The pipe closed without the line: the broker exited (or closed every
	// descriptor, which it does not do).
	cmd.Wait()
	fmt.Fprintf(stderr, "strata broker: the broker (pid %d) exited with status %d before it listened; the end of %s:\n",
		pid, cmd.ProcessState.ExitCode(), logPath)
	stderr.Write(logTail(logPath, start, 8))
	return exitError
}

// withoutEnv returns environ without the variable name.
func withoutEnv(environ []string, name string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// logTail returns the last n lines written to path from offset from on
// (at most 8 KiB).
func logTail(path string, from int64, n int) []byte {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	end, err := f.Seek(0, io.SeekEnd)
	if err != nil || end <= from {
		return nil
	}
	from = max(from, end-8<<10)
	b := make([]byte, end-from)
	if _, err := f.ReadAt(b, from); err != nil && !errors.Is(err, io.EOF) {
		return nil
	}
	lines := strings.SplitAfter(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return []byte(strings.Join(lines, "") + "\n")
}

// notifyStarted tells the process that started this broker with -daemon
// that it listens: one line on the descriptor named by readyFDEnv, then the
// descriptor is closed. Without the variable it does nothing.
func notifyStarted(environ []string) error {
	v := ""
	for _, kv := range environ {
		if s, ok := strings.CutPrefix(kv, readyFDEnv+"="); ok {
			v = s
		}
	}
	if v == "" {
		return nil
	}
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return fmt.Errorf("%s=%q: not a descriptor", readyFDEnv, v)
	}
	f := os.NewFile(uintptr(fd), "daemon-ready")
	if f == nil {
		return fmt.Errorf("%s=%d: not a descriptor", readyFDEnv, fd)
	}
	_, err = f.WriteString("started\n")
	return errors.Join(err, f.Close())
}
