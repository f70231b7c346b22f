package main

import (
	"bufio"
	"context"
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

// TestMain lets the tests run this binary's main as a separate process
// (kill -9 needs one): with STRATA_TEST_MAIN=1 the test binary is strata.
func TestMain(m *testing.M) {
	if os.Getenv("STRATA_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func TestHelpAndUsageErrors(t *testing.T) {
	var out, errOut strings.Builder
	if code := run([]string{"--help"}, nil, &out, &errOut, nil); code != exitOK || !strings.Contains(out.String(), "  broker ") {
		t.Fatalf("--help: exit %d, output %q", code, out.String())
	}
	cases := map[string][]string{
		"no command":      {},
		"unknown command": {"brokr"},
		"unknown flag":    {"broker", "--bogus", "1"},
		"missing value":   {"broker", "--listeners"},
		"stray argument":  {"broker", "server.properties", "extra"},
		"bad log level":   {"broker", "--log-level", "loud"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			var out, errOut strings.Builder
			if code := run(args, nil, &out, &errOut, nil); code != exitUsage {
				t.Fatalf("exit %d, want %d (stderr %q)", code, exitUsage, errOut.String())
			}
			if lines := strings.Count(errOut.String(), "\n"); lines > 1 && len(args) > 0 {
				t.Fatalf("%d lines of error, want one: %q", lines, errOut.String())
			}
		})
	}
	out.Reset()
	errOut.Reset()
	if code := run([]string{"broker", "--num.partitions", "zero"}, nil, &out, &errOut, nil); code != exitError {
		t.Fatalf("bad value: exit %d, want %d", code, exitError)
	}
}

// TestBrokerConfigPrecedence: defaults < file < KAFKA_* < flags.
func TestBrokerConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "server.properties")
	if err := os.WriteFile(file, []byte("num.partitions=3\nlog.dirs=from-file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := func(args []string, env []string) (int32, string) {
		t.Helper()
		f, err := parseBrokerFlags(args)
		if err != nil {
			t.Fatal(err)
		}
		b, err := brokerConfig(f, env)
		if err != nil {
			t.Fatal(err)
		}
		return b.NumPartitions, b.LogDirs[0]
	}
	if n, d := cfg(nil, nil); n != 1 || d != "./data" {
		t.Fatalf("defaults: %d %s", n, d)
	}
	if n, d := cfg([]string{"--config", file}, nil); n != 3 || d != "from-file" {
		t.Fatalf("file: %d %s", n, d)
	}
	env := []string{"KAFKA_NUM_PARTITIONS=4", "KAFKA_LOG_DIRS=from-env"}
	if n, d := cfg([]string{"--config", file}, env); n != 4 || d != "from-env" {
		t.Fatalf("env over file: %d %s", n, d)
	}
	if n, d := cfg([]string{"--config=" + file, "--num.partitions", "5", "--log.dirs=from-flag"}, env); n != 5 || d != "from-flag" {
		t.Fatalf("flags over env: %d %s", n, d)
	}
}

// broker is a strata broker process started by a test.
type broker struct {
	cmd  *exec.Cmd
	addr string
	done chan error
	mu   sync.Mutex
	log  strings.Builder
	http []httpListener // the HTTP listeners logged before the Kafka one
}

type httpListener struct{ what, url string }

var (
	listenRE = regexp.MustCompile(`msg=listening listener=PLAINTEXT addr=(\S+)`)
	httpRE   = regexp.MustCompile(`msg=listening listener=HTTP what=(\S+) addr=(\S+)`)
)

// startBroker runs this test binary as `strata broker` on a free port with
// data in dir (the HTTP side, too, on a free port: no test binds 8080),
// and waits until it has started. extra are more command-line arguments.
func startBroker(t *testing.T, dir string, extra ...string) *broker {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	args := append([]string{"broker", "--listeners", "PLAINTEXT://127.0.0.1:0", "--log.dirs", dir,
		"--console.listeners", "http://127.0.0.1:0"}, extra...)
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), "STRATA_TEST_MAIN=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b := &broker{cmd: cmd, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		var kafkaAddr string
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			b.mu.Lock()
			b.log.WriteString(line + "\n")
			b.mu.Unlock()
			if m := httpRE.FindStringSubmatch(line); m != nil {
				b.mu.Lock()
				b.http = append(b.http, httpListener{what: m[1], url: m[2]})
				b.mu.Unlock()
			}
			if m := listenRE.FindStringSubmatch(line); m != nil {
				kafkaAddr = m[1]
			}
			// Logged once the HTTP side is up too.
			if strings.Contains(line, `msg="broker started"`) {
				select {
				case addr <- kafkaAddr:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr)
		b.done <- cmd.Wait()
		close(addr)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-b.done
	})
	a, ok := <-addr
	if !ok {
		t.Fatalf("broker exited before listening:\n%s", b.output())
	}
	b.addr = a
	return b
}

func (b *broker) output() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.log.String()
}

// stop sends sig and returns the exit code.
func (b *broker) stop(t *testing.T, sig syscall.Signal) int {
	t.Helper()
	if err := b.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-b.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("broker did not exit after %v:\n%s", sig, b.output())
	}
	b.done <- nil // for the cleanup
	return b.cmd.ProcessState.ExitCode()
}

func client(t *testing.T, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// consume reads topic from the start until it has n records or the
// deadline passes, and returns the values by offset.
func consume(t *testing.T, addr, topic string, n int) map[int64]string {
	t.Helper()
	cl := client(t, addr, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	got := map[int64]string{}
	for len(got) < n && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { got[r.Offset] = string(r.Value) })
	}
	return got
}

// TestBrokerSIGTERMRestart: 50k records, SIGTERM (a clean exit, status
// 0), restart: all back.
func TestBrokerSIGTERMRestart(t *testing.T) {
	dir := t.TempDir()
	b := startBroker(t, dir)
	cl := client(t, b.addr, kgo.AllowAutoTopicCreation(), kgo.DefaultProduceTopic("restart"))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const n = 50000
	var wg sync.WaitGroup
	var failed error
	var mu sync.Mutex
	for i := range n {
		wg.Add(1)
		cl.Produce(ctx, &kgo.Record{Value: []byte(strconv.Itoa(i))}, func(_ *kgo.Record, err error) {
			if err != nil {
				mu.Lock()
				failed = err
				mu.Unlock()
			}
			wg.Done()
		})
	}
	wg.Wait()
	if failed != nil {
		t.Fatal(failed)
	}
	cl.Close()
	if code := b.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("exit status %d after SIGTERM:\n%s", code, b.output())
	}
	if !strings.Contains(b.output(), "stopped cleanly") {
		t.Fatalf("no clean stop in the log:\n%s", b.output())
	}
	b2 := startBroker(t, dir)
	if strings.Contains(b2.output(), "recover") {
		t.Logf("second start log:\n%s", b2.output())
	}
	got := consume(t, b2.addr, "restart", n)
	if len(got) != n {
		t.Fatalf("%d records after restart, want %d", len(got), n)
	}
	for i := range int64(n) {
		if got[i] != strconv.Itoa(int(i)) {
			t.Fatalf("offset %d: %q", i, got[i])
		}
	}
}

// TestBrokerKill9: kill -9 in the middle of producing; after a restart
// every acknowledged record is there, at its acknowledged offset.
func TestBrokerKill9(t *testing.T) {
	dir := t.TempDir()
	b := startBroker(t, dir)
	cl := client(t, b.addr, kgo.AllowAutoTopicCreation(), kgo.DefaultProduceTopic("crash"),
		kgo.RecordDeliveryTimeout(10*time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		mu    sync.Mutex
		acked = map[int64]string{}
		wg    sync.WaitGroup
	)
	killed := make(chan struct{})
	var once sync.Once
	for i := 0; ctx.Err() == nil; i++ {
		select {
		case <-killed:
			cancel()
			continue
		default:
		}
		wg.Add(1)
		v := strconv.Itoa(i)
		cl.Produce(ctx, &kgo.Record{Value: []byte(v)}, func(r *kgo.Record, err error) {
			defer wg.Done()
			if err != nil {
				return
			}
			mu.Lock()
			acked[r.Offset] = v
			n := len(acked)
			mu.Unlock()
			if n >= 20000 {
				once.Do(func() {
					b.cmd.Process.Kill() // SIGKILL, mid-produce
					close(killed)
				})
			}
		})
	}
	cl.Close() // fails what is still buffered, so every callback runs
	wg.Wait()
	<-b.done
	b.done <- nil
	b2 := startBroker(t, dir)
	mu.Lock()
	defer mu.Unlock()
	var maxOff int64
	for o := range acked {
		maxOff = max(maxOff, o)
	}
	if len(acked) < 20000 {
		t.Fatalf("only %d records acknowledged before the kill", len(acked))
	}
	got := consume(t, b2.addr, "crash", int(maxOff)+1)
	t.Logf("%d records acknowledged before kill -9, %d read back after the restart", len(acked), len(got))
	for o, v := range acked {
		if got[o] != v {
			t.Fatalf("acked offset %d (%q) is %q after the crash (%d acked, %d read)", o, v, got[o], len(acked), len(got))
		}
	}
}
