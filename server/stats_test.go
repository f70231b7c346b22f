package server

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestLatencyBuckets: bucket i holds durations up to 2^i µs (a duration
// of whole microseconds in [2^(i-1), 2^i) µs lands in bucket i), the
// last everything longer.
func TestLatencyBuckets(t *testing.T) {
	for _, c := range []struct {
		d      time.Duration
		bucket int
	}{
		{0, 0}, {999 * time.Nanosecond, 0}, {time.Microsecond, 1}, {1999 * time.Nanosecond, 1},
		{2 * time.Microsecond, 2}, {3 * time.Microsecond, 2}, {4 * time.Microsecond, 3},
		{time.Millisecond, 10}, {time.Second, 20}, {8 * time.Second, 23}, {9 * time.Second, 24},
		{time.Hour, 24}, {-time.Second, 0},
	} {
		var h histogram
		h.observe(c.d)
		for i := range h.counts {
			want := uint64(0)
			if i == c.bucket {
				want = 1
			}
			if got := h.counts[i].Load(); got != want {
				t.Errorf("%v: bucket %d holds %d, want %d", c.d, i, got, want)
			}
		}
		if d := max(c.d, 0); c.bucket < LatencyBuckets-1 && float64(d)/1e9 > LatencyBound(c.bucket) {
			t.Errorf("%v above its bucket's bound %v", c.d, LatencyBound(c.bucket))
		}
	}
	if LatencyBound(0) != 1e-6 || LatencyBound(10) != 1024e-6 || LatencyBound(LatencyBuckets-1) != inf {
		t.Errorf("bounds %v %v %v", LatencyBound(0), LatencyBound(10), LatencyBound(LatencyBuckets-1))
	}
}

// TestCountResponseErrors: every ErrorCode of a response, nested ones
// too, counted once each; zero codes not at all.
func TestCountResponseErrors(t *testing.T) {
	resp := kmsg.NewPtrOffsetCommitResponse()
	for _, codes := range [][]int16{{0, 3}, {3, 15}} {
		rt := kmsg.NewOffsetCommitResponseTopic()
		for _, c := range codes {
			p := kmsg.NewOffsetCommitResponseTopicPartition()
			p.ErrorCode = c
			rt.Partitions = append(rt.Partitions, p)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	got := map[int16]int{}
	countResponseErrors(resp, func(c int16) { got[c]++ })
	if len(got) != 2 || got[3] != 2 || got[15] != 1 {
		t.Errorf("OffsetCommit: %v", got)
	}
	md := kmsg.NewPtrMetadataResponse()
	mt := kmsg.NewMetadataResponseTopic()
	mt.ErrorCode = kerr.UnknownTopicOrPartition.Code
	mp := kmsg.NewMetadataResponseTopicPartition()
	mp.ErrorCode = kerr.LeaderNotAvailable.Code
	mt.Partitions = append(mt.Partitions, mp)
	md.Topics = append(md.Topics, mt)
	got = map[int16]int{}
	countResponseErrors(md, func(c int16) { got[c]++ })
	if len(got) != 2 || got[kerr.UnknownTopicOrPartition.Code] != 1 || got[kerr.LeaderNotAvailable.Code] != 1 {
		t.Errorf("Metadata: %v", got)
	}
}

// BenchmarkRequestStats is what the metrics add to one request on the
// read loop: four clock reads, the request and error counters, a Produce
// response's error walk and six histogram observations.
//
//	go test -run '^$' -bench RequestStats ./server/
func BenchmarkRequestStats(b *testing.B) {
	st := newServerStats()
	resp := kmsg.NewPtrProduceResponse()
	rt := kmsg.NewProduceResponseTopic()
	rt.Partitions = append(rt.Partitions, kmsg.NewProduceResponseTopicPartition())
	resp.Topics = append(resp.Topics, rt)
	var r reply = msgReply{resp}
	for b.Loop() {
		t := timing{read: sinceEpoch()}
		t.slotted = sinceEpoch()
		a := st.api(int16(kmsg.Produce))
		a.requests[statVersion(11)].Add(1)
		t.api = a
		a.countReplyErrors(11, r)
		t.handled = sinceEpoch()
		t.observe(t.handled, sinceEpoch())
	}
}
