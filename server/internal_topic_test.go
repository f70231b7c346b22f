package server

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestInternalTopicRefusesClientWrites: as in Kafka, clients may neither
// produce to __consumer_offsets nor delete its records
// (INVALID_TOPIC_EXCEPTION), and nothing changes in it.
func TestInternalTopicRefusesClientWrites(t *testing.T) {
	s := startServer(t, groupSettings...)
	if _, err := s.coordinator(); err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, s)
	p := int32(0)
	l := mustTopic(t, s, offsetsTopic).Partitions[p]
	leo := l.LogEndOffset()

	prod := kmsg.NewPtrProduceRequest()
	prod.Version, prod.Acks, prod.TimeoutMillis = 9, 1, 5000
	pt := kmsg.NewProduceRequestTopic()
	pt.Topic = offsetsTopic
	pp := kmsg.NewProduceRequestTopicPartition()
	pp.Partition, pp.Records = p, batch(t, 1, "x", nil)
	pt.Partitions = append(pt.Partitions, pp)
	prod.Topics = append(prod.Topics, pt)
	presp := rc.roundTrip(prod).(*kmsg.ProduceResponse)
	if got := presp.Topics[0].Partitions[0].ErrorCode; got != kerr.InvalidTopicException.Code {
		t.Fatalf("produce to %s: error %d, want INVALID_TOPIC_EXCEPTION (%d)", offsetsTopic, got, kerr.InvalidTopicException.Code)
	}

	del := kmsg.NewPtrDeleteRecordsRequest()
	dt := kmsg.NewDeleteRecordsRequestTopic()
	dt.Topic = offsetsTopic
	dp := kmsg.NewDeleteRecordsRequestTopicPartition()
	dp.Partition, dp.Offset = p, -1
	dt.Partitions = append(dt.Partitions, dp)
	del.Topics = append(del.Topics, dt)
	dresp := rc.roundTrip(del).(*kmsg.DeleteRecordsResponse)
	if got := dresp.Topics[0].Partitions[0].ErrorCode; got != kerr.InvalidTopicException.Code {
		t.Fatalf("delete records of %s: error %d, want INVALID_TOPIC_EXCEPTION", offsetsTopic, got)
	}
	if got := l.LogEndOffset(); got != leo {
		t.Fatalf("log end offset %d after refused writes, want %d", got, leo)
	}
}
