package fuzz

import (
	"encoding/binary"
	"runtime"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/config"
	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/server"
)

// newServer starts a broker over an in-memory filesystem. Each fuzz input
// gets a fresh one, so a crasher reproduces from its input alone.
func newServer(t testing.TB) *server.Server {
	t.Helper()
	cfg := config.Defaults()
	for _, kv := range [][2]string{
		{"listeners", "PLAINTEXT://127.0.0.1:0"},
		{"log.dirs", "/data"},
		{"offsets.topic.num.partitions", "1"},
		{"group.initial.rebalance.delay.ms", "0"},
		// Index preallocation is heap memory over a non-OS filesystem: keep
		// it small so the memory bound measures the request, not the index.
		{"log.index.size.max.bytes", "65536"},
		{"socket.request.max.bytes", "1048576"},
	} {
		if err := cfg.Set(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	s, err := server.Start(cfg, server.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// served is what serve returns for one frame.
type served struct {
	resp    []byte
	closed  bool
	waited  bool   // still running after the wait limit (a long poll, a join)
	alloced uint64 // bytes allocated while it ran
}

// waitLimit is how long serve waits for a request before treating it as a
// legitimate long wait; hangLimit is how long a request may go on after
// the server is closed before it is a bug.
const (
	waitLimit = 200 * time.Millisecond
	hangLimit = 10 * time.Second
)

// serve runs one frame through s.ServeFrame. A request still running after
// waitLimit is left to end when s closes (the caller must close s and call
// the returned finish, which fails t if it does not end within hangLimit).
func serve(t testing.TB, s *server.Server, frame []byte) (served, func()) {
	type result struct {
		resp    []byte
		closed  bool
		alloced uint64
	}
	done := make(chan result, 1)
	go func() {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		resp, closed := s.ServeFrame(frame)
		runtime.ReadMemStats(&after)
		done <- result{resp, closed, after.TotalAlloc - before.TotalAlloc}
	}()
	select {
	case r := <-done:
		return served{resp: r.resp, closed: r.closed, alloced: r.alloced}, func() {}
	case <-time.After(waitLimit):
		return served{waited: true}, func() {
			select {
			case <-done:
			case <-time.After(hangLimit):
				t.Fatalf("a request (key %d) still runs %v after the server closed", key(frame), hangLimit)
			}
		}
	}
}

func key(frame []byte) int16 {
	if len(frame) < 2 {
		return -1
	}
	return int16(binary.BigEndian.Uint16(frame))
}

// frames splits a wire stream into its size-prefixed frames, at most max,
// ending at the first incomplete one.
func frames(stream []byte, max int) [][]byte {
	var out [][]byte
	for len(stream) >= 4 && len(out) < max {
		n := int(binary.BigEndian.Uint32(stream))
		if n < 0 || n > len(stream)-4 {
			break
		}
		out = append(out, stream[4:4+n])
		stream = stream[4+n:]
	}
	return out
}

// stream joins requests into a wire stream, correlation IDs 1, 2, ...
func stream(reqs ...kmsg.Request) []byte {
	w := kmsg.NewRequestFormatter(kmsg.FormatterClientID("fuzz-seed"))
	var b []byte
	for i, r := range reqs {
		b = w.AppendRequest(b, r, int32(i+1))
	}
	return b
}

// decodeResponse decodes a response frame of key at version into resp
// (the size prefix and response header skipped).
func decodeResponse(frame []byte, resp kmsg.Response) error {
	skip := 8
	if resp.IsFlexible() && resp.Key() != int16(kmsg.ApiVersions) {
		skip++
	}
	if len(frame) < skip {
		return errShort
	}
	return resp.ReadFrom(frame[skip:])
}

type fuzzError string

func (e fuzzError) Error() string { return string(e) }

const errShort = fuzzError("fuzz: response shorter than its header")
