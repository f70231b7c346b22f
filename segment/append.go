package segment

import (
	"errors"
	"fmt"

	"github.com/stratabroker/strata/index"
	"github.com/stratabroker/strata/recordbatch"
)

// Append writes one whole v2 batch at the end of the log. Its base offset
// is final (the partition assigned it) and must be at least NextOffset();
// its last offset must Fit. The CRC is not checked: the partition
// validated the batch. As Kafka's LogSegment.append does, Append adds an
// offset-index entry for the batch once more than IndexIntervalBytes were
// appended since the last entry's batch, with a time-index entry for the
// largest timestamp so far, and tracks that largest timestamp.
//
// Appends must be serialised by the caller. The batch is visible to
// readers only once it is wholly written. On error nothing changed: a
// write that failed midway is cut off again (the log is truncated back to
// its previous size) and an index entry already added is removed. Errors:
// ErrInvalidBatch, ErrSegmentFull, ErrClosed, or the filesystem's error
// (ENOSPC...) with context.
func (s *Segment) Append(batch []byte) error {
	if !s.hold() {
		return ErrClosed
	}
	defer s.Release()
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	if err := s.useLocked(); err != nil {
		return err
	}
	h, err := s.checkAppend(batch)
	if err != nil {
		return err
	}
	pos := s.size.Load()
	end := pos + int64(len(batch))
	if end > MaxLogBytes {
		return fmt.Errorf("%w: segment %d holds %d bytes; a %d-byte batch would pass %d",
			ErrSegmentFull, s.base, pos, len(batch), int64(MaxLogBytes))
	}
	if !s.dirty.Load() {
		s.dirty.Store(true)
	}
	if err := s.write(batch, pos, end); err != nil {
		s.cutBack(pos)
		return fmt.Errorf("segment %d: append %d bytes at %d: %w", s.base, len(batch), pos, err)
	}

	last, ts := h.LastOffset(), h.MaxTimestamp()
	maxTs, maxOff := s.maxTs, s.maxOff
	raised := ts > maxTs
	if raised {
		maxTs, maxOff = ts, last
	}
	if s.bytesSince > int64(s.opts.IndexIntervalBytes) {
		// The entry goes in before the size is published: a reader that
		// sees it before the batch finds its position at or past the size
		// it reads next (see find).
		if err := s.off.Append(last, pos); err != nil && !s.benignIndexError(err) {
			s.cutBack(pos)
			return fmt.Errorf("segment %d: append: %w", s.base, err)
		}
		if err := timeIndexError(s.tim.MaybeAppend(maxTs, maxOff)); err != nil {
			s.trunc.Lock()
			s.off.TruncateTo(h.BaseOffset())
			s.trunc.Unlock()
			s.cutBack(pos)
			return fmt.Errorf("segment %d: append: %w", s.base, err)
		}
		s.bytesSince = 0
	}
	s.bytesSince += int64(len(batch))
	if pos == 0 {
		s.rollTs.Store(ts)
	}
	s.size.Store(end)
	s.next.Store(last + 1)
	if raised {
		s.maxMu.Lock()
		s.maxTs, s.maxOff, s.resolved = maxTs, maxOff, false
		s.maxMu.Unlock()
	}
	return nil
}

// checkAppend checks that batch is one whole v2 batch that may follow the
// segment's last batch.
func (s *Segment) checkAppend(batch []byte) (recordbatch.Header, error) {
	if len(batch) < recordbatch.HeaderSize {
		return nil, fmt.Errorf("%w: %d bytes, shorter than a batch header", ErrInvalidBatch, len(batch))
	}
	h := recordbatch.Header(batch)
	if l := h.BatchLength(); l < minBatchLength || h.Size() != len(batch) {
		return nil, fmt.Errorf("%w: length field %d for %d bytes", ErrInvalidBatch, l, len(batch))
	}
	if m := h.Magic(); m != recordbatch.MagicV2 {
		return nil, fmt.Errorf("%w: magic %d", ErrInvalidBatch, m)
	}
	if d := h.LastOffsetDelta(); d < 0 {
		return nil, fmt.Errorf("%w: negative last offset delta %d", ErrInvalidBatch, d)
	}
	if base, next := h.BaseOffset(), s.next.Load(); base < next {
		return nil, fmt.Errorf("%w: base offset %d, segment %d is at %d", ErrInvalidBatch, base, s.base, next)
	}
	if last := h.LastOffset(); !s.Fits(last) {
		return nil, fmt.Errorf("%w: last offset %d does not fit segment %d", ErrInvalidBatch, last, s.base)
	}
	return h, nil
}

// benignIndexError reports whether the offset index refused an entry for a
// reason that leaves the log correct without it: indexes are sparse. A
// full index (the caller should have rolled) or a relative offset out of
// range costs lookups a longer walk; an entry out of order means the index
// disagrees with the log, which is rebuilt before the next call. Anything
// else is an I/O error, which fails the append. (timeIndexError is the
// time index's counterpart.)
func (s *Segment) benignIndexError(err error) bool {
	switch {
	case errors.Is(err, index.ErrIndexFull), errors.Is(err, index.ErrRelativeOffset):
		return true
	case errors.Is(err, index.ErrOutOfOrder):
		s.state.CompareAndSwap(stateReady, stateSuspect)
		s.log.Warn("segment: index refused an entry; it will be rebuilt", "segment", s.logPathNow(), "err", err)
		return true
	}
	return false
}

// write writes batch at [pos, end) with pwrite (see doc.go for why not
// through a mapping), after extending the file ahead of it and growing the
// readers' mapping over it. appendMu must be held.
func (s *Segment) write(batch []byte, pos, end int64) error {
	// Best effort: if the file cannot be extended, the write extends it.
	_ = s.extend(end)
	// appendMu makes reading mb safe here.
	if s.fd != nil && end > int64(len(s.mb)) && !s.mapFailed {
		s.trunc.Lock()
		s.growReadLocked(end)
		s.trunc.Unlock()
	}
	_, err := s.f.WriteAt(batch, pos)
	return err
}

// minLead is the first preallocation of a segment's log (or
// PreallocateBytes if smaller).
const minLead = 64 << 10

// extend keeps the file at least lead/2 past end, extending it to about
// lead past end (rounded down to mapGrain, and never short of end) with
// its blocks reserved (fallocate) when it is not, so that appends neither
// grow the file nor allocate blocks one by one; never past MaxBytes
// (rounded up), or end if that is larger. The lead starts at minLead and
// doubles at each extension after the first, up to PreallocateBytes: a
// segment that took a few small batches reserves 64 KiB, one that keeps
// being appended to soon runs PreallocateBytes ahead. appendMu must be
// held.
func (s *Segment) extend(end int64) error {
	p := s.opts.PreallocateBytes
	if p <= 0 {
		return nil
	}
	limit := int64(MaxLogBytes)
	if m := s.opts.MaxBytes; m > 0 {
		limit = min(limit, roundUp(max(m, end), mapGrain))
	}
	if s.lead == 0 {
		s.lead = min(minLead, p)
	}
	if s.fileSize >= min(end+s.lead/2, limit) {
		return nil
	}
	if s.fileSize > 0 && s.lead < p {
		s.lead = min(2*s.lead, p) // the lead was used up: the segment is busy
	}
	target := min(max(roundUp(end, mapGrain), (end+s.lead)/mapGrain*mapGrain), limit)
	if target <= s.fileSize {
		return nil
	}
	if err := s.f.Allocate(s.fileSize, target-s.fileSize); err != nil {
		return err
	}
	if err := s.f.Truncate(target); err != nil {
		return err
	}
	s.fileSize = target
	return nil
}

// cutBack undoes a failed append: the log is truncated to pos, its size
// before the append, dropping a partial write and any preallocated tail.
// If that fails too, the unpublished bytes past pos are overwritten by the
// next append or cut by Recover. appendMu must be held.
func (s *Segment) cutBack(pos int64) {
	if err := s.f.Truncate(pos); err != nil {
		s.log.Error("segment: cannot cut back a failed append", "segment", s.logPathNow(), "size", pos, "err", err)
	}
	s.fileSize = pos
}
