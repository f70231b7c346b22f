package compact

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/recordbatch"
)

// events is a slog handler that sends each message with its partition.
type events struct{ ch chan string }

func (e events) Enabled(context.Context, slog.Level) bool { return true }
func (e events) Handle(_ context.Context, r slog.Record) error {
	msg := r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "partition" {
			msg += " " + a.Value.String()
		}
		return true
	})
	select {
	case e.ch <- msg:
	default:
	}
	return nil
}
func (e events) WithAttrs([]slog.Attr) slog.Handler { return e }
func (e events) WithGroup(string) slog.Handler      { return e }

// waitFor reads events until want, within 10 s.
func waitFor(t *testing.T, ev events, want string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case msg := <-ev.ch:
			if msg == want {
				return
			}
		case <-deadline:
			t.Fatalf("no %q within 10 s", want)
		}
	}
}

func openAt(t *testing.T, dir string, c *clock, cfg partition.Config) *partition.Log {
	t.Helper()
	l, err := partition.Open(dir, cfg, partition.Options{Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestManagerCleansOnRoll: with log.cleaner.backoff.ms an hour and
// min.cleanable.dirty.ratio 0.01, a roll of a compacted log (what
// segment.ms=100 does) wakes a cleaner at once: the log is cleaned and the
// directory's cleaner-offset-checkpoint holds the next first dirty offset
// in Kafka's layout.
func TestManagerCleansOnRoll(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	l := openAt(t, filepath.Join(dir, "t-0"), c, testConfig())
	defer l.Close()
	ev := events{ch: make(chan string, 64)}
	m := NewManager(Options{BackoffMs: 3_600_000, DedupeBufferSize: 1 << 20, Logger: slog.New(ev), Now: c.now})
	cfg := cleanConfig()
	cfg.MinCleanableRatio = 0.01
	p := newProducer(t)
	appendBatch(t, l, p.batch(t, []kv{val("a", "1"), val("b", "1")}))
	m.Add("t-0", l, func() Config { return cfg })
	m.Start()
	defer m.Close()
	p.ts = p.ts.Add(time.Second)
	appendRolling(t, l, p.batch(t, []kv{val("a", "2")}))
	p.ts = p.ts.Add(time.Second)
	appendRolling(t, l, p.batch(t, []kv{val("c", "1")}))
	for i := 0; ; i++ {
		waitFor(t, ev, "cleaned log t-0")
		if st := m.Stats(); st.Partitions[0].FirstDirty == 3 {
			break
		}
		if i == 2 {
			t.Fatalf("stats %+v", m.Stats())
		}
	}
	passes := m.Stats().Passes
	m.Remove("t-0")
	all, _ := readLog(t, l)
	if got, want := strs(all), []string{"1:b=1", "2:a=2", "3:c=1"}; !slices.Equal(got, want) {
		t.Fatalf("records %v, want %v", got, want)
	}
	b, err := os.ReadFile(filepath.Join(dir, CheckpointName))
	if err != nil || string(b) != "0\n1\nt 0 3\n" {
		t.Fatalf("checkpoint %q, %v", b, err)
	}
	st := m.Stats()
	if st.Passes != passes || passes < 1 || passes > 2 || len(st.Partitions) != 0 || st.BytesRead == 0 || st.BytesWritten == 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestCorruptBatchUncleanable: a batch whose CRC fails in one log makes
// that partition uncleanable (logged, counted); the log still serves its
// bytes as before, and the other partition is cleaned.
func TestCorruptBatchUncleanable(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	bad := openAt(t, filepath.Join(dir, "bad-0"), c, testConfig())
	defer bad.Close()
	good := openAt(t, filepath.Join(dir, "good-0"), c, testConfig())
	defer good.Close()
	p := newProducer(t)
	for _, l := range []*partition.Log{bad, good} {
		appendBatch(t, l, p.batch(t, []kv{val("a", "1"), val("b", "1")}))
		appendBatch(t, l, p.batch(t, []kv{val("a", "2"), val("b", "2")}))
		p.ts = p.ts.Add(time.Second)
		appendRolling(t, l, p.batch(t, []kv{val("c", "1")}))
	}
	if err := bad.Flush(); err != nil {
		t.Fatal(err)
	}
	// Flip a byte of the second batch's last value: its CRC fails.
	f, err := os.OpenFile(filepath.Join(dir, "bad-0", "00000000000000000000.log"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	if _, err := f.WriteAt([]byte{'X'}, st.Size()-2); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var raw []byte
	r, err := bad.Read(0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for _, sl := range r.Slices {
		b := make([]byte, sl.Len)
		sl.File.ReadAt(b, sl.Pos)
		raw = append(raw, b...)
	}
	r.Release()

	ev := events{ch: make(chan string, 64)}
	m := NewManager(Options{BackoffMs: 3_600_000, DedupeBufferSize: 1 << 20, Logger: slog.New(ev), Now: c.now})
	cfg := cleanConfig()
	cfg.MinCleanableRatio = 0.01
	m.Add("bad-0", bad, func() Config { return cfg })
	m.Add("good-0", good, func() Config { return cfg })
	m.Start()
	defer m.Close()
	seen := map[string]bool{}
	deadline := time.After(10 * time.Second)
	for !seen["partition marked uncleanable: a corrupt batch was found while cleaning; its log is served as it is bad-0"] || !seen["cleaned log good-0"] {
		select {
		case msg := <-ev.ch:
			seen[msg] = true
		case <-deadline:
			t.Fatalf("events %v", seen)
		}
	}
	stats := m.Stats()
	if stats.Uncleanable != 1 || len(stats.Partitions) != 2 || !stats.Partitions[0].Uncleanable || stats.Partitions[1].Uncleanable {
		t.Fatalf("stats %+v", stats)
	}
	// Its uncleanable bytes (Kafka's uncleanable-bytes) are its dirty
	// segment's; the thread's last pass is good-0's.
	if p := stats.Partitions[0]; p.UncleanableBytes != st.Size() || p.DirtyRatio != 1 || stats.Partitions[1].UncleanableBytes != 0 {
		t.Fatalf("bad-0 %+v, want %d uncleanable bytes, dirty ratio 1", p, st.Size())
	}
	if th := stats.Threads; len(th) != 1 || th[0].BytesWritten != stats.BytesWritten || th[0].BytesRead == 0 || th[0].BufferUse == 0 || th[0].Duration == 0 {
		t.Fatalf("threads %+v (written %d)", th, stats.BytesWritten)
	}
	t.Logf("threads %+v read %d", stats.Threads, stats.BytesRead)
	r, err = bad.Read(0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var after []byte
	for _, sl := range r.Slices {
		b := make([]byte, sl.Len)
		sl.File.ReadAt(b, sl.Pos)
		after = append(after, b...)
	}
	r.Release()
	if !bytes.Equal(after, raw) {
		t.Fatal("the uncleanable log reads differently")
	}
	all, _ := readLog(t, good)
	if got, want := strs(all), []string{"2:a=2", "3:b=2", "4:c=1"}; !slices.Equal(got, want) {
		t.Fatalf("good log %v, want %v", got, want)
	}
	_ = vfs.OS
	_ = recordbatch.HeaderSize
}

// TestCheckpointRead: Add reads the directory's cleaner-offset-checkpoint
// (Kafka's layout; a topic name may hold dashes) once; a malformed one is
// ignored; Delete drops the entry from the file.
func TestCheckpointRead(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	if err := os.WriteFile(filepath.Join(dir, CheckpointName), []byte("0\n2\nmy-topic 3 42\nother 0 7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l := openAt(t, filepath.Join(dir, "my-topic-3"), c, testConfig())
	defer l.Close()
	m := NewManager(Options{DedupeBufferSize: 1 << 20})
	defer m.Close()
	m.Add("my-topic-3", l, cleanConfig)
	if st := m.Stats(); len(st.Partitions) != 1 || st.Partitions[0].FirstDirty != 42 {
		t.Fatalf("stats %+v", st)
	}
	m.Delete("my-topic-3")
	if b, err := os.ReadFile(filepath.Join(dir, CheckpointName)); err != nil || string(b) != "0\n1\nother 0 7\n" {
		t.Fatalf("checkpoint after Delete %q, %v", b, err)
	}

	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, CheckpointName), []byte("1\n1\nx 0 5\n"), 0o644)
	l2 := openAt(t, filepath.Join(bad, "x-0"), c, testConfig())
	defer l2.Close()
	m.Add("x-0", l2, cleanConfig)
	if st := m.Stats(); st.Partitions[0].FirstDirty != -1 {
		t.Fatalf("a version 1 checkpoint was read: %+v", st.Partitions[0])
	}
}

// TestManagerAllocatesAtFirstPass: a started manager with nothing to clean
// has not allocated its threads' dedupe buffers (64 MiB each here).
func TestManagerAllocatesAtFirstPass(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m := NewManager(Options{Threads: 2, BackoffMs: 10, DedupeBufferSize: 128 << 20})
	m.Start()
	time.Sleep(100 * time.Millisecond) // ten backoffs: each thread looked for work
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 8<<20 {
		t.Fatalf("an idle manager allocated %d bytes", got)
	}
}
