package partition

import (
	"fmt"
	"slices"

	"github.com/stratabroker/strata/segment"
)

// DeleteRecords moves the log start offset to before (-1: the high
// watermark), as Kafka's DeleteRecords does: records below it are no
// longer served, and segments wholly below it are deleted by the next
// ApplyRetention. The log start offset never moves back; a smaller before
// changes nothing. It returns the log start offset afterwards (the low
// watermark), persisted in the checkpoint. before above the high
// watermark: ErrOffsetOutOfRange.
func (l *Log) DeleteRecords(before int64) (lowWatermark int64, err error) {
	l.retainMu.Lock()
	defer l.retainMu.Unlock()
	l.mu.Lock()
	if l.closed.Load() {
		l.mu.Unlock()
		return -1, ErrClosed
	}
	if before == -1 {
		before = l.leo
	}
	if before < 0 || before > l.leo {
		hw := l.leo
		l.mu.Unlock()
		return -1, fmt.Errorf("%w: delete records before %d, high watermark %d", ErrOffsetOutOfRange, before, hw)
	}
	if before <= l.logStart {
		ls := l.logStart
		l.mu.Unlock()
		return ls, nil
	}
	l.logStart = before
	if l.lsoFirst >= 0 && l.lsoFirst < before {
		l.refreshLSOLocked(l.view.Load().segs)
	}
	l.publishLocked()
	l.mu.Unlock()
	if err := l.writeCheckpoint(0); err != nil {
		return before, fmt.Errorf("%w: persist log start offset %d of %s: %w", ErrStorage, before, l.dir, err)
	}
	return before, nil
}

// ApplyRetention deletes old segments as Kafka's UnifiedLog.deleteOldSegments
// does, in its order:
//
//  1. segments wholly below the log start offset (DeleteRecords);
//  2. retention.bytes: the oldest segments while the log stays at least
//     retention.bytes without them;
//  3. retention.ms: the oldest segments whose largest timestamp is more
//     than retention.ms old (stopping at the first that is not).
//
// Rules 2 and 3 apply only when cleanup.policy holds delete
// (Config.CleanupDelete): a compact-only topic loses nothing to them.
//
// An empty active segment is never deleted. When every segment qualifies,
// the active one is rolled first (Kafka does the same), so that the log
// always keeps an active segment. The log start offset moves to the first
// remaining segment's base if that is larger, and is persisted. Producers
// idle for producer.id.expiration.ms are forgotten.
func (l *Log) ApplyRetention() (deletedSegments int, err error) {
	l.retainMu.Lock()
	defer l.retainMu.Unlock()
	// Close, DeleteRecords and other passes wait for retainMu: the log stays
	// open, and its log start offset and first segments stay as they are.
	if l.closed.Load() {
		return 0, ErrClosed
	}
	nowMs := l.now().UnixMilli()
	l.mu.Lock()
	l.producers.expire(nowMs, l.cfg.ProducerIDExpirationMs)
	cfg, logStart := l.cfg, l.logStart
	l.mu.Unlock()

	// The candidates come from the view, without mu: a segment's largest
	// timestamp may have to load a lazily opened segment (open and check its
	// indexes, even recover it), which must not hold up appends.
	v := l.view.Load()
	n := l.deletable(v.segs, cfg, logStart, nowMs)
	if n == 0 {
		return 0, nil
	}

	l.mu.Lock()
	if n == len(v.segs) && l.leo != v.hw {
		// The last candidate was the active segment and took appends
		// meanwhile, which may have brought newer timestamps: it stays
		// for the next pass. The others were sealed when v was taken.
		n--
		if n == 0 {
			l.mu.Unlock()
			return 0, nil
		}
	}
	segs := l.view.Load().segs
	if n == len(segs) {
		if err := l.rollLocked(nowMs); err != nil {
			l.mu.Unlock()
			return 0, err
		}
		segs = l.view.Load().segs
	}
	doomed := segs[:n]
	l.pendingSeal = slices.DeleteFunc(l.pendingSeal, func(s *segment.Segment) bool { return slices.Contains(doomed, s) })
	l.logStart = max(l.logStart, segs[n].Base())
	kept := slices.Clone(segs[n:])
	if l.lsoFirst >= 0 && l.lsoFirst < l.logStart {
		l.refreshLSOLocked(kept)
	}
	l.storeViewLocked(kept)
	logStart = l.logStart
	l.mu.Unlock()

	l.logger.Info("deleting segments", "dir", l.dir, "count", n, "first", doomed[0].Base(), "logStart", logStart)
	if err := l.writeCheckpoint(0); err != nil {
		// Deleting goes on: at open the log start offset is at least the
		// first segment's base, which is what it is now unless an earlier
		// DeleteRecords moved it further (and persisted that), so the
		// checkpoint adds nothing here that must survive a crash; retention that
		// stopped on it would keep the open files (a write fails with
		// EMFILE) that it is about to give back. The next flush retries.
		l.logger.Warn("checkpoint not written before deleting segments", "dir", l.dir, "err", err)
		l.mu.Lock()
		l.ckptDirty = true
		l.mu.Unlock()
	}
	for _, s := range doomed {
		if err := s.Delete(); err != nil {
			return 0, fmt.Errorf("%w: delete segment %d of %s: %w", ErrStorage, s.Base(), l.dir, err)
		}
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		return n, fmt.Errorf("%w: sync %s: %w", ErrStorage, l.dir, err)
	}
	return n, nil
}

// deletable returns how many of the oldest segments the retention rules
// delete under cfg and logStart. It may load segments: mu must not be held.
func (l *Log) deletable(segs []*segment.Segment, cfg Config, logStart, nowMs int64) int {
	n := 0
	// 1. Below the log start offset.
	for n+1 < len(segs) && segs[n+1].Base() <= logStart {
		n++
	}
	// eligible: the last segment only if it has data (it is then rolled).
	eligible := func(i int) bool { return i < len(segs)-1 || segs[i].Size() > 0 }

	if !cfg.CleanupDelete {
		return n // cleanup.policy=compact: no retention by size or time
	}
	// 2. retention.bytes.
	if r := cfg.RetentionBytes; r >= 0 {
		var total int64
		for _, s := range segs[n:] {
			total += s.Size()
		}
		for diff := total - r; n < len(segs) && eligible(n) && diff-segs[n].Size() >= 0; n++ {
			diff -= segs[n].Size()
		}
	}
	// 3. retention.ms.
	if r := cfg.RetentionMs; r >= 0 {
		for ; n < len(segs) && eligible(n); n++ {
			ts := l.largestTimestamp(segs[n])
			if ts > nowMs {
				l.logger.Warn("segment has future timestamps; retention keeps it", "dir", l.dir, "segment", segs[n].Base(), "maxTimestamp", ts)
			}
			if nowMs-ts <= r {
				break
			}
		}
	}
	return n
}

// largestTimestamp is the segment's largest record timestamp, or its log
// file's modification time when no record has one (Kafka's
// LogSegment.largestTimestamp).
func (l *Log) largestTimestamp(s *segment.Segment) int64 {
	if ts, err := s.LargestTimestamp(); err == nil && ts >= 0 {
		return ts
	}
	fi, err := l.fs.Stat(segment.LogPath(l.dir, s.Base()))
	if err != nil {
		return l.now().UnixMilli() // unknown: keep it
	}
	return fi.ModTime().UnixMilli()
}
