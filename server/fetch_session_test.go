package server

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestFetchSessionRoundRobin: an incremental fetch moves every partition
// that returned records to the end of the session's order, as Kafka's
// IncrementalFetchContext does, so that with backlogs over MaxBytes on the
// first partitions the later ones get their turn. Partitions 0 and 1 hold
// four batches each and partition 2 two; MaxBytes is one batch, so each
// fetch returns exactly one batch of one partition.
func TestFetchSessionRoundRobin(t *testing.T) {
	s := startServer(t)
	if _, err := s.topics.Create("rr", 3, nil, false); err != nil {
		t.Fatal(err)
	}
	const n = 50 // records per batch
	fillPartition(t, s, "rr", 0, 4, n)
	fillPartition(t, s, "rr", 1, 4, n)
	fillPartition(t, s, "rr", 2, 2, n)
	one := int32(len(batch(t, n, "fill-a", nil)))
	rc := dialRaw(t, s)

	offsets := []int64{0, 0, 0}
	fetch := func(id, epoch int32, name []int32) *kmsg.FetchResponse {
		r := kmsg.NewPtrFetchRequest()
		r.Version, r.MaxBytes, r.MinBytes, r.MaxWaitMillis = 12, one, 0, 0
		r.SessionID, r.SessionEpoch = id, epoch
		if len(name) > 0 {
			ft := kmsg.NewFetchRequestTopic()
			ft.Topic = "rr"
			for _, p := range name {
				fp := kmsg.NewFetchRequestTopicPartition()
				fp.Partition, fp.FetchOffset, fp.PartitionMaxBytes = p, offsets[p], 1<<20
				ft.Partitions = append(ft.Partitions, fp)
			}
			r.Topics = append(r.Topics, ft)
		}
		return rc.roundTrip(r).(*kmsg.FetchResponse)
	}
	// got returns the one partition that carried records and their first
	// and last offsets, and moves the client's position past them.
	got := func(resp *kmsg.FetchResponse) (int32, int64, int64) {
		t.Helper()
		if resp.ErrorCode != 0 {
			t.Fatalf("fetch error %d", resp.ErrorCode)
		}
		p, first, last := int32(-1), int64(-1), int64(-1)
		for _, rt := range resp.Topics {
			for _, rp := range rt.Partitions {
				recs := recordsOf(t, rp.RecordBatches)
				if len(recs) == 0 {
					continue
				}
				if p != -1 {
					t.Fatalf("records from partitions %d and %d, want one", p, rp.Partition)
				}
				p, first, last = rp.Partition, recs[0].Offset, recs[len(recs)-1].Offset
			}
		}
		if p == -1 {
			t.Fatal("no records")
		}
		offsets[p] = last + 1
		return p, first, last
	}

	var r0id int32
	type turn struct {
		p           int32
		first, last int64
	}
	// The full fetch reads in request order and does not reorder; after
	// it every incremental fetch moves the partition it answered to the end.
	want := []turn{
		{0, 0, n - 1},       // full fetch: 0, 1, 2
		{0, n, 2*n - 1},     // 0, 1, 2
		{1, 0, n - 1},       // 1, 2, 0
		{2, 0, n - 1},       // 2, 0, 1
		{0, 2 * n, 3*n - 1}, // 0, 1, 2
		{1, n, 2*n - 1},     // 1, 2, 0
		{2, n, 2*n - 1},     // 2, 0, 1: partition 2 is drained
		{0, 3 * n, 4*n - 1}, // 0, 1, 2: partition 0 is drained
		{1, 2 * n, 3*n - 1}, // 1, 2, 0
		{1, 3 * n, 4*n - 1}, // 2, 0, 1
	}
	var prev int32 = -1
	for i, w := range want {
		var r *kmsg.FetchResponse
		if i == 0 {
			r = fetch(0, 0, []int32{0, 1, 2})
			if r.SessionID == 0 {
				t.Fatal("no session opened")
			}
		} else {
			r = fetch(r0id, int32(i), []int32{prev})
		}
		if i == 0 {
			r0id = r.SessionID
		}
		p, first, last := got(r)
		if (turn{p, first, last}) != w {
			t.Fatalf("fetch %d: partition %d offsets %d-%d, want partition %d offsets %d-%d", i, p, first, last, w.p, w.first, w.last)
		}
		prev = p
	}
}
