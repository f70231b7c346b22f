package server

import (
	"sync"
	"sync/atomic"
)

// The fetch memory budget bounds the bytes that Fetch responses being
// written hold in buffers, across the broker. Record bytes sent with
// sendfile take none. What takes it: a response written inline (its
// framing buffer and one buffer with the framing and at most smallFetch
// record bytes, fetch_write.go), and a response copied from files without
// a descriptor (its framing buffer and the 64 KiB chunk). An inline
// response that cannot get its bytes at once goes by sendfile instead when
// its files have descriptors; otherwise, and for the copy path, the writer
// waits for bytes to come back, holding no buffer but its framing. The
// framing of a sendfile response is not counted: it is allocated before
// the response is written and holds a few dozen bytes per partition the
// request named. Kafka has no such bound (its responses hold records as
// file regions); Strata's own property strata.fetch.memory.max.bytes sets
// it (64 MiB by default).
//
// A writer holds at most one grant, taken in one step, and gives it back
// when its reply is written or dropped, so waiting cannot deadlock: every
// grant is held by a write in progress, which ends when the socket drains
// or the connection closes (a waiting writer gives up then too).

// byteBudget is a weighted semaphore of bytes, granted first come first
// served.
type byteBudget struct {
	max  int64
	mu   sync.Mutex
	used int64
	wait []*budgetWaiter
	peak atomic.Int64
	cur  atomic.Int64
}

type budgetWaiter struct {
	n     int64
	ready chan struct{}
}

// newByteBudget returns a budget of max bytes (at least one).
func newByteBudget(n int64) *byteBudget {
	return &byteBudget{max: max(n, 1)}
}

// clamp makes a request over the whole budget ask for the whole budget, so
// it is served (alone) instead of never.
func (b *byteBudget) clamp(n int64) int64 { return min(n, b.max) }

// tryAcquire takes n bytes if they are free now and nobody waits; it
// returns the bytes taken (to give back with release) and whether it did.
func (b *byteBudget) tryAcquire(n int64) (int64, bool) {
	n = b.clamp(n)
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.wait) > 0 || b.used+n > b.max {
		return 0, false
	}
	b.take(n)
	return n, true
}

// acquire takes n bytes, waiting for them; it gives up (0, false) when
// either done channel closes first.
func (b *byteBudget) acquire(n int64, done1, done2 <-chan struct{}) (int64, bool) {
	n = b.clamp(n)
	b.mu.Lock()
	if len(b.wait) == 0 && b.used+n <= b.max {
		b.take(n)
		b.mu.Unlock()
		return n, true
	}
	w := &budgetWaiter{n: n, ready: make(chan struct{})}
	b.wait = append(b.wait, w)
	b.mu.Unlock()
	select {
	case <-w.ready:
		return n, true
	case <-done1:
	case <-done2:
	}
	b.mu.Lock()
	for i, x := range b.wait {
		if x == w {
			b.wait = append(b.wait[:i], b.wait[i+1:]...)
			b.grant() // the waiters behind w may fit now
			b.mu.Unlock()
			return 0, false
		}
	}
	b.mu.Unlock()
	// Granted while giving up: give it back.
	b.release(n)
	return 0, false
}

// release gives back n bytes from tryAcquire or acquire.
func (b *byteBudget) release(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	b.cur.Store(b.used)
	b.grant()
	b.mu.Unlock()
}

// take counts n bytes in; b.mu is held.
func (b *byteBudget) take(n int64) {
	b.used += n
	b.cur.Store(b.used)
	if b.used > b.peak.Load() {
		b.peak.Store(b.used)
	}
}

// grant serves waiters in order while they fit; b.mu is held.
func (b *byteBudget) grant() {
	for len(b.wait) > 0 && b.used+b.wait[0].n <= b.max {
		w := b.wait[0]
		b.wait = b.wait[1:]
		b.take(w.n)
		close(w.ready)
	}
}

func (b *byteBudget) inUse() int64 { return b.cur.Load() }
