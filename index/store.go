package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"

	"github.com/stratabroker/strata/internal/mmap"
	"github.com/stratabroker/strata/internal/vfs"
)

// reserveChunk is how far ahead of the append position disk blocks are
// reserved on the mmap path: one fallocate per 64 KiB of index (8192 offset
// index entries, about 32 MiB of log at the default index interval).
const reserveChunk = 64 << 10

// store is what Offset and Time share: the file, its mapping or heap buffer,
// the entry count and the locks. Entry i lives at buf[i*es : (i+1)*es].
type store struct {
	f          vfs.File
	fd         vfs.FdFile // non-nil on the mmap path
	path       string
	es         int   // entry size: 8 or 12
	base       int64 // the segment's base offset
	maxEntries int   // maxBytes / es

	// mu serialises mutations (appends, TruncateTo, Reset, Trim, Close) and
	// the heap path's Flush. Taken before rw.
	mu sync.Mutex
	// rw guards buf, m, closed and bad: readers hold it shared while they
	// touch buf; whatever replaces buf or rewrites entries below n holds it
	// exclusively, and mu too. Appends write the free slot at n without it.
	rw     sync.RWMutex
	buf    []byte        // len is a multiple of es; bytes past the entries are zero
	m      *mmap.Mapping // nil on the heap path and while the file is empty
	closed bool
	bad    error // wraps ErrCorruptIndex: a fault of the file's length seen at open; cleared by Reset

	n          atomic.Int64 // entries; stored after the new entry's bytes are written
	capEntries atomic.Int64 // the most entries the index may hold
	sealed     atomic.Bool  // trimmed (or closed): no appends until TruncateTo or Reset

	// mu must be held for these.
	size     int64 // the file's length
	reserved int64 // mmap path: [0, reserved) of the file has disk blocks
	touched  int64 // mmap path: [0, touched) of the file was written (see slot)
	regrow   bool  // set the file's length to maxEntries*es at the next append
	dirtyLo  int   // heap path: buf[dirtyLo:dirtyHi] changed since the last write-back
	dirtyHi  int
}

// open opens the index file at path into the zero store s.
func (s *store) open(fs vfs.FS, path string, base int64, maxBytes, es int) error {
	if base < 0 {
		return fmt.Errorf("%w: %s: base offset %d", ErrInvalidArgument, path, base)
	}
	if maxBytes < es || maxBytes > math.MaxInt32 {
		return fmt.Errorf("%w: %s: maxBytes %d, want %d..%d", ErrInvalidArgument, path, maxBytes, es, math.MaxInt32)
	}
	f, err := fs.OpenRW(path)
	if err != nil {
		return fmt.Errorf("index: open %s: %w", path, err)
	}
	s.f, s.path, s.es, s.base, s.maxEntries = f, path, es, base, maxBytes/es
	if fd, ok := f.(vfs.FdFile); ok && mmap.Supported {
		s.fd = fd
	}
	if err := s.load(); err != nil {
		if s.m != nil {
			_ = s.m.Unmap()
		}
		return errors.Join(err, f.Close())
	}
	return nil
}

// load maps or reads the file and finds its entries (see the package doc).
func (s *store) load() error {
	size, err := s.f.Size()
	if err != nil {
		return fmt.Errorf("index: %s: %w", s.path, err)
	}
	s.size = size
	s.capEntries.Store(int64(s.maxEntries))
	if size > math.MaxInt32 {
		s.bad = fmt.Errorf("%w: %s is %d bytes, more than any index", ErrCorruptIndex, s.path, size)
		s.regrow = true
		return nil
	}
	if size%int64(s.es) != 0 {
		s.bad = fmt.Errorf("%w: %s is %d bytes, not a multiple of the %d-byte entry", ErrCorruptIndex, s.path, size, s.es)
	}
	usable := int(size) / s.es * s.es
	if usable == 0 {
		return nil
	}
	if s.fd != nil {
		m, err := mmap.Map(s.fd.Fd(), int(size), true)
		if err != nil {
			return fmt.Errorf("index: %s: %w", s.path, err)
		}
		s.m, s.buf = m, m.Bytes()[:usable]
	} else {
		buf := make([]byte, usable)
		if n, err := s.f.ReadAt(buf, 0); n < usable {
			return fmt.Errorf("index: read %s: %d of %d bytes: %w", s.path, n, usable, cmpErr(err, io.ErrUnexpectedEOF))
		}
		s.buf = buf
	}
	s.n.Store(int64(validEntries(s.buf, s.es)))
	s.capEntries.Store(int64(max(s.maxEntries, usable/s.es)))
	s.touched = pageUp(s.n.Load() * int64(s.es))
	return nil
}

// pageSize is the unit of the mapping's faults and of the filesystem's
// blocks that slot writes ahead of the mapping.
const pageSize = 4096

func pageUp(n int64) int64 { return (n + pageSize - 1) / pageSize * pageSize }

func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// validEntries is the number of entries in b: those up to and including the
// last one that is not all zero bytes; a single entry always counts (a
// trimmed one-entry index).
func validEntries(b []byte, es int) int {
	if len(b) == es {
		return 1
	}
	i := len(b)
	for i >= 8 && binary.LittleEndian.Uint64(b[i-8:]) == 0 {
		i -= 8
	}
	for i > 0 && b[i-1] == 0 {
		i--
	}
	return (i + es - 1) / es
}

// entries is the entry count a reader may use; call it with rw held shared.
func (s *store) entries() int { return int(s.n.Load()) }

// relative converts offset to the 4-byte relative offset.
func (s *store) relative(offset int64) (int64, error) {
	if offset < s.base || offset-s.base > math.MaxInt32 {
		return 0, fmt.Errorf("%w: %s: offset %d, base %d", ErrRelativeOffset, s.path, offset, s.base)
	}
	return offset - s.base, nil
}

// full reports whether fewer than reserve+1 slots are free. Lock-free.
func (s *store) full(reserve int64) bool {
	return s.sealed.Load() || s.n.Load() >= s.capEntries.Load()-reserve
}

// slot returns the bytes of free entry n, growing the file and its mapping
// first if they cannot hold it and reserving disk blocks under it on the
// mmap path. mu must be held; n < capEntries.
func (s *store) slot(n int) ([]byte, error) {
	need := (n + 1) * s.es
	if s.regrow || need > len(s.buf) {
		if err := s.grow(need); err != nil {
			return nil, err
		}
	}
	if s.fd != nil && int64(need) > s.reserved {
		r := min(int64(need+reserveChunk-1)/reserveChunk*reserveChunk, s.size)
		if err := s.f.Allocate(s.reserved, r-s.reserved); err != nil {
			return nil, fmt.Errorf("index: %s: reserve disk blocks: %w", s.path, err)
		}
		s.reserved = r
	}
	if s.fd != nil && int64(need) > s.touched {
		// The entry's first store into a page of the mapping that was
		// never written faults a block in through the filesystem, which
		// took 2.5 ms on ext4 here (holes and fallocated blocks alike);
		// writing the entry's bytes (zeros) with pwrite first allocates
		// it in microseconds, and a full disk fails here with ENOSPC
		// instead of a SIGBUS in the store.
		off := int64(n * s.es)
		if _, err := s.f.WriteAt(zeroEntry[:s.es], off); err != nil {
			return nil, fmt.Errorf("index: %s: write at %d: %w", s.path, off, err)
		}
		s.touched = pageUp(int64(need))
	}
	return s.buf[n*s.es : need : need], nil
}

var zeroEntry [16]byte

// publish makes entry n, whose bytes are written, visible. mu must be held.
func (s *store) publish(n int) {
	s.markDirty(n*s.es, (n+1)*s.es)
	s.n.Store(int64(n + 1))
}

// grow sets the file's length to capEntries*es (preallocation) and maps it,
// or on the heap path enlarges buf to hold at least need bytes. mu must be
// held.
func (s *store) grow(need int) error {
	target := int(s.capEntries.Load()) * s.es
	s.rw.Lock()
	defer s.rw.Unlock()
	if int64(target) != s.size {
		if s.regrow && s.m != nil {
			// The file may shrink under the mapping; there are no entries
			// (regrow is only set by Reset), so nothing in it is needed.
			_ = s.m.Unmap() // fails only for an invalid range, which a Mapping never holds
			s.m, s.buf = nil, nil
		}
		if err := s.f.Truncate(int64(target)); err != nil {
			return fmt.Errorf("index: %s: preallocate %d bytes: %w", s.path, target, err)
		}
		s.size = int64(target)
		s.reserved = min(s.reserved, s.size)
		s.touched = min(s.touched, pageUp(s.size))
	}
	s.regrow = false
	if s.fd != nil {
		m, err := mmap.Map(s.fd.Fd(), target, true)
		if err != nil {
			return fmt.Errorf("index: %s: %w", s.path, err)
		}
		if s.m != nil {
			_ = s.m.Unmap() // as above
		}
		s.m, s.buf = m, m.Bytes()
		return nil
	}
	if len(s.buf) > target {
		s.buf = s.buf[:target]
	}
	if need > len(s.buf) {
		b := make([]byte, min(target, max(need, 2*len(s.buf), 512*s.es)))
		copy(b, s.buf)
		s.buf = b
	}
	return nil
}

// markDirty records that buf[lo:hi] changed (heap path). mu must be held.
func (s *store) markDirty(lo, hi int) {
	if s.fd != nil {
		return
	}
	if s.dirtyHi <= s.dirtyLo {
		s.dirtyLo, s.dirtyHi = lo, hi
		return
	}
	s.dirtyLo, s.dirtyHi = min(s.dirtyLo, lo), max(s.dirtyHi, hi)
}

// writeBack writes the changed bytes of the heap buffer to the file. mu must
// be held.
func (s *store) writeBack() error {
	lo, hi := s.dirtyLo, min(s.dirtyHi, len(s.buf), int(s.size))
	if lo < hi {
		if _, err := s.f.WriteAt(s.buf[lo:hi], int64(lo)); err != nil {
			return fmt.Errorf("index: write %s: %w", s.path, err)
		}
	}
	s.dirtyLo, s.dirtyHi = 0, 0
	return nil
}

// truncateEntries drops the entries from newN on, zeroing their bytes so
// that a crash cannot resurrect them, and allows appends again (Kafka
// resizes the index to its maximum after a truncation). mu must be held.
func (s *store) truncateEntries(newN int) {
	if s.closed {
		return
	}
	s.sealed.Store(false)
	n := int(s.n.Load())
	if newN >= n {
		return
	}
	s.rw.Lock()
	clear(s.buf[newN*s.es : n*s.es])
	s.n.Store(int64(newN))
	s.rw.Unlock()
	s.markDirty(newN*s.es, n*s.es)
}

// reset drops every entry and any fault of the file's length, and allows
// appends again up to maxBytes. mu must be held.
func (s *store) reset() {
	if s.closed {
		return
	}
	s.rw.Lock()
	n := int(s.n.Load())
	clear(s.buf[:n*s.es])
	s.n.Store(0)
	s.bad = nil
	s.rw.Unlock()
	s.markDirty(0, n*s.es)
	s.capEntries.Store(int64(s.maxEntries))
	s.regrow = s.size%int64(s.es) != 0 || s.size > int64(s.maxEntries*s.es)
	s.sealed.Store(false)
}

// trim shrinks the file to exactly the entries and seals the index. mu must
// be held.
func (s *store) trim() error {
	if s.closed {
		return fmt.Errorf("%w: trim %s", ErrClosed, s.path)
	}
	if s.fd == nil {
		if err := s.writeBack(); err != nil {
			return err
		}
	}
	target := int(s.n.Load()) * s.es
	if int64(target) != s.size {
		if err := s.resizeLocked(target); err != nil {
			return err
		}
	}
	s.regrow = false
	s.sealed.Store(true)
	return nil
}

// resizeLocked truncates the file to target bytes (no entries lie past it)
// and remaps it. mu must be held.
func (s *store) resizeLocked(target int) error {
	s.rw.Lock()
	defer s.rw.Unlock()
	if err := s.f.Truncate(int64(target)); err != nil {
		return fmt.Errorf("index: %s: trim to %d bytes: %w", s.path, target, err)
	}
	s.size = int64(target)
	s.reserved = min(s.reserved, s.size)
	s.touched = min(s.touched, pageUp(s.size))
	switch {
	case s.fd == nil:
		s.buf = s.buf[:min(len(s.buf), target)]
	case target == 0:
		_ = s.m.Unmap() // fails only for an invalid range, which a Mapping never holds
		s.m, s.buf = nil, nil
	default:
		m, err := mmap.Map(s.fd.Fd(), target, true)
		if err != nil {
			// The old mapping still covers the entries, which lie inside
			// the file; keep it and stop short of the new end.
			s.buf = s.buf[:target]
			return fmt.Errorf("index: %s: %w", s.path, err)
		}
		_ = s.m.Unmap()
		s.m, s.buf = m, m.Bytes()
	}
	return nil
}

// flush makes the entries durable.
func (s *store) flush() error {
	if s.fd == nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			return fmt.Errorf("%w: flush %s", ErrClosed, s.path)
		}
		if err := s.writeBack(); err != nil {
			return err
		}
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("index: sync %s: %w", s.path, err)
		}
		return nil
	}
	// The mapping cannot change while rw is held shared; msync runs
	// concurrently with appends, which do not take rw.
	s.rw.RLock()
	defer s.rw.RUnlock()
	if s.closed {
		return fmt.Errorf("%w: flush %s", ErrClosed, s.path)
	}
	if s.m != nil {
		if err := s.m.Sync(); err != nil { // MS_SYNC: data and the file's length
			return fmt.Errorf("index: sync %s: %w", s.path, err)
		}
		return nil
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("index: sync %s: %w", s.path, err)
	}
	return nil
}

// close trims the file, unmaps it and closes it; with discard (the file
// is being deleted) it neither writes back nor trims. A second close does
// nothing.
func (s *store) close(discard bool) error { return s.closeWith(discard, nil) }

// closeWith is close; an index with no entries that is trimmed is left
// holding first, written with one pwrite.
func (s *store) closeWith(discard bool, first []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	if s.n.Load() != 0 {
		first = nil
	}
	var errs []error
	trim := !discard
	if s.fd == nil && !discard {
		if err := s.writeBack(); err != nil {
			// Leave the file untrimmed: reopening finds its entries.
			errs = append(errs, err)
			trim = false
		}
	}
	s.rw.Lock()
	target := s.n.Load() * int64(s.es)
	if s.m != nil {
		if err := s.m.Unmap(); err != nil {
			errs = append(errs, err)
		}
		s.m = nil
	}
	s.buf, s.closed, s.bad = nil, true, nil
	s.n.Store(0)
	s.sealed.Store(true)
	s.rw.Unlock()
	if trim && target != s.size {
		if err := s.f.Truncate(target); err != nil {
			errs = append(errs, fmt.Errorf("index: %s: trim to %d bytes: %w", s.path, target, err))
			first = nil
		}
	}
	if trim && first != nil {
		if _, err := s.f.WriteAt(first, 0); err != nil {
			errs = append(errs, fmt.Errorf("index: %s: write its entry: %w", s.path, err))
		}
	}
	if err := s.f.Close(); err != nil {
		errs = append(errs, fmt.Errorf("index: close %s: %w", s.path, err))
	}
	return errors.Join(errs...)
}
