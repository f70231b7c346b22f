package topic

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stratabroker/strata/internal/vfs"
)

// BenchmarkCloseOpen measures the registry's lifecycle at scale on the OS
// filesystem: N partitions (STRATA_BENCH_PARTITIONS, default 5,000) with
// one small batch each, closed and opened once, then
//
//	close-ms       a clean Close after one more unflushed batch in every
//	               partition (so that the close has work)
//	open-ms        Open after that clean Close
//	idle-close-ms  a clean Close of that idle registry
//	crash-open-ms  Open after a crash that followed a clean Close (every
//	               clean-shutdown marker removed: each partition recovers
//	               from its recovery point)
//
// Run it once: go test -run XXX -bench CloseOpen -benchtime 1x ./topic/
//
// Development machine (2 vCPU shared, ext4), 5,000 partitions, the code
// before and after the log-directory checkpoints, run back to back:
// close-ms (then an idle close) 25132 -> 15, open-ms 1664 -> 145,
// crash-open-ms 503 -> 444. 50,000 partitions did not fit the machine's
// open-file limit (20,000; an open segment holds its .log open).
//
// Before and after the clean close with one SyncFS per log directory
// (CloseUnsynced, no seal of a segment the file budget evicted), same
// machine, other work running: close-ms 5392 -> 624..853 (five runs);
// the close's syscalls (strace -f, between two markers): fsync 20,006 ->
// 6 and one syncfs, openat 30,917 -> 10,007, msync 5,000 -> 0, mmap
// 7,275 -> 3, munmap 10,004 -> 2,730, close 35,012 -> 14,102, renameat
// 5,003 -> 5,003 (one producer snapshot per partition). crash-open-ms
// went 453 -> 7,264..11,067: a segment no longer reopened at Close keeps
// an empty time index, and recovery's final time-index entry then grows
// the index file and faults its first page in (index.(*Time).maybeAppend
// was 10.4 s of an 11 s crash open in a CPU profile); before, Close paid
// that for every evicted segment.
//
// Then, same machine: an evicted segment keeps its largest timestamp in its
// time index (crash-open-ms 9096 -> 392: rebuilding an empty time index
// after the crash faulted in a new block per segment), and a Close writes
// no producer snapshot for a log whose state was never read since Open
// (close-ms 1457 -> 147..178).
func BenchmarkCloseOpen(b *testing.B) {
	n := 5000
	if s := os.Getenv("STRATA_BENCH_PARTITIONS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			b.Fatalf("STRATA_BENCH_PARTITIONS=%q", s)
		}
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := filepath.Join(b.TempDir(), "data")
		r, err := Open(dir, Options{FS: vfs.OS})
		if err != nil {
			b.Fatal(err)
		}
		rec := benchBatch(b)
		for made := 0; made < n; {
			per := min(1000, n-made)
			tp, err := r.Create("t"+strconv.Itoa(made), int32(per), nil, false)
			if err != nil {
				b.Fatal(err)
			}
			for _, l := range tp.Partitions {
				if _, err := l.Append(append([]byte(nil), rec...), false); err != nil {
					b.Fatal(err)
				}
			}
			made += per
		}
		if err := r.Close(); err != nil { // the first close flushes every partition
			b.Fatal(err)
		}
		if r, err = Open(dir, Options{FS: vfs.OS}); err != nil {
			b.Fatal(err)
		}
		for _, t := range r.List() { // one unflushed record each: the close has work
			for _, l := range t.Partitions {
				if _, err := l.Append(append([]byte(nil), rec...), false); err != nil {
					b.Fatal(err)
				}
			}
		}
		start := time.Now()
		if err := r.Close(); err != nil {
			b.Fatal(err)
		}
		closeTime := time.Since(start)
		start = time.Now()
		if r, err = Open(dir, Options{FS: vfs.OS}); err != nil {
			b.Fatal(err)
		}
		openTime := time.Since(start)
		start = time.Now()
		if err := r.Close(); err != nil {
			b.Fatal(err)
		}
		idleCloseTime := time.Since(start)
		removed := 0
		err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && d.Name() == ".strata_cleanshutdown" {
				removed++
				err = os.Remove(path)
			}
			return err
		})
		if err != nil || removed == 0 {
			b.Fatalf("removing the markers: %d, %v", removed, err)
		}
		start = time.Now()
		if r, err = Open(dir, Options{FS: vfs.OS}); err != nil {
			b.Fatal(err)
		}
		crashTime := time.Since(start)
		if err := r.Close(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(closeTime.Milliseconds()), "close-ms")
		b.ReportMetric(float64(idleCloseTime.Milliseconds()), "idle-close-ms")
		b.ReportMetric(float64(openTime.Milliseconds()), "open-ms")
		b.ReportMetric(float64(crashTime.Milliseconds()), "crash-open-ms")
		b.ReportMetric(float64(n), "partitions")
	}
}

func benchBatch(b *testing.B) []byte { return batch(b, 1_700_000_000_000, []byte("v")) }
