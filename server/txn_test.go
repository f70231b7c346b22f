package server

import (
	"net"
	"reflect"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/group"
)

// txnRaw speaks the transaction APIs at chosen versions.
type txnRaw struct {
	t  *testing.T
	rc *rawClient
}

func (x txnRaw) init(id string, timeoutMs int32, pid int64, epoch int16, version int16) *kmsg.InitProducerIDResponse {
	req := kmsg.NewPtrInitProducerIDRequest()
	req.Version = version
	req.TransactionalID = kmsg.StringPtr(id)
	req.TransactionTimeoutMillis = timeoutMs
	req.ProducerID, req.ProducerEpoch = pid, epoch
	for i := 0; ; i++ { // the first request starts the coordinator, which loads
		resp := x.rc.roundTrip(req).(*kmsg.InitProducerIDResponse)
		if resp.ErrorCode != kerr.CoordinatorLoadInProgress.Code || i == 5000 {
			return resp
		}
		time.Sleep(time.Millisecond)
	}
}

// add sends AddPartitionsToTxn (v0-3) and returns "topic/partition=code".
func (x txnRaw) add(version int16, id string, pid int64, epoch int16, topic string, parts ...int32) map[string]int16 {
	req := kmsg.NewPtrAddPartitionsToTxnRequest()
	req.Version = version
	req.TransactionalID, req.ProducerID, req.ProducerEpoch = id, pid, epoch
	rt := kmsg.NewAddPartitionsToTxnRequestTopic()
	rt.Topic, rt.Partitions = topic, parts
	req.Topics = append(req.Topics, rt)
	resp := x.rc.roundTrip(req).(*kmsg.AddPartitionsToTxnResponse)
	out := map[string]int16{}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			out[t.Topic+"/"+itoa32(p.Partition)] = p.ErrorCode
		}
	}
	return out
}

func (x txnRaw) end(version int16, id string, pid int64, epoch int16, commit bool) int16 {
	req := kmsg.NewPtrEndTxnRequest()
	req.Version = version
	req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit = id, pid, epoch, commit
	return x.rc.roundTrip(req).(*kmsg.EndTxnResponse).ErrorCode
}

func (x txnRaw) describe(id string) kmsg.DescribeTransactionsResponseTransactionState {
	req := kmsg.NewPtrDescribeTransactionsRequest()
	req.TransactionalIDs = []string{id}
	return x.rc.roundTrip(req).(*kmsg.DescribeTransactionsResponse).TransactionStates[0]
}

// waitTxnState describes id until it is in state (bounded).
func (x txnRaw) waitTxnState(id, state string) kmsg.DescribeTransactionsResponseTransactionState {
	x.t.Helper()
	var st kmsg.DescribeTransactionsResponseTransactionState
	for i := 0; i < 5000; i++ {
		if st = x.describe(id); st.State == state {
			return st
		}
		time.Sleep(time.Millisecond)
	}
	x.t.Fatalf("%s: state %q (error %d), want %s", id, st.State, st.ErrorCode, state)
	return st
}

func itoa32(v int32) string {
	b := []byte{}
	if v == 0 {
		return "0"
	}
	for ; v > 0; v /= 10 {
		b = append([]byte{byte('0' + v%10)}, b...)
	}
	return string(b)
}

func TestTxnFindCoordinatorCreatesTransactionState(t *testing.T) {
	s := startServer(t, "transaction.state.log.num.partitions", "7", "transaction.state.log.segment.bytes", "2000000")
	rc := dialRaw(t, s)
	req := kmsg.NewPtrFindCoordinatorRequest()
	req.Version, req.CoordinatorType, req.CoordinatorKey = 3, 1, "my-txn"
	resp := rc.roundTrip(req).(*kmsg.FindCoordinatorResponse)
	if resp.ErrorCode != 0 || resp.NodeID != s.cfg.NodeID || resp.Port != int32(s.Addr().(*net.TCPAddr).Port) {
		t.Fatalf("FindCoordinator v3 TRANSACTION: %+v", resp)
	}
	req4 := kmsg.NewPtrFindCoordinatorRequest()
	req4.Version, req4.CoordinatorType, req4.CoordinatorKeys = 4, 1, []string{"a", "b"}
	resp4 := rc.roundTrip(req4).(*kmsg.FindCoordinatorResponse)
	if len(resp4.Coordinators) != 2 || resp4.Coordinators[0].ErrorCode != 0 || resp4.Coordinators[1].Key != "b" || resp4.Coordinators[1].NodeID != s.cfg.NodeID {
		t.Fatalf("FindCoordinator v4 TRANSACTION: %+v", resp4.Coordinators)
	}
	tt := mustTopic(t, s, transactionTopic)
	if len(tt.Partitions) != 7 {
		t.Fatalf("%s has %d partitions, want 7", transactionTopic, len(tt.Partitions))
	}
	want := map[string]string{"cleanup.policy": "compact", "compression.type": "uncompressed", "segment.bytes": "2000000"}
	if !reflect.DeepEqual(tt.Configs, want) {
		t.Fatalf("%s configs %v, want %v", transactionTopic, tt.Configs, want)
	}
}

func TestTxnProtocol(t *testing.T) {
	s := startServer(t, "num.partitions", "3")
	mustCreate(t, s, "data", 3)
	x := txnRaw{t, dialRaw(t, s)}
	x.init("warm-up", 1000, -1, -1, 4)

	// InitProducerId: bad input.
	if r := x.init("tx", 900001, -1, -1, 4); r.ErrorCode != kerr.InvalidTransactionTimeout.Code || r.ProducerID != -1 {
		t.Fatalf("timeout over transaction.max.timeout.ms: %+v", r)
	}
	if r := x.init("tx", 1000, 5, -1, 4); r.ErrorCode != kerr.InvalidRequest.Code {
		t.Fatalf("producer ID without epoch: %+v", r)
	}
	r := x.init("tx", 60000, -1, -1, 4)
	if r.ErrorCode != 0 || r.ProducerEpoch != 0 {
		t.Fatalf("init: %+v", r)
	}
	pid := r.ProducerID
	if r2 := x.init("tx", 60000, -1, -1, 4); r2.ProducerID != pid || r2.ProducerEpoch != 1 {
		t.Fatalf("second init: %+v", r2)
	}
	if r3 := x.init("tx", 60000, pid, 0, 4); r3.ErrorCode != kerr.ProducerFenced.Code {
		t.Fatalf("stale KIP-360 init v4: %+v", r3)
	}
	if r3 := x.init("tx", 60000, pid, 0, 3); r3.ErrorCode != kerr.InvalidProducerEpoch.Code {
		t.Fatalf("stale KIP-360 init v3: %+v", r3)
	}
	const epoch = 1

	// AddPartitionsToTxn.
	if got := x.add(3, "tx", pid, epoch, "nope", 0); !reflect.DeepEqual(got, map[string]int16{"nope/0": kerr.UnknownTopicOrPartition.Code}) {
		t.Fatalf("unknown topic: %v", got)
	}
	if got := x.add(1, "tx", pid, epoch+1, "data", 0); !reflect.DeepEqual(got, map[string]int16{"data/0": kerr.InvalidProducerEpoch.Code}) {
		t.Fatalf("wrong epoch v1: %v", got)
	}
	if got := x.add(2, "tx", pid, epoch+1, "data", 0); !reflect.DeepEqual(got, map[string]int16{"data/0": kerr.ProducerFenced.Code}) {
		t.Fatalf("wrong epoch v2: %v", got)
	}
	if got := x.add(3, "other", pid, epoch, "data", 0); !reflect.DeepEqual(got, map[string]int16{"data/0": kerr.InvalidProducerIDMapping.Code}) {
		t.Fatalf("unknown transactional ID: %v", got)
	}
	if code := x.end(3, "tx", pid, epoch, true); code != kerr.InvalidTxnState.Code {
		t.Fatalf("EndTxn with no transaction: %d", code)
	}
	if st := x.describe("tx"); st.State != "Empty" || st.ProducerEpoch != epoch || len(st.Topics) != 0 {
		t.Fatalf("after refused requests: %+v", st)
	}
	if got := x.add(3, "tx", pid, epoch, "data", 2, 0); !reflect.DeepEqual(got, map[string]int16{"data/0": 0, "data/2": 0}) {
		t.Fatalf("add: %v", got)
	}
	// A partition of a missing topic with a good one: nothing is added.
	req := kmsg.NewPtrAddPartitionsToTxnRequest()
	req.Version, req.TransactionalID, req.ProducerID, req.ProducerEpoch = 3, "tx", pid, epoch
	for _, name := range []string{"data", "nope"} {
		rt := kmsg.NewAddPartitionsToTxnRequestTopic()
		rt.Topic, rt.Partitions = name, []int32{1}
		req.Topics = append(req.Topics, rt)
	}
	mixed := x.rc.roundTrip(req).(*kmsg.AddPartitionsToTxnResponse)
	if c0, c1 := mixed.Topics[0].Partitions[0].ErrorCode, mixed.Topics[1].Partitions[0].ErrorCode; c0 != kerr.OperationNotAttempted.Code || c1 != kerr.UnknownTopicOrPartition.Code {
		t.Fatalf("mixed add: %d %d", c0, c1)
	}

	// AddOffsetsToTxn adds the group's __consumer_offsets partition.
	ao := kmsg.NewPtrAddOffsetsToTxnRequest()
	ao.Version, ao.TransactionalID, ao.ProducerID, ao.ProducerEpoch, ao.Group = 3, "tx", pid, epoch, "g"
	if code := x.rc.roundTrip(ao).(*kmsg.AddOffsetsToTxnResponse).ErrorCode; code != 0 {
		t.Fatalf("AddOffsetsToTxn: %d", code)
	}
	gp := group.PartitionFor("g", int(s.cfg.OffsetsTopicNumPartitions))

	// Verify-only (v4, KIP-890).
	v := kmsg.NewPtrAddPartitionsToTxnRequest()
	v.Version = 4
	vt := kmsg.NewAddPartitionsToTxnRequestTransaction()
	vt.TransactionalID, vt.ProducerID, vt.ProducerEpoch, vt.VerifyOnly = "tx", pid, epoch, true
	vtt := kmsg.NewAddPartitionsToTxnRequestTransactionTopic()
	vtt.Topic, vtt.Partitions = "data", []int32{0, 1}
	vt.Topics = append(vt.Topics, vtt)
	v.Transactions = append(v.Transactions, vt)
	vr := x.rc.roundTrip(v).(*kmsg.AddPartitionsToTxnResponse)
	if ps := vr.Transactions[0].Topics[0].Partitions; ps[0].ErrorCode != 0 || ps[1].ErrorCode != kerr.TransactionAbortable.Code {
		t.Fatalf("verify-only: %+v", ps)
	}

	st := x.describe("tx")
	wantTopics := []kmsg.DescribeTransactionsResponseTransactionStateTopic{
		{Topic: "__consumer_offsets", Partitions: []int32{gp}},
		{Topic: "data", Partitions: []int32{0, 2}},
	}
	if st.State != "Ongoing" || st.ProducerID != pid || st.TimeoutMillis != 60000 || st.StartTimestamp <= 0 || !reflect.DeepEqual(st.Topics, wantTopics) {
		t.Fatalf("describe ongoing: %+v", st)
	}
	lt := kmsg.NewPtrListTransactionsRequest()
	lt.Version, lt.StateFilters = 1, []string{"Ongoing", "Bogus"}
	lr := x.rc.roundTrip(lt).(*kmsg.ListTransactionsResponse)
	if lr.ErrorCode != 0 || len(lr.TransactionStates) != 1 || lr.TransactionStates[0].TransactionalID != "tx" || !reflect.DeepEqual(lr.UnknownStateFilters, []string{"Bogus"}) {
		t.Fatalf("list: %+v", lr)
	}

	// EndTxn: bad input, then the commit; the markers land in the data
	// partitions and __consumer_offsets.
	hw := func(topic string, p int32) int64 { return mustTopic(t, s, topic).Partitions[p].HighWatermark() }
	if code := x.end(1, "tx", pid, epoch-1, true); code != kerr.InvalidProducerEpoch.Code {
		t.Fatalf("EndTxn stale epoch v1: %d", code)
	}
	if code := x.end(3, "tx", pid+1, epoch, true); code != kerr.InvalidProducerIDMapping.Code {
		t.Fatalf("EndTxn wrong producer ID: %d", code)
	}
	if code := x.end(3, "tx", pid, epoch, true); code != 0 {
		t.Fatalf("EndTxn commit: %d", code)
	}
	x.waitTxnState("tx", "CompleteCommit")
	for _, c := range []struct {
		topic string
		p     int32
		hw    int64
	}{{"data", 0, 1}, {"data", 1, 0}, {"data", 2, 1}, {"__consumer_offsets", gp, 1}} {
		if got := hw(c.topic, c.p); got != c.hw {
			t.Errorf("%s/%d high watermark %d, want %d (one marker per partition of the transaction)", c.topic, c.p, got, c.hw)
		}
	}
	if code := x.end(3, "tx", pid, epoch, false); code != kerr.InvalidTxnState.Code {
		t.Fatalf("abort after commit: %d", code)
	}
}

// WriteTxnMarkers over the wire writes a marker into each named
// partition.
func TestTxnWriteTxnMarkers(t *testing.T) {
	s := startServer(t)
	mustCreate(t, s, "data", 2)
	rc := dialRaw(t, s)
	req := kmsg.NewPtrWriteTxnMarkersRequest()
	req.Version = 1
	m := kmsg.NewWriteTxnMarkersRequestMarker()
	m.ProducerID, m.ProducerEpoch, m.Committed, m.CoordinatorEpoch = 42, 3, false, 0
	for _, name := range []string{"data", "gone"} {
		mt := kmsg.NewWriteTxnMarkersRequestMarkerTopic()
		mt.Topic, mt.Partitions = name, []int32{1}
		m.Topics = append(m.Topics, mt)
	}
	req.Markers = append(req.Markers, m)
	resp := rc.roundTrip(req).(*kmsg.WriteTxnMarkersResponse)
	got := resp.Markers[0]
	if got.ProducerID != 42 || got.Topics[0].Partitions[0].ErrorCode != 0 || got.Topics[1].Partitions[0].ErrorCode != kerr.UnknownTopicOrPartition.Code {
		t.Fatalf("WriteTxnMarkers: %+v", got)
	}
	if hw := mustTopic(t, s, "data").Partitions[1].HighWatermark(); hw != 1 {
		t.Fatalf("high watermark %d, want 1", hw)
	}
	// An older epoch is refused by the partition.
	req.Markers[0].ProducerEpoch = 2
	req.Markers[0].Topics = req.Markers[0].Topics[:1]
	resp = rc.roundTrip(req).(*kmsg.WriteTxnMarkersResponse)
	if code := resp.Markers[0].Topics[0].Partitions[0].ErrorCode; code != kerr.InvalidProducerEpoch.Code {
		t.Fatalf("older epoch: %d", code)
	}
}

// A restart loads __transaction_state; an ongoing transaction is aborted
// by its timeout afterwards, with a marker in its partition.
func TestTxnRestartAbortsTimedOut(t *testing.T) {
	dir := t.TempDir()
	settings := []string{"transaction.abort.timed.out.transaction.cleanup.interval.ms", "10"}
	s := startServerIn(t, dir, Options{}, settings...)
	mustCreate(t, s, "data", 1)
	x := txnRaw{t, dialRaw(t, s)}
	r := x.init("tx", 200, -1, -1, 4)
	if got := x.add(3, "tx", r.ProducerID, r.ProducerEpoch, "data", 0); got["data/0"] != 0 {
		t.Fatalf("add: %v", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = startServerIn(t, dir, Options{}, settings...)
	x = txnRaw{t, dialRaw(t, s)}
	st := x.waitTxnState("tx", "CompleteAbort")
	if st.ProducerEpoch != r.ProducerEpoch+1 {
		t.Fatalf("epoch after timeout abort %d, want %d", st.ProducerEpoch, r.ProducerEpoch+1)
	}
	if hw := mustTopic(t, s, "data").Partitions[0].HighWatermark(); hw != 1 {
		t.Fatalf("high watermark %d, want 1 (the abort marker)", hw)
	}
}

func mustCreate(t *testing.T, s *Server, name string, partitions int32) {
	t.Helper()
	if _, err := s.topics.Create(name, partitions, nil, false); err != nil {
		t.Fatal(err)
	}
}

// TxnOffsetCommit with an unknown transactional ID, another producer ID or
// epoch, or before AddOffsetsToTxn: Kafka's codes (the verification of
// KIP-890 part 1 against this coordinator), and nothing is appended.
func TestTxnOffsetCommitBadInput(t *testing.T) {
	s := startServer(t, "group.initial.rebalance.delay.ms", "0")
	mustCreate(t, s, "in", 1)
	x := txnRaw{t, dialRaw(t, s)}
	r := x.init("tx", 60000, -1, -1, 4)
	if r.ErrorCode != 0 {
		t.Fatalf("init: %+v", r)
	}
	commit := func(version int16, id string, pid int64, epoch int16) int16 {
		req := kmsg.NewPtrTxnOffsetCommitRequest()
		req.Version, req.TransactionalID, req.Group, req.ProducerID, req.ProducerEpoch = version, id, "g", pid, epoch
		rt := kmsg.NewTxnOffsetCommitRequestTopic()
		rt.Topic = "in"
		rp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
		rp.Partition, rp.Offset = 0, 5
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		return x.rc.roundTrip(req).(*kmsg.TxnOffsetCommitResponse).Topics[0].Partitions[0].ErrorCode
	}
	if _, err := s.coordinator(); err != nil {
		t.Fatal(err)
	}
	gp := group.PartitionFor("g", int(s.cfg.OffsetsTopicNumPartitions))
	hw := func() int64 { return mustTopic(t, s, "__consumer_offsets").Partitions[gp].HighWatermark() }
	for _, c := range []struct {
		name    string
		version int16
		id      string
		pid     int64
		epoch   int16
		want    int16
	}{
		{"unknown transactional ID", 3, "nope", r.ProducerID, r.ProducerEpoch, kerr.InvalidProducerIDMapping.Code},
		{"another producer ID", 3, "tx", r.ProducerID + 1, r.ProducerEpoch, kerr.InvalidProducerIDMapping.Code},
		{"another epoch", 3, "tx", r.ProducerID, r.ProducerEpoch + 1, kerr.InvalidProducerEpoch.Code},
		{"before AddOffsetsToTxn, v3", 3, "tx", r.ProducerID, r.ProducerEpoch, kerr.InvalidTxnState.Code},
		{"before AddOffsetsToTxn, v4", 4, "tx", r.ProducerID, r.ProducerEpoch, kerr.TransactionAbortable.Code},
	} {
		if got := commit(c.version, c.id, c.pid, c.epoch); got != c.want {
			t.Errorf("%s: code %d, want %d", c.name, got, c.want)
		}
	}
	if got := hw(); got != 0 {
		t.Fatalf("__consumer_offsets-%d high watermark %d after refused commits, want 0", gp, got)
	}
	if st := x.describe("tx"); st.State != "Empty" || len(st.Topics) != 0 {
		t.Fatalf("transaction after refused commits: %+v", st)
	}
}

func TestTxnProduceVerifyError(t *testing.T) {
	for _, c := range []struct{ in, want error }{
		{nil, nil},
		{kerr.ProducerFenced, kerr.InvalidProducerEpoch},
		{kerr.TransactionAbortable, kerr.InvalidTxnState},
		{kerr.ConcurrentTransactions, kerr.NotEnoughReplicas},
		{kerr.CoordinatorLoadInProgress, kerr.NotEnoughReplicas},
		{kerr.CoordinatorNotAvailable, kerr.NotEnoughReplicas},
		{kerr.NotCoordinator, kerr.NotEnoughReplicas},
		{kerr.InvalidProducerIDMapping, kerr.InvalidProducerIDMapping},
	} {
		if got := produceVerifyError(c.in); got != c.want {
			t.Errorf("%v: %v, want %v", c.in, got, c.want)
		}
	}
}

// A transactional batch for a partition never added to the transaction
// is refused with INVALID_TXN_STATE by the coordinator's verification.
func TestTxnProduceNotAdded(t *testing.T) {
	s := startServer(t)
	mustCreate(t, s, "data", 2)
	x := txnRaw{t, dialRaw(t, s)}
	r := x.init("tx", 60000, -1, -1, 4)
	if got := x.add(3, "tx", r.ProducerID, r.ProducerEpoch, "data", 0); got["data/0"] != 0 {
		t.Fatalf("add: %v", got)
	}
	v := txnVerify{s.runningTxnCoordinator()}
	ctx := testCtx(t)
	if err := v.VerifyPartition(ctx, "tx", r.ProducerID, r.ProducerEpoch, "data", 0); err != nil {
		t.Fatalf("added partition: %v", err)
	}
	if err := v.VerifyPartition(ctx, "tx", r.ProducerID, r.ProducerEpoch, "data", 1); err != kerr.InvalidTxnState {
		t.Fatalf("partition not added: %v", err)
	}
	if err := v.VerifyPartition(ctx, "tx", r.ProducerID, r.ProducerEpoch-1, "data", 0); err != kerr.InvalidProducerEpoch {
		t.Fatalf("older epoch: %v", err)
	}
}
