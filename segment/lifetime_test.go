package segment

import (
	"bytes"
	"errors"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"syscall"
	"testing"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/recordbatch"
)

// TestDeleteWhileReading deletes a segment while a reader holds a Slice:
// the files are renamed at once, stay readable through the Slice until the
// reader releases, and are removed then.
func TestDeleteWhileReading(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		s := mustCreate(t, c, 7, Options{})
		batch := mkBatch(t, 7, 100, 1, 2, 3)
		mustAppend(t, s, batch)
		if !s.Acquire() {
			t.Fatal("Acquire failed on a live segment")
		}
		sl, err := s.Read(8, 1<<20, math.MaxInt64)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(); err != nil {
			t.Fatal(err)
		}
		if s.Acquire() {
			t.Fatal("Acquire succeeded after Delete")
		}
		for _, p := range []string{LogPath(c.dir, 7), IndexPath(c.dir, 7), TimeIndexPath(c.dir, 7)} {
			if exists(t, c.fs, p) {
				t.Errorf("%s still exists after Delete", base(p))
			}
			if !exists(t, c.fs, p+DeletedSuffix) {
				t.Errorf("%s is missing while a reader holds the segment", base(p+DeletedSuffix))
			}
		}
		if got := sliceBytes(t, sl); !bytes.Equal(got, batch) {
			t.Fatal("the Slice reads other bytes after Delete")
		}
		// The holder may still call methods.
		if sl2, err := s.Read(7, 1, math.MaxInt64); err != nil || sl2.Pos != 0 {
			t.Fatalf("Read by the holder after Delete = %+v, %v", sl2, err)
		}
		s.Release()
		for _, p := range []string{LogPath(c.dir, 7), IndexPath(c.dir, 7), TimeIndexPath(c.dir, 7)} {
			if exists(t, c.fs, p+DeletedSuffix) || exists(t, c.fs, p) {
				t.Errorf("%s survived the last Release", base(p))
			}
		}
		if _, err := sl.File.ReadAt(make([]byte, 1), 0); err == nil {
			t.Error("the file is still open after the last Release")
		}
		if _, err := s.Read(7, 1, math.MaxInt64); !errors.Is(err, ErrClosed) {
			t.Errorf("Read after the last Release = %v, want ErrClosed", err)
		}
		if err := s.Append(mkBatch(t, 10, 1, 1)); !errors.Is(err, ErrClosed) {
			t.Errorf("Append after the last Release = %v, want ErrClosed", err)
		}
		if err := s.Delete(); err != nil {
			t.Errorf("second Delete = %v", err)
		}
	})
}

// TestDeleteUnloaded deletes segments that were opened but never used, and
// one that was closed first.
func TestDeleteUnloaded(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		for _, b := range []int64{0, 100} {
			s := mustCreate(t, c, b, Options{})
			mustAppend(t, s, mkBatch(t, b, 10, 1))
			mustClose(t, s)
		}
		s := mustOpen(t, c, 0, Options{})
		if err := s.Delete(); err != nil {
			t.Fatal(err)
		}
		s2 := mustOpen(t, c, 100, Options{})
		mustClose(t, s2)
		if err := s2.Delete(); err != nil {
			t.Fatal(err)
		}
		names, err := c.fs.ReadDir(c.dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(names) != 0 {
			t.Errorf("files left after deleting both segments: %v", names)
		}
	})
}

func TestCloseWhileReading(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		s := mustCreate(t, c, 0, Options{})
		mustAppend(t, s, mkBatch(t, 0, 10, 1))
		if !s.Acquire() {
			t.Fatal("Acquire failed")
		}
		mustClose(t, s)
		if err := s.Close(); err != nil {
			t.Errorf("second Close = %v", err)
		}
		if s.Acquire() {
			t.Fatal("Acquire succeeded after Close")
		}
		sl, err := s.Read(0, 1, math.MaxInt64)
		if err != nil || sl.Len == 0 {
			t.Fatalf("Read by a holder after Close = %+v, %v", sl, err)
		}
		s.Release()
		if _, err := s.NextOffset(); !errors.Is(err, ErrClosed) {
			t.Errorf("NextOffset after the last Release = %v, want ErrClosed", err)
		}
		if !exists(t, c.fs, LogPath(c.dir, 0)) {
			t.Error("Close removed the log")
		}
	})
}

// TestConcurrentReaders runs readers against an appender (under -race):
// every Read returns whole batches that start at a batch holding the
// offset, NextOffset and Size only grow, and nothing half-written is seen.
func TestConcurrentReaders(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		s := mustCreate(t, c, 0, Options{IndexIntervalBytes: 200, PreallocateBytes: 4096})
		defer mustClose(t, s)
		const batches = 400
		var wg sync.WaitGroup
		done := make(chan struct{})
		errc := make(chan error, 8)
		for r := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var lastNext int64
				for i := 0; ; i++ {
					select {
					case <-done:
						return
					default:
					}
					next, err := s.NextOffset()
					if err != nil || next < lastNext {
						errc <- errors.Join(err, errors.New("NextOffset went back"))
						return
					}
					lastNext = next
					if next == 0 {
						continue
					}
					off := int64(i*7+r) % next
					sl, err := s.Read(off, 600, math.MaxInt64)
					if err != nil {
						errc <- err
						return
					}
					if err := checkSlice(sl, off); err != nil {
						errc <- err
						return
					}
					if i%50 == 0 {
						if _, _, _, err := s.FindTimestamp(off * 10); err != nil {
							errc <- err
							return
						}
						if _, _, err := s.MaxTimestamp(); err != nil {
							errc <- err
							return
						}
					}
				}
			}()
		}
		for i := range batches {
			// two records per batch, offsets 2i and 2i+1, timestamps 10x the offset
			if err := s.Append(mkBatch(t, int64(2*i), 20+i%50, int64(20*i), int64(20*i+10))); err != nil {
				t.Fatal(err)
			}
		}
		close(done)
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Error(err)
		}
	})
}

// checkSlice verifies that sl holds whole, valid batches, the first of
// which holds offset.
func checkSlice(sl Slice, offset int64) error {
	b := make([]byte, sl.Len)
	if _, err := sl.File.ReadAt(b, sl.Pos); err != nil {
		return err
	}
	first := true
	for len(b) > 0 {
		n, err := recordbatch.BatchSize(b)
		if err != nil || n > len(b) {
			return errors.Join(err, errors.New("slice does not hold whole batches"))
		}
		if err := recordbatch.CheckStored(b[:n]); err != nil {
			return err
		}
		h := recordbatch.Header(b)
		if first && (h.BaseOffset() > offset || h.LastOffset() < offset || h.BaseOffset() != sl.FirstOffset) {
			return errors.New("slice does not start at the batch holding the offset")
		}
		first = false
		if len(b) == n && h.LastOffset() != sl.LastOffset {
			return errors.New("slice's LastOffset is wrong")
		}
		b = b[n:]
	}
	if first {
		return errors.New("empty slice")
	}
	return nil
}

// TestAppendFull fails appends with ENOSPC: the error says so, the segment
// stays readable, and after the disk has room again appends continue with
// nothing lost.
func TestAppendFull(t *testing.T) {
	for _, prealloc := range []int64{-1, 1 << 16} {
		forEachFS(t, func(t *testing.T, c fsCase) {
			ffs := vfs.NewFaulty(c.fs)
			c.fs = ffs
			s := mustCreate(t, c, 0, Options{IndexIntervalBytes: 100, PreallocateBytes: prealloc})
			defer mustClose(t, s)
			var batches [][]byte
			for i := range 10 {
				batches = append(batches, mkBatch(t, int64(i), 50, int64(i)))
			}
			l := appendAll(t, s, batches[:5])
			ffs.Inject(vfs.Fault{Op: vfs.OpWrite, Path: ".log", Err: syscall.ENOSPC})
			if err := s.Append(batches[5]); !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("Append on a full disk = %v, want ENOSPC", err)
			}
			ffs.Clear()
			ffs.SetFull(true)
			// The failed append gave back the preallocated tail, so this
			// one must extend the file, which a full disk refuses.
			if err := s.Append(batches[5]); !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("Append with SetFull = %v, want ENOSPC", err)
			}
			if s.Size() != l[4].pos+l[4].size {
				t.Fatalf("Size = %d after failed appends, want %d", s.Size(), l[4].pos+l[4].size)
			}
			if n, _ := s.NextOffset(); n != 5 {
				t.Fatalf("NextOffset = %d after failed appends, want 5", n)
			}
			for _, b := range l {
				if sl, err := s.Read(b.base, 1, math.MaxInt64); err != nil || sl.Pos != b.pos {
					t.Fatalf("Read(%d) on a full disk = %+v, %v", b.base, sl, err)
				}
			}
			ffs.SetFull(false)
			mustAppend(t, s, batches[5:]...)
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
			want := bytes.Join(batches, nil)
			if got := readFile(t, c.fs, LogPath(c.dir, 0))[:len(want)]; !bytes.Equal(got, want) {
				t.Fatal("the log does not hold exactly the appended batches")
			}
			if err := s.SanityCheck(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// halfFS writes half of the bytes of a .log write and then fails, as a
// disk that fills up in the middle of a write does.
type halfFS struct {
	vfs.FS
	fail bool
}

type halfFile struct {
	vfs.File
	fs *halfFS
}

func (h *halfFS) Create(name string) (vfs.File, error) {
	f, err := h.FS.Create(name)
	if err != nil {
		return nil, err
	}
	return &halfFile{f, h}, nil
}

func (f *halfFile) WriteAt(p []byte, off int64) (int, error) {
	if f.fs.fail && len(p) > 1 {
		n, _ := f.File.WriteAt(p[:len(p)/2], off)
		return n, &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	return f.File.WriteAt(p, off)
}

func TestAppendTornWrite(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		h := &halfFS{FS: c.fs}
		c.fs = h
		s := mustCreate(t, c, 0, Options{PreallocateBytes: -1})
		defer mustClose(t, s)
		first := mkBatch(t, 0, 100, 1)
		mustAppend(t, s, first)
		h.fail = true
		if err := s.Append(mkBatch(t, 1, 100, 2)); !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("torn Append = %v, want ENOSPC", err)
		}
		if got := readFile(t, h.FS, LogPath(c.dir, 0)); !bytes.Equal(got, first) {
			t.Fatalf("after a torn append the log holds %d bytes, want the %d of the first batch", len(got), len(first))
		}
		h.fail = false
		second := mkBatch(t, 1, 10, 2)
		mustAppend(t, s, second)
		if got := readFile(t, h.FS, LogPath(c.dir, 0)); !bytes.Equal(got, append(bytes.Clone(first), second...)) {
			t.Fatal("the log does not hold the two batches")
		}
	})
}

// TestCrash appends, flushing after some batches, and simulates a machine
// crash with torn, garbled unsynced tails: recovery keeps every flushed
// batch and ends on a batch boundary.
func TestCrash(t *testing.T) {
	for seed := range uint64(20) {
		m := vfs.NewMem()
		c := fsCase{"mem", m, "/"}
		opts := Options{IndexIntervalBytes: 100, PreallocateBytes: 4096, MaxIndexBytes: 1 << 14}
		s := mustCreate(t, c, 0, opts)
		if err := m.SyncDir("/"); err != nil {
			t.Fatal(err)
		}
		var batches [][]byte
		flushed := 0
		for i := range 30 {
			b := mkBatch(t, int64(i), 30+i, int64(i))
			batches = append(batches, b)
			mustAppend(t, s, b)
			if i%7 == 3 {
				if err := s.Flush(); err != nil {
					t.Fatal(err)
				}
				flushed = i + 1
			}
		}
		crashed := m.CrashClone(vfs.CrashOptions{TearUnsynced: true, Garble: seed%2 == 0,
			Rand: rand.New(rand.NewPCG(seed, 99))})
		mustClose(t, s)
		s2 := mustOpen(t, fsCase{"mem", crashed, "/"}, 0, opts)
		if _, err := s2.Recover(); err != nil {
			t.Fatal(err)
		}
		log := readFile(t, crashed, LogPath("/", 0))
		want := bytes.Join(batches[:flushed], nil)
		if len(log) < len(want) || !bytes.Equal(log[:len(want)], want) {
			t.Fatalf("seed %d: recovery lost flushed batches: %d bytes, want a prefix of %d", seed, len(log), len(want))
		}
		if !bytes.HasPrefix(bytes.Join(batches, nil), log) {
			t.Fatalf("seed %d: the recovered log is not a prefix of what was appended", seed)
		}
		if err := s2.SanityCheck(); err != nil {
			t.Fatal(err)
		}
		mustClose(t, s2)
	}
}

// TestMapGrowsUnderReaders appends 25 MiB while readers read: the
// readers' mapping of the log is remapped from 16 MiB to 32 MiB under them,
// and after Seal it covers exactly the log.
func TestMapGrowsUnderReaders(t *testing.T) {
	c := fsCase{"os", vfs.OS, t.TempDir()}
	s := mustCreate(t, c, 0, Options{})
	defer mustClose(t, s)
	batch := mkBatch(t, 0, 256<<10, 1)
	h := recordbatch.Header(batch)
	const n = 100
	done := make(chan struct{})
	errc := make(chan error, 2)
	var wg sync.WaitGroup
	for r := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := r; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				next, err := s.NextOffset()
				if err != nil {
					errc <- err
					return
				}
				if next == 0 {
					continue
				}
				off := int64(i*13) % next
				sl, err := s.Read(off, 1, math.MaxInt64)
				if err == nil {
					err = checkSlice(sl, off)
				}
				if err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	for i := range int64(n) {
		h.SetBaseOffset(i)
		if err := s.Append(batch); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	size := n * int64(len(batch))
	s.trunc.RLock()
	mapped := int64(len(s.mb))
	s.trunc.RUnlock()
	if mapped != 32<<20 {
		t.Errorf("the mapping covers %d bytes for %d of log, want %d", mapped, size, 32<<20)
	}
	if err := s.Seal(); err != nil {
		t.Fatal(err)
	}
	s.trunc.RLock()
	mapped = int64(len(s.mb))
	s.trunc.RUnlock()
	if want := roundUp(size, mapGrain); mapped != want {
		t.Errorf("after Seal the mapping covers %d bytes, want %d", mapped, want)
	}
	for i := range int64(n) {
		if sl, err := s.Read(i, 1, math.MaxInt64); err != nil || sl.Pos != i*int64(len(batch)) {
			t.Fatalf("Read(%d) after Seal = %+v, %v", i, sl, err)
		}
	}
	if got := int64(len(readFile(t, c.fs, LogPath(c.dir, 0)))); got != size {
		t.Errorf("the sealed log is %d bytes, want %d", got, size)
	}
}

// TestMappedFault shrinks the log behind the segment's back, so that the
// mapping's pages past the new end raise SIGBUS: Read fails with EIO
// instead of killing the process, and Recover repairs the segment.
func TestMappedFault(t *testing.T) {
	c := fsCase{"os", vfs.OS, t.TempDir()}
	s := mustCreate(t, c, 0, Options{})
	defer mustClose(t, s)
	mustAppend(t, s, mkBatch(t, 0, 100, 1), mkBatch(t, 1, 100, 2))
	if s.mb == nil {
		t.Fatal("the log is not mapped over vfs.OS")
	}
	if err := os.Truncate(LogPath(c.dir, 0), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read(1, 1, math.MaxInt64); !errors.Is(err, syscall.EIO) {
		t.Errorf("Read of a shrunk mapped log = %v, want EIO", err)
	}
	if _, _, _, err := s.FindTimestamp(0); !errors.Is(err, syscall.EIO) {
		t.Errorf("FindTimestamp in a shrunk mapped log = %v, want EIO", err)
	}
	if cut, err := s.Recover(); err != nil || cut != 0 || s.Size() != 0 {
		t.Errorf("Recover = %d, %v, size %d; want 0, nil, 0", cut, err, s.Size())
	}
	mustAppend(t, s, mkBatch(t, 0, 100, 1))
	if sl, err := s.Read(0, 1, math.MaxInt64); err != nil || sl.Len == 0 {
		t.Errorf("Read after recovering = %+v, %v", sl, err)
	}
}

// TestSealAfterDelete: a segment deleted while a reader holds it is not
// sealed (ErrClosed, no work on files that are going), and it goes at the
// reader's Release.
func TestSealAfterDelete(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		s := mustCreate(t, c, 3, Options{})
		mustAppend(t, s, mkBatch(t, 3, 100, 1, 2))
		if !s.Acquire() {
			t.Fatal("Acquire failed on a live segment")
		}
		if err := s.Delete(); err != nil {
			t.Fatal(err)
		}
		if err := s.Seal(); !errors.Is(err, ErrClosed) {
			t.Fatalf("Seal after Delete = %v, want ErrClosed", err)
		}
		s.Release()
		if exists(t, c.fs, LogPath(c.dir, 3)+DeletedSuffix) {
			t.Fatal("the deleted log survived the last Release")
		}
		if err := s.Seal(); !errors.Is(err, ErrClosed) {
			t.Fatalf("Seal after the last Release = %v, want ErrClosed", err)
		}
	})
}

// TestPreallocateCappedByMaxBytes: preallocation reserves PreallocateBytes
// ahead, but never past MaxBytes rounded up to 64 KiB, and never below the
// data.
func TestPreallocateCappedByMaxBytes(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		s := mustCreate(t, c, 0, Options{PreallocateBytes: 1 << 20, MaxBytes: 100 << 10})
		defer mustClose(t, s)
		size := func() int64 {
			fi, err := c.fs.Stat(LogPath(c.dir, 0))
			if err != nil {
				t.Fatal(err)
			}
			return fi.Size()
		}
		b := mkBatch(t, 0, 1000, 1)
		mustAppend(t, s, b)
		if got := size(); got != 64<<10 { // the first lead
			t.Fatalf("log file of %d bytes after one append, want %d", got, 64<<10)
		}
		var off int64 = 1
		for s.Size() < 40<<10 { // past half the lead: 100 KiB rounded up, not 128 KiB + the data
			mustAppend(t, s, mkBatch(t, off, 1000, 1))
			off++
		}
		if got := size(); got != 128<<10 {
			t.Fatalf("log file of %d bytes with %d bytes of data, want %d", got, s.Size(), 128<<10)
		}
		for s.Size() < 200<<10 { // past MaxBytes: the file follows the data
			mustAppend(t, s, mkBatch(t, off, 1000, 1))
			off++
		}
		if got, want := size(), roundUp(s.Size(), mapGrain); got != want {
			t.Fatalf("log file of %d bytes with %d bytes of data, want %d", got, s.Size(), want)
		}
	})
}

// TestLoadedCount: Create loads a segment (three descriptors counted)
// until its teardown (the last Release after Close or Delete); Open loads
// nothing until a call needs the files.
func TestLoadedCount(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		before, files := LoadedSegments(), OpenSegmentFiles()
		check := func(what string, n int64) {
			t.Helper()
			if got, gotFiles := LoadedSegments(), OpenSegmentFiles(); got != before+n || gotFiles != files+3*n {
				t.Fatalf("%s: %d segments loaded holding %d descriptors, want %d and %d", what, got, gotFiles, before+n, files+3*n)
			}
		}
		a := mustCreate(t, c, 0, Options{})
		b := mustCreate(t, c, 10, Options{})
		check("two creates", 2)
		if !b.Acquire() {
			t.Fatal("Acquire failed")
		}
		if err := b.Delete(); err != nil {
			t.Fatal(err)
		}
		check("a reader holds a deleted segment", 2)
		b.Release()
		check("the reader released it", 1)
		mustAppend(t, a, mkBatch(t, 0, 100, 1))
		mustClose(t, a)
		check("close", 0)
		s, err := Open(c.fs, c.dir, 0, Options{})
		if err != nil {
			t.Fatal(err)
		}
		check("open", 0)
		if _, err := s.Read(0, 1, math.MaxInt64); err != nil {
			t.Fatal(err)
		}
		check("a read", 1)
		mustClose(t, s)
		check("closing everything", 0)
	})
}

// TestDeleteWithoutReaders removes the files at once, without renaming
// them first (a rename fails here).
func TestDeleteWithoutReaders(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		ffs := vfs.NewFaulty(c.fs)
		c.fs = ffs
		s := mustCreate(t, c, 5, Options{})
		mustAppend(t, s, mkBatch(t, 5, 100, 1))
		ffs.Inject(vfs.Fault{Op: vfs.OpRename, Err: syscall.EIO})
		if err := s.Delete(); err != nil {
			t.Fatal(err)
		}
		names, err := c.fs.ReadDir(c.dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(names) != 0 {
			t.Fatalf("files left after Delete: %v", names)
		}
	})
}
