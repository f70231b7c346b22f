package segment

import (
	"sync"
	"sync/atomic"
	"time"
)

// live counts the segments of the process whose files are open: Create and
// Open add one, the teardown (the last Release after Close or Delete)
// takes it away. Each holds up to three descriptors (the log and, once
// used, its two indexes): the resource a broker runs out of first when
// segments roll faster than retention deletes them.
var live struct {
	n     atomic.Int64 // read on every append: no lock
	mu    sync.Mutex
	freed chan struct{} // closed, and replaced, each time n drops; under mu
}

func liveAdd(d int64) {
	live.n.Add(d)
	if d < 0 {
		live.mu.Lock()
		if live.freed != nil {
			close(live.freed)
			live.freed = nil
		}
		live.mu.Unlock()
	}
}

// Live returns how many segments of the process have their files open.
func Live() int64 { return live.n.Load() }

// WaitLive waits until fewer than limit segments of the process have their
// files open, or until timeout passes. It reports whether the count is
// below limit.
func WaitLive(limit int64, timeout time.Duration) bool {
	var deadline <-chan time.Time
	for live.n.Load() >= limit {
		live.mu.Lock()
		if live.freed == nil {
			live.freed = make(chan struct{})
		}
		freed := live.freed
		live.mu.Unlock()
		if live.n.Load() < limit { // dropped before the channel was taken
			return true
		}
		if deadline == nil {
			t := time.NewTimer(timeout)
			defer t.Stop()
			deadline = t.C
		}
		select {
		case <-freed:
		case <-deadline:
			return live.n.Load() < limit
		}
	}
	return true
}
