package compact

import (
	"sync"
	"time"
)

// Throttle bounds the cleaner's reads and writes together to a rate
// (log.cleaner.io.max.bytes.per.second), shared by every cleaner thread,
// as Kafka's Throttler does: it measures the bytes of each period of at
// least checkInterval and, when their rate is above the bound, sleeps
// until it is at the bound. A nil Throttle, or one at a rate <= 0 or
// +Inf, never waits.
type Throttle struct {
	rate  float64 // bytes per second
	sleep func(time.Duration)
	now   func() time.Time

	mu     sync.Mutex
	start  time.Time
	bytes  float64
	Waited time.Duration // total time slept, for tests and metrics
}

// checkInterval is Kafka's Throttler.checkIntervalMs for the cleaner.
const checkInterval = 300 * time.Millisecond

// NewThrottle returns a throttle at bytesPerSecond.
func NewThrottle(bytesPerSecond float64) *Throttle {
	return &Throttle{rate: bytesPerSecond, sleep: time.Sleep, now: time.Now}
}

func (t *Throttle) off() bool { return t == nil || t.rate <= 0 || t.rate > 1e300 }

// wait accounts n bytes and sleeps if the rate is above the bound.
func (t *Throttle) wait(n int64) {
	if t.off() {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if t.start.IsZero() {
		t.start = now
	}
	t.bytes += float64(n)
	elapsed := now.Sub(t.start)
	if elapsed < checkInterval {
		return
	}
	if rate := t.bytes / elapsed.Seconds(); rate > t.rate {
		d := time.Duration((t.bytes/t.rate - elapsed.Seconds()) * float64(time.Second))
		t.sleep(d)
		t.Waited += d
		now = now.Add(d)
	}
	t.start, t.bytes = now, 0
}
