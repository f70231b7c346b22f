package server

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/recordbatch"
)

// TestProduceTimestampOutOfRange: on a CreateTime topic (Kafka 4's
// message.timestamp.after.max.ms of one hour) a record stamped two days
// ahead is refused with INVALID_TIMESTAMP (32) and leaves nothing in the
// log; a record stamped now is appended; a LogAppendTime topic takes the
// future record.
func TestProduceTimestampOutOfRange(t *testing.T) {
	s := startServer(t)
	if _, err := s.topics.Create("ts", 1, nil, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.topics.Create("lat", 1, map[string]string{"message.timestamp.type": "LogAppendTime"}, false); err != nil {
		t.Fatal(err)
	}
	cl := newClient(t, s, kgo.RecordRetries(0), kgo.DisableIdempotentWrite())
	ahead := time.Now().Add(48 * time.Hour)
	err := cl.ProduceSync(testCtx(t), &kgo.Record{Topic: "ts", Value: []byte("future"), Timestamp: ahead}).FirstErr()
	if err != kerr.InvalidTimestamp {
		t.Fatalf("record two days ahead: %v, want INVALID_TIMESTAMP", err)
	}
	l := mustTopic(t, s, "ts").Partitions[0]
	if l.LogEndOffset() != 0 || l.Size() != 0 {
		t.Fatalf("after the refused batch: log end offset %d, %d bytes", l.LogEndOffset(), l.Size())
	}
	r, err := cl.ProduceSync(testCtx(t), &kgo.Record{Topic: "ts", Value: []byte("now"), Timestamp: time.Now()}).First()
	if err != nil || r.Offset != 0 {
		t.Fatalf("record stamped now: offset %d, %v", r.Offset, err)
	}
	if err := cl.ProduceSync(testCtx(t), &kgo.Record{Topic: "lat", Value: []byte("future"), Timestamp: ahead}).FirstErr(); err != nil {
		t.Fatalf("LogAppendTime topic: %v", err)
	}

	// The raw answer: error code 32 for the partition, with Kafka's message.
	req := kmsg.NewPtrProduceRequest()
	req.Acks = 1
	req.TimeoutMillis = 5000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic, rt.TopicID = "ts", mustTopic(t, s, "ts").ID // v13 names topics by ID
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = oneRecordBatch(t, ahead)
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(testCtx(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	p := resp.Topics[0].Partitions[0]
	if p.ErrorCode != 32 || p.BaseOffset != -1 || p.ErrorMessage == nil {
		t.Fatalf("raw produce: error %d base offset %d message %v", p.ErrorCode, p.BaseOffset, p.ErrorMessage)
	}
	if l.LogEndOffset() != 1 {
		t.Fatalf("log end offset %d, want 1", l.LogEndOffset())
	}
}

// oneRecordBatch is an uncompressed batch of one record stamped ts.
func oneRecordBatch(t *testing.T, ts time.Time) []byte {
	t.Helper()
	b := recordbatch.NewBuilder()
	b.Add(&recordbatch.Record{Timestamp: ts.UnixMilli(), Value: []byte("v")})
	out, err := b.AppendTo(nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
