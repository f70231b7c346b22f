package txn

import (
	"errors"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/recordbatch"
)

// marker is one marker a fakeMarkers was asked to write.
type marker struct {
	TP         TopicPartition
	ProducerID int64
	Epoch      int16
	Commit     bool
}

// fakeMarkers records markers; hold, when set, runs before each marker
// and may block it or fail it.
type fakeMarkers struct {
	mu      sync.Mutex
	written []marker
	hold    func(TopicPartition) error
	ch      chan marker // every marker written, when not nil
}

func (f *fakeMarkers) WriteMarker(tp TopicPartition, pid int64, epoch int16, commit bool, _ int32) error {
	f.mu.Lock()
	hold := f.hold
	f.mu.Unlock()
	if hold != nil {
		if err := hold(tp); err != nil {
			return err
		}
	}
	m := marker{tp, pid, epoch, commit}
	f.mu.Lock()
	f.written = append(f.written, m)
	ch := f.ch
	f.mu.Unlock()
	if ch != nil {
		ch <- m
	}
	return nil
}

func (f *fakeMarkers) all() []marker {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]marker(nil), f.written...)
}

// clock is a settable clock.
type clock struct{ ms atomic.Int64 }

func (c *clock) now() time.Time               { return time.UnixMilli(c.ms.Load()) }
func (c *clock) add(d time.Duration)          { c.ms.Add(d.Milliseconds()) }
func newClock() *clock                        { c := &clock{}; c.ms.Store(1_700_000_000_000); return c }
func tp(topic string, p int32) TopicPartition { return TopicPartition{topic, p} }

// env is a coordinator over __transaction_state logs in an in-memory
// filesystem that survives reopening.
type env struct {
	t       *testing.T
	fs      *vfs.MemFS
	cfg     partition.Config
	opts    Options
	logs    []*partition.Log
	c       *Coordinator
	markers *fakeMarkers
	clock   *clock
	nextPID atomic.Int64
}

const testPartitions = 3

func newEnv(t *testing.T, opts Options) *env {
	e := &env{t: t, fs: vfs.NewMem(), cfg: partition.DefaultConfig(), opts: opts, markers: &fakeMarkers{}, clock: newClock()}
	e.nextPID.Store(1000)
	e.open()
	t.Cleanup(e.close)
	return e
}

func (e *env) open() {
	e.t.Helper()
	e.logs = nil
	for p := range testPartitions {
		l, err := partition.Open(filepath.Join("/data", "__transaction_state-"+strconv.Itoa(p)), e.cfg, partition.Options{FS: e.fs})
		if err != nil {
			e.t.Fatal(err)
		}
		e.logs = append(e.logs, l)
	}
	opts := e.opts
	opts.Logs = e.logs
	opts.Markers = e.markers
	opts.Now = e.clock.now
	opts.NewProducerID = func() (int64, error) { return e.nextPID.Add(1), nil }
	if opts.MarkerRetryBackoff == 0 {
		opts.MarkerRetryBackoff = time.Millisecond
	}
	c, err := Open(opts)
	if err != nil {
		e.t.Fatal(err)
	}
	e.c = c
	if opts.loadGate == nil {
		e.waitLoaded()
	}
}

func (e *env) waitLoaded() {
	e.t.Helper()
	for i := 0; !e.c.Loaded(); i++ {
		if i > 5000 {
			e.t.Fatal("not loaded after 5 s")
		}
		time.Sleep(time.Millisecond)
	}
}

func (e *env) close() {
	if e.c == nil {
		return
	}
	e.c.Close()
	for _, l := range e.logs {
		if err := l.Close(); err != nil {
			e.t.Error(err)
		}
	}
	e.c = nil
}

// crash is kill -9: the coordinator and logs are dropped as they are
// (their files' page cache survives: a Snapshot), and a new coordinator
// opens over the copy. The old coordinator is stopped after the copy.
func (e *env) crash() {
	e.t.Helper()
	snap := e.fs.Snapshot()
	e.close()
	e.fs = snap
	e.open()
}

// waitState polls id until it is in state want (bounded).
func (e *env) waitState(id string, want State) Transaction {
	e.t.Helper()
	var last Transaction
	for i := 0; i < 5000; i++ {
		tx, err := e.c.Describe(id)
		if err == nil && tx.State == want {
			return tx
		}
		last = tx
		time.Sleep(time.Millisecond)
	}
	e.t.Fatalf("%s: state %v after 5 s, want %v", id, last.State, want)
	return last
}

func (e *env) init(id string) InitResult {
	e.t.Helper()
	r, err := e.c.InitProducerID(id, 60000, -1, -1, false)
	if err != nil {
		e.t.Fatalf("InitProducerID(%s): %v", id, err)
	}
	return r
}

func wantErr(t *testing.T, what string, got, want error) {
	t.Helper()
	if !errors.Is(got, want) || (want == nil && got != nil) {
		t.Fatalf("%s: err %v, want %v", what, got, want)
	}
}

func partitionConfigFlushEach() partition.Config {
	c := partition.DefaultConfig()
	c.FlushMessages = 1
	return c
}

// readRecords returns every record of l.
func readRecords(t *testing.T, l *partition.Log) []recordbatch.Record {
	t.Helper()
	var out []recordbatch.Record
	it := recordbatch.NewIterator(nil, maxRecord)
	for off := l.LogStartOffset(); off < l.HighWatermark(); {
		rr, err := l.Read(off, replayChunk)
		if err != nil {
			t.Fatal(err)
		}
		next := off
		for _, s := range rr.Slices {
			buf := make([]byte, s.Len)
			if _, err := s.File.ReadAt(buf, s.Pos); err != nil {
				t.Fatal(err)
			}
			for b := buf; len(b) > 0; {
				n, err := recordbatch.BatchSize(b)
				if err != nil {
					t.Fatal(err)
				}
				it.Reset(b[:n], maxRecord)
				for it.Next() {
					r := it.Record()
					r.Key, r.Value = append([]byte(nil), r.Key...), append([]byte(nil), r.Value...)
					out = append(out, *r)
				}
				next = recordbatch.Header(b[:n]).NextOffset()
				b = b[n:]
			}
		}
		rr.Release()
		off = next
	}
	return out
}
