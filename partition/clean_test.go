package partition

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/segment"
)

// gapLog writes ten one-record batches into segments [0 3 6 9] and cuts
// the last batch (offset 5) of segment 3 at a batch boundary, as a cleaned
// segment ends, then reopens after a crash (no marker, an old checkpoint).
func gapLog(t *testing.T) (*vfs.MemFS, Config, [][]byte) {
	t.Helper()
	mem := vfs.NewMem()
	cfg := rollEvery3(t)
	l := mustOpen(t, mem, cfg, Options{})
	B := tenIn4(t, l, func(i int) int64 { return int64(100 * i) })
	batches := splitBatches(t, readAll(t, l, 0))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := mem.OpenRW("/data/t-0/00000000000000000003.log")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(2 * B); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := mem.Remove("/data/t-0/" + markerName); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(mem, "/data/t-0", checkpointName, checkpoint{}.encode()); err != nil {
		t.Fatal(err)
	}
	return mem, cfg, batches
}

// TestRecoveryKeepsAGapWithoutACut: a segment that ends below its
// successor's base without recovery cutting a byte is a cleaned segment:
// recovery keeps every segment.
func TestRecoveryKeepsAGapWithoutACut(t *testing.T) {
	mem, cfg, batches := gapLog(t)
	l := mustOpen(t, mem, cfg, Options{})
	defer l.Close()
	if got := bases(l); !slices.Equal(got, []int64{0, 3, 6, 9}) || l.LogEndOffset() != 10 {
		t.Fatalf("segments %v, end %d; want [0 3 6 9], 10", got, l.LogEndOffset())
	}
	want := slices.Concat(slices.Concat(batches[:5]...), slices.Concat(batches[6:]...))
	if got := readAll(t, l, 0); !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, want %d", len(got), len(want))
	}
}

// TestReadIntoGap: a read at an offset of the gap returns the next batch,
// and a read that exhausts a segment ending in a gap goes on into the next
// segment (one read returns offsets 3, 4, 6, 7, 8, 9).
func TestReadIntoGap(t *testing.T) {
	mem, cfg, batches := gapLog(t)
	l := mustOpen(t, mem, cfg, Options{})
	defer l.Close()
	r, err := l.Read(5, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Slices) != 1 || r.Slices[0].FirstOffset != 6 || r.Slices[0].LastOffset != 6 {
		t.Fatalf("Read(5) = %+v, want the batch at 6", r.Slices)
	}
	r.Release()
	r, err = l.Read(3, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, sl := range r.Slices {
		for o := sl.FirstOffset; o <= sl.LastOffset; o++ {
			got = append(got, o)
		}
	}
	r.Release()
	if want := []int64{3, 4, 6, 7, 8, 9}; !slices.Equal(got, want) {
		t.Fatalf("Read(3) offsets %v, want %v", got, want)
	}
	// ListOffsets by timestamp: 500 was offset 5's; the next record is 6 (600).
	off, ts, err := l.ListOffset(500)
	if err != nil || off != 6 || ts != 600 {
		t.Fatalf("ListOffset(500) = %d, %d, %v; want 6, 600", off, ts, err)
	}
	_ = batches
}

// cleanedOf builds, in l, a cleaned segment replacing segments 0 and 3 of
// tenIn4's log that keeps the batches at offsets 1, 4 and 5.
func cleanedOf(t *testing.T, l *Log, batches [][]byte) *segment.Segment {
	t.Helper()
	c, err := l.NewCleanedSegment(0)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{1, 4, 5} {
		if err := c.Append(batches[i]); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// TestReplaceSegments: the swap replaces segments 0 and 3 with the cleaned
// segment: reads see offsets 1, 4, 5, 6..9, the directory holds no
// .cleaned or .swap file and the old segment 3's live files are gone;
// a reader holding the old segment 0 still reads it until it releases.
func TestReplaceSegments(t *testing.T) {
	mem := vfs.NewMem()
	l := mustOpen(t, mem, rollEvery3(t), Options{})
	defer l.Close()
	tenIn4(t, l, func(i int) int64 { return int64(i) })
	batches := splitBatches(t, readAll(t, l, 0))
	held, err := l.Read(0, 1)
	if err != nil {
		t.Fatal(err)
	}
	cv := l.CleanerView()
	if len(cv.Segments) != 3 || cv.ActiveBase != 9 || cv.HighWatermark != 10 {
		t.Fatalf("CleanerView = %d segments, active %d, hw %d", len(cv.Segments), cv.ActiveBase, cv.HighWatermark)
	}
	// The rolls' producer snapshots are written by the flusher, in the
	// background; write them now, so that the replace below is what
	// removes the replaced segments' snapshot (one written after it would
	// be a stray, harmless, but not what this test checks).
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	c := cleanedOf(t, l, batches)
	if err := l.ReplaceSegments(c, cv.Segments[:2]); err != nil {
		t.Fatal(err)
	}
	if got := bases(l); !slices.Equal(got, []int64{0, 6, 9}) {
		t.Fatalf("segments %v, want [0 6 9]", got)
	}
	want := slices.Concat(batches[1], batches[4], batches[5], slices.Concat(batches[6:]...))
	if got := readAll(t, l, 0); !bytes.Equal(got, want) {
		t.Fatal("cleaned log reads differently")
	}
	buf := make([]byte, held.Slices[0].Len)
	if _, err := held.Slices[0].File.ReadAt(buf, held.Slices[0].Pos); err != nil || !bytes.Equal(buf, batches[0]) {
		t.Fatalf("held reader lost its bytes: %v", err)
	}
	held.Release()
	names, _ := mem.ReadDir("/data/t-0")
	for _, n := range names {
		if strings.HasSuffix(n, segment.CleanedSuffix) || strings.HasSuffix(n, segment.SwapSuffix) ||
			(strings.HasPrefix(n, "00000000000000000003.") && !strings.HasSuffix(n, segment.DeletedSuffix)) {
			t.Fatalf("left %s in %v", n, names)
		}
	}
	// A segment no longer in the log: refused, the cleaned segment deleted.
	c2 := cleanedOf(t, l, batches)
	if err := l.ReplaceSegments(c2, cv.Segments[:2]); !errors.Is(err, ErrSwapAborted) {
		t.Fatalf("stale swap: %v", err)
	}
	if _, err := mem.Stat("/data/t-0/00000000000000000000.log.cleaned"); err == nil {
		t.Fatal("aborted cleaned segment left behind")
	}
}

// TestReplaceSegmentsCrashAtEachStep: a machine crash after each step of
// the swap, then Open, gives either the log as it was or the cleaned one,
// never a mix, and no leftover file; the .txnindex follows its segment.
func TestReplaceSegmentsCrashAtEachStep(t *testing.T) {
	mem := vfs.NewMem()
	cfg := rollEvery3(t)
	l := mustOpen(t, mem, cfg, Options{})
	tenIn4(t, l, func(i int) int64 { return int64(i) })
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	batches := splitBatches(t, readAll(t, l, 0))
	before := slices.Concat(batches...)
	after := slices.Concat(batches[1], batches[4], batches[5], slices.Concat(batches[6:]...))
	// Transaction index entries (made up: only where they are matters):
	// one in the old segment 0, another in the cleaned segment.
	oldTxn := AbortedTxn{ProducerID: 1, FirstOffset: 0, LastOffset: 2, LastStableOffset: 3}
	newTxn := AbortedTxn{ProducerID: 2, FirstOffset: 1, LastOffset: 5, LastStableOffset: 6}
	seg0 := l.view.Load().segs[0]
	if err := seg0.AppendAbortedTxn(oldTxn); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(seg0.Flush(), mem.SyncDir("/data/t-0")); err != nil {
		t.Fatal(err)
	}
	type crash struct {
		step string
		fs   *vfs.MemFS
	}
	var crashes []crash
	swapStep = func(step string) {
		crashes = append(crashes, crash{step, mem.CrashClone(vfs.CrashOptions{})})
	}
	defer func() { swapStep = nil }()
	c := cleanedOf(t, l, batches)
	if err := c.AppendAbortedTxn(newTxn); err != nil {
		t.Fatal(err)
	}
	crashes = append(crashes, crash{"written", mem.CrashClone(vfs.CrashOptions{})})
	if err := l.ReplaceSegments(c, l.CleanerView().Segments[:2]); err != nil {
		t.Fatal(err)
	}
	swapStep = nil
	l.Close()
	wantSteps := []string{"written", "sealed", "renamed-swap", "swap-durable", "published", "retired", "retired-durable", "renamed-live", "done"}
	var steps []string
	for _, c := range crashes {
		steps = append(steps, c.step)
	}
	if !slices.Equal(steps, wantSteps) {
		t.Fatalf("steps %v, want %v", steps, wantSteps)
	}
	wantAfter := map[string]bool{"swap-durable": true, "published": true, "retired": true, "retired-durable": true, "renamed-live": true, "done": true}
	for _, c := range crashes {
		l2 := mustOpen(t, c.fs, cfg, Options{})
		got := readAll(t, l2, 0)
		want, name := before, "before"
		if wantAfter[c.step] {
			want, name = after, "after"
		}
		if !bytes.Equal(got, want) {
			t.Errorf("crash at %s: log reads %d bytes, want the %s state (%d bytes)", c.step, len(got), name, len(want))
		}
		wantTxn := []AbortedTxn{oldTxn}
		if wantAfter[c.step] {
			wantTxn = []AbortedTxn{newTxn}
		}
		if got := l2.AbortedTransactions(0, 10); !slices.Equal(got, wantTxn) {
			t.Errorf("crash at %s: aborted transactions %+v, want %+v", c.step, got, wantTxn)
		}
		if l2.LogEndOffset() != 10 {
			t.Errorf("crash at %s: log end %d", c.step, l2.LogEndOffset())
		}
		names, _ := c.fs.ReadDir("/data/t-0")
		for _, n := range names {
			if strings.HasSuffix(n, segment.CleanedSuffix) || strings.HasSuffix(n, segment.SwapSuffix) || strings.HasSuffix(n, segment.DeletedSuffix) {
				t.Errorf("crash at %s: %s left after Open", c.step, n)
			}
		}
		// The indexes agree with the log: every offset reads from its batch.
		for o := int64(0); o < 10; o++ {
			r, err := l2.Read(o, 1)
			if err != nil || len(r.Slices) != 1 || r.Slices[0].LastOffset < o {
				t.Errorf("crash at %s: Read(%d) = %+v, %v", c.step, o, r, err)
			}
			if r != nil {
				r.Release()
			}
		}
		l2.Close()
	}
	_ = recordbatch.HeaderSize
}
