package server

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// produceTxn runs one transaction of n records (values prefix-0..n-1)
// and commits or aborts it.
func produceTxn(t *testing.T, cl *kgo.Client, topic, prefix string, n int, commit bool) {
	t.Helper()
	ctx := testCtx(t)
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		cl.Produce(ctx, &kgo.Record{Topic: topic, Partition: int32(i % 3), Value: fmt.Appendf(nil, "%s-%d", prefix, i)}, nil)
	}
	if err := cl.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := cl.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
		t.Fatalf("EndTransaction(commit %v): %v", commit, err)
	}
}

// readCommitted reads topic from the start with read_committed until
// every partition's last stable offset, and returns the values.
func readValues(t *testing.T, s *Server, topic string, level kgo.IsolationLevel, want int) map[string]int {
	t.Helper()
	cl := newClient(t, s, kgo.ConsumeTopics(topic), kgo.FetchIsolationLevel(level), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := map[string]int{}
	n := 0
	for n < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d records", n, want)
		}
		fs.EachRecord(func(r *kgo.Record) { got[string(r.Value)]++; n++ })
	}
	return got
}

func TestTxnKgoCommitAbort(t *testing.T) { kgoCommitAbort(t, false) }

// TestTxnKgoCommitAbortTV2: with transaction.version 2 finalized, kgo
// (KIP-890 part 2) sends no AddPartitionsToTxn (Produce v12 adds the
// partitions) and EndTxn v5, which bumps the epoch: three transactions end
// at epoch 3, and each marker carries the epoch of its EndTxn's answer.
func TestTxnKgoCommitAbortTV2(t *testing.T) { kgoCommitAbort(t, true) }

// finalizeTV2 finalizes transaction.version 2 (UpdateFeatures).
func finalizeTV2(t *testing.T, s *Server) {
	t.Helper()
	if r := updateFeatures(t, dialRaw(t, s), 1, false, fupdate("transaction.version", 2, 1)); r.ErrorCode != 0 || r.Results[0].ErrorCode != 0 {
		t.Fatalf("finalize transaction.version 2: %+v", r)
	}
}

func kgoCommitAbort(t *testing.T, tv2 bool) {
	s := startServer(t)
	mustCreate(t, s, "out", 3)
	wantEpoch := int16(0)
	if tv2 {
		finalizeTV2(t, s)
		wantEpoch = 3
	}
	cl := newClient(t, s, kgo.TransactionalID("kgo-txn"), kgo.DefaultProduceTopic("out"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	produceTxn(t, cl, "out", "c1", 30, true)
	produceTxn(t, cl, "out", "a1", 20, false)
	produceTxn(t, cl, "out", "c2", 30, true)

	got := readValues(t, s, "out", kgo.ReadCommitted(), 60)
	for _, p := range []string{"c1", "c2"} {
		for i := range 30 {
			if v := fmt.Sprintf("%s-%d", p, i); got[v] != 1 {
				t.Fatalf("%s read %d times", v, got[v])
			}
		}
	}
	if len(got) != 60 {
		t.Fatalf("read_committed read %d distinct values, want 60 (aborted ones visible?)", len(got))
	}
	// read_uncommitted sees the aborted records too.
	if all := readValues(t, s, "out", kgo.ReadUncommitted(), 80); len(all) != 80 {
		t.Fatalf("read_uncommitted read %d values, want 80", len(all))
	}
	// Each partition ends with a marker: 80 records + 3 markers per
	// partition in all.
	var hw int64
	for p := range 3 {
		hw += mustTopic(t, s, "out").Partitions[p].HighWatermark()
	}
	if hw != 80+9 {
		t.Fatalf("high watermarks sum %d, want 89", hw)
	}
	adm := kadm.NewClient(newClient(t, s))
	d, err := adm.DescribeTransactions(testCtx(t), "kgo-txn")
	if err != nil {
		t.Fatal(err)
	}
	st := d["kgo-txn"]
	if st.State != "CompleteCommit" || st.ProducerEpoch != wantEpoch || len(st.Topics) != 0 {
		t.Fatalf("describe: %+v", st)
	}
	// Partition 0's markers: the epochs of the three EndTxn (TV2: the
	// bumped ones).
	rc := dialRaw(t, s)
	var markers []string
	for _, b := range logBatches(t, rc, "out", 0) {
		if strings.HasSuffix(b, "commit") || strings.HasSuffix(b, "abort") {
			markers = append(markers, b[strings.Index(b, ":")+1:])
		}
	}
	want := []string{fmt.Sprintf("%d/0 commit", st.ProducerID), fmt.Sprintf("%d/0 abort", st.ProducerID), fmt.Sprintf("%d/0 commit", st.ProducerID)}
	if tv2 {
		want = []string{fmt.Sprintf("%d/1 commit", st.ProducerID), fmt.Sprintf("%d/2 abort", st.ProducerID), fmt.Sprintf("%d/3 commit", st.ProducerID)}
	}
	if !reflect.DeepEqual(markers, want) {
		t.Fatalf("markers of out-0: %q, want %q", markers, want)
	}
}

// A second producer with the same transactional ID fences the first.
func TestTxnKgoFencing(t *testing.T) {
	s := startServer(t)
	mustCreate(t, s, "out", 3)
	opts := []kgo.Opt{kgo.TransactionalID("fence"), kgo.DefaultProduceTopic("out"), kgo.RecordPartitioner(kgo.ManualPartitioner())}
	a := newClient(t, s, opts...)
	ctx := testCtx(t)
	if err := a.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := a.ProduceSync(ctx, &kgo.Record{Value: []byte("a"), Partition: 0}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	b := newClient(t, s, opts...)
	produceTxn(t, b, "out", "b", 3, true) // InitProducerId aborts a's transaction
	err := a.EndTransaction(ctx, kgo.TryCommit)
	if !errors.Is(err, kerr.ProducerFenced) {
		t.Fatalf("fenced producer's commit: %v, want PRODUCER_FENCED", err)
	}
	got := readValues(t, s, "out", kgo.ReadCommitted(), 3)
	if len(got) != 3 || got["a"] != 0 {
		t.Fatalf("read_committed: %v", got)
	}
}
