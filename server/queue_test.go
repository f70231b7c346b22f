package server

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestQueuedMaxRequests: with queued.max.requests=2, 12 connections each
// start a long-polling Fetch (MaxWait 30 s) at the end of an empty
// partition and pipeline 10 Metadata and ApiVersions requests behind it,
// and 8 more connections pipeline 25 requests each. The long polls give
// their slots back while they wait, so a Produce on another connection is
// read and served, every long poll returns its record long before its
// MaxWait, every one of the 332 requests is answered in order, and the
// number of requests read but not yet handled never exceeded 2.
func TestQueuedMaxRequests(t *testing.T) {
	s := startServer(t, "queued.max.requests", "2")
	if _, err := s.topics.Create("q", 1, nil, false); err != nil {
		t.Fatal(err)
	}
	const polls, pollTail, floods, floodDepth = 12, 10, 8, 25
	type sent struct {
		req  kmsg.Request
		corr int32
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		answers int
		fetched int // long polls that returned the record
	)
	read := func(rc *rawClient, reqs []sent) {
		defer wg.Done()
		for _, r := range reqs {
			resp, err := rc.readResponse(r.req, r.corr)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			answers++
			if f, ok := resp.(*kmsg.FetchResponse); ok {
				p := f.Topics[0].Partitions[0]
				if p.ErrorCode == 0 && p.HighWatermark == 1 && len(p.RecordBatches) > 0 {
					fetched++
				}
			}
			mu.Unlock()
		}
	}
	start := time.Now()
	for i := range polls {
		rc := dialRaw(t, s)
		f := fetchReq(11, "q", 0, 0, 30000)
		reqs := []sent{{f, rc.send(f)}}
		for j := range pollTail {
			var req kmsg.Request = kmsg.NewPtrMetadataRequest()
			if (i+j)%2 == 0 {
				req = kmsg.NewPtrApiVersionsRequest()
			}
			reqs = append(reqs, sent{req, rc.send(req)})
		}
		wg.Add(1)
		go read(rc, reqs)
	}
	for range floods {
		rc := dialRaw(t, s)
		var reqs []sent
		for range floodDepth {
			req := kmsg.NewPtrApiVersionsRequest()
			reqs = append(reqs, sent{req, rc.send(req)})
		}
		wg.Add(1)
		go read(rc, reqs)
	}
	// Every long poll is waiting: the produce must still be read.
	prod := dialRaw(t, s)
	res := produceResults(t, prod.roundTrip(produceReq(9, 1, "q", map[int32][]byte{0: batch(t, 1, "q", nil)})))
	if res[0] != (partResult{0, 0}) {
		t.Fatalf("produce: %+v", res[0])
	}
	wg.Wait()
	el := time.Since(start)
	total := polls*(1+pollTail) + floods*floodDepth
	st := s.Stats()
	if answers != total || fetched != polls {
		t.Fatalf("%d of %d requests answered, %d of %d long polls got the record", answers, total, fetched, polls)
	}
	if el >= 30*time.Second {
		t.Fatalf("took %v: the long polls ran to MaxWait", el)
	}
	if st.QueuedRequestsPeak < 1 || st.QueuedRequestsPeak > 2 {
		t.Fatalf("peak of queued requests %d, want 1..2", st.QueuedRequestsPeak)
	}
	if st.QueuedRequests != 0 {
		t.Fatalf("%d requests still queued after every answer", st.QueuedRequests)
	}
	t.Logf("%d requests answered in %v, peak queued %d", total+1, el.Round(time.Millisecond), st.QueuedRequestsPeak)
}

// TestRequestSlotsBlockReading: with every slot taken, a connection's
// next frame is not read (its request gets no answer) until a slot is
// given back.
func TestRequestSlotsBlockReading(t *testing.T) {
	s := startServer(t, "queued.max.requests", "1")
	if !s.slots.acquire(s.done) {
		t.Fatal("acquire on a running server failed")
	}
	rc := dialRaw(t, s)
	req := kmsg.NewPtrApiVersionsRequest()
	corr := rc.send(req)
	got := make(chan error, 1)
	go func() {
		_, err := rc.readResponse(req, corr)
		got <- err
	}()
	// The connection has read the frame and waits for the slot: no answer
	// comes (a bounded negative check, not synchronisation).
	select {
	case err := <-got:
		t.Fatalf("answered while every slot was taken (err %v)", err)
	case <-time.After(200 * time.Millisecond):
	}
	if st := s.Stats(); st.QueuedRequests != 1 || st.Requests != 0 {
		t.Fatalf("queued %d, served %d; want 1 and 0", st.QueuedRequests, st.Requests)
	}
	s.slots.release()
	if err := <-got; err != nil {
		t.Fatal(fmt.Errorf("after the slot came back: %w", err))
	}
	if st := s.Stats(); st.Requests != 1 || st.QueuedRequestsPeak != 1 {
		t.Fatalf("served %d, peak %d; want 1 and 1", st.Requests, st.QueuedRequestsPeak)
	}
}

// TestQueuedMaxRequestsGroupRebalance: with a single queued.max.requests
// slot, three kgo members of a group that fetch with long polls still
// reach a stable group of three, each with partitions: JoinGroup and
// SyncGroup wait for the other members without holding the slot.
func TestQueuedMaxRequestsGroupRebalance(t *testing.T) {
	s := startServer(t, append([]string{"queued.max.requests", "1"}, groupSettings...)...)
	if _, err := s.topics.Create("g", 4, nil, false); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	for m := range 3 {
		cl := newClient(t, s, kgo.ConsumerGroup("qg"), kgo.ConsumeTopics("g"), kgo.ClientID(fmt.Sprint("m", m)),
			kgo.FetchMaxWait(5*time.Second))
		go func() {
			for ctx.Err() == nil && !cl.PollFetches(ctx).IsClientClosed() {
			}
		}()
	}
	adm := newAdmin(t, s)
	waitUntil(t, "a stable group of three members with partitions", func() bool {
		gs, err := adm.DescribeGroups(ctx, "qg")
		if err != nil {
			return false
		}
		g := gs["qg"]
		if g.State != "Stable" || len(g.Members) != 3 {
			return false
		}
		for _, m := range g.Members {
			if a, ok := m.Assigned.AsConsumer(); !ok || len(a.Topics) == 0 {
				return false
			}
		}
		return true
	})
	if st := s.Stats(); st.QueuedRequestsPeak != 1 {
		t.Fatalf("peak of queued requests %d, want 1", st.QueuedRequestsPeak)
	}
}

// TestQueuedMaxRequestBytes: with queued.max.request.bytes at twice
// socket.request.max.bytes (1 MiB), 8 connections each announce a produce
// frame of ~800 KB and send half of it. Each frame's bytes are reserved
// before it is read: two are, the six others wait without reading, so
// the frames held never exceed the bound. Once the rest arrives every
// produce is served, with the 8 base offsets of the records appended.
func TestQueuedMaxRequestBytes(t *testing.T) {
	const conns, records = 8, 40000
	const bound = 2 << 20
	s := startServer(t, "socket.request.max.bytes", "1048576", "queued.max.request.bytes", "2097152")
	if _, err := s.topics.Create("qb", 1, nil, false); err != nil {
		t.Fatal(err)
	}
	b := batch(t, records, "qb", nil)
	type sender struct {
		rc    *rawClient
		req   kmsg.Request
		frame []byte
	}
	var senders []sender
	for range conns {
		rc := dialRaw(t, s)
		req := produceReq(9, 1, "qb", map[int32][]byte{0: bytes.Clone(b)})
		rc.corr++
		frame := kmsg.NewRequestFormatter(kmsg.FormatterClientID("qb")).AppendRequest(nil, req, rc.corr)
		senders = append(senders, sender{rc, req, frame})
	}
	size := int64(len(senders[0].frame) - 4)
	if 2*size > bound || 3*size <= bound {
		t.Fatalf("frames of %d bytes: want two and not three in %d", size, bound)
	}
	for _, sd := range senders {
		sd.rc.write(sd.frame[:len(sd.frame)/2])
	}
	waiting := func() int {
		s.reqBytes.mu.Lock()
		defer s.reqBytes.mu.Unlock()
		return len(s.reqBytes.wait)
	}
	waitUntil(t, "every frame announced", func() bool {
		return s.Stats().QueuedRequestBytes/size+int64(waiting()) == conns
	})
	if st := s.Stats(); st.QueuedRequestBytes != 2*size || waiting() != conns-2 {
		t.Fatalf("%d frame bytes reserved, %d frames waiting; want %d and %d", st.QueuedRequestBytes, waiting(), 2*size, conns-2)
	}
	var wg sync.WaitGroup
	bases := make([]int64, conns)
	for i, sd := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := sd.rc.c.Write(sd.frame[len(sd.frame)/2:]); err != nil {
				t.Error(err)
				return
			}
			resp, err := sd.rc.readResponse(sd.req, sd.rc.corr)
			if err != nil {
				t.Error(err)
				return
			}
			p := resp.(*kmsg.ProduceResponse).Topics[0].Partitions[0]
			if p.ErrorCode != 0 {
				t.Errorf("produce: error %d", p.ErrorCode)
			}
			bases[i] = p.BaseOffset
		}()
	}
	wg.Wait()
	slices.Sort(bases)
	for i, base := range bases {
		if base != int64(i)*records {
			t.Fatalf("base offsets %v, want multiples of %d", bases, records)
		}
	}
	st := s.Stats()
	if st.QueuedRequestBytesPeak != 2*size || st.QueuedRequestBytes != 0 {
		t.Fatalf("frame bytes reserved: peak %d, now %d; want %d and 0", st.QueuedRequestBytesPeak, st.QueuedRequestBytes, 2*size)
	}
}
