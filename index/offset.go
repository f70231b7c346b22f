package index

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/stratabroker/strata/internal/vfs"
)

const offsetEntrySize = 8

// Offset is a segment's offset index (the .index file): a sparse map from
// offsets to byte positions in the segment's log. See the package
// documentation for the layout and the concurrency rules.
type Offset struct {
	s store
}

// OpenOffset opens the offset index at path, creating an empty one if the
// file does not exist, for the segment whose first offset is baseOffset.
// maxBytes (segment.index.bytes) bounds the index; it is rounded down to a
// multiple of 8. Over vfs.OS opening reads only the tail of the file; a file that is
// not a valid index opens anyway and fails SanityCheck.
func OpenOffset(fs vfs.FS, path string, baseOffset int64, maxBytes int) (*Offset, error) {
	x := new(Offset)
	if err := x.s.open(fs, path, baseOffset, maxBytes, offsetEntrySize); err != nil {
		return nil, err
	}
	return x, nil
}

func offsetEntry(b []byte, i int) (rel, pos int64) {
	e := b[i*offsetEntrySize : (i+1)*offsetEntrySize]
	return int64(int32(binary.BigEndian.Uint32(e))), int64(binary.BigEndian.Uint32(e[4:]))
}

// BaseOffset is the segment's first offset, the origin of relative offsets.
func (x *Offset) BaseOffset() int64 { return x.s.base }

// Entries is the number of entries.
func (x *Offset) Entries() int { return x.s.entries() }

// Full reports whether Append would return ErrIndexFull: every entry up to
// maxBytes is used, or the index was trimmed.
func (x *Offset) Full() bool { return x.s.full(0) }

// Append adds an entry: the batch holding offset starts at byte position of
// the log. offset and position must be greater than the last entry's
// (ErrOutOfOrder), offset within [base, base+2^31-1] (ErrRelativeOffset),
// position within [0, 2^32-1] (ErrPosition). It returns ErrIndexFull when
// Full. The entry is visible to Lookup when Append returns; Flush makes it
// durable.
func (x *Offset) Append(offset, position int64) error {
	s := &x.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("%w: append to %s", ErrClosed, s.path)
	}
	n := int(s.n.Load())
	if s.full(0) {
		return fmt.Errorf("%w: %s holds %d entries", ErrIndexFull, s.path, n)
	}
	rel, err := s.relative(offset)
	if err != nil {
		return err
	}
	if position < 0 || position > math.MaxUint32 {
		return fmt.Errorf("%w: %s: position %d", ErrPosition, s.path, position)
	}
	if n > 0 {
		lastRel, lastPos := offsetEntry(s.buf, n-1)
		if rel <= lastRel || position <= lastPos {
			return fmt.Errorf("%w: %s: entry (%d, %d) after (%d, %d)",
				ErrOutOfOrder, s.path, offset, position, s.base+lastRel, lastPos)
		}
	}
	e, err := s.slot(n)
	if err != nil {
		return err
	}
	binary.BigEndian.PutUint32(e, uint32(rel))
	binary.BigEndian.PutUint32(e[4:], uint32(position))
	s.publish(n)
	return nil
}

// Lookup returns the greatest entry whose offset is at most target, or
// (BaseOffset(), 0) if there is none: the position from which to scan the
// log forward for target. It searches the warm tail first and does not
// allocate.
func (x *Offset) Lookup(target int64) (offset, position int64) {
	s := &x.s
	s.rw.RLock()
	slot := -1
	if target >= s.base {
		slot, _ = floor(s.buf, s.entries(), offsetKey, target-s.base)
	}
	if slot < 0 {
		s.rw.RUnlock()
		return s.base, 0
	}
	rel, pos := offsetEntry(s.buf, slot)
	s.rw.RUnlock()
	return s.base + rel, pos
}

// Entry returns entry i. It panics unless 0 <= i < Entries().
func (x *Offset) Entry(i int) (offset, position int64) {
	s := &x.s
	s.rw.RLock()
	if n := s.entries(); i < 0 || i >= n {
		s.rw.RUnlock()
		panic(fmt.Sprintf("index: entry %d of %s, which has %d", i, s.path, n))
	}
	rel, pos := offsetEntry(s.buf, i)
	s.rw.RUnlock()
	return s.base + rel, pos
}

// LastEntry returns the last entry, or (BaseOffset(), 0) when there is none.
func (x *Offset) LastEntry() (offset, position int64) {
	s := &x.s
	s.rw.RLock()
	n := s.entries()
	if n == 0 {
		s.rw.RUnlock()
		return s.base, 0
	}
	rel, pos := offsetEntry(s.buf, n-1)
	s.rw.RUnlock()
	return s.base + rel, pos
}

// TruncateTo removes the entries whose offset is offset or greater (Kafka's
// truncateTo: the greatest entry at most offset is dropped if it is exactly
// offset) and allows appends again if the index was trimmed.
func (x *Offset) TruncateTo(offset int64) {
	s := &x.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.truncateEntries(truncSlot(s, offsetKey, offset))
}

// truncSlot is the number of entries that TruncateTo(offset) keeps. mu must
// be held (buf is stable).
func truncSlot(s *store, k key, offset int64) int {
	if offset < s.base {
		return 0
	}
	rel := offset - s.base
	slot, _ := floor(s.buf, s.entries(), k, rel)
	switch {
	case slot < 0:
		return 0
	case k.at(s.buf, slot) == rel:
		return slot
	default:
		return slot + 1
	}
}

// Reset removes every entry, and forgets a fault of the file's length,
// before the index is rebuilt from the log with Append.
func (x *Offset) Reset() {
	s := &x.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reset()
}

// SanityCheck returns an error wrapping ErrCorruptIndex unless the file's
// length is a multiple of 8 and the entries' offsets are at least the base
// offset and strictly increase, as do their positions. It reads every entry.
func (x *Offset) SanityCheck() error {
	s := &x.s
	s.rw.RLock()
	defer s.rw.RUnlock()
	if s.closed {
		return fmt.Errorf("%w: sanity check of %s", ErrClosed, s.path)
	}
	if s.bad != nil {
		return s.bad
	}
	prevRel, prevPos := int64(-1), int64(-1)
	for i := range s.entries() {
		rel, pos := offsetEntry(s.buf, i)
		switch {
		case rel < 0:
			return fmt.Errorf("%w: %s: entry %d: offset %d is below the base offset %d",
				ErrCorruptIndex, s.path, i, s.base+rel, s.base)
		case rel <= prevRel:
			return fmt.Errorf("%w: %s: entry %d: offset %d does not follow %d",
				ErrCorruptIndex, s.path, i, s.base+rel, s.base+prevRel)
		case pos <= prevPos:
			return fmt.Errorf("%w: %s: entry %d: position %d does not follow %d",
				ErrCorruptIndex, s.path, i, pos, prevPos)
		}
		prevRel, prevPos = rel, pos
	}
	return nil
}

// Flush makes the entries durable: msync on the mmap path, write-back and
// fsync on the heap path. It may run concurrently with Append.
func (x *Offset) Flush() error { return x.s.flush() }

// Trim shrinks the file to exactly Entries()*8 bytes, as on a segment roll.
// Afterwards Full is true and Append returns ErrIndexFull, until TruncateTo
// or Reset. Trim does not fsync; Flush does.
func (x *Offset) Trim() error {
	s := &x.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.trim()
}

// Close trims the file (as Trim), unmaps it and closes it. It does not
// fsync: Flush first for durability. Afterwards the index is empty, Lookup
// returns (BaseOffset(), 0) and mutations return ErrClosed. A second Close
// does nothing.
func (x *Offset) Close() error { return x.s.close(false) }

// Discard closes the index of a file that is being deleted: unmapped and
// closed, without the write-back or the trim that Close does.
func (x *Offset) Discard() error { return x.s.close(true) }
