// Package tooltest is the test support of the tools: a Strata broker and
// franz-go's kfake to run tools against (the same tool run against both is
// how the tools are checked to speak plain Kafka), a runner that catches
// stack traces, and golden transcripts. It is imported by tests only; it
// is the one package below tools/ that may import the broker's packages.
package tooltest

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/config"
	"github.com/stratabroker/strata/server"
	"github.com/stratabroker/strata/tools/cli"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Target is a broker the tools are tested against.
type Target struct {
	Name   string // strata or kfake: the golden files' suffix
	Addr   string
	Dir    string // Strata's data directory
	Groups bool   // the broker advertises JoinGroup
	// Listeners are Strata's listeners' addresses by name (PLAINTEXT,
	// SSL, ...); Addr is the first one's.
	Listeners map[string]string
}

// StartStrata runs an in-process Strata broker on a free loopback port
// with data in a fresh directory, closed at cleanup. settings are
// property, value pairs.
func StartStrata(t *testing.T, settings ...string) Target {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Defaults()
	// Tests need no initial rebalance delay (Kafka's own tests set it to 0).
	all := append([]string{"listeners", "PLAINTEXT://127.0.0.1:0", "log.dirs", dir, "group.initial.rebalance.delay.ms", "0"}, settings...)
	for i := 0; i+1 < len(all); i += 2 {
		if err := cfg.Set(all[i], all[i+1]); err != nil {
			t.Fatalf("set %s: %v", all[i], err)
		}
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	s, err := server.Start(cfg, server.Options{})
	if err != nil {
		t.Fatalf("server.Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("server Close: %v", err)
		}
	})
	tg := Target{Name: "strata", Addr: s.Addr().String(), Dir: dir, Listeners: map[string]string{}}
	for _, l := range s.Listeners() {
		tg.Listeners[l.Name] = s.ListenerAddr(l.Name).String()
	}
	if tg.Listeners["PLAINTEXT"] != "" {
		tg.Groups = advertisesJoinGroup(t, tg.Listeners["PLAINTEXT"])
	}
	return tg
}

// StartKfake runs franz-go's in-process fake Kafka with one broker.
func StartKfake(t *testing.T) Target {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return Target{Name: "kfake", Addr: c.ListenAddrs()[0], Groups: true}
}

func advertisesJoinGroup(t *testing.T, addr string) bool {
	t.Helper()
	cl := Client(t, addr)
	ok, err := cli.Advertises(Ctx(t), cl, kmsg.JoinGroup)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// EachTarget runs fn against Strata and against kfake, as subtests.
func EachTarget(t *testing.T, fn func(t *testing.T, tg Target)) {
	t.Run("strata", func(t *testing.T) { fn(t, StartStrata(t)) })
	t.Run("kfake", func(t *testing.T) { fn(t, StartKfake(t)) })
}

// Ctx is a context bounded by a minute and cancelled at cleanup.
func Ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Client is a kgo client of addr, closed at cleanup.
func Client(t *testing.T, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// Result is one run of a tool.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Dispatch runs a command line: cli.Dispatcher of the families under test.
type Dispatch func(args []string, e *cli.Env) int

// Run runs args through dispatch with e's settings (streams replaced, short
// timeouts unless set) and fails the test on a stack trace.
func Run(t *testing.T, dispatch Dispatch, e *cli.Env, args ...string) Result {
	t.Helper()
	var out, errOut strings.Builder
	e.Stdout, e.Stderr = &out, &errOut
	if e.ReachTimeout == 0 {
		e.ReachTimeout = 3 * time.Second
	}
	if e.OpTimeout == 0 {
		e.OpTimeout = 20 * time.Second
	}
	code := dispatch(args, e)
	r := Result{out.String(), errOut.String(), code}
	if strings.Contains(r.Stderr, "goroutine ") || strings.Contains(r.Stderr, "panic:") {
		t.Fatalf("strata %s: a stack trace:\n%s", strings.Join(args, " "), r.Stderr)
	}
	return r
}

// Transcript records runs of the tools for a golden file.
type Transcript struct {
	t        *testing.T
	tg       Target
	dispatch Dispatch
	b        strings.Builder
	subs     []*regexp.Regexp
	reps     []string
	// Offline lists the commands given no --bootstrap-server (they read
	// files, not a broker).
	Offline map[string]bool
}

// NewTranscript starts a transcript of tools run against tg.
func NewTranscript(t *testing.T, tg Target, dispatch Dispatch) *Transcript {
	tr := &Transcript{t: t, tg: tg, dispatch: dispatch, Offline: map[string]bool{"dump-log": true, "storage": true}}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("transcript so far:\n%s", tr.b.String())
		}
	})
	if tg.Addr != "" {
		tr.Normalize(regexp.QuoteMeta(tg.Addr), "<broker>")
	}
	if tg.Dir != "" {
		tr.Normalize(regexp.QuoteMeta(tg.Dir), "<log.dirs>")
	}
	tr.Normalize(`TopicId: [A-Za-z0-9_-]{22}`, "TopicId: <id>")
	tr.Normalize(`(CreateTime|LogAppendTime)([:] ?)1[0-9]{12}`, "$1$2<now>")
	return tr
}

// Normalize replaces every match of re with with in the transcript.
func (tr *Transcript) Normalize(re, with string) {
	tr.subs = append(tr.subs, regexp.MustCompile(re))
	tr.reps = append(tr.reps, with)
}

// Run runs a tool against the target (--bootstrap-server added unless the
// command is Offline) and records its output and exit code.
func (tr *Transcript) Run(stdin string, args ...string) Result {
	tr.t.Helper()
	full := args
	if !tr.Offline[args[0]] {
		full = append([]string{args[0], "--bootstrap-server", tr.tg.Addr}, args[1:]...)
	}
	r := Run(tr.t, tr.dispatch, &cli.Env{Stdin: strings.NewReader(stdin)}, full...)
	tr.Record(args, r)
	return r
}

// Record adds a run to the transcript.
func (tr *Transcript) Record(args []string, r Result) {
	fmt.Fprintf(&tr.b, "$ strata %s\n", strings.Join(args, " "))
	tr.b.WriteString(r.Stdout)
	if r.Stdout != "" && !strings.HasSuffix(r.Stdout, "\n") {
		tr.b.WriteString("\n")
	}
	for _, l := range strings.SplitAfter(r.Stderr, "\n") {
		if l != "" {
			tr.b.WriteString("stderr: " + l)
		}
	}
	if r.Stderr != "" && !strings.HasSuffix(r.Stderr, "\n") {
		tr.b.WriteString("\n")
	}
	fmt.Fprintf(&tr.b, "exit %d\n", r.Code)
}

// Normalized is the transcript so far with the normalizations applied.
func (tr *Transcript) Normalized() string {
	got := tr.b.String()
	for i, re := range tr.subs {
		got = re.ReplaceAllString(got, tr.reps[i])
	}
	return got
}

// Check compares the transcript with testdata/<name>.<target>.golden.
func (tr *Transcript) Check(name string) {
	tr.t.Helper()
	if tr.tg.Name != "" {
		name += "." + tr.tg.Name
	}
	Golden(tr.t, name, tr.Normalized())
}

// Golden compares got with testdata/<name>.golden; go test -update
// rewrites the file.
func Golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// Produce writes records (value, key, timestamp in ms) to a partition of
// topic, synchronously.
func Produce(t *testing.T, addr, topic string, partition int32, recs ...[3]string) {
	t.Helper()
	cl := Client(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0))
	for _, r := range recs {
		rec := &kgo.Record{Topic: topic, Partition: partition, Value: []byte(r[0])}
		if r[1] != "" {
			rec.Key = []byte(r[1])
		}
		if r[2] != "" {
			var ms int64
			fmt.Sscan(r[2], &ms)
			rec.Timestamp = time.UnixMilli(ms)
		}
		if err := cl.ProduceSync(Ctx(t), rec).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
	}
}

// Updating reports whether go test -update is rewriting golden files.
func Updating() bool { return *update }
