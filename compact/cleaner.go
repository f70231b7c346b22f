package compact

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/segment"
)

// ErrUncleanable marks a partition the cleaner gave up on: a batch that
// fails its checks (frame, CRC, records) was found while cleaning. The
// log is left as it was and serves every record as before; the manager
// stops cleaning it (Kafka's uncleanable partitions).
var ErrUncleanable = errors.New("compact: partition is uncleanable")

// PassStats describes one cleaning pass (Kafka's CleanerStats).
type PassStats struct {
	FirstDirty       int64 // the pass mapped from here
	EndOffset        int64 // the next pass's first dirty offset (the checkpoint)
	FirstUncleanable int64
	BytesRead        int64 // building the map and cleaning
	BytesWritten     int64
	BytesSaved       int64 // the replaced segments' bytes less the cleaned ones'
	RecordsRead      int64 // while cleaning
	RecordsKept      int64
	Keys             int // keys in the offset map
	BufferUse        float64
	Groups           int // cleaned segments swapped in
	Duration         time.Duration
	DirtyBefore      float64
	DirtyAfter       float64
}

// Cleaner cleans one log at a time (Kafka's Cleaner): it maps the dirty
// part's keys to their last offsets, then rewrites the log below the end
// of the map, group by group, into cleaned segments swapped in with
// partition.Log.ReplaceSegments. A Cleaner is used by one goroutine at a
// time; its memory is its offset map and its buffers, allocated once.
type Cleaner struct {
	m        *offsetMap
	w        rewriter
	mapIt    recordbatch.Iterator
	out      []byte
	checked  map[*segment.Segment]int64 // this pass: bytes of each segment whose batches were checked
	throttle *Throttle
	// Txn builds the transaction hook for a range (nil: Transactions).
	Txn TxnSource
	// Abort, if set, is polled between batches: true ends the pass
	// (the manager's Remove and Close).
	Abort func() bool
}

// maxDecompressed bounds a batch's records when the cleaner decompresses
// them (a batch is at most max.message.bytes compressed; this is the
// segment package's default bound for the same).
const maxDecompressed = segment.DefaultMaxDecompressedBytes

// NewCleaner returns a cleaner whose offset map takes dedupeBytes
// (log.cleaner.dedupe.buffer.size over log.cleaner.threads). Segments are
// read through their read mapping, batch by batch, without a read buffer;
// ioBuf (log.cleaner.io.buffer.size over threads, halved as Kafka splits
// it between reads and writes) sizes the buffer a rewritten batch is
// written into, grown only for a larger batch.
func NewCleaner(dedupeBytes int64, ioBuf int, throttle *Throttle) *Cleaner {
	c := &Cleaner{m: newOffsetMap(dedupeBytes), throttle: throttle, out: make([]byte, 0, max(ioBuf, recordbatch.HeaderSize))}
	c.w.maxDe = maxDecompressed
	return c
}

func (c *Cleaner) aborted() bool { return c.Abort != nil && c.Abort() }

// Clean runs one pass over l from firstDirty (the checkpoint; one outside
// the log means its start) whatever its dirty ratio: the manager decides
// when. It returns the pass's figures, with EndOffset the next pass's
// first dirty offset. An error wrapping ErrUncleanable means a corrupt
// batch; a swap that failed leaves the log as it was or as cleaned (see
// partition.Log.ReplaceSegments).
func (c *Cleaner) Clean(l *partition.Log, firstDirty int64, cfg Config, now time.Time) (PassStats, error) {
	start := time.Now()
	nowMs := now.UnixMilli()
	c.checked = make(map[*segment.Segment]int64)
	defer func() { c.checked = nil }()
	cv := l.CleanerView()
	a := assess(cv, firstDirty, cfg, nowMs)
	st := PassStats{FirstDirty: a.firstDirty, EndOffset: a.firstDirty, FirstUncleanable: a.firstUncleanable, DirtyBefore: a.ratio}
	if a.firstUncleanable <= a.firstDirty {
		return st, nil
	}
	txn := c.Txn
	if txn == nil {
		txn = Transactions
	}
	end, err := c.buildMap(cv, a.firstDirty, a.firstUncleanable, txn, l, &st)
	if err != nil {
		return st, err
	}
	st.Keys, st.BufferUse = c.m.size, c.m.utilization()

	last := make(map[int64]lastRecord)
	for _, p := range l.ProducerStates() {
		last[p.ProducerID] = lastRecord{p.LastOffset, p.Epoch}
	}
	var segs []*segment.Segment
	for _, s := range cv.Segments {
		if s.Base() < end {
			segs = append(segs, s)
		}
	}
	groups, err := groupSegmentsBySize(segs, cfg.SegmentBytes, cfg.MaxIndexBytes, a.firstUncleanable)
	if err != nil {
		return st, err
	}
	ctx := passCtx{l: l, txn: txn(l, 0, end), last: last, upper: a.firstUncleanable, now: nowMs,
		horizon: satAdd(nowMs, max(cfg.DeleteRetentionMs, 0))}
	for _, g := range groups {
		if err := c.cleanGroup(&ctx, g, &st); err != nil {
			return st, err
		}
		st.Groups++
	}
	st.EndOffset = end
	st.DirtyAfter = assess(l.CleanerView(), end, cfg, nowMs).ratio
	st.Duration = time.Since(start)
	return st, nil
}

func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// buildMap maps the keys of [from, to) to their last offsets (Kafka's
// buildOffsetMap) until the map holds its capacity, and returns the end
// of what it mapped: the next pass's first dirty offset. It first uses
// only the part of the table the dirty bytes can need (a record takes at
// least 7 bytes), and maps again with the whole table if compression
// packed more keys than that.
func (c *Cleaner) buildMap(cv partition.CleanerView, from, to int64, txn TxnSource, l *partition.Log, st *PassStats) (int64, error) {
	segs := cv.Segments
	var dirty int64
	for i := floor(segs, from); i < len(segs) && segs[i].Base() < to; i++ {
		dirty += segs[i].Size()
	}
	c.m.reset(dirty/7 + 1)
	for {
		end, full, err := c.mapRange(segs, from, to, txn(l, from, to), st)
		if err != nil || !full || c.m.active == c.m.slots {
			return end, err
		}
		c.m.reset(-1)
	}
}

func (c *Cleaner) mapRange(segs []*segment.Segment, from, to int64, txn TxnMetadata, st *PassStats) (end int64, full bool, err error) {
	capacity := c.m.capacity()
	for i := floor(segs, from); i < len(segs) && segs[i].Base() < to; i++ {
		s := segs[i]
		next := to
		if i+1 < len(segs) {
			next = min(next, segs[i+1].Base())
		}
		full, err := c.mapSegment(s, from, to, capacity, txn, st)
		if err != nil {
			return 0, false, err
		}
		if full {
			return c.m.latest + 1, true, nil
		}
		c.m.latest = max(c.m.latest, next-1) // over a gap
	}
	return max(c.m.latest+1, from), false, nil
}

func (c *Cleaner) mapSegment(s *segment.Segment, from, to int64, capacity int, txn TxnMetadata, st *PassStats) (full bool, err error) {
	if !s.Acquire() {
		return false, errAborted
	}
	defer s.Release()
	err = c.scan(s, st, func(h recordbatch.Header, _ bool) (bool, error) {
		if h.LastOffset() < from {
			return true, nil
		}
		if h.BaseOffset() >= to {
			return false, nil
		}
		if h.Control() {
			txn.OnControlBatch(h)
		} else if !txn.OnBatch(h) {
			c.mapIt.Reset(h, maxDecompressed)
			for c.mapIt.Next() {
				rec := c.mapIt.Record()
				if rec.Key == nil || rec.Offset < from {
					continue
				}
				if c.m.size >= capacity {
					full = true
					return false, nil
				}
				c.m.put(rec.Key, rec.Offset)
			}
			if err := c.mapIt.Err(); err != nil {
				return false, fmt.Errorf("%w: segment %d, batch at offset %d: %w", ErrUncleanable, s.Base(), h.BaseOffset(), err)
			}
		}
		c.m.latest = max(c.m.latest, h.LastOffset())
		return true, nil
	})
	return full, err
}

// passCtx is what every group of a pass shares.
type passCtx struct {
	l       *partition.Log
	txn     TxnMetadata
	last    map[int64]lastRecord // producer ID -> its last data offset and epoch (Kafka's lastRecordsOfActiveProducers)
	upper   int64                // the pass's first uncleanable offset
	now     int64
	horizon int64 // delete horizon for tombstones kept for the first time
}

// cleanGroup writes the kept records of a group of segments into one
// cleaned segment and swaps it in (Kafka's cleanSegments and cleanInto).
func (c *Cleaner) cleanGroup(p *passCtx, group []*segment.Segment, st *PassStats) (err error) {
	cleaned, err := p.l.NewCleanedSegment(group[0].Base())
	if err != nil {
		return err
	}
	swapping := false
	defer func() {
		if !swapping {
			cleaned.Delete()
		}
	}()
	if ci, ok := p.txn.(interface{ CleanInto(*segment.Segment) }); ok {
		ci.CleanInto(cleaned) // the kept aborted transactions go into its .txnindex
	}
	m := c.m
	for si, s := range group {
		if !s.Acquire() {
			return errAborted
		}
		err := c.cleanInto(p, s, si == len(group)-1, cleaned, m, st)
		s.Release()
		if err != nil {
			return err
		}
	}
	if e, ok := p.txn.(interface{ Err() error }); ok && e.Err() != nil {
		return e.Err()
	}
	var size int64
	for _, s := range group {
		size += s.Size()
	}
	swapping = true
	if err := p.l.ReplaceSegments(cleaned, group); err != nil {
		if errors.Is(err, partition.ErrSwapAborted) || errors.Is(err, partition.ErrClosed) {
			return errAborted
		}
		return err
	}
	st.BytesSaved += size - cleaned.Size()
	return nil
}

func (c *Cleaner) cleanInto(p *passCtx, s *segment.Segment, lastOfGroup bool, cleaned *segment.Segment, m *offsetMap, st *PassStats) error {
	return c.scan(s, st, func(h recordbatch.Header, lastOfSegment bool) (bool, error) {
		hasHorizon := h.Attributes()&recordbatch.AttrDeleteHorizonMs != 0
		batchHorizon := h.BaseTimestamp()
		var discard, markHorizon bool
		if h.Control() {
			canDiscard := p.txn.OnControlBatch(h)
			discard = canDiscard && hasHorizon && batchHorizon <= p.now
			markHorizon = canDiscard
		} else {
			discard = p.txn.OnBatch(h)
		}
		ret := deleteEmpty
		switch {
		case h.ProducerID() >= 0 && p.lastOfProducer(h):
			ret = retainEmpty // the producer's last batch: its sequence and epoch stay
		case h.NextOffset() == p.upper:
			ret = retainEmpty // the pass's last batch: the log's last offset stays
		case lastOfGroup && lastOfSegment:
			// The group's last batch (Strata's rule, beyond Kafka's): the
			// cleaned segment then ends where the segments it replaces
			// ended, so the swap's [base, next offset) is exactly theirs.
			ret = retainEmpty
		case discard:
			ret = deleteBatch
		}
		control := h.Control()
		keep := func(rec *recordbatch.Record) bool {
			switch {
			case discard:
				return false
			case control:
				return true
			case rec.Offset > m.latest:
				return true
			case rec.Key == nil:
				return false // a keyless record in a compacted log (Kafka counts it invalid)
			case rec.Offset < m.get(rec.Key):
				return false
			case rec.Value != nil:
				return true
			}
			return !hasHorizon || p.now < batchHorizon
		}
		var res filterResult
		var err error
		c.out, res, err = c.w.filter(c.out[:0], h, ret, keep, p.horizon, markHorizon)
		if err != nil {
			return false, fmt.Errorf("%w: segment %d, batch at offset %d: %w", ErrUncleanable, s.Base(), h.BaseOffset(), err)
		}
		st.RecordsRead += int64(res.read)
		st.RecordsKept += int64(res.kept)
		if len(c.out) > 0 {
			if err := cleaned.Append(c.out); err != nil {
				return false, fmt.Errorf("%w: write cleaned segment %d: %w", partition.ErrStorage, cleaned.Base(), err)
			}
			st.BytesWritten += int64(len(c.out))
			c.throttle.wait(int64(len(c.out)))
		}
		return true, nil
	})
}

// groupSegmentsBySize is Kafka's: consecutive segments go into one group
// while the group's log bytes stay within maxSize (segment.bytes), each of
// its index sizes within maxIndexSize (segment.index.bytes), and its
// offsets within a segment's 2^31 (bounded by the next segment's base, or
// firstUncleanable for the last).
func groupSegmentsBySize(segs []*segment.Segment, maxSize int64, maxIndexSize int, firstUncleanable int64) ([][]*segment.Segment, error) {
	if maxSize <= 0 {
		maxSize = math.MaxInt32
	}
	if maxIndexSize <= 0 {
		maxIndexSize = segment.DefaultMaxIndexBytes
	}
	var groups [][]*segment.Segment
	for len(segs) > 0 {
		first := segs[0]
		logSize := first.Size()
		idx, tidx, err := first.IndexBytes()
		if err != nil {
			return nil, indexErr(first, err)
		}
		g := []*segment.Segment{first}
		segs = segs[1:]
		for len(segs) > 0 {
			s := segs[0]
			oi, ti, err := s.IndexBytes()
			if err != nil {
				return nil, indexErr(s, err)
			}
			lastOffset := firstUncleanable - 1
			if len(segs) > 1 {
				lastOffset = segs[1].Base() - 1
			}
			if logSize+s.Size() > maxSize || idx+oi > int64(maxIndexSize) || tidx+ti > int64(maxIndexSize) ||
				(s.Size() != 0 && lastOffset-first.Base() > math.MaxInt32) {
				break
			}
			g = append(g, s)
			logSize, idx, tidx = logSize+s.Size(), idx+oi, tidx+ti
			segs = segs[1:]
		}
		groups = append(groups, g)
	}
	return groups, nil
}

func indexErr(s *segment.Segment, err error) error {
	if errors.Is(err, segment.ErrClosed) {
		return errAborted
	}
	return fmt.Errorf("compact: segment %d indexes: %w", s.Base(), err)
}
