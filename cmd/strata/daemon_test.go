package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBrokerKafkaArgs: kafka-server-start.sh's command line: the
// properties file first, --override property=value over the file and the
// environment, -daemon anywhere and left out of what the detached process
// gets.
func TestBrokerKafkaArgs(t *testing.T) {
	file := filepath.Join(t.TempDir(), "server.properties")
	if err := os.WriteFile(file, []byte("num.partitions=3\nlog.dirs=from-file\nnode.id=7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := parseBrokerFlags([]string{"-daemon", file, "--override", "num.partitions=5", "--override=log.dirs=from-override", "--log-level", "warn"})
	if err != nil {
		t.Fatal(err)
	}
	if !f.daemon || f.configFile != file {
		t.Fatalf("daemon %v config %q", f.daemon, f.configFile)
	}
	if got, want := strings.Join(f.rest, " "), file+" --override num.partitions=5 --override=log.dirs=from-override --log-level warn"; got != want {
		t.Fatalf("arguments for the detached broker %q, want %q", got, want)
	}
	b, err := brokerConfig(f, []string{"KAFKA_NUM_PARTITIONS=4", "KAFKA_NODE_ID=8"})
	if err != nil {
		t.Fatal(err)
	}
	if b.NumPartitions != 5 || b.LogDirs[0] != "from-override" || b.NodeID != 8 {
		t.Fatalf("num.partitions %d log.dirs %v node.id %d, want 5 [from-override] 8", b.NumPartitions, b.LogDirs, b.NodeID)
	}
	// --override takes any property, even one without a dot that Strata
	// does not know (Kafka's file may name such); --name value does not.
	f, err = parseBrokerFlags([]string{file, "--override", "bogus=1"})
	if err != nil {
		t.Fatal(err)
	}
	if b, err = brokerConfig(f, nil); err != nil || b.Unknown["bogus"] != "1" {
		t.Fatalf("--override bogus=1: %v, unknown %v", err, b.Unknown)
	}

	for args, want := range map[string]string{
		file + " extra":             "usage: Found non argument parameters: extra",
		"--override num.partitions": `usage: --override "num.partitions": want property=value`,
		"--override =1":             `usage: --override "=1": want property=value`,
		"--config " + file + " x":   "usage: Found non argument parameters: x",
		file + " --config " + file:  "usage: the properties file is given twice (" + file + " and --config " + file + ")",
	} {
		if _, err := parseBrokerFlags(strings.Fields(args)); err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %s", args, err, want)
		}
	}
}

// TestServerStartUsage: kafka-server-start.sh without a properties file
// prints Kafka's usage line with the name it was run by and exits 1.
func TestServerStartUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"-daemon"}, {"--override", "a=b"}} {
		var out, errOut strings.Builder
		code := runServerStart("bin/kafka-server-start.sh", args, nil, &out, &errOut, nil)
		want := "USAGE: bin/kafka-server-start.sh [-daemon] server.properties [--override property=value]*\n"
		if code != exitError || errOut.String() != want || out.String() != "" {
			t.Errorf("%q: exit %d, stderr %q, stdout %q", args, code, errOut.String(), out.String())
		}
	}
	var out, errOut strings.Builder
	code := runServerStart("kafka-server-start.sh", []string{filepath.Join(t.TempDir(), "missing.properties")}, nil, &out, &errOut, nil)
	if code != exitError || !strings.Contains(errOut.String(), "missing.properties: no such file or directory") || strings.Count(errOut.String(), "\n") != 1 {
		t.Errorf("missing file: exit %d, stderr %q", code, errOut.String())
	}
}

// daemonize runs this test binary as `strata broker ... -daemon` in dir.
func daemonize(t *testing.T, dir string, env []string, args ...string) (stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"broker"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "STRATA_TEST_MAIN=1"), env...)
	var errOut strings.Builder
	cmd.Stderr = &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return errOut.String(), cmd.ProcessState.ExitCode()
}

// procStat returns the fields of /proc/<pid>/stat after the command name:
// state, ppid, pgrp, session, ...; nil when the process is gone.
func procStat(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}

// alive reports whether pid runs and is not a zombie.
func alive(pid int) bool {
	st := procStat(pid)
	return len(st) > 0 && st[0] != "Z" && st[0] != "X"
}

// TestBrokerDaemon: -daemon returns 0 once the detached broker listens,
// its output appended to logs/server.log under the working directory (or
// $LOG_DIR); a broker that fails to start makes it exit 1 with the log's
// end.
func TestBrokerDaemon(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc to follow the detached broker")
	}
	work := t.TempDir()
	props := filepath.Join(work, "server.properties")
	if err := os.WriteFile(props, []byte("listeners=PLAINTEXT://127.0.0.1:0\nlog.dirs=data\nconsole.listeners=http://127.0.0.1:0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	errOut, code := daemonize(t, work, nil, "server.properties", "-daemon", "--override", "node.id=3")
	if code != 0 || errOut != "" {
		t.Fatalf("-daemon: exit %d, stderr %q", code, errOut)
	}
	b, err := os.ReadFile(filepath.Join(work, "data", "strata.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || !alive(pid) {
		t.Fatalf("strata.pid %q: the broker is not running (%v)", b, err)
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	log, err := os.ReadFile(filepath.Join(work, "logs", "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "msg=listening listener=PLAINTEXT addr=127.0.0.1:") || !strings.Contains(string(log), "node.id=3") {
		t.Fatalf("server.log:\n%s", log)
	}
	// A new session: the broker leads it, away from the test's terminal.
	if st := procStat(pid); len(st) < 4 || st[3] != strconv.Itoa(pid) {
		t.Errorf("broker stat %q: want the session of its own (%d)", st, pid)
	}

	// A second broker on the same dir fails to start: exit 1, and the end
	// of its log (in $LOG_DIR) says why.
	errOut, code = daemonize(t, work, []string{"LOG_DIR=" + filepath.Join(work, "other")}, "-daemon", "server.properties")
	if code != exitError || !strings.Contains(errOut, "before it listened; the end of "+filepath.Join(work, "other", "server.log")+":\n") ||
		!strings.Contains(errOut, "directory is locked") {
		t.Fatalf("second -daemon: exit %d, stderr %q", code, errOut)
	}

	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); alive(pid); {
		if time.Now().After(deadline) {
			t.Fatal("the detached broker did not exit after SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
	log, _ = os.ReadFile(filepath.Join(work, "logs", "server.log"))
	if !strings.HasSuffix(string(log), "msg=\"stopped cleanly\"\n") {
		t.Errorf("server.log does not end with a clean stop:\n%s", log)
	}
}
