package server

import "sync/atomic"

// queued.max.requests (Kafka's name and default, 500): the number of
// requests read from sockets but not yet handled, across the broker. A
// connection takes a slot once a whole frame has arrived, and reads
// nothing more until it has one; it gives the slot back when its handler has
// finished with the request (the reply is queued to the connection's write
// side, or there is none), when a Fetch starts to long-poll, or before a
// group request (JoinGroup and SyncGroup wait for other members). When every
// slot is taken, connections stop reading until one is free, so a flood of
// pipelined or concurrent requests waits in the sockets' buffers instead of
// in the heap.
//
// This is close to Kafka's bound: its request queue holds requests that no
// handler thread has taken yet (here a handler's run counts too, which
// bounds the frames being handled as well), a waiting Fetch sits in the fetch purgatory outside
// it (as the join purgatory holds a waiting JoinGroup), and responses are
// queued apart. Giving the slot back before those waits is what makes the
// bound deadlock-free: a slot is held only by a read request waiting for
// its handler or by a handler that runs to its end without waiting on another request (a
// Produce with acks=all waits for its own flush only). Slots held by long
// polls could otherwise keep out the produce they wait for, and slots held
// by the first members of a rebalance the JoinGroup of the last. A slot
// is not held across a reply's write either, so clients that never read
// their answers cannot take the broker's slots; what they pin is bounded
// per connection (replyQueue) and by the fetch memory budget (budget.go).
//
// As in Kafka, which queues only complete requests, a client that stops
// inside a frame holds no slot, so slow or stalled senders cannot take the
// broker's slots; what a partial frame pins is bounded per connection by
// frameStep until its bytes arrive (conn.go), and each connection has at
// most one whole frame waiting for a slot.
//
// queued.max.request.bytes (Kafka's name and default, -1: no bound; above
// 0 it must be at least socket.request.max.bytes, Kafka's check) bounds
// the bytes of those frames, Kafka's memory pool. A connection reserves a
// frame's size from the pool once the size prefix is read and before any
// of the frame is (conn.reserve), and while the pool is short it waits and
// reads nothing, as Kafka mutes a channel under memory pressure; the bytes
// go back with the slot (slot.release): when the handler is done, or
// before a long poll or a group request waits, as Kafka releases a
// request's buffer once its handler has returned and the request sits in
// a purgatory (the waiting request's buffer stays allocated until it ends,
// outside the bound: these are small requests). The pool grants in
// arrival order and a frame waits until its whole size is free, so the
// reserved bytes never exceed the bound; Kafka's pool grants any size
// while a byte is free and may overshoot by up to socket.request.max.bytes.
// It cannot deadlock: the bytes are held by frames being read (a client
// that stalls inside its frame holds them until connections.max.idle.ms
// closes it, as in Kafka), by frames waiting for a slot, or by handlers
// that run to their end, and no holder of a slot waits for the pool.
// Strata keeps Kafka's default: socket.request.max.bytes already refuses
// oversized frames before any allocation, queued.max.requests bounds the
// frames waiting and being handled, and the large-frame allowance
// (conn.go) what silent clients pin; a pool only pays off when an operator
// sets it to what the heap can spare, and one smaller than a few large
// produce requests would serialise them. Stats.QueuedRequestBytes is the
// gauge of reserved bytes, counted with or without a bound.

// requestSlots is the broker-wide semaphore of queued.max.requests.
type requestSlots struct {
	sem  chan struct{}
	held atomic.Int64 // slots taken now
	peak atomic.Int64 // most slots ever taken at once
}

func newRequestSlots(n int) *requestSlots {
	return &requestSlots{sem: make(chan struct{}, max(n, 1))}
}

// acquire takes a slot, or reports false when the server shuts down first.
func (q *requestSlots) acquire(done <-chan struct{}) bool {
	select {
	case q.sem <- struct{}{}:
	case <-done:
		return false
	}
	n := q.held.Add(1)
	for {
		p := q.peak.Load()
		if n <= p || q.peak.CompareAndSwap(p, n) {
			return true
		}
	}
}

func (q *requestSlots) release() {
	q.held.Add(-1)
	<-q.sem
}

// slot is one request's hold on the broker's request queue: its
// queued.max.requests slot and its frame's queued.max.request.bytes.
// release is idempotent so the read loop and a long-polling Fetch can both
// call it.
type slot struct {
	q    *requestSlots
	held bool

	pool  *byteBudget
	bytes int64
}

func (s *slot) release() {
	if s == nil {
		return
	}
	if s.held {
		s.held = false
		s.q.release()
	}
	if s.bytes > 0 {
		s.pool.release(s.bytes)
		s.bytes = 0
	}
}
