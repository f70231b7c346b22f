package compact

import (
	"math"

	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/segment"
)

// toClean is what the manager knows of a log before a pass (Kafka's
// LogToClean and LogCleanerManager.cleanableOffsets).
type toClean struct {
	firstDirty       int64 // where the dirty part starts (the checkpoint, or the log start)
	firstUncleanable int64 // the pass cleans below this: the active segment, min.compaction.lag.ms
	resetCheckpoint  bool  // the checkpointed offset was out of the log: write firstDirty
	cleanBytes       int64 // segments below firstDirty
	cleanableBytes   int64 // segments from firstDirty's to firstUncleanable's
	ratio            float64
	needNow          bool // max.compaction.lag.ms has passed for a dirty segment
	// compactionDelayMs is how long ago the earliest dirty segment was
	// due by max.compaction.lag.ms (0: none is; Kafka's
	// maxCompactionDelay).
	compactionDelayMs int64
}

func (t toClean) totalBytes() int64 { return t.cleanBytes + t.cleanableBytes }

// floor is the index of the segment holding offset (the last with a base
// at or below it), 0 if offset is below them all.
func floor(segs []*segment.Segment, offset int64) int {
	i := 0
	for i+1 < len(segs) && segs[i+1].Base() <= offset {
		i++
	}
	return i
}

// assess follows cleanableOffsets and LogToClean: the first dirty offset
// is the checkpoint unless it lies outside [log start, log end]; the pass
// may not reach the active segment, the last stable offset (Kafka's
// firstUnstableOffset: an ongoing transaction is never cleaned), nor the first dirty segment whose
// largest timestamp is within min.compaction.lag.ms of now. The ratio is
// the cleanable segments' bytes over the clean and cleanable ones'.
func assess(cv partition.CleanerView, checkpoint int64, cfg Config, nowMs int64) toClean {
	var t toClean
	t.firstDirty = checkpoint
	if checkpoint < cv.LogStart || checkpoint > cv.HighWatermark {
		t.firstDirty, t.resetCheckpoint = cv.LogStart, checkpoint >= 0
	}
	uncleanable := min(cv.ActiveBase, cv.HighWatermark, cv.LastStableOffset)
	segs := cv.Segments
	first := floor(segs, t.firstDirty)
	lag := max(cfg.MinCompactionLagMs, 0)
	earliest := int64(math.MaxInt64)
	for i := first; i < len(segs); i++ {
		s := segs[i]
		if s.Base() >= uncleanable {
			break
		}
		if lag > 0 {
			if ts, err := s.LargestTimestamp(); err == nil && ts > nowMs-lag {
				uncleanable = min(uncleanable, s.Base())
			}
		}
		if ts, ok := s.RollTimestamp(); ok && ts > 0 {
			earliest = min(earliest, ts)
		}
	}
	t.firstUncleanable = max(t.firstDirty, uncleanable)
	if lagMax := max(cfg.MaxCompactionLagMs, 0); earliest < nowMs-lagMax {
		t.needNow = true
		t.compactionDelayMs = nowMs - lagMax - earliest
	}
	for i, s := range segs {
		end := cv.ActiveBase
		if i+1 < len(segs) {
			end = segs[i+1].Base()
		}
		switch {
		case s.Base() < t.firstUncleanable && end > t.firstDirty:
			t.cleanableBytes += s.Size()
		case s.Base() < t.firstDirty:
			t.cleanBytes += s.Size()
		}
	}
	if total := t.totalBytes(); total > 0 {
		t.ratio = float64(t.cleanableBytes) / float64(total)
	}
	return t
}

// due reports whether the manager should clean the log now (Kafka's
// grabFilthiestCompactedLog filter).
func (t toClean) due(cfg Config) bool {
	return t.firstUncleanable > t.firstDirty && t.totalBytes() > 0 &&
		((t.needNow && t.cleanableBytes > 0) || t.ratio > cfg.MinCleanableRatio)
}
