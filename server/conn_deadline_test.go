package server

import (
	"bytes"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestWriteDeadlineClosesStuckReader: a client that pipelines Fetches of
// an 8 MiB partition and never reads stalls its connection's writes
// (sendfile to a full socket) and, with 12 of them, its read loop (the
// reply queue is full). Each reply's write is bounded by
// connections.max.idle.ms (here 500 ms), and so is the read loop's wait
// for queue room: the connection is closed once the first reply's write
// has been stuck that long, and every queued reply's segment references
// are given back. With 2 fetches the read loop ends at its idle deadline
// and only the write deadline ends the write loop.
func TestWriteDeadlineClosesStuckReader(t *testing.T) {
	for _, fetches := range []int{2, 12} {
		t.Run(strconv.Itoa(fetches), func(t *testing.T) { testWriteDeadline(t, fetches) })
	}
}

func testWriteDeadline(t *testing.T, fetches int) {
	const bound = 500 * time.Millisecond
	s := startServer(t, "connections.max.idle.ms", "500")
	if _, err := s.topics.Create("stuck", 1, nil, false); err != nil {
		t.Fatal(err)
	}
	big := batch(t, 25000, "stuck", nil)
	l := mustTopic(t, s, "stuck").Partitions[0]
	for range 20 {
		if _, err := l.Append(bytes.Clone(big), false); err != nil {
			t.Fatal(err)
		}
	}
	if size := l.Size(); size < 8<<20 {
		t.Fatalf("log of %d bytes, want 8 MiB", size)
	}
	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.(*net.TCPConn).SetReadBuffer(4 << 10)
	var frames []byte
	for i := range fetches {
		frames = append(frames, kmsg.NewRequestFormatter(kmsg.FormatterClientID("stuck")).AppendRequest(nil, fetchReq(12, "stuck", 0, 0, 0), int32(i+1))...)
	}
	start := time.Now()
	if _, err := nc.Write(frames); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "replies holding reads", func() bool { return s.Stats().HeldReads >= 2 || s.Stats().Requests == int64(fetches) })
	open := func() int {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.conns)
	}
	for open() != 0 {
		if time.Since(start) > 10*time.Second {
			st := s.Stats()
			t.Fatalf("connection still open after %v; %d reads held, %d requests served", time.Since(start), st.HeldReads, st.Requests)
		}
		time.Sleep(5 * time.Millisecond)
	}
	el := time.Since(start)
	if el < bound || el > bound+4*time.Second {
		t.Fatalf("connection closed after %v, want %v and a little more", el, bound)
	}
	st := s.Stats()
	if st.HeldReads != 0 || st.FetchMemory != 0 {
		t.Fatalf("after the close: %d reads held, %d bytes of fetch memory; want 0 and 0", st.HeldReads, st.FetchMemory)
	}
	if st.Requests < 2 {
		t.Fatalf("%d requests served, want at least 2", st.Requests)
	}
	t.Logf("closed after %v, %d of %d fetches served", el.Round(time.Millisecond), st.Requests, fetches)
}

// countReply is a reply that counts its releases.
type countReply struct{ released *atomic.Int32 }

func (countReply) write(*conn, int32) error { return nil }
func (r countReply) release()               { r.released.Add(1) }

// TestReplyQueueWaitKeepsIdleTimer: a read loop waiting for room in a full
// reply queue (its write side stuck, here absent) gives up when the
// connection's idle time runs out: it closes the connection, releases the
// reply it could not queue and reports errIdle.
func TestReplyQueueWaitKeepsIdleTimer(t *testing.T) {
	s := startServer(t, "connections.max.idle.ms", "200")
	srv, cli := net.Pipe()
	defer cli.Close()
	c := newConn(s, srv, "PLAINTEXT")
	var released atomic.Int32
	for range replyQueue {
		c.replies <- pending{r: countReply{&released}}
	}
	start := time.Now()
	c.readBy = start.Add(c.idle)
	err := c.queue(pending{r: countReply{&released}})
	el := time.Since(start)
	if err != errIdle || released.Load() != 1 {
		t.Fatalf("queue: %v, %d released; want errIdle and 1", err, released.Load())
	}
	if el < 200*time.Millisecond || el > 5*time.Second {
		t.Fatalf("gave up after %v, want 200 ms", el)
	}
	if _, err := srv.Write([]byte{0}); err == nil {
		t.Fatal("connection still open")
	}
}
