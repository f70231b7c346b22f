package verifiable

import (
	"context"
	"time"
)

// throttler is Kafka's ThroughputThrottler: once the rate so far is over
// the target, it sleeps on average 1/target seconds per record, in naps of
// at least 2 ms. Kafka's measures the elapsed time in whole milliseconds,
// so everything sent within the first one goes unthrottled; that is a few
// records in Java, whose first send waits for metadata, but hundreds with
// kgo, whose Produce only buffers. This one measures it on the monotonic
// clock in nanoseconds, which keeps the formula and loses the burst.
type throttler struct {
	start    time.Time
	target   float64
	sleepNs  int64
	deficit  int64
	minSleep int64
}

func newThrottler(target float64, start time.Time) *throttler {
	t := &throttler{start: start, target: target, sleepNs: 1<<63 - 1, minSleep: 2 * int64(time.Millisecond)}
	if target > 0 {
		t.sleepNs = int64(float64(time.Second) / target)
	}
	return t
}

// shouldThrottle reports whether amountSoFar records by sendStart is over
// the target.
func (t *throttler) shouldThrottle(amountSoFar int64, sendStart time.Time) bool {
	if t.target < 0 {
		return false
	}
	elapsedSec := sendStart.Sub(t.start).Seconds()
	return elapsedSec > 0 && float64(amountSoFar)/elapsedSec > t.target
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
