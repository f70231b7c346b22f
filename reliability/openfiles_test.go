package reliability

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/recordbatch"
)

// TestFileBudget runs the broker with an open-file limit of 256, so its
// segments may keep 128 descriptors open (42 loaded segments), on a topic
// of 500 partitions, whose segments would need 1,500 if each kept its
// files. Every partition takes a produce and serves a fetch of exactly its
// records, twice round (the second produce and fetch reopen evicted
// segments), while the process stays under its limit and logs no EMFILE.
// Fetches ask for 20 partitions each: a Fetch pins the segments it sends
// from until its response is written (segment/doc.go).
func TestFileBudget(t *testing.T) {
	b := newBroker(t, t.TempDir())
	b.nofile = 256
	b.start()
	if !strings.Contains(b.logText(), `msg="segment file budget" descriptors=128`) {
		t.Fatalf("the broker did not log its segment file budget of 128:\n%s", b.tail(2000))
	}
	const topic, parts = "fdbudget", 500
	b.createTopic(topic, parts)
	cl := b.client(kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.DisableIdempotentWrite())
	rc := dialRaw(t, b.addr)
	peak := 0
	sample := func() {
		if n := b.openFiles(); n > peak {
			peak = n
		}
	}
	for round := range 2 {
		var recs []*kgo.Record
		for p := range int32(parts) {
			recs = append(recs, &kgo.Record{Topic: topic, Partition: p, Value: fmt.Appendf(nil, "p%03d-r%d", p, round)})
		}
		res := cl.ProduceSync(ctxFor(t, 60*time.Second), recs...)
		for _, r := range res {
			if r.Err != nil {
				t.Fatalf("round %d: produce to partition %d: %v", round, r.Record.Partition, r.Err)
			}
			if r.Record.Offset != int64(round) {
				t.Fatalf("round %d: partition %d took the record at offset %d, want %d", round, r.Record.Partition, r.Record.Offset, round)
			}
		}
		sample()
		for first := int32(0); first < parts; first += 20 {
			f := kmsg.NewPtrFetchRequest()
			f.Version, f.MaxBytes, f.SessionEpoch, f.ReplicaID = 11, 1<<20, -1, -1
			ft := kmsg.NewFetchRequestTopic()
			ft.Topic = topic
			for p := first; p < first+20; p++ {
				fp := kmsg.NewFetchRequestTopicPartition()
				fp.Partition, fp.FetchOffset, fp.PartitionMaxBytes = p, int64(round), 1<<20
				ft.Partitions = append(ft.Partitions, fp)
			}
			f.Topics = append(f.Topics, ft)
			resp, err := rc.roundTrip(f)
			if err != nil {
				t.Fatal(err)
			}
			got := resp.(*kmsg.FetchResponse)
			if len(got.Topics) != 1 || len(got.Topics[0].Partitions) != 20 {
				t.Fatalf("round %d: fetch of partitions %d..%d: %d topics in the answer", round, first, first+19, len(got.Topics))
			}
			for _, fp := range got.Topics[0].Partitions {
				want := fmt.Sprintf("p%03d-r%d", fp.Partition, round)
				it := recordbatch.NewIterator(fp.RecordBatches, 1<<20)
				var vals []string
				var offs []int64
				for it.Next() {
					vals = append(vals, string(it.Record().Value))
					offs = append(offs, it.Record().Offset)
				}
				if fp.ErrorCode != 0 || fp.HighWatermark != int64(round)+1 || it.Err() != nil ||
					len(vals) != 1 || vals[0] != want || offs[0] != int64(round) {
					t.Fatalf("round %d: fetch of partition %d: error %d, high watermark %d, records %q at %v (%v); want %q at %d",
						round, fp.Partition, fp.ErrorCode, fp.HighWatermark, vals, offs, it.Err(), want, round)
				}
			}
			sample()
		}
	}
	if peak >= 256 {
		t.Fatalf("the broker had %d descriptors open, its limit is 256", peak)
	}
	if lt := b.logText(); strings.Contains(lt, "too many open files") {
		t.Fatalf("the broker ran out of descriptors:\n%s", b.tail(3000))
	}
	t.Logf("RESULT file budget: %d partitions produced to and fetched twice under an open-file limit of 256; at most %d descriptors open (sampled)", parts, peak)
}
