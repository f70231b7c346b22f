package partition

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"syscall"
	"testing"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/segment"
)

// bigIdem is a batch of one 1,500-byte record of producer pid at seq: two
// fill a smallConfig segment.
func bigIdem(pid int64, seq int32, ts int64) []byte {
	s := idem(pid, 0, seq, 1, ts)
	s.value = 1500
	return makeBatch(s)
}

// unsyncedLog opens a Managed log over fs whose flusher is closed, so that
// nothing is fsynced behind the test's back.
func unsyncedLog(t *testing.T, fs vfs.FS, st *State) *Log {
	t.Helper()
	fl := NewFlusher(fs)
	fl.Close()
	return mustOpen(t, fs, smallConfig(), Options{Now: newClock(1000).now, Managed: true, Flusher: fl, State: st})
}

// CloseUnsynced fsyncs nothing and reopens no evicted segment; once the
// caller's SyncFS made it durable, a machine crash loses nothing and the
// next open (told it was clean) serves every record and knows the
// producer from its snapshot.
func TestCloseUnsynced(t *testing.T) {
	mem := vfs.NewMem()
	faulty := vfs.NewFaulty(mem)
	l := unsyncedLog(t, faulty, nil)
	for seq := range int32(5) { // 3 segments: 2 rolls, each with a snapshot pending
		mustAppend(t, l, bigIdem(7, seq, 1000+int64(seq)))
	}
	want := readAll(t, l, 0)
	leo := l.LogEndOffset()
	if leo != 5 || l.RecoveryPoint() != 0 {
		t.Fatalf("log end %d, recovery point %d", leo, l.RecoveryPoint())
	}
	// Evict every segment nobody uses: the active one too.
	prev := segment.FileBudget()
	segment.SetFileBudget(1)
	segment.SetFileBudget(prev)

	before := map[vfs.Op]int{}
	for _, op := range []vfs.Op{vfs.OpSync, vfs.OpSyncDir, vfs.OpSyncFS, vfs.OpOpen, vfs.OpCreate, vfs.OpRename} {
		before[op] = faulty.Calls(op)
	}
	if err := l.CloseUnsynced(); err != nil {
		t.Fatal(err)
	}
	// Three snapshots (two rolls, the close), each a temporary renamed;
	// no fsync of any kind, no segment file opened.
	for op, want := range map[vfs.Op]int{vfs.OpSync: 0, vfs.OpSyncDir: 0, vfs.OpSyncFS: 0, vfs.OpOpen: 0, vfs.OpCreate: 3, vfs.OpRename: 3} {
		if got := faulty.Calls(op) - before[op]; got != want {
			t.Errorf("%v: %d calls, want %d", op, got, want)
		}
	}
	if l.RecoveryPoint() != leo {
		t.Fatalf("recovery point %d after CloseUnsynced, want %d", l.RecoveryPoint(), leo)
	}
	if d, err := listDir(mem, "/data/t-0"); err != nil || !slices.Equal(d.snapshots, []int64{4, 5}) || len(d.stray) != 0 {
		t.Fatalf("snapshots %v, stray %v (%v)", d.snapshots, d.stray, err)
	}

	// Before the caller's SyncFS a crash may lose the unsynced records,
	// but the log still opens (it recovers).
	c := mem.CrashClone(vfs.CrashOptions{TearUnsynced: true, Garble: true})
	l = unsyncedLog(t, c, &State{})
	if end := l.LogEndOffset(); end > leo {
		t.Fatalf("log end %d after a crash, more than %d", end, leo)
	}
	mustClose(t, l)

	if err := mem.SyncFS("/data"); err != nil {
		t.Fatal(err)
	}
	c = mem.CrashClone(vfs.CrashOptions{TearUnsynced: true, Garble: true})
	l = unsyncedLog(t, c, &State{RecoveryPoint: leo, Clean: true})
	defer l.Close()
	if got := readAll(t, l, 0); !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes after SyncFS and a crash, want %d", len(got), len(want))
	}
	if !l.prodPending {
		t.Fatal("a clean open read the producer state")
	}
	if res := mustAppend(t, l, bigIdem(7, 4, 1004)); !res.Duplicate || res.BaseOffset != 4 {
		t.Fatalf("retry of the last batch: %+v", res)
	}
}

// A torn or garbled producer snapshot (written without fsync, its entry
// made durable but not its bytes) fails its CRC after a crash and is
// ignored: producer state is rebuilt from the log.
func TestCloseUnsyncedTornSnapshot(t *testing.T) {
	for seed := range uint64(20) {
		mem := vfs.NewMem()
		l := unsyncedLog(t, mem, nil)
		mustAppend(t, l, bigIdem(7, 0, 1000))
		if err := l.Flush(); err != nil {
			t.Fatal(err)
		}
		mustAppend(t, l, makeBatch(idem(7, 0, 1, 3, 1001)))
		if err := l.CloseUnsynced(); err != nil {
			t.Fatal(err)
		}
		if err := mem.SyncDir("/data/t-0"); err != nil { // entries durable, bytes not
			t.Fatal(err)
		}
		c := mem.CrashClone(vfs.CrashOptions{TearUnsynced: true, Garble: true, Rand: rand.New(rand.NewPCG(seed, 9))})
		l = unsyncedLog(t, c, &State{RecoveryPoint: 1})
		end := l.LogEndOffset()
		var wantSeq int32
		switch end {
		case 1:
			wantSeq = 0
		case 4:
			wantSeq = 3
		default:
			t.Fatalf("seed %d: log end %d, want 1 or 4", seed, end)
		}
		states := l.ProducerStates()
		if len(states) != 1 || states[0].ProducerID != 7 || states[0].LastSequence != wantSeq || states[0].LastOffset != end-1 {
			t.Fatalf("seed %d: log end %d, producers %+v", seed, end, states)
		}
		mustClose(t, l)
	}
}

// A non-Managed log's CloseUnsynced is its Close: fsynced, checkpoint and
// marker written.
func TestCloseUnsyncedStandalone(t *testing.T) {
	faulty := vfs.NewFaulty(vfs.NewMem())
	l := mustOpen(t, faulty, smallConfig(), Options{})
	mustAppend(t, l, makeBatch(plain(2, 1000, 10, 1)))
	s0 := faulty.Calls(vfs.OpSync)
	if err := l.CloseUnsynced(); err != nil {
		t.Fatal(err)
	}
	if faulty.Calls(vfs.OpSync) == s0 {
		t.Fatal("no fsync")
	}
	if _, err := faulty.Stat("/data/t-0/" + markerName); err != nil {
		t.Fatal(err)
	}
}

// A CloseUnsynced that fails (here: the snapshot's write) wraps ErrStorage
// and leaves the recovery point where the last flush put it.
func TestCloseUnsyncedError(t *testing.T) {
	faulty := vfs.NewFaulty(vfs.NewMem())
	l := unsyncedLog(t, faulty, nil)
	mustAppend(t, l, bigIdem(7, 0, 1000))
	faulty.Inject(vfs.Fault{Op: vfs.OpWrite, Path: ".snapshot"})
	err := l.CloseUnsynced()
	if !errors.Is(err, ErrStorage) || !errors.Is(err, syscall.EIO) {
		t.Fatalf("CloseUnsynced: %v", err)
	}
	if l.RecoveryPoint() != 0 {
		t.Fatalf("recovery point %d after a failed close", l.RecoveryPoint())
	}
}

func mustClose(t *testing.T, l *Log) {
	t.Helper()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// After a clean open, plain appends leave the producer state unread, and
// CloseUnsynced then writes no snapshot and reads nothing: an evicted
// segment stays closed, no file is opened or listed, and the state
// survives intact (the next Open replays the plain batches after the old
// snapshot when a producer first needs it).
func TestCloseUnsyncedAfterPlainAppends(t *testing.T) {
	mem := vfs.NewMem()
	faulty := vfs.NewFaulty(mem)
	l := unsyncedLog(t, faulty, nil)
	mustAppend(t, l, makeBatch(idem(7, 0, 0, 2, 1000)))
	mustAppend(t, l, makeBatch(idem(7, 0, 2, 1, 1001)))
	if err := l.CloseUnsynced(); err != nil {
		t.Fatal(err)
	}
	for round, rp := range []int64{3, 5} {
		l = unsyncedLog(t, faulty, &State{RecoveryPoint: rp, Clean: true})
		mustAppend(t, l, makeBatch(plain(2, 1002, 10, 1)))
		if !l.prodPending {
			t.Fatal("a plain append read the producer state")
		}
		prev := segment.FileBudget()
		segment.SetFileBudget(1)
		segment.SetFileBudget(prev)
		opens, lists, creates := faulty.Calls(vfs.OpOpen), faulty.Calls(vfs.OpReadDir), faulty.Calls(vfs.OpCreate)
		if err := l.CloseUnsynced(); err != nil {
			t.Fatal(err)
		}
		if o, d, c := faulty.Calls(vfs.OpOpen)-opens, faulty.Calls(vfs.OpReadDir)-lists, faulty.Calls(vfs.OpCreate)-creates; o != 0 || d != 0 || c != 0 {
			t.Fatalf("round %d: %d opens, %d listings, %d creates; want none", round, o, d, c)
		}
		if d, err := listDir(mem, "/data/t-0"); err != nil || !slices.Equal(d.snapshots, []int64{3}) {
			t.Fatalf("round %d: snapshots %v (%v), want [3]", round, d.snapshots, err)
		}
	}
	l = unsyncedLog(t, faulty, &State{RecoveryPoint: 7, Clean: true})
	defer l.Close()
	states := l.ProducerStates()
	if len(states) != 1 || states[0].ProducerID != 7 || states[0].LastSequence != 2 || states[0].LastOffset != 2 {
		t.Fatalf("producers %+v", states)
	}
	if res := mustAppend(t, l, makeBatch(idem(7, 0, 2, 1, 1001))); !res.Duplicate || res.BaseOffset != 2 {
		t.Fatalf("retry: %+v", res)
	}
}
