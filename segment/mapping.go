package segment

import (
	"math"

	"github.com/stratabroker/strata/internal/mmap"
)

// Over vfs.OS the .log is mapped read-only (internal/mmap, MAP_SHARED) for
// readers; appends use pwrite (doc.go has the measurements behind both).
//
//   - A loaded segment is mapped to exactly its size. A segment being
//     appended to is mapped ahead of its size, by doubling from 16 MiB, and
//     remapped (under trunc, held exclusively) when an append would end
//     past the mapping; Seal maps it to its size again.
//   - Readers walk batch headers and decode batches through the mapping,
//     holding trunc shared, and never past the published size, which never
//     exceeds the file's length; past the mapping they use ReadAt.
//
// Every touch of the mapping runs with debug.SetPanicOnFault, so that the
// SIGBUS of an I/O error paging the file in (or of a file shrunk behind
// the segment's back) fails the call instead of killing the process.

// mapGrain rounds mapping lengths: a multiple of every page size.
const mapGrain = 1 << 16

// minReadMap is the smallest read-only mapping made for a segment that
// grows through pwrite.
const minReadMap = 16 << 20

func roundUp(n, to int64) int64 { return (n + to - 1) / to * to }

// setMappingLocked replaces the mapping. trunc must be held exclusively,
// and appendMu.
func (s *Segment) setMappingLocked(m *mmap.Mapping) {
	if s.m != nil {
		_ = s.m.Unmap() // fails only for a range the kernel did not map, which a Mapping never holds
	}
	s.m, s.mb = m, nil
	if m != nil {
		s.mb = m.Bytes()
	}
}

// mapLocked maps the first n bytes of the log, read-only; false (and
// logged, and no further attempts: readers use ReadAt) if that fails.
// trunc must be held exclusively, and appendMu.
func (s *Segment) mapLocked(n int64) bool {
	n = roundUp(n, mapGrain)
	if s.fd == nil || s.mapFailed || n <= 0 || n > math.MaxInt {
		return false
	}
	m, err := mmap.Map(s.fd.Fd(), int(n), false)
	if err != nil {
		s.mapFailed = true
		s.log.Warn("segment: cannot map the log; reading it with pread", "segment", s.logPathNow(), "err", err)
		return false
	}
	s.setMappingLocked(m)
	return true
}

// mapReadLocked maps the log read-only to cover size bytes exactly (a
// loaded or sealed segment), or unmaps it when size is 0. trunc must be
// held exclusively, and appendMu.
func (s *Segment) mapReadLocked(size int64) {
	if size == 0 {
		s.setMappingLocked(nil)
		return
	}
	if roundUp(size, mapGrain) != int64(len(s.mb)) {
		s.mapLocked(size)
	}
}

// growReadLocked makes the read-only mapping cover end bytes, with room to
// grow, for a segment appended to with pwrite. trunc must be held
// exclusively, and appendMu.
func (s *Segment) growReadLocked(end int64) {
	if end > int64(len(s.mb)) {
		s.mapLocked(max(end, 2*int64(len(s.mb)), minReadMap))
	}
}
