package process

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// strataBin is the strata binary built once for this package's tests.
var strataBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "strata-process-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	strataBin = filepath.Join(dir, "strata")
	build := exec.Command("go", "build", "-o", strataBin, "../../cmd/strata")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	code := 1
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building strata:", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// testStopper is server-stop for brokers of the built binary.
func testStopper() stopper {
	return stopper{finder: finder{proc: "/proc", exe: strataBin, self: os.Getpid()}, poll: 10 * time.Millisecond}
}

// serverStop runs server-stop with args and returns its output and code.
func serverStop(t *testing.T, s stopper, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut strings.Builder
	code = runServerStop(s, args, nil, &out, &errOut)
	return out.String(), errOut.String(), code
}

// proc is a broker process a test started.
type proc struct {
	cmd  *exec.Cmd
	dir  string // its log dir
	addr string
	done chan struct{} // closed when it has exited and been reaped
	mu   sync.Mutex
	log  strings.Builder
}

var listenRE = regexp.MustCompile(`msg=listening listener=PLAINTEXT addr=(\S+)`)

// startBroker runs the built binary as kafka-server-start.sh is run: the
// repository's config/server.properties first, then overrides for a free
// port, the log dir and the node id. It waits until the broker listens.
func startBroker(t *testing.T, dir string, nodeID int) *proc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, strataBin, "broker", "../../config/server.properties",
		"--override", "listeners=PLAINTEXT://127.0.0.1:0",
		"--override", "advertised.listeners=",
		"--override", "log.dirs="+dir,
		"--override", "console.listeners=http://127.0.0.1:0",
		"--override", "node.id="+strconv.Itoa(nodeID))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, dir: dir, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.log.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr)
		cmd.Wait()
		close(addr)
		close(p.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	a, ok := <-addr
	if !ok {
		t.Fatalf("broker exited before listening:\n%s", p.output())
	}
	p.addr = a
	return p
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// exited waits, at most a minute, for the process to exit; it returns its
// exit code.
func (p *proc) exited(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(time.Minute):
		t.Fatalf("broker pid %d did not exit:\n%s", p.cmd.Process.Pid, p.output())
		return -1
	}
}

func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

func produce(t *testing.T, addr, topic string, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range n {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte(strconv.Itoa(i))}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

// absDir returns a fresh log dir as the broker's .lock descriptor names it.
func absDir(t *testing.T) string {
	d, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestServerStopCleanRestart: a broker started from config/server.properties
// with overrides is found and stopped by server-stop with SIGTERM: it
// exits 0, leaves the clean-shutdown marker and no strata.pid, and the
// restart recovers no segment.
func TestServerStopCleanRestart(t *testing.T) {
	dir := absDir(t)
	b := startBroker(t, dir, 1)
	produce(t, b.addr, "t", 10)

	out, errOut, code := serverStop(t, testStopper())
	want := fmt.Sprintf("Stopped broker pid %d (node.id 1, log.dirs %s)\n", b.cmd.Process.Pid, dir)
	if code != 0 || out != want || errOut != "" {
		t.Fatalf("server-stop: exit %d\nstdout %q\nwant   %q\nstderr %q", code, out, want, errOut)
	}
	if c := b.exited(t); c != 0 {
		t.Fatalf("broker exit %d, want 0:\n%s", c, b.output())
	}
	if _, err := os.Stat(filepath.Join(dir, ".strata_cleanshutdown")); err != nil {
		t.Errorf("clean-shutdown marker: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, pidFile)); !os.IsNotExist(err) {
		t.Errorf("%s after a clean stop: %v, want none", pidFile, err)
	}
	if !strings.Contains(b.output(), `msg="stopped cleanly"`) {
		t.Errorf("no clean stop in the log:\n%s", b.output())
	}

	again := startBroker(t, dir, 1)
	if !strings.Contains(again.output(), `msg="logs opened" partitions=1 segments_recovered=0 `) {
		t.Errorf("restart after server-stop recovered segments:\n%s", again.output())
	}
	out, _, code = serverStop(t, testStopper(), "--timeout", "60000")
	if want := fmt.Sprintf("Stopped broker pid %d (node.id 1, log.dirs %s)\n", again.cmd.Process.Pid, dir); code != 0 || out != want {
		t.Fatalf("second server-stop: exit %d, stdout %q, want %q", code, out, want)
	}
	again.exited(t)
}

// TestServerStopNodeID: of two brokers, --node-id=2 stops only node 2
// (Kafka's --node-id=N form), and --process-role filters as sets of roles.
func TestServerStopNodeID(t *testing.T) {
	d1, d2 := absDir(t), absDir(t)
	b1 := startBroker(t, d1, 1)
	b2 := startBroker(t, d2, 2)

	out, _, code := serverStop(t, testStopper(), "--node-id=3")
	if code != 1 || out != "No kafka server to stop\n" {
		t.Fatalf("--node-id=3: exit %d, stdout %q", code, out)
	}
	out, _, code = serverStop(t, testStopper(), "--process-role=broker")
	if code != 1 || out != "No kafka server to stop\n" {
		t.Fatalf("--process-role=broker on combined nodes: exit %d, stdout %q", code, out)
	}

	out, _, code = serverStop(t, testStopper(), "--node-id=2")
	if want := fmt.Sprintf("Stopped broker pid %d (node.id 2, log.dirs %s)\n", b2.cmd.Process.Pid, d2); code != 0 || out != want {
		t.Fatalf("--node-id=2: exit %d, stdout %q, want %q", code, out, want)
	}
	b2.exited(t)
	if !b1.running() {
		t.Fatalf("node 1 stopped by --node-id=2:\n%s", b1.output())
	}

	out, _, code = serverStop(t, testStopper(), "--process-role", "controller,broker", "--node-id", "1")
	want := "When both node-id and process-role are provided, the value for node-id will take precedence\n" +
		fmt.Sprintf("Stopped broker pid %d (node.id 1, log.dirs %s)\n", b1.cmd.Process.Pid, d1)
	if code != 0 || out != want {
		t.Fatalf("--process-role and --node-id: exit %d, stdout %q, want %q", code, out, want)
	}
	b1.exited(t)
}

// TestServerStopNone: with no broker running, Kafka's line and exit 1.
func TestServerStopNone(t *testing.T) {
	out, errOut, code := serverStop(t, testStopper())
	if code != 1 || out != "No kafka server to stop\n" || errOut != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestServerStopStalePIDFile: a pid file naming a live broker in a dir it
// does not hold is ignored, and so is one a killed broker left behind.
func TestServerStopStalePIDFile(t *testing.T) {
	dir, other := absDir(t), absDir(t)
	b := startBroker(t, dir, 1)
	pid := b.cmd.Process.Pid
	// other has a .lock (not held) and a strata.pid naming the broker.
	for name, body := range map[string]string{".lock": "", pidFile: strconv.Itoa(pid) + "\n"} {
		if err := os.WriteFile(filepath.Join(other, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	found, err := testStopper().find()
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || found[0].PID != pid || strings.Join(found[0].LogDirs, ",") != dir {
		t.Fatalf("found %+v, want pid %d holding %s only", found, pid, dir)
	}

	// kill -9: the pid file stays, stale.
	b.cmd.Process.Kill()
	b.exited(t)
	if got, err := os.ReadFile(filepath.Join(dir, pidFile)); err != nil || string(got) != strconv.Itoa(pid)+"\n" {
		t.Fatalf("after kill -9 %s holds %q (%v)", pidFile, got, err)
	}
	out, _, code := serverStop(t, testStopper())
	if code != 1 || out != "No kafka server to stop\n" {
		t.Fatalf("after kill -9: exit %d, stdout %q", code, out)
	}
	// The next broker overwrites it.
	again := startBroker(t, dir, 1)
	if got, _ := os.ReadFile(filepath.Join(dir, pidFile)); string(got) != strconv.Itoa(again.cmd.Process.Pid)+"\n" {
		t.Fatalf("restart: %s holds %q, want pid %d", pidFile, got, again.cmd.Process.Pid)
	}
	if err := again.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	again.exited(t)
}

// TestServerStopUsage: bad command lines get one line and exit 2; a system
// without /proc one line and exit 1.
func TestServerStopUsage(t *testing.T) {
	for _, args := range [][]string{{"--node-id", "x"}, {"--bogus"}, {"extra"}, {"--process-role=leader"}, {"--timeout", "0"}} {
		out, errOut, code := serverStop(t, testStopper(), args...)
		if code != 2 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "strata server-stop: ") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	noProc := testStopper()
	noProc.proc = t.TempDir()
	out, errOut, code := serverStop(t, noProc)
	if code != 1 || out != "" || errOut != "strata server-stop: finding brokers needs /proc (Linux)\n" {
		t.Errorf("no /proc: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	out, _, code = serverStop(t, testStopper(), "--help")
	if code != 0 || !strings.HasPrefix(out, "Usage: strata server-stop") {
		t.Errorf("--help: exit %d, stdout %q", code, out)
	}
}

// TestServerStopSignal: SIGNAL=KILL, as Kafka's script takes it, kills the
// broker; server-stop says it did not shut down cleanly (its pid file is
// left) and exits 1. A SIGNAL it does not know is refused.
func TestServerStopSignal(t *testing.T) {
	dir := absDir(t)
	b := startBroker(t, dir, 1)
	var out, errOut strings.Builder
	code := runServerStop(testStopper(), nil, []string{"SIGNAL=KILL"}, &out, &errOut)
	pid := b.cmd.Process.Pid
	wantOut := fmt.Sprintf("Stopped broker pid %d (node.id 1, log.dirs %s)\n", pid, dir)
	wantErr := fmt.Sprintf("strata server-stop: broker pid %d exited without a clean shutdown (%s left behind)\n", pid, filepath.Join(dir, pidFile))
	if code != 1 || out.String() != wantOut || errOut.String() != wantErr {
		t.Fatalf("SIGNAL=KILL: exit %d\nstdout %q\nwant   %q\nstderr %q\nwant   %q", code, out.String(), wantOut, errOut.String(), wantErr)
	}
	if b.exited(t); b.cmd.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("broker ended by %v, want SIGKILL", b.cmd.ProcessState)
	}
	out.Reset()
	errOut.Reset()
	if code := runServerStop(testStopper(), nil, []string{"SIGNAL=BOGUS"}, &out, &errOut); code != 1 ||
		errOut.String() != "strata server-stop: SIGNAL=BOGUS: want TERM, INT, HUP, QUIT or KILL\n" {
		t.Errorf("SIGNAL=BOGUS: exit %d, stderr %q", code, errOut.String())
	}
}
