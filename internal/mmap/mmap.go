// Package mmap maps files into memory. It is the only package of Strata that
// calls mmap(2), munmap(2), msync(2) and madvise(2).
//
// # Lifetime
//
// A Mapping's bytes are memory owned by the kernel, not by the Go heap, and
// the rules for them are stricter than for a slice:
//
//   - Bytes returns the mapped region. It, and every slice taken from it, is
//     valid only until Unmap. Touching it afterwards is not a Go panic: the
//     process dies with SIGSEGV. Never retain such a slice past Unmap, and
//     never hand one to a goroutine whose lifetime the owner does not control;
//     copy out what must outlive the mapping.
//   - The owner serialises Unmap against every other use of the Mapping and
//     its bytes (typically with a sync.RWMutex: readers hold the read lock
//     while they touch Bytes, Unmap runs under the write lock). A Mapping does
//     no locking of its own.
//   - A mapping stays valid after its file descriptor is closed. Shrinking the
//     file below the mapped length makes the pages past the new end raise
//     SIGBUS when touched: unmap before truncating, then map again.
//   - Writing to a page of a sparse (unallocated) region of the file on a full
//     disk raises SIGBUS. Reserve blocks (vfs.File.Allocate) before writing
//     into a region that may be sparse.
//   - Reading a page that is not in the page cache blocks the OS thread on a
//     major page fault while the Go scheduler believes the goroutine is
//     running; map small, hot files (indexes), stream large ones.
//
// Map is implemented on Linux only; elsewhere it returns ErrUnsupported and
// callers fall back to reading the file into the heap.
package mmap

import "errors"

var (
	// ErrUnsupported is returned by Map on platforms without an
	// implementation; the caller uses a heap buffer instead.
	ErrUnsupported = errors.New("mmap: not supported on this platform")
	// ErrInvalidSize is returned by Map for a size that is not positive.
	ErrInvalidSize = errors.New("mmap: invalid size")
	// ErrUnmapped is returned by Sync and Advise after Unmap.
	ErrUnmapped = errors.New("mmap: mapping already unmapped")
)

// Mapping is one mmap'd region of a file, starting at file offset 0. The zero
// value is an unmapped Mapping. See the package documentation for the
// lifetime rules of its bytes.
type Mapping struct {
	b        []byte
	writable bool
}

// Advice is a hint about the access pattern of a mapping (madvise(2)).
type Advice int

// The advice values Advise accepts.
const (
	Normal     Advice = iota // MADV_NORMAL: the kernel's default read-ahead
	Random                   // MADV_RANDOM: no read-ahead
	Sequential               // MADV_SEQUENTIAL: aggressive read-ahead, early reclaim
	WillNeed                 // MADV_WILLNEED: start reading the pages in now
	DontNeed                 // MADV_DONTNEED: the pages may be dropped from this mapping
)

// Bytes returns the mapped region, nil after Unmap. The slice is valid only
// until Unmap; a writable mapping's bytes may be written, and the writes reach
// the file through the page cache (MAP_SHARED).
func (m *Mapping) Bytes() []byte { return m.b }

// Len is the length of the mapped region in bytes, 0 after Unmap.
func (m *Mapping) Len() int { return len(m.b) }

// Writable reports whether the mapping was made with write permission.
func (m *Mapping) Writable() bool { return m.writable }
