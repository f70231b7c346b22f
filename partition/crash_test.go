package partition

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"syscall"
	"testing"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/recordbatch"
)

// crashFS runs every mutating operation of a MemFS one at a time and, at
// operation number crashAt (1-based), crashes: a WriteAt writes only the
// first half of its bytes, the machine-crash image (CrashClone) and the
// process-crash image (Snapshot) are taken, and that operation and every
// later mutating one fail with EIO, as if the process had died. Because
// operations are serialised, anything that returned success happened
// before the crash.
type crashFS struct {
	mem      *vfs.MemFS
	crashAt  int
	opts     vfs.CrashOptions
	prealloc int64 // Options.Preallocate of the workload's log

	mu      sync.Mutex
	ops     int
	dead    bool
	machine *vfs.MemFS // CrashClone at the crash
	process *vfs.MemFS // Snapshot at the crash
}

// step runs op unless the process is dead or this is the crash point.
func (c *crashFS) step(op func() error, partial func()) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return syscall.EIO
	}
	c.ops++
	if c.ops == c.crashAt {
		if partial != nil {
			partial()
		}
		c.machine = c.mem.CrashClone(c.opts)
		c.process = c.mem.Snapshot()
		c.dead = true
		return syscall.EIO
	}
	return op()
}

// atEnd takes the crash images at the end of a run that did fewer
// operations than crashAt (the flusher's timing varies the count a little).
func (c *crashFS) atEnd() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dead {
		c.machine = c.mem.CrashClone(c.opts)
		c.process = c.mem.Snapshot()
		c.dead = true
	}
}

func (c *crashFS) file(f vfs.File, err error) (vfs.File, error) {
	if err != nil {
		return nil, err
	}
	return &crashFile{File: f, c: c}, nil
}

func (c *crashFS) Create(name string) (vfs.File, error) {
	var f vfs.File
	err := c.step(func() (err error) { f, err = c.mem.Create(name); return err }, nil)
	return c.file(f, err)
}

func (c *crashFS) OpenRW(name string) (vfs.File, error) {
	var f vfs.File
	err := c.step(func() (err error) { f, err = c.mem.OpenRW(name); return err }, nil)
	return c.file(f, err)
}

func (c *crashFS) Open(name string) (vfs.File, error) { return c.file(c.mem.Open(name)) }
func (c *crashFS) Remove(name string) error {
	return c.step(func() error { return c.mem.Remove(name) }, nil)
}
func (c *crashFS) Rename(o, n string) error {
	return c.step(func() error { return c.mem.Rename(o, n) }, nil)
}
func (c *crashFS) MkdirAll(d string, p os.FileMode) error {
	return c.step(func() error { return c.mem.MkdirAll(d, p) }, nil)
}
func (c *crashFS) RemoveAll(d string) error {
	return c.step(func() error { return c.mem.RemoveAll(d) }, nil)
}
func (c *crashFS) ReadDir(d string) ([]string, error)    { return c.mem.ReadDir(d) }
func (c *crashFS) Stat(name string) (os.FileInfo, error) { return c.mem.Stat(name) }
func (c *crashFS) SyncDir(d string) error {
	return c.step(func() error { return c.mem.SyncDir(d) }, nil)
}
func (c *crashFS) SyncFS(d string) error {
	return c.step(func() error { return c.mem.SyncFS(d) }, nil)
}

type crashFile struct {
	vfs.File
	c *crashFS
}

func (f *crashFile) WriteAt(p []byte, off int64) (n int, err error) {
	err = f.c.step(func() (err error) { n, err = f.File.WriteAt(p, off); return err },
		func() { f.File.WriteAt(p[:len(p)/2], off) })
	return n, err
}
func (f *crashFile) Sync() error { return f.c.step(f.File.Sync, nil) }
func (f *crashFile) Truncate(n int64) error {
	return f.c.step(func() error { return f.File.Truncate(n) }, nil)
}
func (f *crashFile) Allocate(off, n int64) error {
	return f.c.step(func() error { return f.File.Allocate(off, n) }, nil)
}

// crashRun records what the workload did before the crash.
type crashRun struct {
	stored     map[int64][]byte // every batch Append wrote or tried to write, by base offset, as stored
	acked      []int64          // base offsets of batches whose Append returned nil
	startLo    int64            // log start offset confirmed by a successful DeleteRecords/ApplyRetention
	startHi    int64            // the largest log start offset the workload asked for
	operations int
}

func crashConfig(flushMessages int64) Config {
	cfg := DefaultConfig()
	cfg.SegmentBytes = 700 // about three batches per segment
	cfg.IndexIntervalBytes = 100
	cfg.SegmentIndexBytes = 240
	cfg.RetentionMs = -1
	cfg.FlushMessages = flushMessages
	cfg.ProducerIDExpirationMs = 0
	return cfg
}

// crashWorkload appends batches (plain and idempotent), runs a retention
// pass and a DeleteRecords in between, and closes, stopping at the first
// error.
func crashWorkload(fs *crashFS, cfg Config) crashRun {
	run := crashRun{stored: map[int64][]byte{}}
	l, err := Open("/data/t-0", cfg, Options{FS: fs, Preallocate: fs.prealloc})
	if err != nil {
		return run
	}
	defer l.Close()
	var seq int32
	for i := range 14 {
		var b []byte
		if i%3 == 1 {
			s := idem(77, 0, seq, 2, int64(1000+i))
			s.value = 90
			b = makeBatch(s)
			seq += 2
		} else {
			b = makeBatch(plain(1+i%3, int64(1000+i), 90, byte(i)))
		}
		recordbatch.Header(b).SetBaseOffset(-1) // outside the CRC: tells whether Append assigned offsets
		res, err := l.Append(b, true)
		if base := recordbatch.Header(b).BaseOffset(); base >= 0 {
			run.stored[base] = b
		}
		if err != nil {
			return run
		}
		run.acked = append(run.acked, res.BaseOffset)
		switch i {
		case 7:
			cfg.RetentionBytes = 900
			l.SetConfig(cfg)
			run.startHi = l.LogEndOffset() // at most everything
			if _, err := l.ApplyRetention(); err != nil {
				return run
			}
			run.startLo, run.startHi = l.LogStartOffset(), l.LogStartOffset()
		case 10:
			before := run.acked[len(run.acked)-2] + 1 // inside the log, mid-segment
			run.startHi = max(run.startHi, before)
			if _, err := l.DeleteRecords(before); err != nil {
				return run
			}
			run.startLo = l.LogStartOffset()
		}
	}
	return run
}

// checkRecovered opens the crash image and checks the invariants.
func checkRecovered(t *testing.T, fs vfs.FS, cfg Config, run crashRun) {
	t.Helper()
	l, err := Open("/data/t-0", cfg, Options{FS: fs})
	if err != nil {
		t.Fatalf("Open after crash: %v", err)
	}
	defer l.Close()
	start, end := l.LogStartOffset(), l.LogEndOffset()
	if start < run.startLo || start > run.startHi {
		t.Fatalf("log start offset %d outside [%d, %d]", start, run.startLo, run.startHi)
	}
	if end < start {
		t.Fatalf("log end %d below log start %d", end, start)
	}
	// The log from the start is whole batches, contiguous, each one that
	// the workload wrote, byte for byte, and it ends on a batch boundary.
	batches := splitBatches(t, readAll(t, l, start))
	next := int64(-1)
	present := map[int64]bool{}
	for i, b := range batches {
		h := recordbatch.Header(b)
		if i == 0 && (h.BaseOffset() > start || h.LastOffset() < start) {
			t.Fatalf("first batch %d..%d does not hold the log start %d", h.BaseOffset(), h.LastOffset(), start)
		}
		if next >= 0 && h.BaseOffset() != next {
			t.Fatalf("batch %d at %d, want %d (a gap)", i, h.BaseOffset(), next)
		}
		want, ok := run.stored[h.BaseOffset()]
		if !ok || !bytes.Equal(b, want) {
			t.Fatalf("batch at %d is not what was appended there (%d stored):\n got %x\nwant %x", h.BaseOffset(), len(run.stored), b, want)
		}
		present[h.BaseOffset()] = true
		next = h.NextOffset()
	}
	if len(batches) > 0 && next != end {
		t.Fatalf("log end %d, last batch ends at %d", end, next)
	}
	// Every acknowledged batch at or after the start survived.
	for _, base := range run.acked {
		h := recordbatch.Header(run.stored[base])
		if h.LastOffset() >= start && !present[base] {
			t.Fatalf("acknowledged batch %d lost (log %d..%d)", base, start, end)
		}
	}
	// Indexes agree with the log: every batch is found from each of its
	// offsets, and the segments' own checks pass.
	for _, s := range l.view.Load().segs {
		if err := s.SanityCheck(); err != nil {
			t.Fatalf("segment %d: %v", s.Base(), err)
		}
	}
	for _, b := range batches {
		h := recordbatch.Header(b)
		for _, off := range []int64{max(h.BaseOffset(), start), h.LastOffset()} {
			r, err := l.Read(off, 1)
			if err != nil || len(r.Slices) == 0 || r.Slices[0].FirstOffset != h.BaseOffset() {
				t.Fatalf("Read(%d) = %+v, %v; want the batch at %d", off, r, err, h.BaseOffset())
			}
			r.Release()
		}
	}
	// The log takes appends and reopens cleanly with them.
	res, err := l.Append(makeBatch(plain(1, 5000, 10, 0xee)), true)
	if err != nil || res.BaseOffset != end {
		t.Fatalf("append after recovery = %+v, %v; want base %d", res, err, end)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l2, err := Open("/data/t-0", cfg, Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if l2.LogEndOffset() != end+1 || l2.LogStartOffset() != start {
		t.Fatalf("clean reopen: %d..%d, want %d..%d", l2.LogStartOffset(), l2.LogEndOffset(), start, end+1)
	}
}

// TestCrashMatrix crashes the workload at every mutating file operation
// (mid-write, between the log write and the index, between the index and
// the fsync, during a roll, a retention delete, a checkpoint rename, Close)
// and checks the machine-crash image: with flush.messages=1 every
// acknowledged batch survives byte for byte, the log ends on a batch
// boundary, the indexes agree, and the log takes appends again.
func TestCrashMatrix(t *testing.T) {
	for _, v := range []struct {
		name     string
		opts     vfs.CrashOptions
		prealloc int64
	}{
		{"synced-only", vfs.CrashOptions{}, 0},
		{"torn-tail", vfs.CrashOptions{TearUnsynced: true, Garble: true}, 0},
		{"preallocated-torn-tail", vfs.CrashOptions{TearUnsynced: true, Garble: true}, 256},
	} {
		t.Run(v.name, func(t *testing.T) {
			cfg := crashConfig(1)
			dry := &crashFS{mem: vfs.NewMem(), prealloc: v.prealloc}
			full := crashWorkload(dry, cfg)
			if len(full.acked) != 14 || full.startLo == 0 {
				t.Fatalf("dry run acked %d batches, log start %d", len(full.acked), full.startLo)
			}
			total := dry.ops
			for k := 1; k <= total; k++ {
				opts := v.opts
				opts.Rand = rand.New(rand.NewPCG(uint64(k), 7))
				c := &crashFS{mem: vfs.NewMem(), crashAt: k, opts: opts, prealloc: v.prealloc}
				run := crashWorkload(c, cfg)
				c.atEnd()
				t.Run(fmt.Sprint(k), func(t *testing.T) { checkRecovered(t, c.machine, cfg, run) })
			}
			// No crash: the image after Close is clean and whole.
			t.Run("after-close", func(t *testing.T) {
				checkRecovered(t, dry.mem.CrashClone(v.opts), cfg, full)
			})
		})
	}
}

// TestCrashMatrixPageCachePolicy crashes the machine under the default
// flush policy: nothing is promised durable, but the recovered log must
// still be whole batches with contiguous offsets, agreeing indexes, a log
// start offset that was asked for, and must take appends.
func TestCrashMatrixPageCachePolicy(t *testing.T) {
	cfg := crashConfig(DefaultConfig().FlushMessages)
	dry := &crashFS{mem: vfs.NewMem()}
	crashWorkload(dry, cfg)
	for k := 1; k <= dry.ops; k++ {
		c := &crashFS{mem: vfs.NewMem(), crashAt: k,
			opts: vfs.CrashOptions{TearUnsynced: true, Rand: rand.New(rand.NewPCG(uint64(k), 9))}}
		run := crashWorkload(c, cfg)
		c.atEnd()
		run.acked = nil // no durability promised
		run.startLo = 0 // nor for the log start offset, whose checkpoint may predate a lost roll
		t.Run(fmt.Sprint(k), func(t *testing.T) { checkRecovered(t, c.machine, cfg, run) })
	}
}

// TestProcessCrashMatrix is the matrix for a process crash with the
// default flush policy (page cache only): the page cache survives, so
// every batch whose Append returned survives.
func TestProcessCrashMatrix(t *testing.T) {
	cfg := crashConfig(DefaultConfig().FlushMessages)
	dry := &crashFS{mem: vfs.NewMem()}
	if full := crashWorkload(dry, cfg); len(full.acked) != 14 {
		t.Fatalf("dry run acked %d batches", len(full.acked))
	}
	for k := 1; k <= dry.ops; k++ {
		c := &crashFS{mem: vfs.NewMem(), crashAt: k}
		run := crashWorkload(c, cfg)
		c.atEnd()
		t.Run(fmt.Sprint(k), func(t *testing.T) { checkRecovered(t, c.process, cfg, run) })
	}
}
