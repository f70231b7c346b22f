package index

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/stratabroker/strata/internal/vfs"
)

const timeEntrySize = 12

// noTimestamp is Kafka's RecordBatch.NO_TIMESTAMP.
const noTimestamp = -1

// Time is a segment's time index (the .timeindex file): a sparse map from
// timestamps to offsets. An entry (T, O) says that every record with a
// timestamp greater than T lies at an offset greater than O. See the package
// documentation for the layout and the concurrency rules.
type Time struct {
	s store
}

// OpenTime opens the time index at path, creating an empty one if the file
// does not exist, for the segment whose first offset is baseOffset.
// maxBytes (segment.index.bytes) bounds the index; it is rounded down to a
// multiple of 12. Over vfs.OS opening reads only the tail of the file; a file that is
// not a valid index opens anyway and fails SanityCheck.
func OpenTime(fs vfs.FS, path string, baseOffset int64, maxBytes int) (*Time, error) {
	x := new(Time)
	if err := x.s.open(fs, path, baseOffset, maxBytes, timeEntrySize); err != nil {
		return nil, err
	}
	return x, nil
}

func timeEntry(b []byte, i int) (ts, rel int64) {
	e := b[i*timeEntrySize : (i+1)*timeEntrySize]
	return int64(binary.BigEndian.Uint64(e)), int64(int32(binary.BigEndian.Uint32(e[8:])))
}

// BaseOffset is the segment's first offset, the origin of relative offsets.
func (x *Time) BaseOffset() int64 { return x.s.base }

// Entries is the number of entries.
func (x *Time) Entries() int { return x.s.entries() }

// Full reports whether MaybeAppend would return ErrIndexFull for a new
// entry: as in Kafka, the last slot is kept for MaybeAppendFinal, so Full is
// true one entry before the index is; or the index was trimmed.
func (x *Time) Full() bool { return x.s.full(1) }

// MaybeAppend adds the entry (timestamp, offset) if timestamp is greater
// than the last entry's (on an empty index: if it is not negative), and
// otherwise does nothing (Kafka's maybeAppend). It returns ErrOutOfOrder
// when timestamp or offset is below the last entry's, or when a greater
// timestamp comes with the last entry's offset; ErrRelativeOffset for an
// offset outside [base, base+2^31-1]; ErrIndexFull when an entry would be
// added and Full is true.
func (x *Time) MaybeAppend(timestamp, offset int64) error {
	return x.maybeAppend(timestamp, offset, 1)
}

// MaybeAppendFinal is MaybeAppend for the entry written when the segment is
// rolled or closed (Kafka's maybeAppend with skipFullCheck): it may use the
// slot that Full keeps free.
func (x *Time) MaybeAppendFinal(timestamp, offset int64) error {
	return x.maybeAppend(timestamp, offset, 0)
}

func (x *Time) maybeAppend(timestamp, offset int64, reserve int64) error {
	s := &x.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("%w: append to %s", ErrClosed, s.path)
	}
	n := int(s.n.Load())
	lastTs, lastRel := int64(noTimestamp), int64(0)
	if n > 0 {
		lastTs, lastRel = timeEntry(s.buf, n-1)
		if offset < s.base+lastRel || timestamp < lastTs {
			return fmt.Errorf("%w: %s: entry (%d, %d) after (%d, %d)",
				ErrOutOfOrder, s.path, timestamp, offset, lastTs, s.base+lastRel)
		}
	}
	if timestamp <= lastTs {
		return nil
	}
	if n > 0 && offset == s.base+lastRel {
		return fmt.Errorf("%w: %s: entry (%d, %d) after (%d, %d): same offset",
			ErrOutOfOrder, s.path, timestamp, offset, lastTs, offset)
	}
	rel, err := s.relative(offset)
	if err != nil {
		return err
	}
	if s.full(reserve) {
		return fmt.Errorf("%w: %s holds %d entries", ErrIndexFull, s.path, n)
	}
	e, err := s.slot(n)
	if err != nil {
		return err
	}
	binary.BigEndian.PutUint64(e, uint64(timestamp))
	binary.BigEndian.PutUint32(e[8:], uint32(rel))
	s.publish(n)
	return nil
}

// Lookup returns the greatest entry whose timestamp is at most ts, or
// (-1, BaseOffset()) if there is none: the offset from which to scan the log
// for the first record with a timestamp of ts or more. It searches the warm
// tail first and does not allocate.
func (x *Time) Lookup(ts int64) (timestamp, offset int64) {
	s := &x.s
	s.rw.RLock()
	slot, _ := floor(s.buf, s.entries(), timeKey, ts)
	if slot < 0 {
		s.rw.RUnlock()
		return noTimestamp, s.base
	}
	t, rel := timeEntry(s.buf, slot)
	s.rw.RUnlock()
	return t, s.base + rel
}

// Entry returns entry i. It panics unless 0 <= i < Entries().
func (x *Time) Entry(i int) (timestamp, offset int64) {
	s := &x.s
	s.rw.RLock()
	if n := s.entries(); i < 0 || i >= n {
		s.rw.RUnlock()
		panic(fmt.Sprintf("index: entry %d of %s, which has %d", i, s.path, n))
	}
	t, rel := timeEntry(s.buf, i)
	s.rw.RUnlock()
	return t, s.base + rel
}

// LastEntry returns the last entry, or (-1, BaseOffset()) when there is none.
func (x *Time) LastEntry() (timestamp, offset int64) {
	s := &x.s
	s.rw.RLock()
	n := s.entries()
	if n == 0 {
		s.rw.RUnlock()
		return noTimestamp, s.base
	}
	t, rel := timeEntry(s.buf, n-1)
	s.rw.RUnlock()
	return t, s.base + rel
}

// TruncateTo removes the entries whose offset is offset or greater and
// allows appends again if the index was trimmed.
func (x *Time) TruncateTo(offset int64) {
	s := &x.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.truncateEntries(truncSlot(s, timeValue, offset))
}

// Reset removes every entry, and forgets a fault of the file's length,
// before the index is rebuilt from the log.
func (x *Time) Reset() {
	s := &x.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reset()
}

// SanityCheck returns an error wrapping ErrCorruptIndex unless the file's
// length is a multiple of 12, the entries' timestamps are not negative and
// strictly increase, and their offsets are at least the base offset and
// strictly increase. It reads every entry.
func (x *Time) SanityCheck() error {
	s := &x.s
	s.rw.RLock()
	defer s.rw.RUnlock()
	if s.closed {
		return fmt.Errorf("%w: sanity check of %s", ErrClosed, s.path)
	}
	if s.bad != nil {
		return s.bad
	}
	prevTs, prevRel := int64(noTimestamp), int64(-1)
	for i := range s.entries() {
		ts, rel := timeEntry(s.buf, i)
		switch {
		case rel < 0:
			return fmt.Errorf("%w: %s: entry %d: offset %d is below the base offset %d",
				ErrCorruptIndex, s.path, i, s.base+rel, s.base)
		case rel <= prevRel:
			return fmt.Errorf("%w: %s: entry %d: offset %d does not follow %d",
				ErrCorruptIndex, s.path, i, s.base+rel, s.base+prevRel)
		case ts <= prevTs:
			return fmt.Errorf("%w: %s: entry %d: timestamp %d does not follow %d",
				ErrCorruptIndex, s.path, i, ts, prevTs)
		}
		prevTs, prevRel = ts, rel
	}
	return nil
}

// Flush makes the entries durable: msync on the mmap path, write-back and
// fsync on the heap path. It may run concurrently with MaybeAppend.
func (x *Time) Flush() error { return x.s.flush() }

// Trim shrinks the file to exactly Entries()*12 bytes, as on a segment roll.
// Afterwards Full is true and MaybeAppend returns ErrIndexFull for a new
// entry, until TruncateTo or Reset. Trim does not fsync; Flush does.
func (x *Time) Trim() error {
	s := &x.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.trim()
}

// Close trims the file (as Trim), unmaps it and closes it. It does not
// fsync: Flush first for durability. Afterwards the index is empty, Lookup
// returns (-1, BaseOffset()) and mutations return ErrClosed. A second Close
// does nothing.
func (x *Time) Close() error { return x.s.close(false) }

// CloseKeeping closes the index as Close does, and an index that holds no
// entry is left holding (timestamp, offset), written with one pwrite: the
// entry Kafka's close appends (the largest timestamp so far), without
// growing and mapping the file for it. A time index file left empty has
// no disk block, and rebuilding it after a crash faults one in, which cost
// milliseconds per segment. A timestamp of -1 (none) or an offset outside
// the segment's range writes nothing.
func (x *Time) CloseKeeping(timestamp, offset int64) error {
	rel := offset - x.s.base
	if timestamp < 0 || rel < 0 || rel > math.MaxInt32 {
		return x.s.close(false)
	}
	e := make([]byte, timeEntrySize)
	binary.BigEndian.PutUint64(e, uint64(timestamp))
	binary.BigEndian.PutUint32(e[8:], uint32(rel))
	return x.s.closeWith(false, e)
}

// Discard closes the index of a file that is being deleted: unmapped and
// closed, without the write-back or the trim that Close does.
func (x *Time) Discard() error { return x.s.close(true) }
