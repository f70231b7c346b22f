package server

import (
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestWriteDeadlineClosesStuckReader: a client that pipelines Fetches of
// an 8 MiB partition and never reads stalls its connection's writes
// (sendfile to a full socket) and then its read loop (the reply queue is
// full). Each reply's write is bounded by connections.max.idle.ms (here
// 500 ms): the connection is closed once the first reply's write has
// been stuck that long, and every queued reply's segment references are
// given back.
func TestWriteDeadlineClosesStuckReader(t *testing.T) {
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
	for i := range 12 {
		frames = append(frames, kmsg.NewRequestFormatter(kmsg.FormatterClientID("stuck")).AppendRequest(nil, fetchReq(12, "stuck", 0, 0, 0), int32(i+1))...)
	}
	start := time.Now()
	if _, err := nc.Write(frames); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "replies holding reads", func() bool { return s.Stats().HeldReads >= 2 })
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
		t.Fatalf("%d requests served, want the fetches that filled the queue", st.Requests)
	}
	t.Logf("closed after %v, %d of 12 fetches served", el.Round(time.Millisecond), st.Requests)
}
