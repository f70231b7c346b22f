package group

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func txnCommitReq(version int16, group string, pid int64, epoch int16, topic string, p int32, off int64) *kmsg.TxnOffsetCommitRequest {
	req := kmsg.NewPtrTxnOffsetCommitRequest()
	req.Version = version
	req.TransactionalID, req.Group, req.ProducerID, req.ProducerEpoch = "tx", group, pid, epoch
	tp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
	tp.Partition, tp.Offset, tp.LeaderEpoch = p, off, 7
	req.Topics = []kmsg.TxnOffsetCommitRequestTopic{{Topic: topic, Partitions: []kmsg.TxnOffsetCommitRequestTopicPartition{tp}}}
	return req
}

func (e *env) txnCommit(group string, pid int64, epoch int16, topic string, p int32, off int64) int16 {
	e.t.Helper()
	resp := e.c.TxnOffsetCommit(txnCommitReq(4, group, pid, epoch, topic, p, off))
	return resp.Topics[0].Partitions[0].ErrorCode
}

// fetchStable is an OffsetFetch v8 of one partition with RequireStable:
// its offset and error code.
func (e *env) fetchStable(group, topic string, p int32, stable bool) (int64, int16) {
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Version, req.RequireStable = 8, stable
	req.Groups = []kmsg.OffsetFetchRequestGroup{{Group: group, Topics: []kmsg.OffsetFetchRequestGroupTopic{{Topic: topic, Partitions: []int32{p}}}}}
	rp := e.c.OffsetFetch(req).Groups[0].Topics[0].Partitions[0]
	return rp.Offset, rp.ErrorCode
}

// marker appends a transaction marker (Kafka's control batch) to the
// group's partition, as the transaction coordinator does before it calls
// CompleteTxn.
func (e *env) marker(group string, pid int64, epoch int16, commit bool) {
	e.t.Helper()
	l := e.logs[PartitionFor(group, len(e.logs))]
	if _, err := l.AppendMarker(pid, epoch, commit, 5, time.Now().UnixMilli()); err != nil {
		e.t.Fatal(err)
	}
}

// TestTxnOffsetCommitPendingUntilCommit: a transactional offset is
// invisible to OffsetFetch (the committed one stays), UNSTABLE_OFFSET_COMMIT
// with RequireStable, and becomes the committed offset at CompleteTxn's
// commit; after a replay the same, from the log's control batch.
func TestTxnOffsetCommitPendingUntilCommit(t *testing.T) {
	e := newEnv(t, testOpts)
	if code := e.commit("g", "", -1, "t", 0, 5); code != 0 {
		t.Fatalf("plain commit: %d", code)
	}
	if code := e.txnCommit("g", 1000, 0, "t", 0, 42); code != 0 {
		t.Fatalf("TxnOffsetCommit: %d", code)
	}
	if off, code := e.fetchStable("g", "t", 0, false); off != 5 || code != 0 {
		t.Fatalf("fetch while pending: offset %d code %d, want 5, 0", off, code)
	}
	if off, code := e.fetchStable("g", "t", 0, true); off != -1 || code != kerr.UnstableOffsetCommit.Code {
		t.Fatalf("stable fetch while pending: offset %d code %d, want -1, UNSTABLE_OFFSET_COMMIT", off, code)
	}
	// Pending across a restart: the transactional batch replays as pending.
	e.reopen()
	if off, code := e.fetchStable("g", "t", 0, true); off != -1 || code != kerr.UnstableOffsetCommit.Code {
		t.Fatalf("stable fetch after replay: offset %d code %d", off, code)
	}
	e.marker("g", 1000, 0, true)
	e.c.CompleteTxn(PartitionFor("g", 3), 1000, true)
	if off, code := e.fetchStable("g", "t", 0, true); off != 42 || code != 0 {
		t.Fatalf("after commit: offset %d code %d, want 42, 0", off, code)
	}
	e.reopen()
	if off, code := e.fetchStable("g", "t", 0, true); off != 42 || code != 0 {
		t.Fatalf("after commit and replay: offset %d code %d, want 42, 0", off, code)
	}
}

// TestTxnOffsetCommitAbort: an aborted transaction's offsets are dropped,
// in memory and on replay; a group that held only them is forgotten.
func TestTxnOffsetCommitAbort(t *testing.T) {
	e := newEnv(t, testOpts)
	if code := e.commit("g", "", -1, "t", 0, 5); code != 0 {
		t.Fatalf("plain commit: %d", code)
	}
	if code := e.txnCommit("g", 1000, 0, "t", 0, 42); code != 0 {
		t.Fatalf("TxnOffsetCommit: %d", code)
	}
	if code := e.txnCommit("only", 1000, 0, "t", 1, 9); code != 0 {
		t.Fatalf("TxnOffsetCommit: %d", code)
	}
	e.marker("g", 1000, 0, false)
	e.c.CompleteTxn(PartitionFor("g", 3), 1000, false)
	if PartitionFor("only", 3) != PartitionFor("g", 3) {
		e.marker("only", 1000, 0, false)
		e.c.CompleteTxn(PartitionFor("only", 3), 1000, false)
	}
	check := func(when string) {
		if off, code := e.fetchStable("g", "t", 0, true); off != 5 || code != 0 {
			t.Fatalf("%s: offset %d code %d, want 5, 0", when, off, code)
		}
		lg := e.c.ListGroups(kmsg.NewPtrListGroupsRequest())
		if len(lg.Groups) != 1 || lg.Groups[0].Group != "g" {
			t.Fatalf("%s: groups %+v, want only g", when, lg.Groups)
		}
	}
	check("after abort")
	e.reopen()
	check("after abort and replay")
}

// TestTxnOffsetCommitLaterPlainCommitWins: a plain commit appended after
// the transactional one is kept when the transaction commits (Kafka
// compares the records' offsets).
func TestTxnOffsetCommitLaterPlainCommitWins(t *testing.T) {
	e := newEnv(t, testOpts)
	if code := e.txnCommit("g", 1000, 0, "t", 0, 42); code != 0 {
		t.Fatalf("TxnOffsetCommit: %d", code)
	}
	if code := e.commit("g", "", -1, "t", 0, 50); code != 0 {
		t.Fatalf("plain commit: %d", code)
	}
	e.marker("g", 1000, 0, true)
	e.c.CompleteTxn(PartitionFor("g", 3), 1000, true)
	if off := e.fetched("g", "t", 0); off != 50 {
		t.Fatalf("offset %d, want 50", off)
	}
	e.reopen()
	if off := e.fetched("g", "t", 0); off != 50 {
		t.Fatalf("after replay: offset %d, want 50", off)
	}
}

// TestTxnOffsetCommitValidation: Kafka's codes for a bad group, member,
// generation, instance, epoch, partition and metadata.
func TestTxnOffsetCommitValidation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Options{MinSessionTimeout: time.Second, MaxSessionTimeout: time.Minute})
		m := e.stableMember("g", 30000)
		e.opts.PartitionExists = nil
		send := func(req *kmsg.TxnOffsetCommitRequest) int16 {
			return e.c.TxnOffsetCommit(req).Topics[0].Partitions[0].ErrorCode
		}
		v3 := func(group, member string, gen int32, inst *string) *kmsg.TxnOffsetCommitRequest {
			r := txnCommitReq(3, group, 1000, 0, "t", 0, 1)
			r.MemberID, r.Generation, r.InstanceID = member, gen, inst
			return r
		}
		for _, c := range []struct {
			name string
			req  *kmsg.TxnOffsetCommitRequest
			want int16
		}{
			{"empty group ID", txnCommitReq(3, "", 1000, 0, "t", 0, 1), kerr.InvalidGroupID.Code},
			{"unknown group with a generation", v3("nope", "m", 1, nil), kerr.IllegalGeneration.Code},
			{"unknown member", v3("g", "stranger", 1, nil), kerr.UnknownMemberID.Code},
			{"old generation", v3("g", m, 0, nil), kerr.IllegalGeneration.Code},
			{"unknown instance", v3("g", m, 1, kmsg.StringPtr("i")), kerr.UnknownMemberID.Code},
			{"v0 without member, group with members", txnCommitReq(0, "g", 1000, 0, "t", 0, 1), 0},
			{"v3 member and generation", v3("g", m, 1, nil), 0},
			{"v3 without member, group with members", v3("g", "", -1, nil), 0},
		} {
			if got := send(c.req); got != c.want {
				t.Errorf("%s: error %d, want %d", c.name, got, c.want)
			}
		}
		big := txnCommitReq(3, "g", 1000, 0, "t", 0, 1)
		big.Topics[0].Partitions[0].Metadata = kmsg.StringPtr(string(make([]byte, 4097)))
		if got := send(big); got != kerr.OffsetMetadataTooLarge.Code {
			t.Errorf("metadata too large: %d", got)
		}
		// A newer epoch in the partition fences the older one.
		if got := send(txnCommitReq(3, "g", 2000, 3, "t", 0, 1)); got != 0 {
			t.Fatalf("epoch 3: %d", got)
		}
		if got := send(txnCommitReq(3, "g", 2000, 2, "t", 0, 1)); got != kerr.InvalidProducerEpoch.Code {
			t.Errorf("epoch 2 after 3: %d, want INVALID_PRODUCER_EPOCH", got)
		}
	})
}

// TestTxnOffsetCommitExpiryKeepsPending: expiry skips a partition with a
// pending transactional offset and keeps the group; once the transaction
// commits, the offset is there.
func TestTxnOffsetCommitExpiryKeepsPending(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Options{OffsetsRetention: time.Minute, RetentionCheckInterval: 10 * time.Second})
		if code := e.commit("g", "", -1, "t", 0, 5); code != 0 {
			t.Fatalf("commit: %d", code)
		}
		if code := e.txnCommit("g", 1000, 0, "t", 0, 42); code != 0 {
			t.Fatalf("TxnOffsetCommit: %d", code)
		}
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		if off := e.fetched("g", "t", 0); off != 5 {
			t.Fatalf("offset after the retention: %d, want 5 (kept: a transaction is open)", off)
		}
		e.marker("g", 1000, 0, true)
		e.c.CompleteTxn(PartitionFor("g", 3), 1000, true)
		if off := e.fetched("g", "t", 0); off != 42 {
			t.Fatalf("offset after commit: %d, want 42", off)
		}
	})
}

// TestTxnOffsetCommitSuccessiveTxns: one producer's transactions follow
// each other in the partition (the writer numbers their batches after the
// producer's last one, and restarts at a new epoch); each commit's offset
// becomes the committed one, also after a replay.
func TestTxnOffsetCommitSuccessiveTxns(t *testing.T) {
	e := newEnv(t, testOpts)
	for i, epoch := range []int16{0, 0, 0, 1, 1} {
		off := int64(10 * (i + 1))
		if code := e.txnCommit("g", 1000, epoch, "t", 0, off); code != 0 {
			t.Fatalf("transaction %d: TxnOffsetCommit: %d", i, code)
		}
		if code := e.txnCommit("g", 1000, epoch, "t", 1, off+1); code != 0 {
			t.Fatalf("transaction %d: second TxnOffsetCommit: %d", i, code)
		}
		e.marker("g", 1000, epoch, true)
		e.c.CompleteTxn(PartitionFor("g", 3), 1000, true)
		if got := e.fetched("g", "t", 0); got != off {
			t.Fatalf("transaction %d: offset %d, want %d", i, got, off)
		}
	}
	e.reopen()
	if got0, got1 := e.fetched("g", "t", 0), e.fetched("g", "t", 1); got0 != 50 || got1 != 51 {
		t.Fatalf("after replay: %d %d, want 50 51", got0, got1)
	}
}

// TestCompleteTxnWaitsForAppend: a CompleteTxn that arrives while a
// commit of the transaction is being appended applies once the append
// returned, so the offset is not left pending for ever.
func TestCompleteTxnWaitsForAppend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		opts := testOpts
		h := newHolder("g", &opts)
		e := newEnv(t, opts)
		h.armed.Store(true)
		codes := make(chan int16, 1)
		go func() { codes <- e.txnCommit("g", 1000, 0, "t", 0, 42) }()
		synctest.Wait() // the append is held
		completed := make(chan struct{})
		go func() {
			e.c.CompleteTxn(PartitionFor("g", 3), 1000, true)
			close(completed)
		}()
		synctest.Wait()
		select {
		case <-completed:
			t.Fatal("CompleteTxn returned while the transaction's append was held")
		default:
		}
		h.free()
		if code := <-codes; code != 0 {
			t.Fatalf("TxnOffsetCommit: %d", code)
		}
		<-completed
		if off, code := e.fetchStable("g", "t", 0, true); off != 42 || code != 0 {
			t.Fatalf("after CompleteTxn: offset %d, error %d; want 42, 0", off, code)
		}
	})
}
