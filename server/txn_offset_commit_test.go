package server

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/group"
)

// TestTxnOffsetCommitWire: TxnOffsetCommit v0-6 over the wire; the offsets
// are pending (OffsetFetch v7 RequireStable: UNSTABLE_OFFSET_COMMIT, v6: the
// committed offset, none) until the group coordinator completes the
// transaction; an unknown topic gets UNKNOWN_TOPIC_OR_PARTITION, an empty
// group INVALID_GROUP_ID.
func TestTxnOffsetCommitWire(t *testing.T) {
	s := startServer(t, groupSettings...)
	if _, err := s.topics.Create("tt", 1, nil, false); err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, s)
	id := mustTopic(t, s, "tt").ID
	commit := func(version int16, group, topic string, pid int64, off int64) int16 {
		t.Helper()
		req := kmsg.NewPtrTxnOffsetCommitRequest()
		req.Version, req.TransactionalID, req.Group, req.ProducerID, req.ProducerEpoch = version, "tx", group, pid, 0
		rt := kmsg.NewTxnOffsetCommitRequestTopic()
		rt.Topic = topic
		if version >= 6 {
			rt.Topic = ""
			if topic == "tt" {
				rt.TopicID = id
			} else {
				rt.TopicID = [16]byte{9}
			}
		}
		rp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
		rp.Partition, rp.Offset, rp.LeaderEpoch = 0, off, -1
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp := rc.roundTrip(req).(*kmsg.TxnOffsetCommitResponse)
		if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 || version < 6 && resp.Topics[0].Topic != topic || version >= 6 && resp.Topics[0].TopicID != req.Topics[0].TopicID {
			t.Fatalf("v%d answer %+v", version, resp)
		}
		return resp.Topics[0].Partitions[0].ErrorCode
	}
	for v := int16(0); v <= 6; v++ {
		if code := commit(v, "gtx", "tt", 1000+int64(v), 10+int64(v)); code != 0 {
			t.Fatalf("TxnOffsetCommit v%d: error %d", v, code)
		}
	}
	if code := commit(3, "gtx", "nope", 1000, 1); code != kerr.UnknownTopicOrPartition.Code {
		t.Errorf("unknown topic: error %d", code)
	}
	if code := commit(6, "gtx", "nope", 1000, 1); code != kerr.UnknownTopicID.Code {
		t.Errorf("unknown topic ID: error %d", code)
	}
	if code := commit(3, "", "tt", 1000, 1); code != kerr.InvalidGroupID.Code {
		t.Errorf("empty group: error %d", code)
	}
	fetch := func(version int16, stable bool) (int64, int16) {
		t.Helper()
		req := kmsg.NewPtrOffsetFetchRequest()
		req.Version, req.Group, req.RequireStable = version, "gtx", stable
		req.Topics = []kmsg.OffsetFetchRequestTopic{{Topic: "tt", Partitions: []int32{0}}}
		resp := rc.roundTrip(req).(*kmsg.OffsetFetchResponse)
		p := resp.Topics[0].Partitions[0]
		return p.Offset, p.ErrorCode
	}
	if off, code := fetch(7, true); off != -1 || code != kerr.UnstableOffsetCommit.Code {
		t.Errorf("stable fetch while pending: %d, error %d", off, code)
	}
	if off, code := fetch(6, false); off != -1 || code != 0 {
		t.Errorf("fetch while pending: %d, error %d", off, code)
	}
	g, err := s.coordinator()
	if err != nil {
		t.Fatal(err)
	}
	p := group.PartitionFor("gtx", 4)
	for v := int64(0); v <= 6; v++ {
		g.CompleteTxn(p, 1000+v, v == 4) // v4's commits, the others abort
	}
	if off, code := fetch(7, true); off != 14 || code != 0 {
		t.Errorf("after the commit: %d, error %d, want 14", off, code)
	}
}
