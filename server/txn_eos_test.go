package server

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The exactly-once copy: two instances of a consume-transform-produce
// loop (kgo.GroupTransactSession) copy "in" to "out"; one is killed with
// SIGKILL mid-way; the output read with read_committed holds every input
// record exactly once. The instances are this test binary run again
// (TestTxnCopyInstance), so the kill is a real kill -9 of a process.

const (
	eosBrokerEnv = "STRATA_TXN_COPY_BROKER"
	eosIDEnv     = "STRATA_TXN_COPY_ID"
)

// TestTxnCopyInstance is one copying instance when run by
// TestTxnExactlyOnceCopy; otherwise it does nothing.
func TestTxnCopyInstance(t *testing.T) {
	broker, id := os.Getenv(eosBrokerEnv), os.Getenv(eosIDEnv)
	if broker == "" {
		t.Skip("run by TestTxnExactlyOnceCopy")
	}
	sess, err := kgo.NewGroupTransactSession(
		kgo.SeedBrokers(broker),
		kgo.TransactionalID("copy-"+id),
		kgo.TransactionTimeout(6*time.Second),
		kgo.ConsumerGroup("copy"),
		kgo.ConsumeTopics("in"),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.RequireStableFetchOffsets(),
		kgo.SessionTimeout(6*time.Second),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	ctx := context.Background()
	for {
		fs := sess.PollFetches(ctx)
		if err := sess.Begin(); err != nil {
			t.Fatal(err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			sess.Produce(ctx, &kgo.Record{Topic: "out", Partition: r.Partition, Value: r.Value}, nil)
		})
		if _, err := sess.End(ctx, kgo.TryCommit); err != nil {
			t.Logf("end: %v", err)
		}
	}
}

func TestTxnExactlyOnceCopy(t *testing.T) { exactlyOnceCopy(t, false) }

// TestTxnExactlyOnceCopyTV2 is TestTxnExactlyOnceCopy with
// transaction.version 2 finalized: kgo's KIP-890 part 2 path (Produce v12
// and TxnOffsetCommit v5 add their partitions, EndTxn v5 bumps the epoch).
func TestTxnExactlyOnceCopyTV2(t *testing.T) { exactlyOnceCopy(t, true) }

func exactlyOnceCopy(t *testing.T, tv2 bool) {
	if testing.Short() {
		t.Skip("copies 100k records")
	}
	const total = 100_000
	s := startServer(t, "group.initial.rebalance.delay.ms", "0",
		"transaction.abort.timed.out.transaction.cleanup.interval.ms", "200")
	if tv2 {
		finalizeTV2(t, s)
	}
	mustCreate(t, s, "in", 3)
	mustCreate(t, s, "out", 3)
	in := newClient(t, s, kgo.DefaultProduceTopic("in"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	ctx := testCtx(t)
	for i := 0; i < total; i++ {
		in.Produce(ctx, &kgo.Record{Partition: int32(i % 3), Value: []byte(fmt.Sprintf("r-%06d", i))}, nil)
	}
	if err := in.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	start := func(id int) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestTxnCopyInstance$", "-test.v")
		cmd.Env = append(os.Environ(), eosBrokerEnv+"="+s.Addr().String(), eosIDEnv+"="+strconv.Itoa(id))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	victim := start(1)
	start(2)

	out := func() int64 {
		var n int64
		for p := range 3 {
			n += mustTopic(t, s, "out").Partitions[p].LastStableOffset()
		}
		return n
	}
	for i := 0; out() < total/3; i++ {
		if i > 60_000 {
			t.Fatalf("only %d offsets in out after 60 s", out())
		}
		time.Sleep(time.Millisecond)
	}
	t.Logf("killing instance 1 with %d of %d records copied", out(), total)
	if err := victim.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	victim.Wait()

	cl := newClient(t, s, kgo.ConsumeTopics("out"), kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	seen := make(map[string]int, total)
	deadline, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	for len(seen) < total {
		fs := cl.PollFetches(deadline)
		if deadline.Err() != nil {
			t.Fatalf("read_committed saw %d of %d records", len(seen), total)
		}
		fs.EachRecord(func(r *kgo.Record) { seen[string(r.Value)]++ })
	}
	for i := 0; i < total; i++ {
		if v := fmt.Sprintf("r-%06d", i); seen[v] != 1 {
			t.Fatalf("%s read %d times", v, seen[v])
		}
	}
	// Nothing more appears: the survivor has nothing left to copy, and
	// no duplicate commits later.
	extra, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel2()
	cl.PollFetches(extra).EachRecord(func(r *kgo.Record) { seen[string(r.Value)]++ })
	if len(seen) != total {
		t.Fatalf("%d distinct values, want %d", len(seen), total)
	}
	for v, n := range seen {
		if n != 1 {
			t.Fatalf("%s read %d times", v, n)
		}
	}
	// The survivor never restarted: under transaction version 0/1 its
	// epoch stays 0; under 2 each EndTxn bumped it (it committed at least
	// once, after the kill).
	d, err := kadm.NewClient(newClient(t, s)).DescribeTransactions(testCtx(t), "copy-2")
	if err != nil {
		t.Fatal(err)
	}
	if e := d["copy-2"].ProducerEpoch; (tv2 && e < 1) || (!tv2 && e != 0) {
		t.Fatalf("copy-2 at epoch %d (transaction version 2: %v)", e, tv2)
	}
}
