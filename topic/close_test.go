package topic

import (
	"bytes"
	"errors"
	"slices"
	"sync"
	"syscall"
	"testing"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/partition"
)

// A clean Close makes records durable that were never flushed (the
// default flush policy): its SyncFS covers them, so a machine crash right
// after it keeps every record, with the marker, and the open is clean.
func TestCleanCloseWithoutFlush(t *testing.T) {
	mem := vfs.NewMem()
	faulty := vfs.NewFaulty(mem)
	r, err := Open("/data", Options{FS: faulty, Resolve: smallSegments})
	if err != nil {
		t.Fatal(err)
	}
	tp := create(t, r, "a", 3, nil)
	var want [][]byte
	for p, n := range []int{7, 1, 0} { // a-0 rolls its 200-byte segments
		for i := range n {
			if _, err := tp.Partitions[p].Append(batch(t, 1_700_000_000_000+int64(i), make([]byte, 80)), false); err != nil {
				t.Fatal(err)
			}
		}
		want = append(want, readLog(t, tp.Partitions[p]))
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	c := mem.CrashClone(vfs.CrashOptions{TearUnsynced: true, Garble: true})
	if !exists(c, "/data/.strata_cleanshutdown") {
		t.Fatal("no marker after the crash")
	}
	if got := readFile(t, c, "/data/recovery-point-offset-checkpoint"); got != "0\n3\na 0 7\na 1 1\na 2 0\n" {
		t.Fatalf("recovery points %q", got)
	}
	r, err = Open("/data", Options{FS: c, Resolve: smallSegments})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for p, w := range want {
		l, _ := r.Partition("a", int32(p))
		if got := readLog(t, l); !bytes.Equal(got, w) {
			t.Fatalf("a-%d: %d bytes after the crash, want %d", p, len(got), len(w))
		}
	}
}

// A failed SyncFS fails Close (ErrStorage) and leaves no marker and the
// recovery points as they were; the next open recovers and serves every
// record.
func TestCloseSyncFSFault(t *testing.T) {
	faulty := vfs.NewFaulty(vfs.NewMem())
	r, err := Open("/data", Options{FS: faulty, Resolve: smallSegments})
	if err != nil {
		t.Fatal(err)
	}
	tp := create(t, r, "a", 2, nil)
	var want [][]byte
	for p, n := range []int{5, 2} {
		for i := range n {
			if _, err := tp.Partitions[p].Append(batch(t, 1_700_000_000_000+int64(i), make([]byte, 80)), false); err != nil {
				t.Fatal(err)
			}
		}
		want = append(want, readLog(t, tp.Partitions[p]))
	}
	rp := readFile(t, faulty, "/data/recovery-point-offset-checkpoint")
	ls := readFile(t, faulty, "/data/log-start-offset-checkpoint")
	faulty.Inject(vfs.Fault{Op: vfs.OpSyncFS, Count: 1})
	if err := r.Close(); !errors.Is(err, partition.ErrStorage) || !errors.Is(err, syscall.EIO) {
		t.Fatalf("Close: %v", err)
	}
	if exists(faulty, "/data/.strata_cleanshutdown") {
		t.Fatal("a marker after a failed SyncFS")
	}
	if got := readFile(t, faulty, "/data/recovery-point-offset-checkpoint"); got != rp {
		t.Fatalf("recovery points %q, were %q", got, rp)
	}
	if got := readFile(t, faulty, "/data/log-start-offset-checkpoint"); got != ls {
		t.Fatalf("log starts %q, were %q", got, ls)
	}
	r, err = Open("/data", Options{FS: faulty, Resolve: smallSegments})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for p, w := range want {
		l, _ := r.Partition("a", int32(p))
		if got := readLog(t, l); !bytes.Equal(got, w) {
			t.Fatalf("a-%d: %d bytes after the failed close, want %d", p, len(got), len(w))
		}
	}
}

// Each log directory gets one SyncFS at a clean Close.
func TestCloseSyncFSPerLogDir(t *testing.T) {
	rec := &syncFSRecorder{FS: vfs.NewMem()}
	r, err := Open("/d1", Options{FS: rec, Resolve: testResolve, ExtraDirs: []string{"/d2", "/d3"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range create(t, r, "a", 6, nil).Partitions {
		appendN(t, l, 1, false)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(rec.dirs)
	if !slices.Equal(rec.dirs, []string{"/d1", "/d2", "/d3"}) {
		t.Fatalf("SyncFS of %q", rec.dirs)
	}
}

type syncFSRecorder struct {
	vfs.FS
	mu   sync.Mutex
	dirs []string
}

func (s *syncFSRecorder) SyncFS(d string) error {
	s.mu.Lock()
	s.dirs = append(s.dirs, d)
	s.mu.Unlock()
	return s.FS.SyncFS(d)
}

// readLog returns the bytes of every batch of l.
func readLog(t *testing.T, l *partition.Log) []byte {
	t.Helper()
	var out []byte
	for off := l.LogStartOffset(); off < l.HighWatermark(); {
		res, err := l.Read(off, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		for _, sl := range res.Slices {
			buf := make([]byte, sl.Len)
			if n, err := sl.File.ReadAt(buf, sl.Pos); n != len(buf) {
				t.Fatalf("ReadAt: %d of %d: %v", n, len(buf), err)
			}
			out = append(out, buf...)
			off = sl.LastOffset + 1
		}
		res.Release()
	}
	return out
}
