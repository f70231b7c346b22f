package segment

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/recordbatch"
)

// withBudget sets the process's file budget for the test and restores
// the default after it.
func withBudget(t *testing.T, n int64) {
	t.Helper()
	SetFileBudget(n)
	t.Cleanup(func() { SetFileBudget(DefaultFileBudget) })
}

// evictAll evicts every segment nobody uses, as a sweep to a budget of
// zero does.
func evictAll() {
	budget.mu.Lock()
	defer budget.mu.Unlock()
	sweepLocked(0, 2*len(budget.ring))
}

// openFDs is how many descriptors the process has open.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

// readAll reads the whole log of s with one Read, holding a reference
// while it reads the Slice's bytes.
func readAll(t testing.TB, s *Segment) []byte {
	t.Helper()
	if !s.Acquire() {
		t.Fatal("Acquire failed")
	}
	defer s.Release()
	if s.Size() == 0 {
		return nil
	}
	sl, err := s.Read(s.Base(), math.MaxInt32, math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	return sliceBytes(t, sl)
}

// TestBudgetRoundRobin: 2,000 segments (600 over vfs.OS) under a budget of 60 descriptors
// (20 loaded segments), each appended to and read back in turn, three
// times round: the contents are exact, the segments never hold more than
// 60 descriptors (nothing is pinned between calls), and over vfs.OS the
// process's descriptors grow by no more than that.
func TestBudgetRoundRobin(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		evictAll()
		withBudget(t, 60)
		n := 2000
		if c.name == "os" {
			n = 600 // each load and eviction costs some 15 syscalls on a real filesystem
		}
		fds := 0
		if c.name == "os" {
			mustClose(t, mustCreate(t, c, 1<<40, Options{})) // the runtime's poller opens its descriptors
			openFDs(t)
			fds = openFDs(t)
		}
		evBefore := Evictions()
		segs := make([]*Segment, n)
		want := make([][]byte, n)
		for i := range segs {
			segs[i] = mustCreate(t, c, int64(i)*1000, Options{IndexIntervalBytes: 100, MaxIndexBytes: 4096})
		}
		defer func() {
			for _, s := range segs {
				mustClose(t, s)
			}
		}()
		ops := 0
		check := func(what string) {
			t.Helper()
			if got := OpenSegmentFiles(); got > 60 || LoadedSegments() > 20 {
				t.Fatalf("%s: segments hold %d descriptors (%d loaded), budget 60", what, got, LoadedSegments())
			}
			if ops++; c.name == "os" && ops%97 == 0 {
				if got := openFDs(t); got > fds+60 {
					t.Fatalf("%s: the process has %d descriptors open, %d before", what, got, fds)
				}
			}
		}
		check("after the creates")
		for round := range 3 {
			for i, s := range segs {
				b := mkBatch(t, int64(i)*1000+int64(round)*2, 50+i%200, int64(round), int64(round+1))
				mustAppend(t, s, b)
				want[i] = append(want[i], b...)
				check(fmt.Sprintf("round %d, append to %d", round, i))
				j := (i + n/2) % n
				if got := readAll(t, segs[j]); !bytes.Equal(got, want[j]) {
					t.Fatalf("round %d: segment %d holds %d bytes, want %d", round, j, len(got), len(want[j]))
				}
				check(fmt.Sprintf("round %d, read of %d", round, j))
			}
		}
		for i, s := range segs {
			if got := readAll(t, s); !bytes.Equal(got, want[i]) {
				t.Fatalf("segment %d holds %d bytes, want %d", i, len(got), len(want[i]))
			}
			if next, err := s.NextOffset(); err != nil || next != int64(i)*1000+6 {
				t.Fatalf("segment %d: NextOffset %d, %v; want %d", i, next, err, int64(i)*1000+6)
			}
		}
		if ev := Evictions() - evBefore; ev < int64(3*n) {
			t.Fatalf("%d evictions, want at least %d", ev, 3*n)
		}
	})
}

// TestBudgetPinned: a reader's reference keeps a segment's files open
// under eviction pressure, and its Slice's bytes stay readable; when every
// loaded segment is pinned the budget is passed rather than waited for,
// and the count comes back within it as the pins are released.
func TestBudgetPinned(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		evictAll()
		withBudget(t, 6)
		pinned := mustCreate(t, c, 0, Options{})
		defer mustClose(t, pinned)
		b := mkBatch(t, 0, 3000, 1, 2, 3)
		mustAppend(t, pinned, b)
		if !pinned.Acquire() {
			t.Fatal("Acquire failed")
		}
		sl, err := pinned.Read(0, math.MaxInt32, math.MaxInt64)
		if err != nil {
			t.Fatal(err)
		}
		var others []*Segment
		for i := range 50 {
			s := mustCreate(t, c, int64(i+1)*100, Options{})
			others = append(others, s)
			mustAppend(t, s, mkBatch(t, int64(i+1)*100, 10, 1))
		}
		if !pinned.loaded.Load() {
			t.Fatal("a pinned segment was evicted")
		}
		if got := sliceBytes(t, sl); !bytes.Equal(got, b) {
			t.Fatal("the pinned Slice's bytes changed")
		}
		if got := OpenSegmentFiles(); got != 6 {
			t.Fatalf("segments hold %d descriptors with one pinned, want the budget's 6", got)
		}
		pinned.Release()

		// Every loaded segment pinned: ten are loaded, over the budget.
		for _, s := range others[:10] {
			if !s.Acquire() {
				t.Fatal("Acquire failed")
			}
			if _, err := s.Read(s.Base(), 1, math.MaxInt64); err != nil {
				t.Fatal(err)
			}
		}
		if got := OpenSegmentFiles(); got != 30 {
			t.Fatalf("segments hold %d descriptors with ten pinned, want 30 (a soft budget)", got)
		}
		for _, s := range others[:10] {
			s.Release()
		}
		if got := OpenSegmentFiles(); got > 6 {
			t.Fatalf("segments hold %d descriptors once the pins are released, want at most 6", got)
		}
		for _, s := range others {
			mustClose(t, s)
		}
	})
}

// TestBudgetEvictedLifetime: an evicted segment keeps what it knew, its
// log is trimmed to its data, and Delete and Close work on it.
func TestBudgetEvictedLifetime(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		a := mustCreate(t, c, 0, Options{IndexIntervalBytes: 100, PreallocateBytes: 1 << 20})
		d := mustCreate(t, c, 500, Options{})
		var want []byte
		for i := range int64(20) {
			b := mkBatch(t, i*2, 200, 10+i, 20+i)
			mustAppend(t, a, b)
			want = append(want, b...)
		}
		mustAppend(t, d, mkBatch(t, 500, 10, 1))
		evictAll()
		if a.loaded.Load() || d.loaded.Load() {
			t.Fatal("segments still loaded after a sweep to zero")
		}
		fi, err := c.fs.Stat(LogPath(c.dir, 0))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() != a.Size() || a.Size() != int64(len(want)) {
			t.Fatalf("evicted log is %d bytes, size %d, want %d: the preallocated tail is trimmed", fi.Size(), a.Size(), len(want))
		}
		if idx := readFile(t, c.fs, IndexPath(c.dir, 0)); len(idx) == 0 || len(idx) > 20*8 || len(idx)%8 != 0 || bytes.Equal(idx[len(idx)-8:], make([]byte, 8)) {
			t.Fatalf("evicted .index is %d bytes, want its entries only (trimmed)", len(idx))
		}
		// What it knew stays: no reload for these.
		if next, err := a.NextOffset(); err != nil || next != 40 {
			t.Fatalf("NextOffset of an evicted segment = %d, %v; want 40", next, err)
		}
		if ts, err := a.LargestTimestamp(); err != nil || ts != 39 {
			t.Fatalf("LargestTimestamp of an evicted segment = %d, %v; want 39", ts, err)
		}
		if a.loaded.Load() {
			t.Fatal("NextOffset and LargestTimestamp loaded the segment")
		}
		if err := d.Delete(); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{LogPath(c.dir, 500), IndexPath(c.dir, 500), TimeIndexPath(c.dir, 500)} {
			if exists(t, c.fs, p) || exists(t, c.fs, p+DeletedSuffix) {
				t.Fatalf("%s left after Delete of an evicted segment", p)
			}
		}
		// Appends, reads and timestamps reload it.
		b := mkBatch(t, 40, 200, 100, 101)
		mustAppend(t, a, b)
		want = append(want, b...)
		if off, ts, ok, err := a.FindTimestamp(101); err != nil || !ok || off != 41 || ts != 101 {
			t.Fatalf("FindTimestamp(101) = %d, %d, %v, %v; want 41, 101", off, ts, ok, err)
		}
		evictAll()
		if ts, off, err := a.MaxTimestamp(); err != nil || ts != 101 || off != 41 {
			t.Fatalf("MaxTimestamp = %d, %d, %v; want 101, 41", ts, off, err)
		}
		evictAll()
		if err := a.Flush(); err != nil {
			t.Fatal(err)
		}
		evictAll()
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		if a.loaded.Load() || exists(t, c.fs, LogPath(c.dir, 0)+DeletedSuffix) {
			t.Fatal("Close of an evicted segment left it loaded")
		}
		r := mustOpen(t, c, 0, Options{IndexIntervalBytes: 100, MaxIndexBytes: 4096})
		defer mustClose(t, r)
		if err := r.SanityCheck(); err != nil {
			t.Fatalf("SanityCheck after close of an evicted segment: %v", err)
		}
		if got := readAll(t, r); !bytes.Equal(got, want) {
			t.Fatalf("reopened segment holds %d bytes, want %d", len(got), len(want))
		}
	})
}

// TestBudgetReloadSkipsCheck: a segment that was checked before its
// eviction is not checked again when it is loaded again. The index is
// made stale behind its back while it is evicted (its last entries cut):
// the first load of a fresh Open would find that and recover; the reload
// does not look, and reads stay exact (an index is never trusted for a
// position).
func TestBudgetReloadSkipsCheck(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		var logged bytes.Buffer
		opts := Options{IndexIntervalBytes: 100, Logger: slog.New(slog.NewTextHandler(&logged, nil))}
		s := mustCreate(t, c, 0, opts)
		defer mustClose(t, s)
		var want []byte
		for i := range int64(30) {
			b := mkBatch(t, i, 150, i)
			mustAppend(t, s, b)
			want = append(want, b...)
		}
		evictAll()
		idx := readFile(t, c.fs, IndexPath(c.dir, 0))
		if len(idx) < 16 {
			t.Fatalf("index of %d bytes", len(idx))
		}
		writeFile(t, c.fs, IndexPath(c.dir, 0), idx[:len(idx)-16])
		if got := readAll(t, s); !bytes.Equal(got, want) {
			t.Fatal("contents changed across the eviction")
		}
		if logged.Len() != 0 {
			t.Fatalf("the reload checked or recovered the segment:\n%s", logged.String())
		}
		// A fresh Open does check, and finds the stale index.
		evictAll()
		o := mustOpen(t, c, 0, Options{IndexIntervalBytes: 100, MaxIndexBytes: 4096})
		defer mustClose(t, o)
		if err := o.SanityCheck(); err == nil {
			t.Fatal("SanityCheck of the stale index passed; the test proves nothing")
		}
	})
}

// TestBudgetCrashEvicted: an active segment evicted with unsynced appends
// is reopened and fsynced by Flush; after a machine crash the log and its
// indexes hold every flushed batch. A process crash after an eviction
// leaves files that Open accepts without recovery.
func TestBudgetCrashEvicted(t *testing.T) {
	m := vfs.NewMem()
	c := fsCase{"mem", m, "/"}
	s := mustCreate(t, c, 0, Options{IndexIntervalBytes: 100, PreallocateBytes: 1 << 16})
	if err := m.SyncDir("/"); err != nil {
		t.Fatal(err)
	}
	var want []byte
	for i := range int64(40) {
		b := mkBatch(t, i, 150, i)
		mustAppend(t, s, b)
		want = append(want, b...)
		if i == 19 {
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	evictAll()
	proc := m.Snapshot()
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	machine := m.CrashClone(vfs.CrashOptions{})
	evictAll()
	mustClose(t, s)

	r := mustOpen(t, fsCase{"mem", machine, "/"}, 0, Options{IndexIntervalBytes: 100, MaxIndexBytes: 4096})
	if cut, err := r.Recover(); err != nil || cut != 0 {
		t.Fatalf("Recover after a machine crash cut %d bytes, %v; want 0", cut, err)
	}
	if got := readAll(t, r); !bytes.Equal(got, want) {
		t.Fatalf("after the crash the log holds %d bytes, want %d", len(got), len(want))
	}
	mustClose(t, r)

	p := mustOpen(t, fsCase{"mem", proc, "/"}, 0, Options{IndexIntervalBytes: 100, MaxIndexBytes: 4096})
	defer mustClose(t, p)
	if err := p.SanityCheck(); err != nil {
		t.Fatalf("SanityCheck after a process crash following an eviction: %v", err)
	}
	if got := readAll(t, p); !bytes.Equal(got, want) {
		t.Fatalf("after the process crash the log holds %d bytes, want %d", len(got), len(want))
	}
}

// TestBudgetConcurrent runs appenders, readers holding Slices and sweeps
// at once over a budget far below the segments in use (run with -race):
// every read is exact, no call meets a closed file.
func TestBudgetConcurrent(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		evictAll()
		withBudget(t, 15)
		const nseg, appenders = 60, 4
		segs := make([]*Segment, nseg)
		for i := range segs {
			segs[i] = mustCreate(t, c, int64(i)<<20, Options{IndexIntervalBytes: 200, MaxIndexBytes: 4096})
		}
		// Each batch's records carry its offsets; readers check them.
		var published [nseg]atomic.Int64 // batches appended, per segment
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		fail := func(err error) {
			select {
			case errs <- err:
			default:
			}
			cancel()
		}
		for a := range appenders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := 0; ctx.Err() == nil; k++ {
					i := a + appenders*(k%(nseg/appenders))
					n := published[i].Load()
					b := mkBatch(t, int64(i)<<20+n, 100, n)
					if err := segs[i].Append(b); err != nil {
						fail(fmt.Errorf("append to %d: %w", i, err))
						return
					}
					published[i].Add(1)
				}
			}()
		}
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(1, 2))
				for ctx.Err() == nil {
					i := r.IntN(nseg)
					s := segs[i]
					n := published[i].Load()
					if n == 0 {
						continue
					}
					k := r.Int64N(n)
					if !s.Acquire() {
						fail(fmt.Errorf("acquire %d", i))
						return
					}
					sl, err := s.Read(int64(i)<<20+k, 1, math.MaxInt64)
					if err == nil {
						time.Sleep(time.Duration(r.IntN(50)) * time.Microsecond) // the Slice stays pinned
						var h [recordbatch.HeaderSize]byte
						if _, err = sl.File.ReadAt(h[:], sl.Pos); err == nil {
							if got := recordbatch.Header(h[:]).BaseOffset(); got != int64(i)<<20+k {
								err = fmt.Errorf("batch at offset %d", got)
							}
						}
					}
					s.Release()
					if err != nil {
						fail(fmt.Errorf("read %d of segment %d: %w", k, i, err))
						return
					}
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				evictAll()
				runtime.Gosched()
			}
		}()
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		total := int64(0)
		for i, s := range segs {
			n := published[i].Load()
			total += n
			if next, err := s.NextOffset(); err != nil || next != int64(i)<<20+n {
				t.Fatalf("segment %d: NextOffset %d, %v; want %d", i, next, err, int64(i)<<20+n)
			}
			mustClose(t, s)
		}
		if total == 0 {
			t.Fatal("nothing appended")
		}
		if got := OpenSegmentFiles(); got > 15 {
			t.Fatalf("segments hold %d descriptors after the run, budget 15", got)
		}
		t.Logf("%d batches appended, %d evictions so far", total, Evictions())
	})
}

// TestBudgetHoldDuringEviction drives the race of hold and an eviction
// step by step: a reader takes its reference after the eviction checked
// the count and while it closes the files. The reader must wait, then
// find the segment unloaded and load it again, never touching a closed
// descriptor; and an eviction that finds a reference gives up.
func TestBudgetHoldDuringEviction(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		s := mustCreate(t, c, 0, Options{})
		defer mustClose(t, s)
		b := mkBatch(t, 0, 500, 1, 2)
		mustAppend(t, s, b)

		// The eviction's first half: locks, evicting, the count checked.
		s.appendMu.Lock()
		s.trunc.Lock()
		s.evicting.Store(true)
		if s.refs.Load() != 1 {
			t.Fatalf("refs %d", s.refs.Load())
		}
		type result struct {
			b   []byte
			err error
		}
		done := make(chan result, 1)
		go func() {
			if !s.Acquire() {
				done <- result{nil, ErrClosed}
				return
			}
			sl, err := s.Read(0, math.MaxInt32, math.MaxInt64)
			var got []byte
			if err == nil {
				got = make([]byte, sl.Len)
				_, err = sl.File.ReadAt(got, sl.Pos)
			}
			s.Release() // before the answer: the test goes on to evict
			done <- result{got, err}
		}()
		for s.refs.Load() < 2 { // the reader's reference is in
			runtime.Gosched()
		}
		select {
		case <-done:
			t.Fatal("the reader went on during the eviction")
		case <-time.After(20 * time.Millisecond):
		}
		// The second half: the files close under the waiting reader.
		if err := s.closeFilesLocked(false); err != nil {
			t.Fatal(err)
		}
		forget(s)
		s.evicting.Store(false)
		s.trunc.Unlock()
		s.appendMu.Unlock()
		select {
		case r := <-done:
			if r.err != nil || !bytes.Equal(r.b, b) {
				t.Fatalf("the reader read %d bytes, %v; want the batch's %d", len(r.b), r.err, len(b))
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the reader is stuck")
		}
		if !s.loaded.Load() {
			t.Fatal("the reader did not load the segment again")
		}

		// A reference held: the sweep leaves the segment alone.
		if !s.hold() {
			t.Fatal("hold failed")
		}
		budget.mu.Lock()
		evicted := s.evict()
		budget.mu.Unlock()
		s.Release()
		if evicted || !s.loaded.Load() {
			t.Fatal("a segment with a call running was evicted")
		}
		budget.mu.Lock()
		evicted = s.evict()
		if evicted {
			forgetLocked(s)
		}
		budget.mu.Unlock()
		if !evicted || s.loaded.Load() {
			t.Fatal("an unused segment was not evicted")
		}
	})
}

// TestEvictionWritesTimeIndexEntry: an evicted segment's time index holds
// its largest timestamp, as a closed one does: a segment with too few
// bytes for an interval entry leaves a 12-byte time index (timestamp,
// relative offset of the batch that carried it), not an empty file that
// crash recovery would have to allocate a block for.
func TestEvictionWritesTimeIndexEntry(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		s := mustCreate(t, c, 100, Options{})
		defer mustClose(t, s)
		mustAppend(t, s, mkBatch(t, 100, 50, 7000))
		mustAppend(t, s, mkBatch(t, 101, 50, 9000))
		evictAll()
		got := readFile(t, c.fs, TimeIndexPath(c.dir, 100))
		want := binary.BigEndian.AppendUint64(nil, 9000)
		want = binary.BigEndian.AppendUint32(want, 1) // offset 101, relative to 100
		if !bytes.Equal(got, want) {
			t.Fatalf("time index after eviction % x, want % x", got, want)
		}
	})
}
