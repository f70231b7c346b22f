package server

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestRestartKeepsEverything: 50k records, a clean shutdown, a restart on
// the same directory: every record is back, in order, with the topic's ID
// and configs, and producing continues at the next offset.
func TestRestartKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	s, err := Start(testConfig(t, dir), Options{})
	if err != nil {
		t.Fatal(err)
	}
	tp, err := s.topics.Create("durable", 3, map[string]string{"retention.ms": "-1"}, false)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(s.Addr().String()), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	sent := produceN(t, cl, "durable", 50000)
	cl.Close()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s2 := startServerIn(t, dir, Options{})
	tp2 := mustTopic(t, s2, "durable")
	if tp2.ID != tp.ID || tp2.Configs["retention.ms"] != "-1" || len(tp2.Partitions) != 3 {
		t.Fatalf("after restart: %+v", tp2)
	}
	equalParts(t, consumeAll(t, s2, "durable", 50000), sent)
	before := tp2.Partitions[0].HighWatermark()
	cl2 := newClient(t, s2, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	r, err := cl2.ProduceSync(testCtx(t), &kgo.Record{Topic: "durable", Partition: 0, Value: []byte("after")}).First()
	if err != nil || r.Offset != before {
		t.Fatalf("produce after restart: offset %d, %v; want %d", r.Offset, err, before)
	}
}
