package partition

import (
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/stratabroker/strata/internal/vfs"
)

// An oversize producer snapshot (past maxSnapshotBytes, as ~1.7 million
// producers made at 256 MiB) must not stop the log from opening: it is
// ignored like a bad one and producer state is rebuilt from the log.
func TestOversizeSnapshotIgnored(t *testing.T) {
	fs := vfs.NewMem()
	clk := newClock(1000)
	l := mustOpen(t, fs, smallConfig(), clk.opts(fs))
	for seq := range int32(5) { // 5 batches each: full entries
		for pid := range int64(20) {
			mustAppend(t, l, makeBatch(idem(pid, 0, seq, 1, 1000+int64(seq)*100+pid)))
		}
	}
	want := l.ProducerStates()[1:] // the rebuilt state keeps maxProducers: 19
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := fs.Stat(filepath.Join("/data/t-0", snapshotName(100)))
	if err != nil || fi.Size() != snapshotHeader+4+20*snapshotEntryMax {
		t.Fatal(err, fi.Size())
	}
	old := maxSnapshotBytes
	defer func() { maxSnapshotBytes = old }()
	maxSnapshotBytes = fi.Size() - 1 // the file Close wrote is now too large
	l = mustOpen(t, fs, smallConfig(), clk.opts(fs))
	defer l.Close()
	if got := l.ProducerStates(); len(got) != 19 || !reflect.DeepEqual(got, want) {
		t.Fatalf("producers after open: %d, want %d: %+v", len(got), len(want), got)
	}
	// The rebuilt state still detects a duplicate.
	res := mustAppend(t, l, makeBatch(idem(7, 0, 4, 1, 1407)))
	if !res.Duplicate || res.BaseOffset != 87 {
		t.Fatalf("retry after rebuild: %+v", res)
	}
}

// A log keeps at most as many producers as a snapshot of maxSnapshotBytes
// holds: the snapshot forgets those whose last batch is oldest.
func TestProducersCapped(t *testing.T) {
	old := maxSnapshotBytes
	defer func() { maxSnapshotBytes = old }()
	maxSnapshotBytes = snapshotHeader + 4 + 3*snapshotEntryMax // 3 producers
	if maxProducers() != 3 {
		t.Fatalf("maxProducers %d", maxProducers())
	}
	fs := vfs.NewMem()
	clk := newClock(1000)
	l := mustOpen(t, fs, smallConfig(), clk.opts(fs))
	for i, pid := range []int64{40, 10, 30, 20, 50} { // last timestamps 1000..1004
		mustAppend(t, l, makeBatch(idem(pid, 0, 0, 1, 1000+int64(i))))
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := fs.Stat(filepath.Join("/data/t-0", snapshotName(5)))
	if err != nil || fi.Size() > maxSnapshotBytes {
		t.Fatalf("snapshot: %v, %d bytes, bound %d", err, fi.Size(), maxSnapshotBytes)
	}
	l = mustOpen(t, fs, smallConfig(), clk.opts(fs))
	defer l.Close()
	var pids []int64
	for _, s := range l.ProducerStates() {
		pids = append(pids, s.ProducerID)
	}
	if !reflect.DeepEqual(pids, []int64{20, 30, 50}) {
		t.Fatalf("producers kept %v, want [20 30 50]", pids)
	}
}

// After a clean shutdown the producer state is read at its first use: a
// retried batch is still a duplicate, and a Close after plain appends
// writes no snapshot (the state is the old snapshot's, and the batches
// after it are replayed at first use).
func TestDeferredProducerState(t *testing.T) {
	fs := vfs.NewMem()
	clk := newClock(1000)
	l := mustOpen(t, fs, smallConfig(), clk.opts(fs))
	mustAppend(t, l, makeBatch(idem(5, 0, 0, 2, 1000)))
	mustAppend(t, l, makeBatch(idem(5, 0, 2, 1, 1001)))
	want := l.ProducerStates()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		l = mustOpen(t, fs, smallConfig(), clk.opts(fs))
		if !l.prodPending {
			t.Fatalf("round %d: producer state read at a clean open", round)
		}
		mustAppend(t, l, makeBatch(plain(1, 1002, 10, 1))) // no producer: state still unread
		if !l.prodPending {
			t.Fatalf("round %d: producer state read by a plain append", round)
		}
		if err := l.Close(); err != nil { // the log end moved, the state was never read: no snapshot
			t.Fatal(err)
		}
	}
	l = mustOpen(t, fs, smallConfig(), clk.opts(fs))
	defer l.Close()
	res := mustAppend(t, l, makeBatch(idem(5, 0, 2, 1, 1001)))
	if !res.Duplicate || res.BaseOffset != 2 || res.LastOffset != 2 {
		t.Fatalf("retry after clean opens: %+v", res)
	}
	if got := l.ProducerStates(); !reflect.DeepEqual(got, want) {
		t.Fatalf("producers %+v, want %+v", got, want)
	}
	if d, err := listDir(fs, "/data/t-0"); err != nil || !slices.Equal(d.snapshots, []int64{3}) {
		t.Fatalf("snapshots %v (%v), want [3]", d.snapshots, err)
	}
}
