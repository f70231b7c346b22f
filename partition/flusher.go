package partition

import (
	"context"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/stratabroker/strata/internal/vfs"
)

// Flusher is the one goroutine that fsyncs many logs (group commit).
//
// A log asks for a flush when its flush policy says so (flush.messages
// reached, a roll sealed a segment, flush.ms elapsed); the flusher takes
// every log that asked since its last round and flushes each once. Appends
// that arrive while an fsync runs are covered by the next round, so under
// load one fsync serves many appends; appends that must wait for their
// data to be durable (Append with waitFlush) park until the round that
// covers them.
//
// Share one Flusher between all logs of a broker (Options.Flusher); a log
// opened without one starts and stops its own.
type Flusher struct {
	wake chan struct{} // cap 1: a round is wanted
	stop chan struct{}
	wg   sync.WaitGroup

	mu     sync.Mutex
	queue  []*Log             // logs to flush in the next round
	timed  map[*Log]time.Time // flush.ms deadlines
	queued map[*Log]struct{}  // members of queue
	closed bool
}

// NewFlusher starts a flusher. The logs it serves fsync through their own
// Options.FS; fs is accepted for the agreed signature and not used.
func NewFlusher(fs vfs.FS) *Flusher {
	_ = fs
	f := &Flusher{
		wake:   make(chan struct{}, 1),
		stop:   make(chan struct{}),
		timed:  make(map[*Log]time.Time),
		queued: make(map[*Log]struct{}),
	}
	f.start("strata-flusher", f.run)
	return f
}

// start runs fn on a goroutine that Close waits for, labelled for pprof.
func (f *Flusher) start(name string, fn func()) {
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		pprof.Do(context.Background(), pprof.Labels("strata", name), func(context.Context) { fn() })
	}()
}

// Close flushes the logs still queued and stops the goroutine. Logs served
// by a closed flusher flush in their own goroutine when they must.
func (f *Flusher) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	f.mu.Unlock()
	close(f.stop)
	f.wg.Wait()
	return nil
}

// request queues l for the next round. It returns false once the flusher
// is closed: the caller then flushes l itself.
func (f *Flusher) request(l *Log) bool {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return false
	}
	if _, ok := f.queued[l]; !ok {
		f.queued[l] = struct{}{}
		f.queue = append(f.queue, l)
	}
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
	return true
}

// schedule asks for l to be flushed within d (flush.ms), unless an earlier
// deadline is already set.
func (f *Flusher) schedule(l *Log, d time.Duration) {
	at := time.Now().Add(d)
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	if old, ok := f.timed[l]; !ok || at.Before(old) {
		f.timed[l] = at
	}
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}: // recompute the timer
	default:
	}
}

// forget drops l from the queue and the deadlines (l is closing).
func (f *Flusher) forget(l *Log) {
	f.mu.Lock()
	delete(f.timed, l)
	if _, ok := f.queued[l]; ok {
		delete(f.queued, l)
		for i, q := range f.queue {
			if q == l {
				f.queue = append(f.queue[:i], f.queue[i+1:]...)
				break
			}
		}
	}
	f.mu.Unlock()
}

func (f *Flusher) run() {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var batch []*Log
	for {
		select {
		case <-f.wake:
		case <-timer.C:
		case <-f.stop:
			batch, _ = f.take(batch[:0])
			for _, l := range batch {
				l.flushNow()
			}
			return
		}
		var next time.Time
		batch, next = f.take(batch[:0])
		for _, l := range batch {
			l.flushNow()
		}
		clear(batch)
		if !next.IsZero() {
			timer.Reset(time.Until(next))
		}
	}
}

// take moves the queued logs and those whose deadline passed into batch,
// and returns the earliest deadline still ahead (zero if none).
func (f *Flusher) take(batch []*Log) ([]*Log, time.Time) {
	now := time.Now()
	var next time.Time
	f.mu.Lock()
	defer f.mu.Unlock()
	batch = append(batch, f.queue...)
	clear(f.queue)
	f.queue = f.queue[:0]
	for l, at := range f.timed {
		if at.After(now) {
			if next.IsZero() || at.Before(next) {
				next = at
			}
			continue
		}
		delete(f.timed, l)
		if _, ok := f.queued[l]; !ok {
			batch = append(batch, l)
		}
	}
	clear(f.queued)
	return batch, next
}
