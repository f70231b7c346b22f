package topic

import (
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/partition"
)

// tree lists every path under dir, recursively, with each file's size.
func tree(t *testing.T, fs vfs.FS, dir string) []string {
	t.Helper()
	var out []string
	var walk func(d string)
	walk = func(d string) {
		names, err := fs.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			p := filepath.Join(d, n)
			fi, err := fs.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if fi.IsDir() {
				out = append(out, p+"/")
				walk(p)
			} else {
				out = append(out, p+" "+itoa(fi.Size()))
			}
		}
	}
	walk(dir)
	return out
}

func itoa(n int64) string { return formatInt(n) }

func formatInt(n int64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	if neg {
		b = append([]byte{'-'}, b...)
	}
	return string(b)
}

func appendN(t *testing.T, l *partition.Log, n int, waitFlush bool) {
	t.Helper()
	for range n {
		if _, err := l.Append(batch(t, 1_700_000_000_000, []byte("v")), waitFlush); err != nil {
			t.Fatal(err)
		}
	}
}

func readFile(t *testing.T, fs vfs.FS, path string) string {
	t.Helper()
	b, err := vfs.ReadFile(fs, path, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A clean Close writes Kafka's two checkpoint files and the marker in the
// log directory, and no state file of each partition's own.
func TestCheckpointFiles(t *testing.T) {
	fs := vfs.NewMem()
	r := open(t, fs, "/data")
	a := create(t, r, "a", 2, nil)
	b := create(t, r, "b", 1, nil)
	appendN(t, a.Partitions[0], 3, false)
	appendN(t, b.Partitions[0], 1, false)
	if lw, err := a.Partitions[0].DeleteRecords(1); err != nil || lw != 1 {
		t.Fatal(lw, err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, fs, "/data/recovery-point-offset-checkpoint"); got != "0\n3\na 0 3\na 1 0\nb 0 1\n" {
		t.Fatalf("recovery points %q", got)
	}
	if got := readFile(t, fs, "/data/log-start-offset-checkpoint"); got != "0\n3\na 0 1\na 1 0\nb 0 0\n" {
		t.Fatalf("log starts %q", got)
	}
	if got := readFile(t, fs, "/data/.strata_cleanshutdown"); got != "0\n" {
		t.Fatalf("marker %q", got)
	}
	// No idempotent producer wrote: no snapshot (the next Open finds no
	// producer in the batches either).
	if got := listDir(t, fs, "/data/a-0"); !reflect.DeepEqual(got, []string{"00000000000000000000.index",
		"00000000000000000000.log", "00000000000000000000.timeindex"}) {
		t.Fatalf("a-0: %q", got)
	}
	if got := listDir(t, fs, "/data/a-1"); !reflect.DeepEqual(got, []string{"00000000000000000000.index",
		"00000000000000000000.log", "00000000000000000000.timeindex"}) {
		t.Fatalf("a-1: %q", got)
	}
	r = open(t, fs, "/data")
	defer r.Close()
	if exists(fs, "/data/.strata_cleanshutdown") {
		t.Fatal("marker still there after Open")
	}
	l, _ := r.Partition("a", 0)
	if l.LogStartOffset() != 1 || l.LogEndOffset() != 3 {
		t.Fatalf("a-0: log start %d, end %d", l.LogStartOffset(), l.LogEndOffset())
	}
}

func TestDecodeOffsets(t *testing.T) {
	m, err := decodeOffsets([]byte("0\n2\nx.y_z 7 12\nb 0 0\n"))
	if err != nil || !reflect.DeepEqual(m, map[tp]int64{{"x.y_z", 7}: 12, {"b", 0}: 0}) {
		t.Fatal(m, err)
	}
	if got := string(encodeOffsets(m)); got != "0\n2\nb 0 0\nx.y_z 7 12\n" {
		t.Fatalf("%q", got)
	}
	for _, bad := range []string{"", "1\n0\n", "0\n2\na 0 1\n", "0\n1\na 0 1\nb 0 1\n", "0\n1\na x 1\n", "0\n1\na 0 -1\n", "0\n1\na 0\n"} {
		if _, err := decodeOffsets([]byte(bad)); !errors.Is(err, errBadCheckpoint) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// An idle clean Close and a clean Open cost the same few fsyncs whatever
// the number of partitions, and neither reads a partition's state file.
func TestIdleCloseAndCleanOpenCost(t *testing.T) {
	type cost struct{ closeSync, closeDirSync, closeSyncFS, openSync, openDirSync int }
	measure := func(partitions int32) cost {
		faulty := vfs.NewFaulty(vfs.NewMem())
		r := open(t, faulty, "/data")
		for _, name := range []string{"x", "y"} {
			for _, l := range create(t, r, name, partitions, nil).Partitions {
				appendN(t, l, 2, false)
			}
		}
		// A close with data in every partition: one SyncFS of the log
		// directory, and no fsync but the two checkpoint files' and the
		// marker's.
		s, d, f := faulty.Calls(vfs.OpSync), faulty.Calls(vfs.OpSyncDir), faulty.Calls(vfs.OpSyncFS)
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if s, d, f := faulty.Calls(vfs.OpSync)-s, faulty.Calls(vfs.OpSyncDir)-d, faulty.Calls(vfs.OpSyncFS)-f; s != 3 || d != 3 || f != 1 {
			t.Fatalf("%d partitions with data: close: %d fsyncs, %d directory fsyncs, %d SyncFS; want 3, 3, 1", partitions, s, d, f)
		}
		// A clean open and an idle close read no partition's state file:
		// no checkpoint (the listing says there is none) and no producer
		// snapshot (read at first use).
		faulty.Inject(vfs.Fault{Op: vfs.OpAny, Path: "partition.checkpoint"})
		faulty.Inject(vfs.Fault{Op: vfs.OpAny, Path: ".snapshot"})
		s0, d0 := faulty.Calls(vfs.OpSync), faulty.Calls(vfs.OpSyncDir)
		r = open(t, faulty, "/data")
		s1, d1, f1 := faulty.Calls(vfs.OpSync), faulty.Calls(vfs.OpSyncDir), faulty.Calls(vfs.OpSyncFS)
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		s2, d2, f2 := faulty.Calls(vfs.OpSync), faulty.Calls(vfs.OpSyncDir), faulty.Calls(vfs.OpSyncFS)
		faulty.Clear()
		// After a crash (no marker) with nothing past the recovery points,
		// recovery cuts nothing, so the next Close has nothing to fsync
		// either.
		if err := faulty.Remove("/data/.strata_cleanshutdown"); err != nil {
			t.Fatal(err)
		}
		r = open(t, faulty, "/data")
		s3, d3 := faulty.Calls(vfs.OpSync), faulty.Calls(vfs.OpSyncDir)
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if s, d := faulty.Calls(vfs.OpSync)-s3, faulty.Calls(vfs.OpSyncDir)-d3; s != 3 || d != 3 {
			t.Fatalf("%d partitions: close after a recovering open: %d fsyncs, %d directory fsyncs; want 3, 3", partitions, s, d)
		}
		return cost{s2 - s1, d2 - d1, f2 - f1, s1 - s0, d1 - d0}
	}
	small, large := measure(2), measure(20)
	// Close: the log directory's SyncFS, then the two checkpoint files and
	// the marker. Open: the data directory's parent, the two checkpoint
	// files, the marker's removal.
	want := cost{closeSync: 3, closeDirSync: 3, closeSyncFS: 1, openSync: 2, openDirSync: 4}
	if small != want || large != want {
		t.Fatalf("2 partitions: %+v, 20: %+v; want %+v", small, large, want)
	}
}

// flushEvery resolves every topic to flush.messages=1: every acknowledged
// batch is fsynced.
func flushEvery(map[string]string) (partition.Config, error) {
	cfg := partition.DefaultConfig()
	cfg.FlushMessages = 1
	cfg.SegmentBytes = 300 // a few batches per segment
	return cfg, nil
}

// hookFS calls before ahead of every operation that changes what is
// durable.
type hookFS struct {
	*vfs.MemFS
	before func()
	syncFS func() // if set, called ahead of before at each SyncFS
}

type hookFile struct {
	vfs.File
	before func()
}

func (f hookFile) Sync() error { f.before(); return f.File.Sync() }

func (h hookFS) wrap(f vfs.File, err error) (vfs.File, error) {
	if err != nil {
		return nil, err
	}
	return hookFile{f, h.before}, nil
}
func (h hookFS) Create(n string) (vfs.File, error) { return h.wrap(h.MemFS.Create(n)) }
func (h hookFS) OpenRW(n string) (vfs.File, error) { return h.wrap(h.MemFS.OpenRW(n)) }
func (h hookFS) SyncDir(d string) error            { h.before(); return h.MemFS.SyncDir(d) }
func (h hookFS) SyncFS(d string) error {
	if h.syncFS != nil {
		h.syncFS()
	}
	h.before()
	return h.MemFS.SyncFS(d)
}
func (h hookFS) Rename(o, n string) error { h.before(); return h.MemFS.Rename(o, n) }
func (h hookFS) Remove(n string) error    { h.before(); return h.MemFS.Remove(n) }
func (h hookFS) RemoveAll(n string) error { h.before(); return h.MemFS.RemoveAll(n) }

// A machine crash at any point of a clean Close loses no acknowledged
// record (flush.messages=1), and one after it recovers nothing.
func TestCrashDuringClose(t *testing.T) {
	mem := vfs.NewMem()
	var mu sync.Mutex // Close works on several logs at once
	var clones []*vfs.MemFS
	var capture atomic.Bool
	beforeSyncFS := -1 // the clone taken just before Close's SyncFS
	fs := hookFS{mem, func() {
		if capture.Load() {
			mu.Lock()
			clones = append(clones, mem.CrashClone(vfs.CrashOptions{TearUnsynced: true, Garble: true}))
			mu.Unlock()
		}
	}, func() {
		if capture.Load() {
			mu.Lock()
			beforeSyncFS = len(clones)
			mu.Unlock()
		}
	}}
	r, err := Open("/data", Options{FS: fs, Resolve: flushEvery})
	if err != nil {
		t.Fatal(err)
	}
	tp := create(t, r, "a", 3, nil)
	want := []int64{7, 2, 0}
	for p, n := range want {
		appendN(t, tp.Partitions[p], int(n), true)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	// Again, with a-1 idle and a-0 written since the open.
	if r, err = Open("/data", Options{FS: fs, Resolve: flushEvery}); err != nil {
		t.Fatal(err)
	}
	l, _ := r.Partition("a", 0)
	appendN(t, l, 4, true)
	want[0] += 4
	appendN(t, l, 1, false) // not acknowledged as durable: may be lost
	capture.Store(true)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	capture.Store(false)
	clones = append(clones, mem.CrashClone(vfs.CrashOptions{}))
	if len(clones) < 5 {
		t.Fatalf("%d crash points", len(clones))
	}
	// Crash points before and after the SyncFS, neither with the marker:
	// it comes after the checkpoints.
	if beforeSyncFS < 0 || beforeSyncFS+1 >= len(clones) {
		t.Fatalf("SyncFS at crash point %d of %d", beforeSyncFS, len(clones))
	}
	for _, c := range clones[beforeSyncFS : beforeSyncFS+2] {
		if exists(c, "/data/.strata_cleanshutdown") {
			t.Fatal("a marker around the SyncFS")
		}
	}
	for i, c := range clones {
		r, err := Open("/data", Options{FS: c, Resolve: flushEvery})
		if err != nil {
			t.Fatalf("crash point %d: %v", i, err)
		}
		for p, n := range want {
			l, _ := r.Partition("a", int32(p))
			if end := l.LogEndOffset(); end < n || end > n+1 && p == 0 || end != n && p > 0 {
				t.Fatalf("crash point %d: a-%d ends at %d, want %d", i, p, end, n)
			}
			res, err := l.Read(0, 1<<20)
			if err != nil {
				t.Fatalf("crash point %d: a-%d: %v", i, p, err)
			}
			res.Release()
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// After the last point (the marker written) the open is clean: the
	// log end offsets come from the checkpoint, including the batch that
	// Close flushed.
	last := clones[len(clones)-1]
	if !exists(last, "/data/.strata_cleanshutdown") {
		// the loop above closed it cleanly again
		t.Fatal("no marker after a clean close")
	}
	if got := readFile(t, last, "/data/recovery-point-offset-checkpoint"); got != "0\n3\na 0 12\na 1 2\na 2 0\n" {
		t.Fatalf("recovery points %q", got)
	}
}

// A process crash (kill -9: the page cache survives) without Close loses
// nothing: each log recovers from its recovery point in the checkpoint.
func TestKillWithoutClose(t *testing.T) {
	mem := vfs.NewMem()
	r := open(t, mem, "/data")
	tp := create(t, r, "a", 2, nil)
	appendN(t, tp.Partitions[0], 5, false)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r = open(t, mem, "/data")
	l, _ := r.Partition("a", 0)
	appendN(t, l, 3, false)
	l1, _ := r.Partition("a", 1)
	appendN(t, l1, 2, false)
	crashed := mem.Snapshot()
	r.Close()
	r = open(t, crashed, "/data")
	defer r.Close()
	for p, want := range []int64{8, 2} {
		l, _ := r.Partition("a", int32(p))
		if l.LogEndOffset() != want {
			t.Fatalf("a-%d ends at %d, want %d", p, l.LogEndOffset(), want)
		}
	}
}

// DeleteRecords is durable when it returns, as with the per-partition
// checkpoint before: the registry writes its log-start file.
func TestDeleteRecordsSurvivesCrash(t *testing.T) {
	mem := vfs.NewMem()
	r := open(t, mem, "/data")
	l := create(t, r, "a", 1, nil).Partitions[0]
	appendN(t, l, 5, false)
	if _, err := l.DeleteRecords(3); err != nil {
		t.Fatal(err)
	}
	crashed := mem.CrashClone(vfs.CrashOptions{})
	r.Close()
	r = open(t, crashed, "/data")
	defer r.Close()
	if l, _ := r.Partition("a", 0); l.LogStartOffset() != 3 {
		t.Fatalf("log start %d after a crash, want 3", l.LogStartOffset())
	}
}

// Delete drops the topic's entries from the checkpoint files at once, so
// that a topic created again with its name never opens with them.
func TestDeleteRewritesCheckpoints(t *testing.T) {
	mem := vfs.NewMem()
	r := open(t, mem, "/data")
	defer r.Close()
	appendN(t, create(t, r, "x", 1, nil).Partitions[0], 3, true)
	create(t, r, "y", 1, nil)
	if err := r.Delete("x"); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, mem, "/data/recovery-point-offset-checkpoint"); got != "0\n1\ny 0 0\n" {
		t.Fatalf("recovery points after delete %q", got)
	}
}

// A directory written before the log-directory checkpoint files (each
// partition with its own partition.checkpoint and marker) opens with no
// data lost, and the partitions' own files go once the registry's files
// describe them.
func TestMigrationFromPartitionFiles(t *testing.T) {
	mem := vfs.NewMem()
	popts := partition.Options{FS: mem} // not Managed: today's per-partition files
	if err := mem.MkdirAll("/data", 0o755); err != nil {
		t.Fatal(err)
	}
	id := newID(func([16]byte) bool { return false })
	if err := writeMeta(mem, "/data", encodeMeta([]*Topic{{Name: "old", ID: id, Partitions: make([]*partition.Log, 2)}})); err != nil {
		t.Fatal(err)
	}
	var logs []*partition.Log
	for p := range 2 {
		l, err := partition.Open(filepath.Join("/data", DirName("old", int32(p))), partition.DefaultConfig(), popts)
		if err != nil {
			t.Fatal(err)
		}
		appendN(t, l, 4, false)
		if _, err := l.DeleteRecords(int64(p + 1)); err != nil {
			t.Fatal(err)
		}
		logs = append(logs, l)
	}
	if err := logs[0].Close(); err != nil { // clean: checkpoint and marker
		t.Fatal(err)
	}
	appendN(t, logs[1], 1, false)
	crashed := mem.Snapshot() // old-1 killed: checkpoint from DeleteRecords, no marker
	logs[1].Close()
	if !exists(crashed, "/data/old-0/partition.checkpoint") || !exists(crashed, "/data/old-0/.strata_cleanshutdown") ||
		!exists(crashed, "/data/old-1/partition.checkpoint") || exists(crashed, "/data/old-1/.strata_cleanshutdown") {
		t.Fatal("not the old layout")
	}
	check := func(r *Registry) {
		t.Helper()
		for p, want := range [][2]int64{{1, 4}, {2, 5}} {
			l, err := r.Partition("old", int32(p))
			if err != nil || l.LogStartOffset() != want[0] || l.LogEndOffset() != want[1] {
				t.Fatalf("old-%d: %v, log start %d, end %d; want %v", p, err, l.LogStartOffset(), l.LogEndOffset(), want)
			}
		}
	}
	r := open(t, crashed, "/data")
	check(r)
	if got := readFile(t, crashed, "/data/log-start-offset-checkpoint"); got != "0\n2\nold 0 1\nold 1 2\n" {
		t.Fatalf("log starts %q", got)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r = open(t, crashed, "/data")
	defer r.Close()
	check(r)
	for p := range 2 {
		for _, name := range listDir(t, crashed, filepath.Join("/data", DirName("old", int32(p)))) {
			if name == "partition.checkpoint" || name == ".strata_cleanshutdown" {
				t.Fatalf("old-%d still has %s", p, name)
			}
		}
	}
}

// A refused Create or AddPartitions (a storage fault at the third of five
// new partitions, or topics.json not written) leaves the log directory
// exactly as it was, and no topic or partition in the registry.
func TestFailedCreateLeavesNothing(t *testing.T) {
	faults := []vfs.Fault{
		{Op: vfs.OpCreate, Path: "-2/"},           // a segment file of the third new partition
		{Op: vfs.OpMkdir, Path: "-2"},             // its directory
		{Op: vfs.OpSyncDir, Path: "-2", Count: 1}, // its first directory sync
		{Op: vfs.OpRename, Path: "topics.json"},   // the commit
		{Op: vfs.OpSync, Path: "topics.json.tmp"}, // the commit's fsync
	}
	for i, f := range faults {
		faulty := vfs.NewFaulty(vfs.NewMem())
		r := open(t, faulty, "/data")
		keep := create(t, r, "keep", 2, nil)
		appendN(t, keep.Partitions[0], 3, false)
		before := tree(t, faulty, "/data")

		faulty.Inject(f)
		_, err := r.Create("orders", 5, nil, false)
		if !errors.Is(err, partition.ErrStorage) {
			t.Fatalf("fault %d: Create: %v", i, err)
		}
		if _, ok := r.Get("orders"); ok {
			t.Fatalf("fault %d: the refused topic is in the registry", i)
		}
		fAdd := f
		fAdd.Path = strings.Replace(f.Path, "-2", "-4", 1) // the third of partitions 2..6
		faulty.Clear()
		faulty.Inject(fAdd)
		if err := r.AddPartitions("keep", 7, false); !errors.Is(err, partition.ErrStorage) {
			t.Fatalf("fault %d: AddPartitions: %v", i, err)
		}
		faulty.Clear()
		if got := tree(t, faulty, "/data"); !slices.Equal(got, before) {
			t.Fatalf("fault %d: the log directory changed:\n%q\nwant\n%q", i, got, before)
		}
		if k, _ := r.Get("keep"); k.NumPartitions() != 2 {
			t.Fatalf("fault %d: keep has %d partitions", i, k.NumPartitions())
		}
		// Nothing was half-done: the same requests now succeed.
		if _, err := r.Create("orders", 5, nil, false); err != nil {
			t.Fatal(err)
		}
		if err := r.AddPartitions("keep", 7, false); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// The checkpoint files follow the logs at their intervals (Kafka's
// log.flush.offset.checkpoint.interval.ms and
// log.flush.start.offset.checkpoint.interval.ms, one minute by default).
func TestPeriodicCheckpoints(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := vfs.NewMem()
		r, err := Open("/data", Options{FS: mem, Resolve: smallSegments, LogStartCheckpointInterval: 2 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		l := create(t, r, "t", 1, nil).Partitions[0]
		for range 3 { // 200-byte segments: each batch rolls, the flusher seals
			if _, err := l.Append(batch(t, time.Now().UnixMilli(), make([]byte, 80)), false); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Flush(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(59 * time.Second)
		synctest.Wait()
		if got := readFile(t, mem, "/data/recovery-point-offset-checkpoint"); got != "0\n0\n" {
			t.Fatalf("recovery points before the first interval %q", got)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if got := readFile(t, mem, "/data/recovery-point-offset-checkpoint"); got != "0\n1\nt 0 3\n" {
			t.Fatalf("recovery points after one minute %q", got)
		}
		if n, err := l.ApplyRetention(); err != nil || n != 3 { // all expired: the active one rolls first
			t.Fatalf("retention: %d, %v", n, err)
		}
		if got := readFile(t, mem, "/data/log-start-offset-checkpoint"); got != "0\n0\n" {
			t.Fatalf("log starts before their interval %q", got)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if got := readFile(t, mem, "/data/log-start-offset-checkpoint"); got != "0\n1\nt 0 3\n" {
			t.Fatalf("log starts after two minutes %q", got)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	})
}
