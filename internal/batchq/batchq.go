// Package batchq is the queue in front of a coordinator's log writer (the
// group coordinator's and the transaction coordinator's, one writer per
// partition of their internal topic): producers enqueue from the run loop,
// the writer goroutine takes everything queued at once, so appends that
// pile up while one is written go out back to back.
package batchq

import "sync"

// Queue holds items until the writer takes them. The zero value is not
// usable; call New.
type Queue[T any] struct {
	wake  chan struct{}
	mu    sync.Mutex
	items []T
}

// New returns an empty queue.
func New[T any]() *Queue[T] { return &Queue[T]{wake: make(chan struct{}, 1)} }

// Put queues x and wakes the writer.
func (q *Queue[T]) Put(x T) {
	q.mu.Lock()
	q.items = append(q.items, x)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Take waits until something is queued or stop is closed, and returns
// everything queued, in order; ok is false once stop is closed.
func (q *Queue[T]) Take(stop <-chan struct{}) (items []T, ok bool) {
	select {
	case <-q.wake:
	case <-stop:
		return nil, false
	}
	q.mu.Lock()
	items, q.items = q.items, nil
	q.mu.Unlock()
	return items, true
}
