package partition

import (
	"encoding/binary"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/segment"
)

// TestTxnCrashRecovery crashes (a machine crash: what was fsynced stays)
// between a transaction's data and its marker, and after the marker, and
// checks that recovery rebuilds the ongoing transactions, the LSO and the
// transaction index, across a roll (the data in one segment, the marker
// in the next).
func TestTxnCrashRecovery(t *testing.T) {
	cfg := smallConfig()
	cfg.FlushMessages = 1 // every append fsynced: nothing acknowledged is lost
	cfg.SegmentBytes = 300
	mem := vfs.NewMem()
	l := mustOpen(t, mem, cfg, Options{})
	for _, b := range [][]byte{
		makeBatch(plain(2, 1000, 10, 'a')), // 0-1
		txnBatch(7, 0, 0, 2, 1001),         // 2-3
		txnBatch(8, 1, 0, 1, 1002),         // 4
		makeBatch(plain(1, 1003, 10, 'b')), // 5
		txnBatch(7, 0, 2, 1, 1004),         // 6
	} {
		if _, err := l.Append(b, true); err != nil {
			t.Fatal(err)
		}
	}
	checkLSO(t, l, 2)

	// Crash 1: between the data and the markers.
	c1 := mem.CrashClone(vfs.CrashOptions{})
	r1 := mustOpen(t, c1, cfg, Options{})
	checkLSO(t, r1, 2)
	if r1.HighWatermark() != 7 {
		t.Fatalf("recovered HW %d", r1.HighWatermark())
	}
	want := []OngoingTxn{{ProducerID: 7, FirstOffset: 2, CoordinatorEpoch: -1, LastTimestamp: 1004}, {ProducerID: 8, Epoch: 1, FirstOffset: 4, CoordinatorEpoch: -1, LastTimestamp: 1002}}
	if got := r1.OngoingTransactions(); !slices.Equal(got, want) {
		t.Fatalf("recovered ongoing %+v, want %+v", got, want)
	}
	if got, lso, _ := readCommitted(t, r1, 0); !slices.Equal(got, [][2]int64{{0, 1}}) || lso != 2 {
		t.Fatalf("recovered read_committed: %v, LSO %d", got, lso)
	}
	// The recovered log takes the markers.
	mustMarker(t, r1, 7, 0, false, 2, 1005)
	checkLSO(t, r1, 4)
	r1.Close()

	// Crash 2: after the markers (abort 7 at 7, commit 8 at 8).
	mustMarker(t, l, 7, 0, false, 2, 1005)
	mustMarker(t, l, 8, 1, true, 2, 1006)
	checkLSO(t, l, 9)
	segs := len(l.view.Load().segs)
	if segs < 2 {
		t.Fatalf("%d segments: the test needs the marker in a later segment than the data", segs)
	}
	wantAborted := []AbortedTxn{{ProducerID: 7, FirstOffset: 2, LastOffset: 7, LastStableOffset: 4}}
	if got := l.AbortedTransactions(0, 9); !slices.Equal(got, wantAborted) {
		t.Fatalf("before the crash: aborted %+v", got)
	}
	for _, c := range []struct {
		opts vfs.CrashOptions
		drop bool // also drop the indexes and the checkpoint: recovery from the first segment rebuilds them all
	}{{vfs.CrashOptions{}, false}, {vfs.CrashOptions{TearUnsynced: true, Garble: true}, false}, {vfs.CrashOptions{}, true}} {
		c2 := mem.CrashClone(c.opts)
		var txnFiles []string
		names, _ := c2.ReadDir("/data/t-0")
		for _, n := range names {
			if filepath.Ext(n) == ".txnindex" {
				txnFiles = append(txnFiles, n)
				if c.drop {
					c2.Remove(filepath.Join("/data/t-0", n))
				}
			}
		}
		if c.drop {
			c2.Remove(filepath.Join("/data/t-0", checkpointName))
		}
		if len(txnFiles) != 1 {
			t.Fatalf("txnindex files after the crash: %v (want the marker segment's)", txnFiles)
		}
		r2 := mustOpen(t, c2, cfg, Options{})
		checkLSO(t, r2, 9)
		if got := r2.AbortedTransactions(0, 9); !slices.Equal(got, wantAborted) {
			t.Fatalf("recovered aborted %+v, want %+v", got, wantAborted)
		}
		got, lso, aborted := readCommitted(t, r2, 0)
		if want := [][2]int64{{0, 1}, {2, 3}, {4, 4}, {5, 5}, {6, 6}, {7, 7}, {8, 8}}; !slices.Equal(got, want) || lso != 9 || !slices.Equal(aborted, wantAborted) {
			t.Fatalf("recovered read_committed: %v, LSO %d, aborted %+v", got, lso, aborted)
		}
		if b, err := vfs.ReadFile(c2, filepath.Join("/data/t-0", txnFiles[0]), 1<<10); err != nil || len(b) != 34 {
			t.Fatalf("rebuilt %s: %x, %v", txnFiles[0], b, err)
		}
		if len(r2.OngoingTransactions()) != 0 {
			t.Fatalf("ongoing after recovery: %+v", r2.OngoingTransactions())
		}
		r2.Close()
	}
	l.Close()
}

// TestTxnCleanReopen: after a clean shutdown producer state is read
// lazily; the LSO of an ongoing transaction is still right at the first
// read_committed read, and the index is kept as written.
func TestTxnCleanReopen(t *testing.T) {
	mem := vfs.NewMem()
	cfg := smallConfig()
	l := mustOpen(t, mem, cfg, Options{})
	txnScenario(t, l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l2 := mustOpen(t, mem, cfg, Options{})
	defer l2.Close()
	if got, lso, aborted := readCommitted(t, l2, 0); !slices.Equal(got, [][2]int64{{0, 2}, {3, 4}, {5, 5}}) || lso != 6 ||
		!slices.Equal(aborted, []AbortedTxn{{ProducerID: 7, FirstOffset: 3, LastOffset: 8, LastStableOffset: 6}}) {
		t.Fatalf("after a clean reopen: %v, LSO %d, aborted %+v", got, lso, aborted)
	}
	want := []OngoingTxn{{ProducerID: 8, FirstOffset: 6, CoordinatorEpoch: -1, LastTimestamp: 1003}}
	if got := l2.OngoingTransactions(); !slices.Equal(got, want) {
		t.Fatalf("ongoing %+v", got)
	}
	mustMarker(t, l2, 8, 0, false, 0, 1005)
	checkLSO(t, l2, 10)
}

// encodeSnapshotV1 is the version 1 layout (before transactions), to
// check the migration.
func encodeSnapshotV1(p *producers, offset int64) []byte {
	b := []byte(snapshotMagic)
	b = binary.BigEndian.AppendUint16(b, 1)
	b = binary.BigEndian.AppendUint64(b, uint64(offset))
	pids := make([]int64, 0, len(p.m))
	for pid := range p.m {
		pids = append(pids, pid)
	}
	slices.Sort(pids)
	b = binary.BigEndian.AppendUint32(b, uint32(len(pids)))
	for _, pid := range pids {
		e := p.m[pid]
		b = binary.BigEndian.AppendUint64(b, uint64(pid))
		b = binary.BigEndian.AppendUint16(b, uint16(e.epoch))
		b = binary.BigEndian.AppendUint64(b, uint64(e.lastTimestamp))
		b = append(b, byte(e.n))
		for _, m := range e.batches[:e.n] {
			b = binary.BigEndian.AppendUint32(b, uint32(m.firstSeq))
			b = binary.BigEndian.AppendUint32(b, uint32(m.lastSeq))
			b = binary.BigEndian.AppendUint32(b, uint32(m.offsetDelta))
			b = binary.BigEndian.AppendUint64(b, uint64(m.lastOffset))
			b = binary.BigEndian.AppendUint64(b, uint64(m.timestamp))
		}
	}
	return binary.BigEndian.AppendUint32(b, recordbatch.Checksum(b))
}

// TestSnapshotV1Migration: a version 1 snapshot (written before
// transactions) is read, with no coordinator epoch and no transaction,
// and the next snapshot is version 2.
func TestSnapshotV1Migration(t *testing.T) {
	mem := vfs.NewMem()
	cfg := smallConfig()
	l := mustOpen(t, mem, cfg, Options{})
	mustAppend(t, l, makeBatch(idem(3, 1, 0, 2, 1000)))
	mustAppend(t, l, makeBatch(plain(1, 1001, 10, 'x')))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("/data/t-0", snapshotName(3))
	b, err := vfs.ReadFile(mem, path, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if v := binary.BigEndian.Uint16(b[4:]); v != 2 {
		t.Fatalf("snapshot version %d, want 2", v)
	}
	_, p, err := decodeSnapshot(b)
	if err != nil {
		t.Fatal(err)
	}
	v1 := encodeSnapshotV1(&p, 3)
	if len(v1) != len(b)-12 {
		t.Fatalf("v1 snapshot %d bytes, v2 %d: want 12 fewer per entry", len(v1), len(b))
	}
	if err := vfs.WriteFileAtomic(mem, "/data/t-0", snapshotName(3), v1); err != nil {
		t.Fatal(err)
	}
	l2 := mustOpen(t, mem, cfg, Options{})
	want := []ProducerState{{ProducerID: 3, Epoch: 1, LastSequence: 1, LastTimestamp: 1000, LastOffset: 1, CoordinatorEpoch: -1, CurrentTxnStartOffset: -1}}
	if got := l2.ProducerStates(); !slices.Equal(got, want) {
		t.Fatalf("states from a v1 snapshot: %+v, want %+v", got, want)
	}
	// The state is in force: the next sequence is taken, a gap is not.
	if _, err := l2.Append(makeBatch(idem(3, 1, 5, 1, 1002)), false); err == nil {
		t.Fatal("out-of-sequence batch taken after the migration")
	}
	mustAppend(t, l2, txnBatch(3, 1, 2, 1, 1002))
	if err := l2.Close(); err != nil {
		t.Fatal(err)
	}
	b, err = vfs.ReadFile(mem, filepath.Join("/data/t-0", snapshotName(4)), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if v := binary.BigEndian.Uint16(b[4:]); v != 2 {
		t.Fatalf("snapshot after the migration: version %d, want 2", v)
	}
	_, p2, err := decodeSnapshot(b)
	if err != nil || p2.m[3].txnFirst != 3 || p2.ongoing != 1 {
		t.Fatalf("v2 snapshot: %+v, %v", p2.m[3], err)
	}
}

// TestTxnReplayMarkerAcrossWindow: recovery reads batch headers in 4 KiB
// windows; a marker whose header ends inside a window and whose record
// lies past it is read whole, and its abort indexed.
func TestTxnReplayMarkerAcrossWindow(t *testing.T) {
	cfg := smallConfig()
	cfg.SegmentBytes = 1 << 20
	cfg.FlushMessages = 1
	mem := vfs.NewMem()
	l := mustOpen(t, mem, cfg, Options{})
	if _, err := l.Append(txnBatch(5, 0, 0, 1, 1000), true); err != nil {
		t.Fatal(err)
	}
	mb, _ := markerBatch(5, 0, false, 0, 1000)
	target := int64(4096 - recordbatch.HeaderSize - 5) // the marker's header fits the first window, its record does not
	for l.Size() < target-600 {
		mustAppend(t, l, makeBatch(plain(1, 1000, 400, 'f')))
	}
	for v := 0; ; v++ {
		b := makeBatch(plain(1, 1000, v, 'g'))
		if l.Size()+int64(len(b)) == target {
			mustAppend(t, l, b)
			break
		}
		if v > 700 {
			t.Fatalf("no filler reaches %d from %d", target, l.Size())
		}
	}
	off := mustMarker(t, l, 5, 0, false, 0, 1001)
	if l.Size() != target+int64(len(mb)) || target+int64(len(mb)) <= 4096 {
		t.Fatalf("marker at byte %d, %d bytes: does not straddle 4096", target, len(mb))
	}
	want := []AbortedTxn{{ProducerID: 5, FirstOffset: 0, LastOffset: off, LastStableOffset: off + 1}}
	c := mem.CrashClone(vfs.CrashOptions{})
	c.Remove(filepath.Join("/data/t-0", checkpointName))
	c.Remove(segment.TxnIndexPath("/data/t-0", 0))
	l.Close()
	r := mustOpen(t, c, cfg, Options{})
	defer r.Close()
	if got := r.AbortedTransactions(0, off); !slices.Equal(got, want) {
		t.Fatalf("rebuilt index: %+v, want %+v", got, want)
	}
	checkLSO(t, r, off+1)
}
