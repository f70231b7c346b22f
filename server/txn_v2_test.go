package server

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/recordbatch"
)

// endV5 sends EndTxn v5 and returns its error code and the producer ID and
// epoch it answered.
func (x txnRaw) endV5(id string, pid int64, epoch int16, commit bool) (int16, int64, int16) {
	req := kmsg.NewPtrEndTxnRequest()
	req.Version = 5
	req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit = id, pid, epoch, commit
	resp := x.rc.roundTrip(req).(*kmsg.EndTxnResponse)
	return resp.ErrorCode, resp.ProducerID, resp.ProducerEpoch
}

// produceTxnV is a transactional Produce of version v; it returns each
// partition's error code.
func produceTxnV(t *testing.T, rc *rawClient, v int16, topic string, records map[int32][]byte) map[int32]int16 {
	t.Helper()
	req := produceReq(v, -1, topic, records)
	req.TransactionID = kmsg.StringPtr("tx")
	resp := rc.roundTrip(req).(*kmsg.ProduceResponse)
	out := map[int32]int16{}
	for _, rt := range resp.Topics {
		for _, p := range rt.Partitions {
			out[p.Partition] = p.ErrorCode
		}
	}
	return out
}

// logBatches reads a partition from offset 0 with Fetch (read_uncommitted)
// and describes each batch: "offset:pid/epoch" plus "commit"/"abort" for a
// control batch, else its record count.
func logBatches(t *testing.T, rc *rawClient, topic string, p int32) []string {
	t.Helper()
	req := kmsg.NewPtrFetchRequest()
	req.Version, req.MaxWaitMillis, req.MaxBytes = 11, 0, 1<<20
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.Partition, rp.PartitionMaxBytes, rp.LogStartOffset = p, 1<<20, -1
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp := rc.roundTrip(req).(*kmsg.FetchResponse)
	part := resp.Topics[0].Partitions[0]
	if part.ErrorCode != 0 {
		t.Fatalf("fetch %s-%d: error %d", topic, p, part.ErrorCode)
	}
	var out []string
	for b := part.RecordBatches; len(b) > 0; {
		n, err := recordbatch.BatchSize(b)
		if err != nil || n > len(b) {
			t.Fatalf("batch: %v", err)
		}
		h := recordbatch.Header(b[:n])
		s := fmt.Sprintf("%d:%d/%d", h.BaseOffset(), h.ProducerID(), h.ProducerEpoch())
		if h.Control() {
			// The record's key is version 0 and the type (0 abort, 1
			// commit): its last byte.
			it := recordbatch.NewIterator(b[:n], 1<<20)
			if !it.Next() {
				t.Fatalf("control batch at %d without a record", h.BaseOffset())
			}
			k := it.Record().Key
			s += map[byte]string{0: " abort", 1: " commit"}[k[len(k)-1]]
		} else {
			s += fmt.Sprintf(" x%d", h.RecordCount())
		}
		out = append(out, s)
		b = b[n:]
	}
	return out
}

// TestTxnV2Protocol: with transaction.version 2 finalized, Produce v12 of
// a transactional batch adds its partitions to the transaction itself (no
// AddPartitionsToTxn), EndTxn v5 answers the bumped epoch and the markers
// carry it; the old epoch is then fenced (Produce: INVALID_PRODUCER_EPOCH,
// EndTxn: PRODUCER_FENCED), its retry of the EndTxn gets the same answer;
// an abort likewise; Produce v11 (a client of version 0/1) still needs
// AddPartitionsToTxn.
func TestTxnV2Protocol(t *testing.T) {
	s := startServer(t)
	mustCreate(t, s, "data", 3)
	rc := dialRaw(t, s)
	if r := updateFeatures(t, rc, 1, false, fupdate("transaction.version", 2, 1)); r.ErrorCode != 0 || r.Results[0].ErrorCode != 0 {
		t.Fatalf("finalize transaction.version 2: %+v", r)
	}
	x := txnRaw{t, rc}
	r := x.init("tx", 60000, -1, -1, 5)
	if r.ErrorCode != 0 || r.ProducerEpoch != 0 {
		t.Fatalf("init: %+v", r)
	}
	pid := r.ProducerID
	got := produceTxnV(t, rc, 12, "data", map[int32][]byte{0: txnRecords(t, pid, 0, 0, 2, "a"), 1: txnRecords(t, pid, 0, 0, 1, "b")})
	if want := map[int32]int16{0: 0, 1: 0}; !reflect.DeepEqual(got, want) {
		t.Fatalf("produce v12: %v", got)
	}
	if st := x.describe("tx"); st.State != "Ongoing" || len(st.Topics) != 1 || !reflect.DeepEqual(st.Topics[0].Partitions, []int32{0, 1}) {
		t.Fatalf("after produce: %+v", st)
	}
	// A client of transaction version 0/1 (Produce v11) is verified.
	if got := produceTxnV(t, rc, 11, "data", map[int32][]byte{2: txnRecords(t, pid, 0, 0, 1, "c")}); got[2] != kerr.InvalidTxnState.Code {
		t.Fatalf("produce v11 to a partition not added: %v", got)
	}
	if code, p, e := x.endV5("tx", pid, 0, true); code != 0 || p != pid || e != 1 {
		t.Fatalf("EndTxn v5 commit: code %d, %d/%d", code, p, e)
	}
	x.waitTxnState("tx", "CompleteCommit")
	if got, want := logBatches(t, rc, "data", 0), []string{
		fmt.Sprintf("0:%d/0 x2", pid), fmt.Sprintf("2:%d/1 commit", pid),
	}; !reflect.DeepEqual(got, want) {
		t.Fatalf("data-0: %q, want %q", got, want)
	}
	if got, want := logBatches(t, rc, "data", 1), []string{
		fmt.Sprintf("0:%d/0 x1", pid), fmt.Sprintf("1:%d/1 commit", pid),
	}; !reflect.DeepEqual(got, want) {
		t.Fatalf("data-1: %q, want %q", got, want)
	}
	// The old epoch is fenced; its EndTxn retry gets the same answer.
	if got := produceTxnV(t, rc, 12, "data", map[int32][]byte{0: txnRecords(t, pid, 0, 2, 1, "old")}); got[0] != kerr.InvalidProducerEpoch.Code {
		t.Fatalf("produce with the old epoch: %v", got)
	}
	if code, p, e := x.endV5("tx", pid, 0, true); code != 0 || p != pid || e != 1 {
		t.Fatalf("EndTxn v5 retry: code %d, %d/%d", code, p, e)
	}
	// Abort at the new epoch.
	if got := produceTxnV(t, rc, 12, "data", map[int32][]byte{2: txnRecords(t, pid, 1, 0, 3, "d")}); got[2] != 0 {
		t.Fatalf("produce at epoch 1: %v", got)
	}
	if code, _, _ := x.endV5("tx", pid, 0, false); code != kerr.ProducerFenced.Code {
		t.Fatalf("EndTxn v5 with the old epoch: code %d", code)
	}
	if code, p, e := x.endV5("tx", pid, 1, false); code != 0 || p != pid || e != 2 {
		t.Fatalf("EndTxn v5 abort: code %d, %d/%d", code, p, e)
	}
	x.waitTxnState("tx", "CompleteAbort")
	if got, want := logBatches(t, rc, "data", 2), []string{
		fmt.Sprintf("0:%d/1 x3", pid), fmt.Sprintf("3:%d/2 abort", pid),
	}; !reflect.DeepEqual(got, want) {
		t.Fatalf("data-2: %q, want %q", got, want)
	}
	if got := produceTxnV(t, rc, 12, "data", map[int32][]byte{2: txnRecords(t, pid, 1, 3, 1, "e")}); got[2] != kerr.InvalidProducerEpoch.Code {
		t.Fatalf("produce with the aborted epoch: %v", got)
	}
	// An abort with nothing produced bumps the epoch too.
	if code, p, e := x.endV5("tx", pid, 2, false); code != 0 || p != pid || e != 3 {
		t.Fatalf("empty abort: code %d, %d/%d", code, p, e)
	}
	if st := x.waitTxnState("tx", "CompleteAbort"); st.ProducerEpoch != 3 {
		t.Fatalf("after the empty abort: %+v", st)
	}
}

// TestTxnV1EndTxnV4: with transaction.version 0 (a fresh log dir), Produce
// v12 is verified as before (INVALID_TXN_STATE for a partition not added)
// and EndTxn v4 keeps the epoch.
func TestTxnV1EndTxnV4(t *testing.T) {
	s := startServer(t)
	mustCreate(t, s, "data", 2)
	rc := dialRaw(t, s)
	x := txnRaw{t, rc}
	r := x.init("tx", 60000, -1, -1, 5)
	pid := r.ProducerID
	if got := produceTxnV(t, rc, 12, "data", map[int32][]byte{0: txnRecords(t, pid, 0, 0, 1, "a")}); got[0] != kerr.InvalidTxnState.Code {
		t.Fatalf("produce v12 not added under transaction.version 0: %v", got)
	}
	if got := x.add(3, "tx", pid, 0, "data", 0); got["data/0"] != 0 {
		t.Fatalf("add: %v", got)
	}
	if got := produceTxnV(t, rc, 12, "data", map[int32][]byte{0: txnRecords(t, pid, 0, 0, 1, "a")}); got[0] != 0 {
		t.Fatalf("produce: %v", got)
	}
	if code := x.end(4, "tx", pid, 0, true); code != 0 {
		t.Fatalf("EndTxn v4: %d", code)
	}
	if st := x.waitTxnState("tx", "CompleteCommit"); st.ProducerEpoch != 0 {
		t.Fatalf("epoch %d after EndTxn v4", st.ProducerEpoch)
	}
	if got, want := logBatches(t, rc, "data", 0), []string{
		fmt.Sprintf("0:%d/0 x1", pid), fmt.Sprintf("1:%d/0 commit", pid),
	}; !reflect.DeepEqual(got, want) {
		t.Fatalf("data-0: %q, want %q", got, want)
	}
}

// TestTxnV2OffsetCommit: with transaction.version 2 finalized,
// TxnOffsetCommit v5 adds the group's __consumer_offsets partition to the
// transaction itself (no AddOffsetsToTxn), v4 is still verified
// (TRANSACTION_ABORTABLE), and EndTxn v5's markers make the offset
// committed; the old epoch then gets INVALID_PRODUCER_EPOCH.
func TestTxnV2OffsetCommit(t *testing.T) {
	s := startServer(t, groupSettings...)
	mustCreate(t, s, "in", 1)
	rc := dialRaw(t, s)
	if r := updateFeatures(t, rc, 1, false, fupdate("transaction.version", 2, 1)); r.ErrorCode != 0 || r.Results[0].ErrorCode != 0 {
		t.Fatalf("finalize transaction.version 2: %+v", r)
	}
	x := txnRaw{t, rc}
	r := x.init("tx", 60000, -1, -1, 5)
	pid := r.ProducerID
	commit := func(version, epoch int16, off int64) int16 {
		t.Helper()
		req := kmsg.NewPtrTxnOffsetCommitRequest()
		req.Version, req.TransactionalID, req.Group, req.ProducerID, req.ProducerEpoch = version, "tx", "g2", pid, epoch
		rp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
		rp.Partition, rp.Offset, rp.LeaderEpoch = 0, off, -1
		req.Topics = []kmsg.TxnOffsetCommitRequestTopic{{Topic: "in", Partitions: []kmsg.TxnOffsetCommitRequestTopicPartition{rp}}}
		return rc.roundTrip(req).(*kmsg.TxnOffsetCommitResponse).Topics[0].Partitions[0].ErrorCode
	}
	if code := commit(4, 0, 7); code != kerr.TransactionAbortable.Code {
		t.Fatalf("v4 without AddOffsetsToTxn: %d, want TRANSACTION_ABORTABLE", code)
	}
	if code := commit(5, 0, 7); code != 0 {
		t.Fatalf("v5: %d", code)
	}
	if st := x.describe("tx"); st.State != "Ongoing" || len(st.Topics) != 1 || st.Topics[0].Topic != "__consumer_offsets" {
		t.Fatalf("after v5: %+v", st)
	}
	if code, _, e := x.endV5("tx", pid, 0, true); code != 0 || e != 1 {
		t.Fatalf("EndTxn v5: code %d epoch %d", code, e)
	}
	x.waitTxnState("tx", "CompleteCommit")
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Version, req.Group, req.RequireStable = 7, "g2", true
	req.Topics = []kmsg.OffsetFetchRequestTopic{{Topic: "in", Partitions: []int32{0}}}
	if p := rc.roundTrip(req).(*kmsg.OffsetFetchResponse).Topics[0].Partitions[0]; p.ErrorCode != 0 || p.Offset != 7 {
		t.Fatalf("committed offset: %+v", p)
	}
	if code := commit(5, 0, 9); code != kerr.InvalidProducerEpoch.Code {
		t.Fatalf("v5 with the old epoch: %d, want INVALID_PRODUCER_EPOCH", code)
	}
}
