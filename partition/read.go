package partition

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/stratabroker/strata/segment"
)

// ReadResult holds whole batches for a fetch, as file ranges to send with
// sendfile or read with pread. The segments stay open until Release.
type ReadResult struct {
	Slices           []segment.Slice
	HighWatermark    int64
	LastStableOffset int64
	LogStartOffset   int64
	Bytes            int64 // the sum of the slices' lengths
	// Aborted (read_committed only) lists the aborted transactions whose
	// data overlaps the offsets read (AbortedTransactions over [offset,
	// last offset read + 1)), nil when none.
	Aborted []AbortedTxn

	segs []*segment.Segment // references to drop
}

// Release drops the segment references Read took. The slices must not be
// used afterwards. Release is idempotent.
func (r *ReadResult) Release() {
	for _, s := range r.segs {
		s.Release()
	}
	r.segs = nil
}

// maxReadAttempts bounds Read's retries when retention deletes a segment
// between loading the view and acquiring it.
const maxReadAttempts = 8

// Read returns whole batches from the one holding offset, up to the high
// watermark, at most maxBytes unless the first batch alone is larger
// (KIP-74: the first batch is always returned whole). When the segment
// holding offset has no more data the read continues in the next segment,
// and later segments add batches only while they fit in maxBytes.
//
// offset == high watermark: an empty result. Offset below the log start
// offset or above the high watermark: ErrOffsetOutOfRange. Read takes no
// lock the appender holds; it takes references on the segments it returns,
// which the caller drops with Release.
func (l *Log) Read(offset int64, maxBytes int) (*ReadResult, error) {
	return l.ReadIsolated(offset, maxBytes, false)
}

// ReadIsolated is Read with Fetch's isolation level: committed
// (read_committed) stops at the last stable offset instead of the high
// watermark (an offset in [LSO, HW] reads nothing) and lists the aborted
// transactions of what it read in ReadResult.Aborted, from the segments'
// transaction indexes: the bytes stay file ranges for sendfile.
func (l *Log) ReadIsolated(offset int64, maxBytes int, committed bool) (*ReadResult, error) {
	for range maxReadAttempts {
		if l.closed.Load() {
			return nil, ErrClosed
		}
		var v *view
		if committed {
			v = l.ensureLSO()
		} else {
			v = l.view.Load()
		}
		r, retry, err := v.read(offset, maxBytes, committed)
		if !retry {
			return r, err
		}
	}
	return nil, fmt.Errorf("%w: read at %d: segments kept changing", ErrStorage, offset)
}

func (v *view) read(offset int64, maxBytes int, committed bool) (r *ReadResult, retry bool, err error) {
	if offset < v.logStart || offset > v.hw {
		return nil, false, fmt.Errorf("%w: offset %d, log start %d, high watermark %d", ErrOffsetOutOfRange, offset, v.logStart, v.hw)
	}
	lso := v.hw
	if v.lsoKnown {
		lso = v.lso
	}
	r = &ReadResult{HighWatermark: v.hw, LastStableOffset: lso, LogStartOffset: v.logStart}
	end, endSeg, endPos := v.hw, len(v.segs)-1, v.hwPos
	if committed && v.lso < v.hw {
		end = v.lso
		if v.lsoSeg == nil {
			// Its batch was not found (logged when it was looked up):
			// stop at the start of the segment that should hold it.
			endSeg, endPos = max(v.find(v.lso), 0), 0
		} else {
			endSeg, endPos = v.find(v.lso), v.lsoPos
			if endSeg < 0 || v.segs[endSeg] != v.lsoSeg {
				endSeg = slices.Index(v.segs, v.lsoSeg)
			}
			if endSeg < 0 {
				return nil, true, nil // retention or a swap took it: the next view has it right
			}
		}
	}
	if offset >= end {
		return r, false, nil
	}
	from := offset
	defer func() {
		if committed && err == nil && !retry && len(r.Slices) > 0 {
			r.Aborted, retry, err = v.abortedTxns(from, r.Slices[len(r.Slices)-1].LastOffset+1)
			if retry || err != nil {
				r.Release()
				r = nil
				if err != nil {
					err = fmt.Errorf("%w: read the transaction index: %w", ErrStorage, err)
				}
			}
		}
	}()
	i := v.find(offset)
	if i < 0 {
		return nil, false, fmt.Errorf("%w: offset %d below the first segment", ErrOffsetOutOfRange, offset)
	}
	remaining := int64(maxBytes)
	for ; i <= endSeg; i++ {
		s := v.segs[i]
		if !s.Acquire() {
			r.Release()
			return nil, true, nil
		}
		maxPos := s.Size()
		if i == endSeg {
			maxPos = endPos
		}
		sl, err := s.Read(offset, int(min(max(remaining, 0), int64(maxInt))), maxPos)
		switch {
		case errors.Is(err, segment.ErrOffsetNotFound):
			s.Release()
			continue // nothing at or after offset here: the next segment
		case err == nil && sl.Len == 0:
			s.Release() // the next batch ends past the high watermark
			return r, false, nil
		case errors.Is(err, segment.ErrClosed):
			s.Release()
			r.Release()
			return nil, true, nil
		case err != nil:
			s.Release()
			r.Release()
			return nil, false, fmt.Errorf("%w: read offset %d from segment %d: %w", ErrStorage, offset, s.Base(), err)
		case len(r.Slices) > 0 && sl.Len > remaining:
			s.Release() // KIP-74 applies to the first batch only
			return r, false, nil
		}
		r.Slices = append(r.Slices, sl)
		r.segs = append(r.segs, s)
		r.Bytes += sl.Len
		remaining -= sl.Len
		offset = sl.LastOffset + 1
		// Go on only if this segment is exhausted (the slice reached its
		// end): otherwise its next batch did not fit, and later segments
		// must not fill in after a hole. A cleaned segment may end below
		// its successor's base: the offsets between are a gap, and the
		// read goes on with the next segment's first batch.
		if remaining <= 0 || i == endSeg || sl.Pos+sl.Len < maxPos {
			break
		}
		offset = max(offset, v.segs[i+1].Base())
	}
	return r, false, nil
}

const maxInt = int64(^uint(0) >> 1)

// find returns the index of the segment holding offset: the last with a
// base at or below it, or -1.
func (v *view) find(offset int64) int {
	i, found := slices.BinarySearchFunc(v.segs, offset, func(s *segment.Segment, off int64) int {
		return cmp.Compare(s.Base(), off)
	})
	if found {
		return i
	}
	return i - 1
}

// Offsets that ListOffset understands besides timestamps (Kafka's
// ListOffsetsRequest constants).
const (
	LatestTimestamp   = -1 // the high watermark
	EarliestTimestamp = -2 // the log start offset
	MaxTimestamp      = -3 // the record with the largest timestamp (KIP-734)
)

// ListOffset answers ListOffsets for one partition (read_uncommitted):
// EarliestTimestamp gives (log start offset, -1), LatestTimestamp (high
// watermark, -1), MaxTimestamp the offset and timestamp of the record with
// the largest timestamp, and a timestamp ts >= 0 the first record at or
// after the log start offset whose timestamp is >= ts. (-1, -1) when there
// is no such record.
func (l *Log) ListOffset(ts int64) (offset, timestamp int64, err error) {
	if l.closed.Load() {
		return -1, -1, ErrClosed
	}
	switch {
	case ts == EarliestTimestamp:
		return l.LogStartOffset(), -1, nil
	case ts == LatestTimestamp:
		return l.HighWatermark(), -1, nil
	case ts < MaxTimestamp:
		return -1, -1, fmt.Errorf("%w: timestamp %d", ErrOffsetOutOfRange, ts)
	}
	for range maxReadAttempts {
		v := l.view.Load()
		var retry bool
		if ts == MaxTimestamp {
			offset, timestamp, retry, err = v.maxTimestamp()
		} else {
			offset, timestamp, retry, err = v.offsetForTimestamp(ts)
		}
		if !retry {
			return offset, timestamp, err
		}
	}
	return -1, -1, fmt.Errorf("%w: list offsets: segments kept changing", ErrStorage)
}

// live calls fn for each segment that holds offsets at or after the log
// start offset, with a reference held. fn returns false to stop. retry is
// set if a segment went away meanwhile.
func (v *view) live(fn func(s *segment.Segment) (bool, error)) (retry bool, err error) {
	for i, s := range v.segs {
		if i+1 < len(v.segs) && v.segs[i+1].Base() <= v.logStart {
			continue // wholly below the log start offset
		}
		if !s.Acquire() {
			return true, nil
		}
		more, err := fn(s)
		s.Release()
		if errors.Is(err, segment.ErrClosed) {
			return true, nil
		}
		if err != nil {
			return false, fmt.Errorf("%w: segment %d: %w", ErrStorage, s.Base(), err)
		}
		if !more {
			break
		}
	}
	return false, nil
}

// maxTimestamp finds the segment with the largest timestamp (the first of
// equals, as Kafka's maxBy does) and returns the record offset it reports
// for it (segment.MaxTimestamp, KAFKA-16310).
func (v *view) maxTimestamp() (offset, timestamp int64, retry bool, err error) {
	var best *segment.Segment
	bestTs := int64(-1)
	retry, err = v.live(func(s *segment.Segment) (bool, error) {
		ts, err := s.LargestTimestamp()
		if err == nil && ts > bestTs {
			best, bestTs = s, ts
		}
		return true, err
	})
	if retry || err != nil || best == nil {
		return -1, -1, retry, err
	}
	if !best.Acquire() {
		return -1, -1, true, nil
	}
	defer best.Release()
	ts, off, err := best.MaxTimestamp()
	switch {
	case errors.Is(err, segment.ErrClosed):
		return -1, -1, true, nil
	case err != nil:
		return -1, -1, false, fmt.Errorf("%w: segment %d: %w", ErrStorage, best.Base(), err)
	case ts < 0 || off < 0 || off >= v.hw:
		return -1, -1, false, nil
	}
	return off, ts, false, nil
}

// offsetForTimestamp finds the first segment whose largest timestamp is >=
// ts and in it the first record at or after the log start offset with
// timestamp >= ts (Kafka's fetchOffsetByTimestamp). A record at or above
// the high watermark does not count.
func (v *view) offsetForTimestamp(ts int64) (offset, timestamp int64, retry bool, err error) {
	offset, timestamp = -1, -1
	retry, err = v.live(func(s *segment.Segment) (bool, error) {
		mts, err := s.LargestTimestamp()
		if err != nil || mts < ts {
			return true, err
		}
		off, t, found, err := s.FindTimestampFrom(ts, v.logStart)
		if err != nil || !found {
			return true, err
		}
		if off < v.hw {
			offset, timestamp = off, t
		}
		return false, nil
	})
	if retry || err != nil {
		return -1, -1, retry, err
	}
	return offset, timestamp, false, nil
}
