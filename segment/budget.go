package segment

import (
	"sync"
	"sync/atomic"
)

// filesPerSegment is what a loaded segment holds: the .log and its two
// indexes, each one descriptor (and, over vfs.OS, one mapping).
const filesPerSegment = 3

// DefaultFileBudget is the process's file budget until SetFileBudget: how
// many descriptors the segments of the process keep open at most (1,365
// loaded segments).
const DefaultFileBudget = 4096

// budget bounds the descriptors that segments keep open, process-wide.
// A segment is loaded (its files open and mapped) from the first call that
// needs its files until it is evicted or torn down. Loading one more when
// that would pass the limit first evicts loaded segments that nobody uses,
// chosen by a clock sweep (second chance) over the loaded ones.
//
// The hot paths touch no lock of it: a call on a loaded segment sets the
// segment's used bit (a load, and a store only when it was clear), and a
// Release reads files and limit to see whether the process is over its
// budget. mu is taken to load a segment, to evict and to tear one down.
var budget struct {
	limit     atomic.Int64 // descriptors; <= 0: no limit
	files     atomic.Int64 // descriptors held by loaded segments (written under mu)
	loaded    atomic.Int64 // loaded segments (written under mu)
	evictions atomic.Int64

	mu   sync.Mutex
	ring []*Segment // the loaded segments; each one's ringIdx is its place
	hand int        // the clock hand: the next segment the sweep looks at
}

func init() { budget.limit.Store(DefaultFileBudget) }

// SetFileBudget sets how many descriptors the process's segments may keep
// open; n <= 0 removes the bound. Segments nobody uses are evicted at
// once down to a smaller budget; those in use as they are released.
func SetFileBudget(n int64) {
	budget.limit.Store(n)
	if n > 0 {
		budget.mu.Lock()
		sweepLocked(n, 2*len(budget.ring))
		budget.mu.Unlock()
	}
}

// FileBudget is the budget SetFileBudget set (DefaultFileBudget before).
func FileBudget() int64 { return budget.limit.Load() }

// LoadedSegments is how many segments of the process have their files open.
func LoadedSegments() int64 { return budget.loaded.Load() }

// OpenSegmentFiles is how many descriptors the process's segments hold:
// three per loaded segment.
func OpenSegmentFiles() int64 { return budget.files.Load() }

// Evictions is how many times a segment's files were closed to keep the
// process within its budget.
func Evictions() int64 { return budget.evictions.Load() }

// admit makes room for s, which is about to open its files, and counts
// them: it evicts what it can until they fit the budget, and admits s
// anyway when every loaded segment is in use (the budget is soft). s's
// appendMu is held.
func admit(s *Segment) {
	budget.mu.Lock()
	defer budget.mu.Unlock()
	if l := budget.limit.Load(); l > 0 {
		sweepLocked(l-filesPerSegment, 2*len(budget.ring))
	}
	s.ringIdx = len(budget.ring)
	budget.ring = append(budget.ring, s)
	budget.files.Add(filesPerSegment)
	budget.loaded.Add(1)
}

// forget takes s, whose files were just closed (evicted, torn down or
// never opened after admit), out of the ring and the counts.
func forget(s *Segment) {
	budget.mu.Lock()
	defer budget.mu.Unlock()
	forgetLocked(s)
}

func forgetLocked(s *Segment) {
	i := s.ringIdx
	if i < 0 {
		return
	}
	last := len(budget.ring) - 1
	budget.ring[i] = budget.ring[last]
	budget.ring[i].ringIdx = i
	budget.ring[last] = nil
	budget.ring = budget.ring[:last]
	s.ringIdx = -1
	budget.files.Add(-filesPerSegment)
	budget.loaded.Add(-1)
}

// shrinkSteps is how far one shrink moves the clock hand: a Release
// while the process is over its budget pays for a few steps, not for a
// turn over every loaded segment (most of them pinned, since the budget
// was passed), and the hand goes on from there at the next one.
const shrinkSteps = 16

// shrink evicts unused segments toward the budget, after the process went
// over it while every loaded segment was in use. It does not wait for the
// budget's lock: whoever holds it is sweeping.
func shrink() {
	l := budget.limit.Load()
	if l <= 0 || budget.files.Load() <= l || !budget.mu.TryLock() {
		return
	}
	defer budget.mu.Unlock()
	sweepLocked(l, shrinkSteps)
}

// sweepLocked evicts segments nobody uses, clock order, until the loaded
// ones hold at most target descriptors or the hand has looked at look
// segments (two turns, one to clear used bits and one to evict, find all
// there is to evict). mu is held.
func sweepLocked(target int64, look int) {
	for ; budget.files.Load() > target && look > 0 && len(budget.ring) > 0; look-- {
		if budget.hand >= len(budget.ring) {
			budget.hand = 0
		}
		s := budget.ring[budget.hand]
		if s.used.Load() {
			s.used.Store(false)
			budget.hand++
			continue
		}
		if s.evict() {
			forgetLocked(s) // the last segment moves into the hand's place
			budget.evictions.Add(1)
			continue
		}
		budget.hand++
	}
}
