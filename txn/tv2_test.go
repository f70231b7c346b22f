package txn

import (
	"math"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/internal/vfs"
)

// endV2 is EndTxnV2 with its error checked.
func endV2(t *testing.T, c *Coordinator, what string, pid int64, epoch int16, commit bool, want InitResult, wantE error) {
	t.Helper()
	got, err := c.EndTxnV2("tx", pid, epoch, commit)
	wantErr(t, what, err, wantE)
	if got != want {
		t.Fatalf("%s: answered %+v, want %+v", what, got, want)
	}
}

var noInit = InitResult{ProducerID: -1, Epoch: -1}

// Transaction version 2 (KIP-890 part 2): every EndTxn bumps the epoch and
// the markers carry the new one; a retry with the old epoch gets the same
// answer; the old epoch is fenced everywhere else; an abort with no
// transaction is allowed and bumps the epoch; a commit with none is not.
func TestTV2EndTxnBumpsEpoch(t *testing.T) {
	e := newEnv(t, Options{TransactionVersion: func() int16 { return 2 }})
	c := e.c
	r := e.init("tx") // 1001, epoch 0
	wantErr(t, "add", c.AddPartitionsV2("tx", r.ProducerID, 0, []TopicPartition{tp("a", 0), tp("b", 1)}), nil)
	endV2(t, c, "commit", r.ProducerID, 0, true, InitResult{r.ProducerID, 1}, nil)
	e.waitState("tx", CompleteCommit)
	endV2(t, c, "retried commit", r.ProducerID, 0, true, InitResult{r.ProducerID, 1}, nil)
	endV2(t, c, "abort with the old epoch", r.ProducerID, 0, false, noInit, kerr.InvalidTxnState)
	wantErr(t, "add with the old epoch", c.AddPartitionsV2("tx", r.ProducerID, 0, []TopicPartition{tp("a", 0)}), kerr.ProducerFenced)
	_, err := c.VerifyPartitions("tx", r.ProducerID, 0, []TopicPartition{tp("a", 0)})
	wantErr(t, "verify with the old epoch", err, kerr.ProducerFenced)
	endV2(t, c, "commit with no transaction", r.ProducerID, 1, true, noInit, kerr.InvalidTxnState)

	wantErr(t, "add at the new epoch", c.AddPartitionsV2("tx", r.ProducerID, 1, []TopicPartition{tp("a", 0)}), nil)
	endV2(t, c, "commit with the epoch before", r.ProducerID, 0, true, noInit, kerr.ProducerFenced)
	endV2(t, c, "abort", r.ProducerID, 1, false, InitResult{r.ProducerID, 2}, nil)
	e.waitState("tx", CompleteAbort)
	endV2(t, c, "empty abort", r.ProducerID, 2, false, InitResult{r.ProducerID, 3}, nil)
	tx := e.waitState("tx", CompleteAbort)
	if tx.Epoch != 3 || tx.ProducerID != r.ProducerID || len(tx.Partitions) != 0 {
		t.Fatalf("after the empty abort: %+v", tx)
	}
	want := []marker{
		{tp("a", 0), r.ProducerID, 1, true}, {tp("b", 1), r.ProducerID, 1, true},
		{tp("a", 0), r.ProducerID, 2, false},
	}
	if got := e.markers.all(); !reflect.DeepEqual(got, want) {
		t.Fatalf("markers %+v\nwant %+v", got, want)
	}
	// EndTxn v0-4 after a transaction of version 2: no bump.
	wantErr(t, "v1 add", c.AddPartitions("tx", r.ProducerID, 3, []TopicPartition{tp("a", 0)}), nil)
	wantErr(t, "v1 commit", c.EndTxn("tx", r.ProducerID, 3, true), nil)
	if tx := e.waitState("tx", CompleteCommit); tx.Epoch != 3 {
		t.Fatalf("v1 commit moved the epoch to %d", tx.Epoch)
	}
}

// An exhausted epoch (32766, Kafka's isEpochExhausted) makes a version 2
// EndTxn allocate a new producer ID: the markers carry the old ID at
// epoch 32767, the answer and the completed state are the new ID at epoch
// 0, and the record of the completion names the old ID as previous; a
// retry with the old ID and epoch gets the same answer.
func TestTV2EndTxnRotatesProducerID(t *testing.T) {
	e := newEnv(t, Options{TransactionVersion: func() int16 { return 2 }})
	r := e.init("tx") // 1001
	var m *meta
	e.c.post(func() { m = e.c.txns["tx"]; m.producerEpoch = math.MaxInt16 - 1 })
	for i := 0; ; i++ {
		var ok atomic.Bool
		e.c.post(func() { ok.Store(m != nil && m.producerEpoch == math.MaxInt16-1) })
		if tx, _ := e.c.Describe("tx"); tx.Epoch == math.MaxInt16-1 && ok.Load() {
			break
		}
		if i > 5000 {
			t.Fatal("epoch not set")
		}
		time.Sleep(time.Millisecond)
	}
	const old = math.MaxInt16 - 1
	wantErr(t, "add", e.c.AddPartitionsV2("tx", r.ProducerID, old, []TopicPartition{tp("a", 0)}), nil)
	endV2(t, e.c, "commit", r.ProducerID, old, true, InitResult{1002, 0}, nil)
	tx := e.waitState("tx", CompleteCommit)
	if tx.ProducerID != 1002 || tx.Epoch != 0 {
		t.Fatalf("completed as %d/%d", tx.ProducerID, tx.Epoch)
	}
	if got, want := e.markers.all(), []marker{{tp("a", 0), 1001, math.MaxInt16, true}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("markers %+v, want %+v", got, want)
	}
	endV2(t, e.c, "retry with the old ID", r.ProducerID, old, true, InitResult{1002, 0}, nil)
	wantErr(t, "add with the new ID", e.c.AddPartitionsV2("tx", 1002, 0, []TopicPartition{tp("a", 0)}), nil)
	// The last record is version 1 with the previous ID and the client's
	// transaction version; after a restart the ID carries on from it.
	e.crash()
	tx, err := e.c.Describe("tx")
	wantErr(t, "describe", err, nil)
	if tx.ProducerID != 1002 || tx.Epoch != 0 || tx.State != Ongoing {
		t.Fatalf("after restart: %+v", tx)
	}
	endV2(t, e.c, "abort after restart", 1002, 0, false, InitResult{1002, 1}, nil)
	e.waitState("tx", CompleteAbort)
}

// Kill -9 between the PrepareCommit record of a version 2 EndTxn and its
// markers: the restarted coordinator writes the markers with the bumped
// epoch and completes; the producer carries on at that epoch, the old one
// is fenced.
func TestTV2CrashBeforeMarkers(t *testing.T) {
	e := newEnv(t, Options{TransactionVersion: func() int16 { return 2 }})
	var attempts atomic.Int64
	e.markers.hold = func(TopicPartition) error { attempts.Add(1); return errUnavailable }
	r := e.init("tx")
	wantErr(t, "add", e.c.AddPartitionsV2("tx", r.ProducerID, r.Epoch, []TopicPartition{tp("a", 0), tp("b", 0)}), nil)
	endV2(t, e.c, "commit", r.ProducerID, r.Epoch, true, InitResult{r.ProducerID, r.Epoch + 1}, nil)
	for i := 0; attempts.Load() < 2; i++ {
		if i > 5000 {
			t.Fatal("marker not attempted")
		}
		time.Sleep(time.Millisecond)
	}
	// Crash while the markers are still refused, then let the restarted
	// coordinator write them (released first, the old coordinator's retry
	// could write them before the crash).
	e.crash()
	e.markers.mu.Lock()
	e.markers.hold = nil
	e.markers.mu.Unlock()
	tx := e.waitState("tx", CompleteCommit)
	if tx.Epoch != r.Epoch+1 {
		t.Fatalf("completed at epoch %d, want %d", tx.Epoch, r.Epoch+1)
	}
	want := []marker{{tp("a", 0), r.ProducerID, r.Epoch + 1, true}, {tp("b", 0), r.ProducerID, r.Epoch + 1, true}}
	if got := e.markers.all(); !reflect.DeepEqual(got, want) {
		t.Fatalf("markers %+v\nwant %+v", got, want)
	}
	endV2(t, e.c, "retried commit after restart", r.ProducerID, r.Epoch, true, InitResult{r.ProducerID, r.Epoch + 1}, nil)
	wantErr(t, "old epoch", e.c.AddPartitionsV2("tx", r.ProducerID, r.Epoch, []TopicPartition{tp("a", 0)}), kerr.ProducerFenced)
	wantErr(t, "new epoch", e.c.AddPartitionsV2("tx", r.ProducerID, r.Epoch+1, []TopicPartition{tp("a", 0)}), nil)
}

// The records of a version 2 transaction carry ClientTransactionVersion 2
// and, while a rotation is pending, the next producer ID.
func TestTV2RecordValue(t *testing.T) {
	tr := &transit{producerID: 7, previousProducerID: 6, nextProducerID: 8, producerEpoch: 32767, state: PrepareCommit, tv2: true, startMs: 1, updateMs: 2}
	var v kmsg.TxnMetadataValue
	if err := v.ReadFrom(recordValue(tr, 1)); err != nil {
		t.Fatal(err)
	}
	if v.Version != 1 || v.ClientTransactionVersion != 2 || v.NextProducerID != 8 || v.PreviousProducerID != 6 || v.ProducerEpoch != 32767 {
		t.Fatalf("%+v", v)
	}
	m := map[string]*meta{}
	if err := apply(m, recordKey("x"), recordValue(tr, 1)); err != nil {
		t.Fatal(err)
	}
	if got := m["x"]; !got.tv2 || got.nextProducerID != 8 || got.previousProducerID != 6 {
		t.Fatalf("replayed %+v", got)
	}
}

// A machine crash (vfs CrashClone: only fsynced bytes survive; flush.messages=1)
// after a version 2 EndTxn's PrepareAbort record, before its markers: the
// restart writes the markers with the bumped epoch and completes.
func TestTV2MachineCrashAfterPrepare(t *testing.T) {
	e := &env{t: t, fs: vfs.NewMem(), opts: Options{TransactionVersion: func() int16 { return 2 }}, markers: &fakeMarkers{}, clock: newClock()}
	e.cfg = partitionConfigFlushEach()
	e.nextPID.Store(1000)
	e.open()
	t.Cleanup(e.close)
	e.markers.hold = func(TopicPartition) error { return errUnavailable }
	r := e.init("tx")
	wantErr(t, "add", e.c.AddPartitionsV2("tx", r.ProducerID, r.Epoch, []TopicPartition{tp("a", 0), tp("b", 2)}), nil)
	endV2(t, e.c, "abort", r.ProducerID, r.Epoch, false, InitResult{r.ProducerID, r.Epoch + 1}, nil)
	clone := e.fs.CrashClone(vfs.CrashOptions{TearUnsynced: true, Garble: true})
	e.close()
	e.fs = clone
	e.markers.hold = nil
	e.open()
	if tx := e.waitState("tx", CompleteAbort); tx.Epoch != r.Epoch+1 || tx.ProducerID != r.ProducerID {
		t.Fatalf("completed as %d/%d", tx.ProducerID, tx.Epoch)
	}
	want := []marker{{tp("a", 0), 1001, r.Epoch + 1, false}, {tp("b", 2), 1001, r.Epoch + 1, false}}
	if got := e.markers.all(); !reflect.DeepEqual(got, want) {
		t.Fatalf("markers %+v\nwant %+v", got, want)
	}
	endV2(t, e.c, "retry after the crash", r.ProducerID, r.Epoch, false, InitResult{r.ProducerID, r.Epoch + 1}, nil)
}

// InitProducerId during a version 2 transaction fences it: the abort is
// written with the epoch bumped once (the markers carry it), and the
// client's retry gets the next epoch.
func TestTV2InitFencesOngoing(t *testing.T) {
	e := newEnv(t, Options{TransactionVersion: func() int16 { return 2 }})
	r := e.init("tx")
	wantErr(t, "add", e.c.AddPartitionsV2("tx", r.ProducerID, r.Epoch, []TopicPartition{tp("a", 0)}), nil)
	_, err := e.c.InitProducerID("tx", 60000, -1, -1, false)
	wantErr(t, "init during the transaction", err, kerr.ConcurrentTransactions)
	e.waitState("tx", CompleteAbort)
	if got, want := e.markers.all(), []marker{{tp("a", 0), 1001, r.Epoch + 1, false}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("markers %+v, want %+v", got, want)
	}
	again, err := e.c.InitProducerID("tx", 60000, -1, -1, false)
	wantErr(t, "retried init", err, nil)
	if again.ProducerID != 1001 || again.Epoch != r.Epoch+2 {
		t.Fatalf("retried init: %+v", again)
	}
	endV2(t, e.c, "fenced producer's commit", r.ProducerID, r.Epoch, true, noInit, kerr.ProducerFenced)
}

// While a version 2 EndTxn's markers are written, the producer's first
// add of its next transaction, at the epoch EndTxn answered, is
// CONCURRENT_TRANSACTIONS (retried), not PRODUCER_FENCED (KAFKA-18660).
func TestTV2AddWhileCompleting(t *testing.T) {
	e := newEnv(t, Options{TransactionVersion: func() int16 { return 2 }})
	release := make(chan struct{})
	var attempts atomic.Int64
	e.markers.hold = func(TopicPartition) error {
		attempts.Add(1)
		select {
		case <-release:
			return nil
		default:
			return errUnavailable
		}
	}
	r := e.init("tx")
	wantErr(t, "add", e.c.AddPartitionsV2("tx", r.ProducerID, r.Epoch, []TopicPartition{tp("a", 0)}), nil)
	endV2(t, e.c, "commit", r.ProducerID, r.Epoch, true, InitResult{r.ProducerID, r.Epoch + 1}, nil)
	for i := 0; attempts.Load() == 0; i++ {
		if i > 5000 {
			t.Fatal("marker not attempted")
		}
		time.Sleep(time.Millisecond)
	}
	wantErr(t, "add at the new epoch while completing", e.c.AddPartitionsV2("tx", r.ProducerID, r.Epoch+1, []TopicPartition{tp("a", 0)}), kerr.ConcurrentTransactions)
	close(release)
	e.waitState("tx", CompleteCommit)
	wantErr(t, "add at the new epoch", e.c.AddPartitionsV2("tx", r.ProducerID, r.Epoch+1, []TopicPartition{tp("a", 0)}), nil)
}
