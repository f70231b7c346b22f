package process

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// script returns a link named name to the built binary, in a directory of
// the test's: the binary runs the command its name says.
func script(t *testing.T, name string) string {
	t.Helper()
	link := filepath.Join(filepath.Dir(strataBin), name)
	if err := os.Symlink(strataBin, link); err != nil && !errors.Is(err, os.ErrExist) {
		t.Fatal(err)
	}
	return link
}

// runScript runs a link in dir and returns its output and exit code.
func runScript(t *testing.T, dir, path string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

// TestKafkaScripts: Kafka's quickstart through the links, as typed:
// kafka-server-start.sh -daemon config/server.properties (with overrides
// for a free port and a temporary log dir), records produced,
// kafka-server-stop.sh; the stop is clean (marker written, no strata.pid)
// and the restart recovers nothing; then nothing is left to stop.
func TestKafkaScripts(t *testing.T) {
	start, stop := script(t, "kafka-server-start.sh"), script(t, "kafka-server-stop.sh")
	work := t.TempDir()
	dir := absDir(t)
	config, err := filepath.Abs("../../config/server.properties")
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-daemon", config, "--override", "listeners=PLAINTEXT://127.0.0.1:0",
		"--override", "advertised.listeners=", "--override", "log.dirs=" + dir,
		"--override", "console.listeners=http://127.0.0.1:0"}

	_, errOut, code := runScript(t, work, start, args...)
	if code != 0 || errOut != "" {
		t.Fatalf("kafka-server-start.sh -daemon: exit %d, stderr %q", code, errOut)
	}
	b, err := os.ReadFile(filepath.Join(dir, pidFile))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	log, err := os.ReadFile(filepath.Join(work, "logs", "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	m := listenRE.FindSubmatch(log)
	if m == nil {
		t.Fatalf("no listening line in logs/server.log:\n%s", log)
	}
	produce(t, string(m[1]), "quickstart-events", 100)

	out, errOut, code := runScript(t, work, stop)
	if want := fmt.Sprintf("Stopped broker pid %d (node.id 1, log.dirs %s)\n", pid, dir); code != 0 || out != want || errOut != "" {
		t.Fatalf("kafka-server-stop.sh: exit %d\nstdout %q\nwant   %q\nstderr %q", code, out, want, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, ".strata_cleanshutdown")); err != nil {
		t.Errorf("clean-shutdown marker: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, pidFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s after kafka-server-stop.sh: %v, want none", pidFile, err)
	}

	// The restart opens the logs without recovering any segment.
	_, errOut, code = runScript(t, work, start, args...)
	if code != 0 {
		t.Fatalf("restart: exit %d, stderr %q", code, errOut)
	}
	b, _ = os.ReadFile(filepath.Join(dir, pidFile))
	pid2, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	t.Cleanup(func() { syscall.Kill(pid2, syscall.SIGKILL) })
	log, _ = os.ReadFile(filepath.Join(work, "logs", "server.log"))
	if opened := strings.Count(string(log), `msg="logs opened" partitions=1 segments_recovered=0 `); opened != 1 {
		t.Errorf("restart: %d clean opens of the one partition, want 1:\n%s", opened, log)
	}
	out, _, code = runScript(t, work, stop)
	if want := fmt.Sprintf("Stopped broker pid %d (node.id 1, log.dirs %s)\n", pid2, dir); code != 0 || out != want {
		t.Fatalf("second kafka-server-stop.sh: exit %d, stdout %q, want %q", code, out, want)
	}

	out, errOut, code = runScript(t, work, stop)
	if code != 1 || out != "No kafka server to stop\n" || errOut != "" {
		t.Fatalf("nothing to stop: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	_, errOut, code = runScript(t, work, start)
	if want := "USAGE: " + start + " [-daemon] server.properties [--override property=value]*\n"; code != 1 || errOut != want {
		t.Fatalf("kafka-server-start.sh without arguments: exit %d, stderr %q, want %q", code, errOut, want)
	}
}
