package segment

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/stratabroker/strata/internal/mmap"
	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/recordbatch"
)

// benchCycle is how much each append benchmark writes to one file before
// starting over with a fresh one: large enough to amortise the roll, small
// enough that dirty pages are dropped (truncated) before writeback throttles.
const benchCycle = 64 << 20

// cpuMeter reports the process's CPU time (user+system, all threads) per
// op as cpu-ns/op: on a shared machine wall time measures the neighbours too.
type cpuMeter struct{ start syscall.Rusage }

func startCPU() *cpuMeter {
	m := new(cpuMeter)
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &m.start)
	return m
}

func (m *cpuMeter) report(b *testing.B) {
	var end syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &end)
	ns := func(r syscall.Rusage) int64 { return r.Utime.Nano() + r.Stime.Nano() }
	b.ReportMetric(float64(ns(end)-ns(m.start))/float64(b.N), "cpu-ns/op")
}

// batchOf returns a batch of about size bytes holding one record.
func batchOf(b testing.TB, size int) []byte {
	return mkBatch(b, 0, size-recordbatch.HeaderSize-12, 1)
}

func benchAppend(b *testing.B, size int, opts Options) {
	dir := b.TempDir()
	c := fsCase{"os", vfs.OS, dir}
	batch := batchOf(b, size)
	h := recordbatch.Header(batch)
	b.SetBytes(int64(len(batch)))
	b.ReportAllocs()
	s := mustCreate(b, c, 0, opts)
	off := int64(0)
	cpu := startCPU()
	for b.Loop() {
		if s.Size()+int64(len(batch)) > benchCycle {
			if err := s.Delete(); err != nil {
				b.Fatal(err)
			}
			s = mustCreate(b, c, off, opts)
		}
		h.SetBaseOffset(off) // outside the CRC
		if err := s.Append(batch); err != nil {
			b.Fatal(err)
		}
		off++
	}
	b.StopTimer()
	cpu.report(b)
	if err := s.Delete(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkAppend16K appends 16 KiB batches to a segment on disk (the page
// cache: no fsync) with the default options: pwrite, the .log
// preallocated ahead.
func BenchmarkAppend16K(b *testing.B) { benchAppend(b, 16<<10, Options{}) }

// BenchmarkAppend16KNoPrealloc is BenchmarkAppend16K with every append
// extending the file.
func BenchmarkAppend16KNoPrealloc(b *testing.B) {
	benchAppend(b, 16<<10, Options{PreallocateBytes: -1})
}

// BenchmarkRawWrite16K is the baseline for BenchmarkAppend16K: a plain
// write(2) loop of 16 KiB to a file in the same directory, started over
// with a fresh file at the same size.
func BenchmarkRawWrite16K(b *testing.B) {
	dir := b.TempDir()
	buf := batchOf(b, 16<<10)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	open := func(i int) *os.File {
		f, err := os.Create(filepath.Join(dir, "raw"+string(rune('a'+i%26))))
		if err != nil {
			b.Fatal(err)
		}
		return f
	}
	n, written := 0, 0
	f := open(n)
	cpu := startCPU()
	for b.Loop() {
		if written+len(buf) > benchCycle {
			_ = f.Close()
			_ = os.Remove(f.Name())
			n++
			f, written = open(n), 0
		}
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
		written += len(buf)
	}
	b.StopTimer()
	cpu.report(b)
	_ = f.Close()
}

// BenchmarkAppendMmap16K is the alternative append path: memcpy of 16 KiB
// into a writable mapping of a region whose blocks were reserved with
// fallocate and whose length was set with ftruncate (the file is mapped once
// per benchCycle, the best case for a mapping).
func BenchmarkAppendMmap16K(b *testing.B) {
	if !mmap.Supported {
		b.Skip("no mmap on this platform")
	}
	dir := b.TempDir()
	buf := batchOf(b, 16<<10)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	var f vfs.File
	var m *mmap.Mapping
	n := 0
	setup := func() {
		if m != nil {
			_ = m.Unmap()
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
		var err error
		f, err = vfs.OS.Create(filepath.Join(dir, "mmap"+string(rune('a'+n%26))))
		if err != nil {
			b.Fatal(err)
		}
		n++
		if err := f.Allocate(0, benchCycle); err != nil {
			b.Fatal(err)
		}
		if err := f.Truncate(benchCycle); err != nil {
			b.Fatal(err)
		}
		if m, err = mmap.Map(f.(vfs.FdFile).Fd(), benchCycle, true); err != nil {
			b.Fatal(err)
		}
	}
	setup()
	pos := 0
	cpu := startCPU()
	for b.Loop() {
		if pos+len(buf) > benchCycle {
			setup()
			pos = 0
		}
		copy(m.Bytes()[pos:], buf)
		pos += len(buf)
	}
	b.StopTimer()
	cpu.report(b)
	_ = m.Unmap()
	_ = f.Close()
}

// BenchmarkAppendMmapGrow16K is the form of BenchmarkAppendMmap16K a
// segment could use without reserving its whole size on disk up front: one
// writable mapping of 1 GiB (address space), the file kept lead/2 to lead
// bytes ahead of the copies by fallocate and ftruncate, as extend does for
// pwrite.
func BenchmarkAppendMmapGrow16K(b *testing.B) {
	if !mmap.Supported {
		b.Skip("no mmap on this platform")
	}
	for _, lead := range []int64{4 << 20, 16 << 20, 32 << 20} {
		b.Run("lead="+strconv.FormatInt(lead>>20, 10)+"MiB", func(b *testing.B) {
			dir := b.TempDir()
			buf := batchOf(b, 16<<10)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			var f vfs.File
			var m *mmap.Mapping
			var size int64
			n := 0
			setup := func() {
				if m != nil {
					_ = m.Unmap()
					_ = f.Close()
					_ = os.Remove(f.Name())
				}
				var err error
				f, err = vfs.OS.Create(filepath.Join(dir, "grow"+strconv.Itoa(n)))
				if err != nil {
					b.Fatal(err)
				}
				n++
				if m, err = mmap.Map(f.(vfs.FdFile).Fd(), 1<<30, true); err != nil {
					b.Fatal(err)
				}
				size = 0
			}
			setup()
			pos := int64(0)
			cpu := startCPU()
			for b.Loop() {
				end := pos + int64(len(buf))
				if end > benchCycle {
					setup()
					pos, end = 0, int64(len(buf))
				}
				if size < end+lead/2 {
					target := roundUp(end+lead, mapGrain)
					if err := f.Allocate(size, target-size); err != nil {
						b.Fatal(err)
					}
					if err := f.Truncate(target); err != nil {
						b.Fatal(err)
					}
					size = target
				}
				copy(m.Bytes()[pos:end], buf)
				pos = end
			}
			b.StopTimer()
			cpu.report(b)
			_ = m.Unmap()
			_ = f.Close()
		})
	}
}

// walkFixture is a closed segment of 64 MiB of 1 KiB batches.
func walkFixture(b *testing.B) (fsCase, []int64) {
	c := fsCase{"os", vfs.OS, b.TempDir()}
	s := mustCreate(b, c, 0, Options{})
	batch := batchOf(b, 1024)
	h := recordbatch.Header(batch)
	var pos []int64
	for i := range (64 << 20) / len(batch) {
		pos = append(pos, s.Size())
		h.SetBaseOffset(int64(i))
		mustAppend(b, s, batch)
	}
	mustClose(b, s)
	return c, pos
}

// benchWalk reads one batch header per op, front to back over the whole
// log, as Read's header walk does, with the segment's own header reader.
func benchWalk(b *testing.B, fsys func(vfs.FS) vfs.FS) {
	c, pos := walkFixture(b)
	s := mustOpen(b, fsCase{c.name, fsys(c.fs), c.dir}, 0, Options{})
	defer mustClose(b, s)
	if _, err := s.NextOffset(); err != nil { // load, and map over vfs.OS
		b.Fatal(err)
	}
	s.trunc.RLock()
	defer s.trunc.RUnlock()
	v := s.view(s.Size())
	defer v.release()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := v.batch(pos[i]); err != nil {
			b.Fatal(err)
		}
		if i++; i == len(pos) {
			i = 0
		}
	}
}

// BenchmarkWalkHeadersPread reads batch headers with pread (ReadAt), as the
// segment does when the log is not mapped.
func BenchmarkWalkHeadersPread(b *testing.B) {
	benchWalk(b, func(f vfs.FS) vfs.FS { return vfs.NewFaulty(f) }) // no FdFile: ReadAt
}

// BenchmarkWalkHeadersMmap reads batch headers through the read-only
// mapping of the log.
func BenchmarkWalkHeadersMmap(b *testing.B) {
	benchWalk(b, func(f vfs.FS) vfs.FS { return f })
}

// lookupBytes is the size of the segment BenchmarkLookupWarm builds.
const lookupBytes = 1 << 30

// BenchmarkLookupWarm reads (Read with maxBytes 1: index floor, then the
// header walk) random offsets of a warm 1 GiB segment, for 16 KiB and
// 1 KiB batches, through the mapping and with pread.
func BenchmarkLookupWarm(b *testing.B) {
	for _, size := range []int{16 << 10, 1 << 10} {
		name := "16KiB"
		if size == 1<<10 {
			name = "1KiB"
		}
		b.Run(name, func(b *testing.B) {
			c := fsCase{"os", vfs.OS, b.TempDir()}
			s := mustCreate(b, c, 0, Options{})
			batch := batchOf(b, size)
			h := recordbatch.Header(batch)
			n := int64(0)
			for s.Size()+int64(len(batch)) <= lookupBytes {
				h.SetBaseOffset(n)
				mustAppend(b, s, batch)
				n++
			}
			mustClose(b, s)
			rng := rand.New(rand.NewPCG(1, 1))
			offsets := make([]int64, 1<<12)
			for i := range offsets {
				offsets[i] = rng.Int64N(n)
			}
			for _, mode := range []struct {
				name string
				fs   vfs.FS
			}{{"mmap", vfs.OS}, {"pread", vfs.NewFaulty(vfs.OS)}} {
				b.Run(mode.name, func(b *testing.B) {
					s := mustOpen(b, fsCase{"os", mode.fs, c.dir}, 0, Options{})
					defer mustClose(b, s)
					for _, o := range offsets { // warm: every page the lookups touch
						if _, err := s.Read(o, 1, math.MaxInt64); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportAllocs()
					i := 0
					for b.Loop() {
						sl, err := s.Read(offsets[i&(len(offsets)-1)], 1, math.MaxInt64)
						if err != nil || sl.Len != int64(len(batch)) {
							b.Fatal(sl, err)
						}
						i++
					}
				})
			}
		})
	}
}

// BenchmarkRecover recovers a warm 256 MiB segment of 16 KiB batches:
// every batch's length, magic and CRC, and both indexes rebuilt.
func BenchmarkRecover(b *testing.B) {
	c := fsCase{"os", vfs.OS, b.TempDir()}
	s := mustCreate(b, c, 0, Options{})
	batch := batchOf(b, 16<<10)
	h := recordbatch.Header(batch)
	for n := int64(0); s.Size()+int64(len(batch)) <= 256<<20; n++ {
		h.SetBaseOffset(n)
		mustAppend(b, s, batch)
	}
	size := s.Size()
	mustClose(b, s)
	s = mustOpen(b, c, 0, Options{})
	defer mustClose(b, s)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if cut, err := s.Recover(); cut != 0 || err != nil {
			b.Fatal(cut, err)
		}
	}
}

// BenchmarkOpen1000 opens 1,000 closed segments (a clean startup) and
// closes them: Open reads neither the log nor the indexes.
func BenchmarkOpen1000(b *testing.B) {
	c := fsCase{"os", vfs.OS, b.TempDir()}
	batch := batchOf(b, 1<<10)
	for i := range int64(1000) {
		s := mustCreate(b, c, i*10, Options{IndexIntervalBytes: 1})
		for j := range int64(10) {
			recordbatch.Header(batch).SetBaseOffset(i*10 + j)
			mustAppend(b, s, batch)
		}
		mustClose(b, s)
	}
	segs := make([]*Segment, 1000)
	b.ReportAllocs()
	for b.Loop() {
		for i := range segs {
			segs[i] = mustOpen(b, c, int64(i)*10, Options{})
		}
		for _, s := range segs {
			mustClose(b, s)
		}
	}
}
