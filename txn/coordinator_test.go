package txn

import (
	"reflect"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Java's String.hashCode values, as in group's test: Kafka places
// transactional IDs with the same function.
func TestPartitionFor(t *testing.T) {
	for _, c := range []struct {
		id   string
		want int32
	}{{"test", 48}, {"my-group", 12}, {"polygenelubricants", 0}} {
		if got := PartitionFor(c.id, 50); got != c.want {
			t.Errorf("PartitionFor(%q, 50) = %d, want %d", c.id, got, c.want)
		}
	}
}

func TestInitProducerIDEpochs(t *testing.T) {
	e := newEnv(t, Options{MaxTimeout: time.Minute})
	c := e.c
	r := e.init("a")
	if r != (InitResult{1001, 0}) {
		t.Fatalf("first init = %+v, want {1001 0}", r)
	}
	if r = e.init("a"); r != (InitResult{1001, 1}) {
		t.Fatalf("second init = %+v, want {1001 1}", r)
	}
	// KIP-360: the producer's own ID and epoch bump it.
	r, err := c.InitProducerID("a", 60000, 1001, 1, true)
	wantErr(t, "KIP-360 bump", err, nil)
	if r != (InitResult{1001, 2}) {
		t.Fatalf("KIP-360 bump = %+v, want {1001 2}", r)
	}
	// A retry of that bump (its answer lost) gets the same answer.
	r, err = c.InitProducerID("a", 60000, 1001, 1, true)
	wantErr(t, "retried bump", err, nil)
	if r != (InitResult{1001, 2}) {
		t.Fatalf("retried bump = %+v, want {1001 2}", r)
	}
	// An older epoch, or another producer ID, is fenced.
	_, err = c.InitProducerID("a", 60000, 1001, 0, true)
	wantErr(t, "older epoch", err, kerr.ProducerFenced)
	_, err = c.InitProducerID("a", 60000, 77, 2, true)
	wantErr(t, "other producer ID", err, kerr.ProducerFenced)

	_, err = c.InitProducerID("a", 60001, -1, -1, false)
	wantErr(t, "timeout over the maximum", err, kerr.InvalidTransactionTimeout)
	_, err = c.InitProducerID("a", 0, -1, -1, false)
	wantErr(t, "zero timeout", err, kerr.InvalidTransactionTimeout)
	_, err = c.InitProducerID("", 1000, -1, -1, false)
	wantErr(t, "empty ID", err, kerr.InvalidRequest)
	tx, _ := c.Describe("a")
	if tx.Epoch != 2 || tx.State != Empty || tx.TimeoutMs != 60000 {
		t.Fatalf("after refused inits: %+v", tx)
	}
}

// An exhausted epoch gets a new producer ID at epoch 0 (Kafka's
// prepareProducerIdRotation).
func TestInitProducerIDRotation(t *testing.T) {
	e := newEnv(t, Options{})
	e.init("a")
	e.c.post(func() { e.c.txns["a"].producerEpoch = 32766 })
	r := e.init("a")
	if r != (InitResult{1002, 0}) {
		t.Fatalf("init at exhausted epoch = %+v, want {1002 0}", r)
	}
}

func TestCommitWritesMarkersAndCompletes(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.c
	r := e.init("tx")
	parts := []TopicPartition{tp("b", 1), tp("a", 0), tp("a", 2)}
	wantErr(t, "add", c.AddPartitions("tx", r.ProducerID, r.Epoch, parts), nil)
	tx, _ := c.Describe("tx")
	if tx.State != Ongoing || !reflect.DeepEqual(tx.Partitions, []TopicPartition{tp("a", 0), tp("a", 2), tp("b", 1)}) || tx.StartMs != e.clock.ms.Load() {
		t.Fatalf("after add: %+v", tx)
	}
	wantErr(t, "end", c.EndTxn("tx", r.ProducerID, r.Epoch, true), nil)
	tx = e.waitState("tx", CompleteCommit)
	if len(tx.Partitions) != 0 {
		t.Fatalf("complete with partitions %v", tx.Partitions)
	}
	want := []marker{{tp("a", 0), 1001, 0, true}, {tp("a", 2), 1001, 0, true}, {tp("b", 1), 1001, 0, true}}
	if got := e.markers.all(); !reflect.DeepEqual(got, want) {
		t.Fatalf("markers %+v\nwant %+v", got, want)
	}
	// A retried EndTxn(commit) succeeds; abort now is INVALID_TXN_STATE.
	wantErr(t, "retried commit", c.EndTxn("tx", r.ProducerID, r.Epoch, true), nil)
	wantErr(t, "abort after commit", c.EndTxn("tx", r.ProducerID, r.Epoch, false), kerr.InvalidTxnState)
	// The next transaction starts from CompleteCommit.
	wantErr(t, "add again", c.AddPartitions("tx", r.ProducerID, r.Epoch, parts[:1]), nil)
	wantErr(t, "abort", c.EndTxn("tx", r.ProducerID, r.Epoch, false), nil)
	e.waitState("tx", CompleteAbort)
	if got := e.markers.all(); len(got) != 4 || got[3] != (marker{tp("b", 1), 1001, 0, false}) {
		t.Fatalf("markers after abort %+v", got)
	}
	// The state survives a restart.
	e.close()
	e.open()
	tx, err := e.c.Describe("tx")
	wantErr(t, "describe after reopen", err, nil)
	if tx.State != CompleteAbort || tx.ProducerID != 1001 || tx.Epoch != 0 || tx.TimeoutMs != 60000 {
		t.Fatalf("after reopen: %+v", tx)
	}
}

// Bad input gets Kafka's code and changes nothing.
func TestBadInputChangesNothing(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.c
	r := e.init("tx")
	before, _ := c.Describe("tx")
	wantErr(t, "EndTxn with no transaction", c.EndTxn("tx", r.ProducerID, r.Epoch, true), kerr.InvalidTxnState)
	wantErr(t, "EndTxn unknown ID", c.EndTxn("nope", r.ProducerID, r.Epoch, true), kerr.InvalidProducerIDMapping)
	wantErr(t, "EndTxn empty ID", c.EndTxn("", r.ProducerID, r.Epoch, true), kerr.InvalidRequest)
	wantErr(t, "AddPartitions unknown ID", c.AddPartitions("nope", r.ProducerID, r.Epoch, []TopicPartition{tp("a", 0)}), kerr.InvalidProducerIDMapping)
	wantErr(t, "AddPartitions wrong producer ID", c.AddPartitions("tx", r.ProducerID+1, r.Epoch, []TopicPartition{tp("a", 0)}), kerr.InvalidProducerIDMapping)
	wantErr(t, "AddPartitions wrong epoch", c.AddPartitions("tx", r.ProducerID, r.Epoch+1, []TopicPartition{tp("a", 0)}), kerr.ProducerFenced)
	if after, _ := c.Describe("tx"); !reflect.DeepEqual(before, after) {
		t.Fatalf("state changed:\n%+v\n%+v", before, after)
	}
	wantErr(t, "add", c.AddPartitions("tx", r.ProducerID, r.Epoch, []TopicPartition{tp("a", 0)}), nil)
	before, _ = c.Describe("tx")
	wantErr(t, "EndTxn wrong producer ID", c.EndTxn("tx", r.ProducerID+1, r.Epoch, true), kerr.InvalidProducerIDMapping)
	wantErr(t, "EndTxn older epoch", c.EndTxn("tx", r.ProducerID, r.Epoch-1, true), kerr.ProducerFenced)
	wantErr(t, "EndTxn newer epoch", c.EndTxn("tx", r.ProducerID, r.Epoch+1, true), kerr.ProducerFenced)
	if after, _ := c.Describe("tx"); !reflect.DeepEqual(before, after) {
		t.Fatalf("state changed:\n%+v\n%+v", before, after)
	}
	if n := len(e.markers.all()); n != 0 {
		t.Fatalf("%d markers written", n)
	}
	_, err := c.Describe("nope")
	wantErr(t, "Describe unknown", err, kerr.TransactionalIDNotFound)
}

// While the markers of an EndTxn are being written, the ID answers
// CONCURRENT_TRANSACTIONS.
func TestConcurrentWhileCompleting(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.c
	release := make(chan struct{})
	e.markers.hold = func(TopicPartition) error { <-release; return nil }
	r := e.init("tx")
	wantErr(t, "add", c.AddPartitions("tx", r.ProducerID, r.Epoch, []TopicPartition{tp("a", 0)}), nil)
	wantErr(t, "commit", c.EndTxn("tx", r.ProducerID, r.Epoch, true), nil)
	tx, _ := c.Describe("tx")
	if tx.State != PrepareCommit {
		t.Fatalf("state %v, want PrepareCommit", tx.State)
	}
	wantErr(t, "add while completing", c.AddPartitions("tx", r.ProducerID, r.Epoch, []TopicPartition{tp("a", 1)}), kerr.ConcurrentTransactions)
	wantErr(t, "commit again", c.EndTxn("tx", r.ProducerID, r.Epoch, true), kerr.ConcurrentTransactions)
	_, err := c.InitProducerID("tx", 60000, -1, -1, false)
	wantErr(t, "init while completing", err, kerr.ConcurrentTransactions)
	close(release)
	e.waitState("tx", CompleteCommit)
	wantErr(t, "add after", c.AddPartitions("tx", r.ProducerID, r.Epoch, []TopicPartition{tp("a", 1)}), nil)
}

// InitProducerId during a transaction fences the producer: the
// transaction is aborted with the bumped epoch, the client retries.
func TestInitFencesOngoing(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.c
	old := e.init("tx")
	wantErr(t, "add", c.AddPartitions("tx", old.ProducerID, old.Epoch, []TopicPartition{tp("a", 0)}), nil)
	_, err := c.InitProducerID("tx", 60000, -1, -1, false)
	wantErr(t, "init during transaction", err, kerr.ConcurrentTransactions)
	e.waitState("tx", CompleteAbort)
	if got, want := e.markers.all(), []marker{{tp("a", 0), 1001, 1, false}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("markers %+v, want %+v", got, want)
	}
	r := e.init("tx")
	if r != (InitResult{1001, 2}) {
		t.Fatalf("retried init = %+v, want {1001 2}", r)
	}
	wantErr(t, "old producer's commit", c.EndTxn("tx", old.ProducerID, old.Epoch, true), kerr.ProducerFenced)
	wantErr(t, "old producer's add", c.AddPartitions("tx", old.ProducerID, old.Epoch, []TopicPartition{tp("a", 0)}), kerr.ProducerFenced)
}

func TestTimeoutAborts(t *testing.T) {
	e := newEnv(t, Options{AbortCheckInterval: time.Millisecond})
	c := e.c
	e.markers.ch = make(chan marker, 4)
	r, err := c.InitProducerID("tx", 100, -1, -1, false)
	wantErr(t, "init", err, nil)
	wantErr(t, "add", c.AddPartitions("tx", r.ProducerID, r.Epoch, []TopicPartition{tp("a", 0)}), nil)
	e.clock.add(100 * time.Millisecond) // not yet: Kafka aborts after start+timeout < now
	other := e.init("other")
	wantErr(t, "add other", c.AddPartitions("other", other.ProducerID, other.Epoch, []TopicPartition{tp("a", 1)}), nil)
	e.clock.add(time.Millisecond)
	select {
	case m := <-e.markers.ch:
		if m != (marker{tp("a", 0), r.ProducerID, 1, false}) {
			t.Fatalf("marker %+v", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no abort within 5 s")
	}
	e.waitState("tx", CompleteAbort)
	if tx, _ := c.Describe("other"); tx.State != Ongoing {
		t.Fatalf("other: %v, want Ongoing", tx.State)
	}
	if n := c.TimeoutAborts(); n != 1 {
		t.Fatalf("timeout aborts %d", n)
	}
	if n := c.MarkersWritten(); n != 1 {
		t.Fatalf("markers written %d, want 1", n)
	}
	wantErr(t, "timed-out producer's commit", c.EndTxn("tx", r.ProducerID, r.Epoch, true), kerr.ProducerFenced)
}

func TestIDExpiration(t *testing.T) {
	e := newEnv(t, Options{IDExpiration: time.Hour, ExpiredCheckInterval: time.Millisecond})
	e.init("idle")
	busy := e.init("busy")
	wantErr(t, "add", e.c.AddPartitions("busy", busy.ProducerID, busy.Epoch, []TopicPartition{tp("a", 0)}), nil)
	e.clock.add(time.Hour)
	for i := 0; ; i++ {
		if _, err := e.c.Describe("idle"); err != nil {
			wantErr(t, "describe expired", err, kerr.TransactionalIDNotFound)
			break
		}
		if i > 5000 {
			t.Fatal("not expired after 5 s")
		}
		time.Sleep(time.Millisecond)
	}
	if tx, err := e.c.Describe("busy"); err != nil || tx.State != Ongoing {
		t.Fatalf("busy: %+v %v", tx, err)
	}
	e.close()
	e.open()
	_, err := e.c.Describe("idle")
	wantErr(t, "expired after reopen", err, kerr.TransactionalIDNotFound)
}

func TestLoadInProgress(t *testing.T) {
	gate := make(chan struct{})
	e := newEnv(t, Options{})
	e.init("tx")
	e.close()
	e.opts.loadGate = gate
	e.open()
	_, err := e.c.InitProducerID("tx", 1000, -1, -1, false)
	wantErr(t, "init while loading", err, kerr.CoordinatorLoadInProgress)
	_, err = e.c.Describe("tx")
	wantErr(t, "describe while loading", err, kerr.CoordinatorLoadInProgress)
	close(gate)
	e.waitLoaded()
	if r := e.init("tx"); r != (InitResult{1001, 1}) {
		t.Fatalf("init after load = %+v", r)
	}
}

func TestVerifyPartitions(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.c
	r := e.init("tx")
	wantErr(t, "add", c.AddPartitions("tx", r.ProducerID, r.Epoch, []TopicPartition{tp("a", 0)}), nil)
	errs, err := c.VerifyPartitions("tx", r.ProducerID, r.Epoch, []TopicPartition{tp("a", 0), tp("a", 1)})
	wantErr(t, "verify", err, nil)
	if errs[0] != nil || errs[1] != kerr.TransactionAbortable {
		t.Fatalf("verify = %v", errs)
	}
	_, err = c.VerifyPartitions("tx", r.ProducerID, r.Epoch+1, []TopicPartition{tp("a", 0)})
	wantErr(t, "verify wrong epoch", err, kerr.ProducerFenced)
	_, err = c.VerifyPartitions("nope", r.ProducerID, r.Epoch, []TopicPartition{tp("a", 0)})
	wantErr(t, "verify unknown", err, kerr.InvalidProducerIDMapping)
}

func TestList(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.c
	a := e.init("a")
	e.init("b")
	wantErr(t, "add", c.AddPartitions("a", a.ProducerID, a.Epoch, []TopicPartition{tp("t", 0)}), nil)
	e.clock.add(5 * time.Second)
	ids := func(f ListFilter) []string {
		t.Helper()
		txns, _, err := c.List(f)
		wantErr(t, "list", err, nil)
		var out []string
		for _, tx := range txns {
			out = append(out, tx.ID+":"+tx.State.String())
		}
		return out
	}
	if got := ids(ListFilter{DurationMs: -1}); !reflect.DeepEqual(got, []string{"a:Ongoing", "b:Empty"}) {
		t.Fatalf("all: %v", got)
	}
	if got := ids(ListFilter{StateNames: []string{"Ongoing"}, DurationMs: -1}); !reflect.DeepEqual(got, []string{"a:Ongoing"}) {
		t.Fatalf("Ongoing: %v", got)
	}
	if got := ids(ListFilter{ProducerIDs: []int64{1002}, DurationMs: -1}); !reflect.DeepEqual(got, []string{"b:Empty"}) {
		t.Fatalf("producer 1002: %v", got)
	}
	if got := ids(ListFilter{StateNames: []string{"Ongoing"}, DurationMs: 4999}); !reflect.DeepEqual(got, []string{"a:Ongoing"}) {
		t.Fatalf("longer than 4999 ms: %v", got)
	}
	if got := ids(ListFilter{StateNames: []string{"Ongoing"}, DurationMs: 5000}); got != nil {
		t.Fatalf("longer than 5000 ms: %v", got)
	}
	txns, unknown, _ := c.List(ListFilter{StateNames: []string{"ongoing", "Ongoing"}, DurationMs: -1})
	if len(txns) != 1 || !reflect.DeepEqual(unknown, []string{"ongoing"}) {
		t.Fatalf("unknown state names: %v %v", txns, unknown)
	}
}

// The records are Kafka's TransactionLog key and value: value version 0,
// or 1 (flexible) once transaction.version is finalized at 1.
func TestRecordVersions(t *testing.T) {
	for _, level := range []int16{0, 1} {
		e := newEnv(t, Options{TransactionVersion: func() int16 { return level }})
		r := e.init("tx")
		wantErr(t, "add", e.c.AddPartitions("tx", r.ProducerID, r.Epoch, []TopicPartition{tp("t", 4)}), nil)
		recs := readRecords(t, e.logs[PartitionFor("tx", testPartitions)])
		if len(recs) != 2 {
			t.Fatalf("%d records, want 2", len(recs))
		}
		var k kmsg.TxnMetadataKey
		if err := k.ReadFrom(recs[1].Key); err != nil || k.Version != 0 || k.TransactionalID != "tx" {
			t.Fatalf("key %+v %v", k, err)
		}
		var v kmsg.TxnMetadataValue
		if err := v.ReadFrom(recs[1].Value); err != nil {
			t.Fatal(err)
		}
		want := kmsg.TxnMetadataValue{Version: level, ProducerID: 1001, ProducerEpoch: 0, TimeoutMillis: 60000,
			State: kmsg.TransactionState(Ongoing), Topics: []kmsg.TxnMetadataValueTopic{{Topic: "t", Partitions: []int32{4}}},
			LastUpdateTimestamp: e.clock.ms.Load(), StartTimestamp: e.clock.ms.Load(),
			PreviousProducerID: -1, NextProducerID: -1, NextProducerEpoch: -1}
		if !reflect.DeepEqual(v, want) {
			t.Fatalf("transaction.version %d: value\n%+v\nwant\n%+v", level, v, want)
		}
		e.close()
	}
}
