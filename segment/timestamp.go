package segment

import (
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/stratabroker/strata/recordbatch"
)

var iteratorPool = sync.Pool{New: func() any { return new(recordbatch.Iterator) }}

// FindTimestamp returns the offset and timestamp of the first record whose
// timestamp is ts or later; found is false when no record of the segment
// has one. It is FindTimestampFrom(ts, Base()).
func (s *Segment) FindTimestamp(ts int64) (offset, timestamp int64, found bool, err error) {
	return s.FindTimestampFrom(ts, s.base)
}

// FindTimestampFrom is Kafka's LogSegment.findOffsetByTimestamp: the first
// record with a timestamp of ts or later and an offset of startingOffset or
// later (the log start offset, which may lie inside the segment). The time
// index gives the greatest entry at or below ts, the offset index the
// position of that entry's batch, and from there the first batch whose
// MaxTimestamp is at least ts is decoded to find the record (in a
// LogAppendTime batch every record carries the batch's MaxTimestamp).
// Compressed batches are decompressed, up to MaxDecompressedBytes.
func (s *Segment) FindTimestampFrom(ts, startingOffset int64) (offset, timestamp int64, found bool, err error) {
	if !s.hold() {
		return 0, 0, false, ErrClosed
	}
	defer s.Release()
	if err := s.use(); err != nil {
		return 0, 0, false, err
	}
	s.trunc.RLock()
	defer s.trunc.RUnlock()
	defer catchFault(s.base, &err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	_, to := s.tim.Lookup(ts)
	v := s.view(0)
	defer v.release()
	pos, err := v.startAt(max(to, startingOffset))
	if err != nil {
		return -1, -1, false, nil
	}
	it := iteratorPool.Get().(*recordbatch.Iterator)
	defer putIterator(it)
	var buf []byte
	for pos < v.size {
		b, err := v.batch(pos)
		if err != nil {
			return 0, 0, false, err
		}
		if b.maxTs >= ts && b.last >= startingOffset {
			data, err := v.bytes(b, &buf)
			if err != nil {
				return 0, 0, false, err
			}
			it.Reset(data, s.opts.MaxDecompressedBytes)
			for it.Next() {
				if r := it.Record(); r.Timestamp >= ts && r.Offset >= startingOffset {
					return r.Offset, r.Timestamp, true, nil
				}
			}
			if err := it.Err(); err != nil {
				return 0, 0, false, fmt.Errorf("segment %d: batch at %d: %w", s.base, pos, err)
			}
		}
		pos += b.size
	}
	return -1, -1, false, nil
}

func putIterator(it *recordbatch.Iterator) {
	it.Reset(nil, 0) // drop the reference to the batch, which may be the mapping
	iteratorPool.Put(it)
}

// startAt returns the position of the offset index's floor entry for
// offset, checked to start a batch that ends at the entry's offset, or 0
// when there is no entry or it disagrees with the log (which marks the
// indexes for a rebuild). It sets v.size to the published size, read after
// the lookup; errNotPublished means the entry belongs to a batch being
// appended, so nothing at or past offset is published.
func (v *view) startAt(offset int64) (int64, error) {
	s := v.s
	o, p := s.off.Lookup(offset)
	v.size = s.size.Load()
	if p == 0 {
		return 0, nil
	}
	if p >= v.size {
		return 0, ErrOffsetNotFound
	}
	if b, err := v.batch(p); err != nil || b.last != o {
		s.markSuspect("offset index entry", p)
		return 0, nil
	}
	return p, nil
}

// MaxTimestamp returns the largest MaxTimestamp of the segment's batches
// and the offset that Kafka answers ListOffsets with for MAX_TIMESTAMP (-3)
// since KAFKA-16310 (3.7.1, 3.8): the offset of the first record carrying
// that timestamp in the first batch whose MaxTimestamp it is (for a
// LogAppendTime batch, whose records all carry it, its first record); the
// releases that bug affected answered the batch's last offset. It returns
// (-1, -1) for an empty segment, and offset -1 when that batch holds no
// record with the timestamp (Kafka then finds no offset either). The
// offset is computed on the first call after the maximum changes, then
// cached.
func (s *Segment) MaxTimestamp() (ts, offset int64, err error) {
	if !s.hold() {
		return 0, 0, ErrClosed
	}
	defer s.Release()
	if err := s.ready(); err != nil {
		return 0, 0, err
	}
	s.maxMu.Lock()
	ts, shallow, resolved, resolvedOff := s.maxTs, s.maxOff, s.resolved, s.resolvedOff
	s.maxMu.Unlock()
	if resolved {
		return ts, resolvedOff, nil
	}
	if s.size.Load() == 0 {
		return -1, -1, nil
	}
	if err := s.use(); err != nil {
		return 0, 0, err
	}
	offset, err = s.offsetOfMaxTimestamp(ts, shallow)
	if err != nil {
		return 0, 0, err
	}
	s.maxMu.Lock()
	if s.maxTs == ts && s.maxOff == shallow {
		s.resolved, s.resolvedOff = true, offset
	}
	s.maxMu.Unlock()
	return ts, offset, nil
}

// offsetOfMaxTimestamp finds, from the index position of shallow (the last
// offset of the batch that carried ts first), the first batch whose
// MaxTimestamp is ts, and in it the first record with timestamp ts; -1 if
// there is none.
func (s *Segment) offsetOfMaxTimestamp(ts, shallow int64) (offset int64, err error) {
	s.trunc.RLock()
	defer s.trunc.RUnlock()
	defer catchFault(s.base, &err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	v := s.view(0)
	defer v.release()
	pos, err := v.startAt(shallow)
	if err != nil {
		return -1, nil
	}
	for pos < v.size {
		b, err := v.batch(pos)
		if err != nil {
			return 0, err
		}
		if b.maxTs == ts {
			var buf []byte
			data, err := v.bytes(b, &buf)
			if err != nil {
				return 0, err
			}
			it := iteratorPool.Get().(*recordbatch.Iterator)
			defer putIterator(it)
			it.Reset(data, s.opts.MaxDecompressedBytes)
			for it.Next() {
				if r := it.Record(); r.Timestamp == ts {
					return r.Offset, nil
				}
			}
			if err := it.Err(); err != nil {
				return 0, fmt.Errorf("segment %d: batch at %d: %w", s.base, pos, err)
			}
			return -1, nil
		}
		pos += b.size
	}
	return -1, nil
}

// RollTimestamp is the MaxTimestamp of the segment's first batch, which
// Kafka's time-based roll (segment.ms) measures from
// (rollingBasedTimestamp); ok is false when the segment is empty or its
// first batch cannot be read. It reads one header the first time and
// caches it; it does not load the indexes.
func (s *Segment) RollTimestamp() (ms int64, ok bool) {
	if v := s.rollTs.Load(); v != noRollTimestamp {
		return v, true
	}
	if !s.hold() {
		return 0, false
	}
	defer s.Release()
	if s.size.Load() == 0 || s.files() != nil {
		return 0, false
	}
	ms, err := s.readRollTimestamp()
	return ms, err == nil
}

func (s *Segment) readRollTimestamp() (ms int64, err error) {
	s.trunc.RLock()
	defer s.trunc.RUnlock()
	defer catchFault(s.base, &err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	v := s.view(s.size.Load())
	defer v.release()
	if v.size == 0 {
		return 0, ErrOffsetNotFound
	}
	b, err := v.batch(0)
	if err != nil {
		return 0, err
	}
	s.rollTs.CompareAndSwap(noRollTimestamp, b.maxTs)
	return b.maxTs, nil
}
