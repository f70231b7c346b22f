package partition

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stratabroker/strata/internal/vfs"
)

// buildLog writes a log of n batches of the given spec in dir over the OS
// filesystem, closes it cleanly and returns its size in bytes.
func buildLog(b *testing.B, dir string, cfg Config, n int, s spec) int64 {
	b.Helper()
	l, err := Open(dir, cfg, Options{})
	if err != nil {
		b.Fatal(err)
	}
	batch := makeBatch(s)
	for range n {
		if _, err := l.Append(batch, false); err != nil {
			b.Fatal(err)
		}
	}
	size := l.Size()
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	return size
}

// BenchmarkOpenClean1000Segments opens, after a clean shutdown, a partition
// of 1,000 segments (one batch each) and reports ms per Open. Close is not
// timed. Target: < 50 ms.
func BenchmarkOpenClean1000Segments(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "t-0")
	s := plain(1, 1000, 100, 1)
	cfg := DefaultConfig()
	cfg.SegmentBytes = int64(len(makeBatch(s))) // one batch per segment
	buildLog(b, dir, cfg, 1000, s)
	if names, _ := vfs.OS.ReadDir(dir); countSuffix(names, ".log") != 1000 {
		b.Fatalf("%d segments", countSuffix(names, ".log"))
	}
	fl := NewFlusher(vfs.OS)
	defer fl.Close()
	b.ReportAllocs()
	b.ResetTimer()
	var total time.Duration
	for b.Loop() {
		start := time.Now()
		l, err := Open(dir, cfg, Options{Flusher: fl})
		total += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if l.LogEndOffset() != 1000 {
			b.Fatalf("log end %d", l.LogEndOffset())
		}
		if err := l.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/open")
}

func countSuffix(names []string, suf string) int {
	n := 0
	for _, name := range names {
		if strings.HasSuffix(name, suf) {
			n++
		}
	}
	return n
}

// BenchmarkRecover opens a 256 MiB log (16 KiB batches of 100-byte records,
// 64 MiB segments) without the clean-shutdown marker, with the recovery
// point at 0 and no producer snapshot, so that every segment is recovered
// (every batch's CRC checked, indexes rebuilt) and producer state is
// rebuilt from every batch header; it reports the log bytes recovered per
// second (page cache warm). Target: >= 1 GB/s.
func BenchmarkRecover(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "t-0")
	cfg := DefaultConfig()
	cfg.SegmentBytes = 64 << 20
	s := batch16K()
	size := buildLog(b, dir, cfg, (256<<20)/len(makeBatch(s)), s)
	fl := NewFlusher(vfs.OS)
	defer fl.Close()
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		if err := os.Remove(filepath.Join(dir, markerName)); err != nil {
			b.Fatal(err)
		}
		snaps, _ := filepath.Glob(filepath.Join(dir, "*"+snapshotSuffix))
		for _, p := range snaps { // the worst case: producer state from every header
			if err := os.Remove(p); err != nil {
				b.Fatal(err)
			}
		}
		if err := writeFileAtomic(vfs.OS, dir, checkpointName, checkpoint{}.encode()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		l, err := Open(dir, cfg, Options{Flusher: fl})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if l.Size() != size {
			b.Fatalf("recovered %d bytes of %d", l.Size(), size)
		}
		if err := l.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// batch16K is a 16 KiB-ish batch of 100-byte records.
func batch16K() spec {
	s := plain(150, 1_700_000_000_000, 100, 'x')
	for i := range s.ts {
		s.ts[i] += int64(i)
	}
	return s
}

// BenchmarkAppend appends 16 KiB batches of 100-byte records with the
// default flush policy (page cache; fsync on roll) to 128 MiB segments,
// deleting old segments by retention.bytes as it goes.
func BenchmarkAppend(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "t-0")
	cfg := DefaultConfig()
	cfg.SegmentBytes = 128 << 20
	cfg.RetentionBytes = 256 << 20
	l, err := Open(dir, cfg, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	batch := makeBatch(batch16K())
	b.SetBytes(int64(len(batch)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if _, err := l.Append(batch, false); err != nil {
			b.Fatal(err)
		}
		if n++; n%4096 == 0 {
			if _, err := l.ApplyRetention(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkIdlePartitions1000 opens 1,000 partitions (each cleanly closed
// with one segment holding one batch) with one shared flusher and reports
// the Go heap and the process RSS they hold while idle.
func BenchmarkIdlePartitions1000(b *testing.B) {
	root := b.TempDir()
	cfg := DefaultConfig()
	s := plain(10, 1000, 100, 1)
	for i := range 1000 {
		buildLog(b, filepath.Join(root, "t-"+strconv.Itoa(i)), cfg, 1, s)
	}
	for b.Loop() {
		fl := NewFlusher(vfs.OS)
		debug.FreeOSMemory() // so that the RSS difference is what the logs hold
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		rssBefore := vmRSS(b)
		logs := make([]*Log, 1000)
		for i := range logs {
			l, err := Open(filepath.Join(root, "t-"+strconv.Itoa(i)), cfg, Options{Flusher: fl})
			if err != nil {
				b.Fatal(err)
			}
			logs[i] = l
		}
		debug.FreeOSMemory()
		runtime.ReadMemStats(&after)
		rssAfter := vmRSS(b)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/1000, "heap-B/partition")
		b.ReportMetric(float64(rssAfter-rssBefore)/1000, "rss-B/partition")
		b.ReportMetric(float64(rssAfter)/(1<<20), "rss-MiB-total")
		for _, l := range logs {
			if err := l.Close(); err != nil {
				b.Fatal(err)
			}
		}
		fl.Close()
	}
}

// vmRSS reads VmRSS from /proc/self/status, in bytes (0 if unavailable).
func vmRSS(b *testing.B) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int64
			if _, err := fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kb); err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	return 0
}

// BenchmarkAppendSignal appends small batches (one 100-byte record) with no
// long-poll waiter, and with a Wait before every append (the channel swap
// and close a waiting fetch costs the appender).
func BenchmarkAppendSignal(b *testing.B) {
	for _, waiter := range []bool{false, true} {
		name := "no-waiter"
		if waiter {
			name = "waiter"
		}
		b.Run(name, func(b *testing.B) {
			l, err := Open(filepath.Join(b.TempDir(), "t-0"), DefaultConfig(), Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			batch := makeBatch(plain(1, 1_700_000_000_000, 100, 'x'))
			b.ReportAllocs()
			for b.Loop() {
				if waiter {
					l.Wait()
				}
				if _, err := l.Append(batch, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWait is a long poll's registration: with no append in between,
// from one goroutine and from GOMAXPROCS at once (one partition, many
// fetches waiting on it), and while another goroutine appends without a
// pause (a Wait that took the append lock queued behind each write).
func BenchmarkWait(b *testing.B) {
	l, err := Open(filepath.Join(b.TempDir(), "t-0"), DefaultConfig(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			l.Wait()
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				l.Wait()
			}
		})
	})
	b.Run("during-appends", func(b *testing.B) {
		stop := make(chan struct{})
		done := make(chan struct{})
		batch := makeBatch(plain(1, 1_700_000_000_000, 100, 'x'))
		go func() {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := l.Append(batch, false); err != nil {
					b.Error(err)
					return
				}
			}
		}()
		b.ReportAllocs()
		for b.Loop() {
			l.Wait()
		}
		close(stop)
		<-done
	})
}

// BenchmarkCheckTimestamps is the per-record timestamp check an append of
// a 16 KiB batch (150 records) pays on a CreateTime topic with Kafka 4's
// limits, uncompressed and zstd-compressed (decompressed for the check).
func BenchmarkCheckTimestamps(b *testing.B) {
	cfg := DefaultConfig()
	raw := makeBatch(batch16K())
	for _, tc := range []struct {
		name  string
		batch []byte
	}{{"none", raw}, {"zstd", compress(b, raw)}} {
		b.Run(tc.name, func(b *testing.B) {
			now := int64(1_700_000_000_000)
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if err := checkTimestamps(tc.batch, &cfg, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
