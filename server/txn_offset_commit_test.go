package server

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/group"
)

// TestTxnOffsetCommitWire: TxnOffsetCommit v0-6 over the wire; the offsets
// are pending (OffsetFetch v7 RequireStable: UNSTABLE_OFFSET_COMMIT, v6: the
// committed offset, none) until the group coordinator completes the
// transaction; an unknown topic gets UNKNOWN_TOPIC_OR_PARTITION, an empty
// group INVALID_GROUP_ID.
func TestTxnOffsetCommitWire(t *testing.T) {
	s := startServer(t, append([]string{"transaction.partition.verification.enable", "false"}, groupSettings...)...)
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

// TestTxnOffsetCommitVerified: with verification on (the default), a
// TxnOffsetCommit before AddOffsetsToTxn gets TRANSACTION_ABORTABLE (v4)
// or INVALID_TXN_STATE (v3) and stores nothing; after it the offsets are
// pending until EndTxn's markers, then committed; a fenced producer gets
// INVALID_PRODUCER_EPOCH.
func TestTxnOffsetCommitVerified(t *testing.T) {
	s := startServer(t, groupSettings...)
	if _, err := s.topics.Create("in", 1, nil, false); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	cl := newClient(t, s, kgo.TransactionalID("tx-v"), kgo.DefaultProduceTopic("in"))
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	pid, epoch, err := cl.ProducerID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, s)
	commit := func(version int16, epoch int16, off int64) int16 {
		t.Helper()
		req := kmsg.NewPtrTxnOffsetCommitRequest()
		req.Version, req.TransactionalID, req.Group, req.ProducerID, req.ProducerEpoch = version, "tx-v", "gv", pid, epoch
		rp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
		rp.Partition, rp.Offset, rp.LeaderEpoch = 0, off, -1
		req.Topics = []kmsg.TxnOffsetCommitRequestTopic{{Topic: "in", Partitions: []kmsg.TxnOffsetCommitRequestTopicPartition{rp}}}
		resp := rc.roundTrip(req).(*kmsg.TxnOffsetCommitResponse) // at this version (kgo would pick v6)
		return resp.Topics[0].Partitions[0].ErrorCode
	}
	if code := commit(4, epoch, 1); code != kerr.TransactionAbortable.Code {
		t.Errorf("v4 before AddOffsetsToTxn: %d, want TRANSACTION_ABORTABLE", code)
	}
	if code := commit(3, epoch, 1); code != kerr.InvalidTxnState.Code {
		t.Errorf("v3 before AddOffsetsToTxn: %d, want INVALID_TXN_STATE", code)
	}
	add := kmsg.NewPtrAddOffsetsToTxnRequest()
	add.TransactionalID, add.ProducerID, add.ProducerEpoch, add.Group = "tx-v", pid, epoch, "gv"
	if resp, err := add.RequestWith(ctx, cl); err != nil || resp.ErrorCode != 0 {
		t.Fatalf("AddOffsetsToTxn: %v %+v", err, resp)
	}
	if code := commit(4, epoch, 1); code != 0 {
		t.Fatalf("after AddOffsetsToTxn: %d", code)
	}
	adm := kadm.NewClient(cl)
	fetched, err := adm.FetchOffsets(ctx, "gv")
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := fetched.Lookup("in", 0); ok {
		t.Fatalf("pending offset visible: %+v", o)
	}
	if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	// RequireStable: kgo retries UNSTABLE_OFFSET_COMMIT until the markers
	// are written.
	fetched, err = adm.FetchOffsets(kadm.RequireStable(ctx), "gv")
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := fetched.Lookup("in", 0); !ok || o.At != 1 || o.Err != nil {
		t.Fatalf("after commit: %+v, want offset 1", o)
	}
	// A new producer of the transactional ID fences the old epoch.
	other := newClient(t, s, kgo.TransactionalID("tx-v"), kgo.DefaultProduceTopic("in"))
	if _, _, err := other.ProducerID(ctx); err != nil {
		t.Fatal(err)
	}
	if code := commit(4, epoch, 2); code != kerr.InvalidProducerEpoch.Code {
		t.Errorf("fenced producer: %d, want INVALID_PRODUCER_EPOCH", code)
	}
}
