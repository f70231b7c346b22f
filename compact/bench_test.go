package compact

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/segment"
)

// benchLog writes n records of 1 KiB values in batches of 16 over n/10
// keys, each key written ten times round-robin (10 % of the records are
// live, all in the last tenth), into 16 MiB segments, then rolls so that
// everything is cleanable. It returns the log and its inactive bytes.
func benchLog(b *testing.B, dir string, n int) (*partition.Log, int64) {
	b.Helper()
	cfg := partition.DefaultConfig()
	cfg.SegmentBytes = 16 << 20
	cfg.CleanupDelete = false
	cfg.RetentionMs = -1
	l, err := partition.Open(dir, cfg, partition.Options{})
	if err != nil {
		b.Fatal(err)
	}
	keys := n / 10
	value := make([]byte, 1024)
	for i := range value {
		value[i] = byte(i * 7)
	}
	bl := recordbatch.NewBuilder()
	now := time.Now().UnixMilli()
	var batch []byte
	for i := 0; i < n; i += 16 {
		bl.Reset()
		for j := i; j < min(i+16, n); j++ {
			bl.Add(&recordbatch.Record{Timestamp: now, Key: fmt.Appendf(nil, "key-%08d", j%keys), Value: value})
		}
		if batch, err = bl.AppendTo(batch[:0]); err != nil {
			b.Fatal(err)
		}
		if _, err := l.Append(batch, false); err != nil {
			b.Fatal(err)
		}
	}
	c := l.Config()
	c.SegmentMs = 1
	l.SetConfig(c)
	bl.Reset()
	bl.Add(&recordbatch.Record{Timestamp: now + 10, Key: []byte("tail"), Value: value})
	batch, _ = bl.AppendTo(batch[:0])
	if _, err := l.Append(batch, false); err != nil {
		b.Fatal(err)
	}
	if err := l.Flush(); err != nil {
		b.Fatal(err)
	}
	var size int64
	for _, s := range l.CleanerView().Segments {
		size += s.Size()
	}
	return l, size
}

// ioFloor reads every inactive segment file of dir with reads of bufSize
// and writes outBytes into a new file with writes of bufSize, then fsyncs
// it: the least I/O a pass does.
func ioFloor(b *testing.B, dir string, bufSize int, outBytes int64) time.Duration {
	b.Helper()
	buf := make([]byte, bufSize)
	start := time.Now()
	names, _ := os.ReadDir(dir)
	for _, e := range names {
		if filepath.Ext(e.Name()) != segment.LogSuffix {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		for off := int64(0); ; off += int64(bufSize) {
			n, _ := f.ReadAt(buf, off)
			if n < bufSize {
				break
			}
		}
		f.Close()
	}
	out, err := os.Create(filepath.Join(dir, "floor.out"))
	if err != nil {
		b.Fatal(err)
	}
	for w := int64(0); w < outBytes; w += int64(bufSize) {
		if _, err := out.Write(buf[:min(int64(bufSize), outBytes-w)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := out.Sync(); err != nil {
		b.Fatal(err)
	}
	out.Close()
	d := time.Since(start)
	os.Remove(filepath.Join(dir, "floor.out"))
	return d
}

// heapPeak samples the live heap every millisecond until stop.
func heapPeak(stop <-chan struct{}, peak *atomic.Uint64, wg *sync.WaitGroup) {
	defer wg.Done()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for {
		metrics.Read(s)
		if v := s[0].Value.Uint64(); v > peak.Load() {
			peak.Store(v)
		}
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// BenchmarkClean is one pass over a 64 MiB dirty log of 1 KiB records
// with 10 % live keys, on the OS filesystem (a fresh log each iteration,
// built with the timer stopped). It reports the pass's throughput over
// the dirty bytes (MB/s) and two floors of this machine, measured on the
// same files in the cleaner's buffer size: the copy floor (read the
// segment files, write as many bytes to a new file and fsync it: a
// read+write of the dirty log) and the minimum floor (read them, write
// and fsync only the bytes the pass wrote), each with the pass's ratio to
// it (x-copy-floor, x-min-floor: the median of the iterations' ratios,
// each floor measured right after its pass, since other work on the
// machine moves every figure; a pass reads the dirty log twice, to map
// it and to copy it, so x-min-floor stays below 0.5); and the peak live
// heap during a pass above the heap before it (the offset map, 32 MiB,
// is allocated before and counted apart).
//
//	go test -run '^$' -bench Clean -benchtime 5x ./compact/
func BenchmarkClean(b *testing.B) {
	const n = 64 << 10 // records: 64 MiB of values
	const dedupe = 32 << 20
	const ioBuf = 256 << 10
	c := NewCleaner(dedupe, ioBuf, nil)
	var cleanTime, floorTime, copyTime time.Duration
	var xCopy, xMin []float64 // per iteration: the floors are measured next to each pass
	var dirty, written int64
	var last time.Duration
	var peakAbove uint64
	for i := range b.N {
		b.StopTimer()
		dir := filepath.Join(b.TempDir(), fmt.Sprintf("t-%d", i))
		l, size := benchLog(b, dir, n)
		dirty += size
		runtime.GC()
		var base [1]metrics.Sample
		base[0].Name = "/memory/classes/heap/objects:bytes"
		metrics.Read(base[:])
		var peak atomic.Uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go heapPeak(stop, &peak, &wg)
		b.StartTimer()
		start := time.Now()
		st, err := c.Clean(l, 0, Config{SegmentBytes: 1 << 30, MaxIndexBytes: 10 << 20, DeleteRetentionMs: 86_400_000}, time.Now())
		cleanTime += time.Since(start)
		b.StopTimer()
		close(stop)
		wg.Wait()
		if err != nil {
			b.Fatal(err)
		}
		if st.RecordsKept != n/10+1 && st.RecordsKept != n/10 {
			b.Fatalf("kept %d records of %d", st.RecordsKept, st.RecordsRead)
		}
		written += st.BytesWritten
		peakAbove = max(peakAbove, peak.Load()-min(peak.Load(), base[0].Value.Uint64()))
		l.Close()
		took := cleanTimes(cleanTime, &last)
		fl, cp := ioFloor(b, dir, ioBuf, st.BytesWritten), ioFloor(b, dir, ioBuf, size)
		floorTime += fl
		copyTime += cp
		xCopy = append(xCopy, cp.Seconds()/took.Seconds())
		xMin = append(xMin, fl.Seconds()/took.Seconds())
		os.RemoveAll(dir)
		b.StartTimer()
	}
	b.StopTimer()
	mbps := float64(dirty) / cleanTime.Seconds() / 1e6
	floorMbps := float64(dirty) / floorTime.Seconds() / 1e6
	copyMbps := float64(dirty) / copyTime.Seconds() / 1e6
	b.ReportMetric(mbps, "MB/s")
	b.ReportMetric(copyMbps, "copy-floor-MB/s")
	b.ReportMetric(median(xCopy), "x-copy-floor")
	b.ReportMetric(floorMbps, "min-floor-MB/s")
	b.ReportMetric(median(xMin), "x-min-floor")
	b.ReportMetric(float64(peakAbove)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(written)/float64(dirty), "out/in")
}

// cleanTimes returns the time added to total since *last, and moves *last.
func cleanTimes(total time.Duration, last *time.Duration) time.Duration {
	d := total - *last
	*last = total
	return d
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
