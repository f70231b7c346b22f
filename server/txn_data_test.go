package server

import (
	"context"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/recordbatch"
)

// fakeVerifier answers VerifyPartition from a set of added partitions and
// records the questions.
type fakeVerifier struct {
	mu    sync.Mutex
	added map[int32]bool
	calls []int32
}

func (f *fakeVerifier) VerifyPartition(_ context.Context, txnID string, pid int64, epoch int16, topic string, p int32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, p)
	if txnID != "tx-1" || !f.added[p] {
		return kerr.InvalidTxnState
	}
	return nil
}

// txnRecords is a transactional batch of producer pid.
func txnRecords(t *testing.T, pid int64, epoch int16, seq int32, n int, prefix string) []byte {
	return batch(t, n, prefix, func(b *recordbatch.Builder) {
		b.ProducerID, b.ProducerEpoch, b.BaseSequence, b.Transactional = pid, epoch, seq, true
	})
}

func txnProduce(records map[int32][]byte, txnID *string) *kmsg.ProduceRequest {
	req := produceReq(11, -1, "tx", records)
	req.TransactionID = txnID
	return req
}

// TestProduceTransactional: Kafka's answers to transactional produce:
// no TransactionalID fails the whole request; a partition the coordinator
// never added is INVALID_TXN_STATE (verified once per transaction and
// partition); a plain batch during the transaction is INVALID_TXN_STATE;
// a client's control batch is INVALID_RECORD; none appends anything.
func TestProduceTransactional(t *testing.T) {
	s := startServer(t)
	if _, err := s.topics.Create("tx", 2, nil, false); err != nil {
		t.Fatal(err)
	}
	v := &fakeVerifier{added: map[int32]bool{0: true}}
	s.SetTxnVerifier(v)
	rc := dialRaw(t, s)
	const pid = 4000
	id := "tx-1"
	plain := batch(t, 1, "p", nil)

	// No TransactionalID: every partition of the request fails.
	got := produceResults(t, rc.roundTrip(txnProduce(map[int32][]byte{0: txnRecords(t, pid, 0, 0, 2, "a"), 1: plain}, nil)))
	want := map[int32]partResult{0: {kerr.TransactionalIDAuthorizationFailed.Code, -1}, 1: {kerr.TransactionalIDAuthorizationFailed.Code, -1}}
	if !maps.Equal(got, want) {
		t.Fatalf("no transactional id: %+v, want %+v", got, want)
	}
	// Partition 1 was never added to the transaction.
	got = produceResults(t, rc.roundTrip(txnProduce(map[int32][]byte{0: txnRecords(t, pid, 0, 0, 2, "a"), 1: txnRecords(t, pid, 0, 0, 1, "b")}, &id)))
	want = map[int32]partResult{0: {0, 0}, 1: {kerr.InvalidTxnState.Code, -1}}
	if !maps.Equal(got, want) {
		t.Fatalf("verification: %+v, want %+v", got, want)
	}
	// The transaction is ongoing in partition 0: no second question.
	got = produceResults(t, rc.roundTrip(txnProduce(map[int32][]byte{0: txnRecords(t, pid, 0, 2, 1, "c")}, &id)))
	if got[0] != (partResult{0, 2}) {
		t.Fatalf("second batch: %+v", got[0])
	}
	if !slices.Equal(v.calls, []int32{0, 1}) {
		t.Fatalf("verifier asked about %v, want [0 1]", v.calls)
	}
	// A non-transactional batch of the producer during its transaction.
	idem := batch(t, 1, "d", func(b *recordbatch.Builder) { b.ProducerID, b.ProducerEpoch, b.BaseSequence = pid, 0, 3 })
	if got := produceResults(t, rc.roundTrip(txnProduce(map[int32][]byte{0: idem}, &id)))[0]; got != (partResult{kerr.InvalidTxnState.Code, -1}) {
		t.Fatalf("plain batch in a transaction: %+v", got)
	}
	// A control batch from a client.
	ctl := batch(t, 1, "e", func(b *recordbatch.Builder) {
		b.ProducerID, b.ProducerEpoch, b.BaseSequence, b.Transactional, b.Control = pid, 0, 3, true, true
	})
	if got := produceResults(t, rc.roundTrip(txnProduce(map[int32][]byte{0: ctl}, &id)))[0]; got != (partResult{kerr.InvalidRecord.Code, -1}) {
		t.Fatalf("client control batch: %+v", got)
	}
	if hw(t, s, "tx", 0) != 3 || hw(t, s, "tx", 1) != 0 {
		t.Fatalf("high watermarks %d, %d; want 3, 0", hw(t, s, "tx", 0), hw(t, s, "tx", 1))
	}
	// Verification off: any transactional batch is taken.
	s.SetTxnVerifier(nil)
	if got := produceResults(t, rc.roundTrip(txnProduce(map[int32][]byte{1: txnRecords(t, pid, 0, 0, 1, "b")}, &id)))[1]; got != (partResult{0, 0}) {
		t.Fatalf("verification off: %+v", got)
	}
}

// TestFetchReadCommitted: Fetch, ListOffsets and DescribeProducers over a
// log with an aborted, a committed and an ongoing transaction; and a kgo
// read_committed consumer sees exactly the committed records.
func TestFetchReadCommitted(t *testing.T) {
	s := startServer(t)
	if _, err := s.topics.Create("tx", 1, nil, false); err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, s)
	id := "tx-1"
	l := mustTopic(t, s, "tx").Partitions[0]
	produce := func(b []byte) {
		t.Helper()
		if got := produceResults(t, rc.roundTrip(txnProduce(map[int32][]byte{0: b}, &id)))[0]; got.code != 0 {
			t.Fatalf("produce: %+v", got)
		}
	}
	marker := func(pid int64, commit bool) {
		t.Helper()
		if _, err := l.AppendMarker(pid, 0, commit, 5, 1700000000100); err != nil {
			t.Fatal(err)
		}
	}
	produce(txnRecords(t, 100, 0, 0, 2, "aborted"))   // 0-1
	produce(batch(t, 1, "plain", nil))                // 2
	produce(txnRecords(t, 200, 0, 0, 2, "committed")) // 3-4
	marker(100, false)                                // 5
	marker(200, true)                                 // 6
	produce(txnRecords(t, 300, 0, 0, 1, "ongoing"))   // 7
	produce(batch(t, 1, "after", nil))                // 8

	fetch := func(isolation int8, offset int64) kmsg.FetchResponseTopicPartition {
		t.Helper()
		req := kmsg.NewPtrFetchRequest()
		req.Version, req.MaxBytes, req.IsolationLevel, req.SessionEpoch = 16, 1<<20, isolation, -1
		ft := kmsg.NewFetchRequestTopic()
		ft.TopicID = mustTopic(t, s, "tx").ID
		fp := kmsg.NewFetchRequestTopicPartition()
		fp.FetchOffset, fp.PartitionMaxBytes, fp.CurrentLeaderEpoch, fp.LogStartOffset = offset, 1<<20, -1, -1
		ft.Partitions = append(ft.Partitions, fp)
		req.Topics = append(req.Topics, ft)
		resp := rc.roundTrip(req).(*kmsg.FetchResponse)
		return resp.Topics[0].Partitions[0]
	}
	lastOffset := func(b []byte) int64 {
		var last int64 = -1
		for len(b) >= recordbatch.HeaderSize {
			h := recordbatch.Header(b)
			last = h.LastOffset()
			b = b[h.Size():]
		}
		return last
	}
	p := fetch(1, 0)
	wantAborted := []kmsg.FetchResponseTopicPartitionAbortedTransaction{{ProducerID: 100, FirstOffset: 0}}
	if p.ErrorCode != 0 || p.HighWatermark != 9 || p.LastStableOffset != 7 || lastOffset(p.RecordBatches) != 6 || !slices.EqualFunc(p.AbortedTransactions, wantAborted, sameAborted) {
		t.Fatalf("read_committed: err %d HW %d LSO %d last %d aborted %+v", p.ErrorCode, p.HighWatermark, p.LastStableOffset, lastOffset(p.RecordBatches), p.AbortedTransactions)
	}
	if p := fetch(1, 7); len(p.RecordBatches) != 0 || p.AbortedTransactions == nil || len(p.AbortedTransactions) != 0 || p.LastStableOffset != 7 {
		t.Fatalf("read_committed at the LSO: %d bytes, aborted %+v, LSO %d", len(p.RecordBatches), p.AbortedTransactions, p.LastStableOffset)
	}
	if p := fetch(0, 0); lastOffset(p.RecordBatches) != 8 || p.AbortedTransactions != nil || p.LastStableOffset != 7 {
		t.Fatalf("read_uncommitted: last %d, aborted %+v, LSO %d", lastOffset(p.RecordBatches), p.AbortedTransactions, p.LastStableOffset)
	}

	// ListOffsets latest: the LSO for read_committed.
	for iso, want := range map[int8]int64{0: 9, 1: 7} {
		req := kmsg.NewPtrListOffsetsRequest()
		req.Version, req.IsolationLevel = 7, iso
		lt := kmsg.NewListOffsetsRequestTopic()
		lt.Topic = "tx"
		lp := kmsg.NewListOffsetsRequestTopicPartition()
		lp.Timestamp, lp.CurrentLeaderEpoch = -1, -1
		lt.Partitions = append(lt.Partitions, lp)
		req.Topics = append(req.Topics, lt)
		got := rc.roundTrip(req).(*kmsg.ListOffsetsResponse).Topics[0].Partitions[0]
		if got.ErrorCode != 0 || got.Offset != want {
			t.Fatalf("ListOffsets isolation %d: %d (err %d), want %d", iso, got.Offset, got.ErrorCode, want)
		}
	}

	// DescribeProducers: coordinator epochs and the ongoing transaction.
	dreq := kmsg.NewPtrDescribeProducersRequest()
	dt := kmsg.NewDescribeProducersRequestTopic()
	dt.Topic, dt.Partitions = "tx", []int32{0}
	dreq.Topics = append(dreq.Topics, dt)
	var prods [][3]int64
	for _, ap := range rc.roundTrip(dreq).(*kmsg.DescribeProducersResponse).Topics[0].Partitions[0].ActiveProducers {
		prods = append(prods, [3]int64{ap.ProducerID, int64(ap.CoordinatorEpoch), ap.CurrentTxnStartOffset})
	}
	if want := [][3]int64{{100, 5, -1}, {200, 5, -1}, {300, -1, 7}}; !slices.Equal(prods, want) {
		t.Fatalf("DescribeProducers: %v, want %v", prods, want)
	}

	// A real client filters the aborted records with the list.
	marker(300, true) // 9
	cl := newClient(t, s, kgo.ConsumeTopics("tx"), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var values []string
	ctx := testCtx(t)
	for len(values) < 5 {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatal(err)
		}
		fs.EachRecord(func(r *kgo.Record) { values = append(values, string(r.Value)) })
	}
	if want := []string{"plain-0", "committed-0", "committed-1", "ongoing-0", "after-0"}; !slices.Equal(values, want) {
		t.Fatalf("read_committed consumer: %v, want %v", values, want)
	}
}

func sameAborted(a, b kmsg.FetchResponseTopicPartitionAbortedTransaction) bool {
	return a.ProducerID == b.ProducerID && a.FirstOffset == b.FirstOffset
}
