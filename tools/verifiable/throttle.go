package verifiable

import (
	"context"
	"time"
)

// throttler is Kafka's ThroughputThrottler: once the rate so far is over
// the target, it sleeps on average 1/target seconds per record, in naps of
// at least 2 ms.
type throttler struct {
	startMs  int64
	target   float64
	sleepNs  int64
	deficit  int64
	minSleep int64
}

func newThrottler(target float64, startMs int64) *throttler {
	t := &throttler{startMs: startMs, target: target, sleepNs: 1<<63 - 1, minSleep: 2 * int64(time.Millisecond)}
	if target > 0 {
		t.sleepNs = int64(float64(time.Second) / target)
	}
	return t
}

// shouldThrottle reports whether amountSoFar records by sendStartMs is
// over the target (Java's float arithmetic, elapsed seconds as a float).
func (t *throttler) shouldThrottle(amountSoFar, sendStartMs int64) bool {
	if t.target < 0 {
		return false
	}
	elapsedSec := float32(sendStartMs-t.startMs) / 1000
	return elapsedSec > 0 && float64(amountSoFar)/float64(elapsedSec) > t.target
}

// throttle sleeps off the accumulated deficit; a target of 0 blocks until
// ctx ends. A cut-short sleep keeps what it did not sleep.
func (t *throttler) throttle(ctx context.Context) {
	if t.target == 0 {
		<-ctx.Done()
		return
	}
	t.deficit += t.sleepNs
	if t.deficit < t.minSleep {
		return
	}
	start := time.Now()
	timer := time.NewTimer(time.Duration(t.deficit))
	defer timer.Stop()
	select {
	case <-timer.C:
		t.deficit = 0
	case <-ctx.Done():
		if slept := int64(time.Since(start)); slept <= t.deficit {
			t.deficit -= slept
		}
	}
}
