package server

import (
	"bytes"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/segment"
)

// TestFetchUnderFileBudget: with a segment file budget of one segment, a
// Fetch of 200 partitions pins only the first partition's segment: the
// others' records are copied out and their segments released as they are
// read, until 1 MiB was copied; the partitions after that are answered
// with their offsets and no records, and a second Fetch from there gets
// them. Every record arrives exactly, and after the fetch the segments
// hold no more files than the budget allows plus the last one read.
func TestFetchUnderFileBudget(t *testing.T) {
	s := startServer(t) // sets the budget from the open-file limit
	old := segment.FileBudget()
	segment.SetFileBudget(3)
	defer segment.SetFileBudget(old)
	const parts = 200
	if _, err := s.topics.Create("wide", parts, nil, false); err != nil {
		t.Fatal(err)
	}
	cl := newClient(t, s, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchCompression(kgo.NoCompression()))
	value := func(p int32) []byte { return bytes.Repeat([]byte{byte('a' + p%26)}, 8000) }
	for p := int32(0); p < parts; p++ {
		if err := cl.ProduceSync(testCtx(t), &kgo.Record{Topic: "wide", Partition: p, Value: value(p)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	fetch := func(from int32) *kmsg.FetchResponse {
		req := fetchReq(12, "wide", from, 0, 0)
		for p := from + 1; p < parts; p++ {
			fp := kmsg.NewFetchRequestTopicPartition()
			fp.Partition, fp.FetchOffset, fp.PartitionMaxBytes = p, 0, 1<<20
			req.Topics[0].Partitions = append(req.Topics[0].Partitions, fp)
		}
		return dialRaw(t, s).roundTrip(req).(*kmsg.FetchResponse)
	}
	check := func(resp *kmsg.FetchResponse, from int32) (withRecords int32, batch int) {
		for i, rp := range resp.Topics[0].Partitions {
			p := from + int32(i)
			if rp.Partition != p || rp.ErrorCode != 0 || rp.HighWatermark != 1 {
				t.Fatalf("partition %d: %+v", p, rp)
			}
			if len(rp.RecordBatches) == 0 {
				continue
			}
			if withRecords != int32(i) {
				t.Fatalf("partition %d has records after one without", p)
			}
			withRecords++
			recs := recordsOf(t, rp.RecordBatches)
			if len(recs) != 1 || recs[0].Offset != 0 || !bytes.Equal(recs[0].Value, value(p)) {
				t.Fatalf("partition %d: %d records", p, len(recs))
			}
			batch = len(rp.RecordBatches)
		}
		return withRecords, batch
	}
	first, batch := check(fetch(0), 0)
	// The first partition is pinned; each later one copied (batch bytes)
	// until the copies reach 1 MiB.
	wantFirst := int32(1 + (pressureRequestMax+batch-1)/batch)
	if first != wantFirst {
		t.Fatalf("first fetch: %d partitions with records, want %d (batches of %d bytes)", first, wantFirst, batch)
	}
	if got := segment.OpenSegmentFiles(); got > 6 {
		t.Fatalf("after the fetch the segments hold %d files, want at most 6", got)
	}
	second, _ := check(fetch(first), first)
	if first+second != parts {
		t.Fatalf("second fetch: %d partitions with records, want %d", second, parts-first)
	}
	// A reply's reads are released just after its last byte is written.
	for deadline := time.Now().Add(5 * time.Second); s.heldReads.Load() != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("held reads after both fetches: %d", s.heldReads.Load())
		}
	}
}
