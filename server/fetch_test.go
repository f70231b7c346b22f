package server

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/internal/vfs"
)

// fill appends batches of n records each to partition p until it holds
// at least bytes bytes, and returns the high watermark.
func fillPartition(t *testing.T, s *Server, name string, p int32, batches, n int) int64 {
	t.Helper()
	l := mustTopic(t, s, name).Partitions[p]
	for i := range batches {
		if _, err := l.Append(batch(t, n, "fill-"+string(rune('a'+i%26)), nil), false); err != nil {
			t.Fatal(err)
		}
	}
	return l.HighWatermark()
}

// TestFetchZeroCopy: a large fetch from segment files sends every record
// byte with sendfile; none goes through the pooled-buffer copy.
func TestFetchZeroCopy(t *testing.T) {
	s := startServer(t)
	if _, err := s.topics.Create("zc", 1, nil, false); err != nil {
		t.Fatal(err)
	}
	fillPartition(t, s, "zc", 0, 200, 500) // ~ 200 batches of ~5 KiB
	size := mustTopic(t, s, "zc").Partitions[0].Size()
	rc := dialRaw(t, s)
	before := s.Stats()
	req := fetchReq(13, "", 0, 0, 0)
	req.Topics[0].TopicID = mustTopic(t, s, "zc").ID
	resp := rc.roundTrip(req).(*kmsg.FetchResponse)
	rc.roundTrip(kmsg.NewPtrApiVersionsRequest()) // written after the fetch's write finished
	after := s.Stats()
	got := int64(len(resp.Topics[0].Partitions[0].RecordBatches))
	if got != size {
		t.Fatalf("fetched %d record bytes, the log holds %d", got, size)
	}
	if n := after.SendfileBytes - before.SendfileBytes; n != size {
		t.Fatalf("sendfile sent %d bytes, want %d", n, size)
	}
	if n := after.CopiedBytes - before.CopiedBytes; n != 0 {
		t.Fatalf("%d record bytes were copied through user space", n)
	}
	if n := len(recordsOf(t, resp.Topics[0].Partitions[0].RecordBatches)); n != 200*500 {
		t.Fatalf("%d records decoded, want %d", n, 200*500)
	}
}

// TestFetchCopyFallback: files without a descriptor (the in-memory
// filesystem) are copied, and the bytes are the same.
func TestFetchCopyFallback(t *testing.T) {
	s := startServerIn(t, "data", Options{FS: vfs.NewMem()})
	if _, err := s.topics.Create("mem", 1, nil, false); err != nil {
		t.Fatal(err)
	}
	fillPartition(t, s, "mem", 0, 20, 100)
	size := mustTopic(t, s, "mem").Partitions[0].Size()
	rc := dialRaw(t, s)
	values := fetchValues(t, rc, "mem", 0, 0)
	rc.roundTrip(kmsg.NewPtrApiVersionsRequest()) // written after the fetch's write finished
	if len(values) != 2000 {
		t.Fatalf("%d records, want 2000", len(values))
	}
	if st := s.Stats(); st.CopiedBytes != size || st.SendfileBytes != 0 {
		t.Fatalf("copied %d, sendfile %d; want %d copied", st.CopiedBytes, st.SendfileBytes, size)
	}
}

// TestFetchLongPoll: a fetch at the end waits for an append (MinBytes 1),
// and without one returns empty after MaxWaitMillis.
func TestFetchLongPoll(t *testing.T) {
	s := startServer(t)
	if _, err := s.topics.Create("lp", 2, nil, false); err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, s)
	start := time.Now()
	resp := rc.roundTrip(fetchReq(11, "lp", 0, 0, 200)).(*kmsg.FetchResponse)
	if el := time.Since(start); el < 200*time.Millisecond {
		t.Fatalf("empty fetch returned after %v, before MaxWaitMillis", el)
	}
	if p := resp.Topics[0].Partitions[0]; p.ErrorCode != 0 || len(p.RecordBatches) != 0 || p.HighWatermark != 0 {
		t.Fatalf("empty fetch: %+v", p)
	}

	// Both partitions wanted; an append to the second wakes the fetch.
	req := fetchReq(11, "lp", 0, 0, 30000)
	fp := kmsg.NewFetchRequestTopicPartition()
	fp.Partition, fp.PartitionMaxBytes = 1, 1<<20
	req.Topics[0].Partitions = append(req.Topics[0].Partitions, fp)
	corr := rc.send(req)
	got := make(chan kmsg.Response, 1)
	go func() {
		r, err := rc.readResponse(req, corr)
		if err != nil {
			t.Error(err)
		}
		got <- r
	}()
	fillPartition(t, s, "lp", 1, 1, 3)
	select {
	case r := <-got:
		ps := r.(*kmsg.FetchResponse).Topics[0].Partitions
		if len(ps) != 2 || len(recordsOf(t, ps[1].RecordBatches)) != 3 || ps[1].HighWatermark != 3 {
			t.Fatalf("woken fetch: %+v", ps)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the append did not wake the fetch")
	}
}

// TestFetchErrors: out of range, unknown topic and partition, a leader
// epoch from the future; an error answers at once despite MaxWaitMillis.
func TestFetchErrors(t *testing.T) {
	s := startServer(t)
	if _, err := s.topics.Create("fe", 1, nil, false); err != nil {
		t.Fatal(err)
	}
	fillPartition(t, s, "fe", 0, 1, 5)
	rc := dialRaw(t, s)
	cases := []struct {
		topic     string
		p         int32
		offset    int64
		epoch     int32
		want      int16
		wantHW    int64
		wantBytes bool
	}{
		{"fe", 0, 6, -1, kerr.OffsetOutOfRange.Code, -1, false},
		{"fe", 0, -1, -1, kerr.OffsetOutOfRange.Code, -1, false},
		{"nope", 0, 0, -1, kerr.UnknownTopicOrPartition.Code, -1, false},
		{"fe", 1, 0, -1, kerr.UnknownTopicOrPartition.Code, -1, false},
		{"fe", 0, 0, 3, kerr.UnknownLeaderEpoch.Code, -1, false},
		{"fe", 0, 0, 0, 0, 5, true},
	}
	for _, c := range cases {
		req := fetchReq(12, c.topic, c.p, c.offset, 30000)
		req.Topics[0].Partitions[0].CurrentLeaderEpoch = c.epoch
		p := rc.roundTrip(req).(*kmsg.FetchResponse).Topics[0].Partitions[0]
		if p.ErrorCode != c.want || p.HighWatermark != c.wantHW || (len(p.RecordBatches) > 0) != c.wantBytes {
			t.Errorf("%+v: error %d, hw %d, %d bytes", c, p.ErrorCode, p.HighWatermark, len(p.RecordBatches))
		}
	}
}

// TestFetchSizeRules: KIP-74. The first partition's first batch comes
// whole even over MaxBytes; a later partition gets nothing that does not
// fit what is left.
func TestFetchSizeRules(t *testing.T) {
	s := startServer(t)
	if _, err := s.topics.Create("kip74", 2, nil, false); err != nil {
		t.Fatal(err)
	}
	fillPartition(t, s, "kip74", 0, 3, 100)
	fillPartition(t, s, "kip74", 1, 3, 100)
	one := int64(len(batch(t, 100, "fill-a", nil)))
	rc := dialRaw(t, s)
	req := fetchReq(11, "kip74", 0, 0, 0)
	req.MaxBytes = 10 // far below one batch
	fp := kmsg.NewFetchRequestTopicPartition()
	fp.Partition, fp.PartitionMaxBytes = 1, 1<<20
	req.Topics[0].Partitions = append(req.Topics[0].Partitions, fp)
	ps := rc.roundTrip(req).(*kmsg.FetchResponse).Topics[0].Partitions
	if int64(len(ps[0].RecordBatches)) != one || len(ps[1].RecordBatches) != 0 {
		t.Fatalf("MaxBytes 10: %d and %d bytes, want %d and 0", len(ps[0].RecordBatches), len(ps[1].RecordBatches), one)
	}
	req.MaxBytes = int32(3*one + one/2) // partition 0 takes 3 batches at most by its own limit below
	req.Topics[0].Partitions[0].PartitionMaxBytes = int32(2 * one)
	ps = rc.roundTrip(req).(*kmsg.FetchResponse).Topics[0].Partitions
	if int64(len(ps[0].RecordBatches)) != 2*one || int64(len(ps[1].RecordBatches)) != one {
		t.Fatalf("limits: %d and %d bytes, want %d and %d", len(ps[0].RecordBatches), len(ps[1].RecordBatches), 2*one, one)
	}
}

// TestFetchSessions: KIP-227. A full fetch opens a session; incremental
// fetches name only changes and get only partitions with news; wrong
// epochs and unknown sessions get Kafka's errors; epoch -1 closes it.
func TestFetchSessions(t *testing.T) {
	s := startServer(t)
	if _, err := s.topics.Create("fs", 2, nil, false); err != nil {
		t.Fatal(err)
	}
	fillPartition(t, s, "fs", 0, 1, 4)
	rc := dialRaw(t, s)

	req := fetchReq(11, "fs", 0, 0, 0)
	req.SessionID, req.SessionEpoch = 0, 0
	fp := kmsg.NewFetchRequestTopicPartition()
	fp.Partition, fp.PartitionMaxBytes = 1, 1<<20
	req.Topics[0].Partitions = append(req.Topics[0].Partitions, fp)
	resp := rc.roundTrip(req).(*kmsg.FetchResponse)
	if resp.ErrorCode != 0 || resp.SessionID == 0 || len(resp.Topics[0].Partitions) != 2 {
		t.Fatalf("opening fetch: %+v", resp)
	}
	id := resp.SessionID

	incr := func(epoch int32, offset0 int64, name bool) *kmsg.FetchResponse {
		r := kmsg.NewPtrFetchRequest()
		r.Version, r.MaxBytes, r.MinBytes, r.MaxWaitMillis = 11, 1<<20, 0, 0
		r.SessionID, r.SessionEpoch = id, epoch
		if name {
			ft := kmsg.NewFetchRequestTopic()
			ft.Topic = "fs"
			p := kmsg.NewFetchRequestTopicPartition()
			p.Partition, p.FetchOffset, p.PartitionMaxBytes = 0, offset0, 1<<20
			ft.Partitions = append(ft.Partitions, p)
			r.Topics = append(r.Topics, ft)
		}
		return rc.roundTrip(r).(*kmsg.FetchResponse)
	}
	// Partition 0 moves to offset 4: nothing new anywhere.
	if r := incr(1, 4, true); r.ErrorCode != 0 || r.SessionID != id || len(r.Topics) != 0 {
		t.Fatalf("idle incremental fetch: %+v", r)
	}
	// An append to partition 1 (not named): it alone is answered.
	fillPartition(t, s, "fs", 1, 1, 2)
	r := incr(2, 0, false)
	if len(r.Topics) != 1 || len(r.Topics[0].Partitions) != 1 || r.Topics[0].Partitions[0].Partition != 1 ||
		len(recordsOf(t, r.Topics[0].Partitions[0].RecordBatches)) != 2 {
		t.Fatalf("incremental fetch after append: %+v", r.Topics)
	}
	if r := incr(2, 0, false); r.ErrorCode != kerr.InvalidFetchSessionEpoch.Code {
		t.Fatalf("stale epoch: error %d", r.ErrorCode)
	}
	// Close it; then it is gone.
	if r := incr(-1, 0, true); r.ErrorCode != 0 || r.SessionID != 0 {
		t.Fatalf("closing fetch: %+v", r)
	}
	if r := incr(3, 0, false); r.ErrorCode != kerr.FetchSessionIDNotFound.Code {
		t.Fatalf("closed session: error %d", r.ErrorCode)
	}
}

// TestFetchSmallInline: a response whose record bytes fit smallFetch goes
// out in one write with the bytes read into the frame, not by sendfile,
// and decodes to the same records.
func TestFetchSmallInline(t *testing.T) {
	s := startServer(t)
	if _, err := s.topics.Create("small", 1, nil, false); err != nil {
		t.Fatal(err)
	}
	fillPartition(t, s, "small", 0, 3, 10)
	size := mustTopic(t, s, "small").Partitions[0].Size()
	if size > smallFetch {
		t.Fatalf("log of %d bytes is over smallFetch %d", size, smallFetch)
	}
	rc := dialRaw(t, s)
	before := s.Stats()
	values := fetchValues(t, rc, "small", 0, 0)
	rc.roundTrip(kmsg.NewPtrApiVersionsRequest()) // written after the fetch's write finished
	after := s.Stats()
	if len(values) != 30 {
		t.Fatalf("%d records, want 30", len(values))
	}
	if n := after.CopiedBytes - before.CopiedBytes; n != size {
		t.Fatalf("copied %d bytes inline, want %d", n, size)
	}
	if n := after.SendfileBytes - before.SendfileBytes; n != 0 {
		t.Fatalf("sendfile sent %d bytes of a small fetch, want 0", n)
	}
}
