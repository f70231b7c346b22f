package reliability

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestTxnKill9: the broker process killed with SIGKILL with a
// transaction open (after AddPartitionsToTxn and its data, before EndTxn),
// then while transactions commit back to back (between a PrepareCommit
// and its markers, between the markers of two partitions, whichever the
// kill hits): after the restart every partition's last stable offset
// reaches its high watermark again, no aborted or unfinished record is
// visible to read_committed, every acknowledged commit is, and every
// transaction is all or nothing.
func TestTxnKill9(t *testing.T) {
	const parts = 8
	b := newBroker(t, t.TempDir(), "transaction.abort.timed.out.transaction.cleanup.interval.ms", "100")
	b.start()
	b.createTopic("tx", parts)
	txnClient := func(id string) *kgo.Client {
		return b.client(kgo.TransactionalID(id), kgo.TransactionTimeout(2*time.Second),
			kgo.DefaultProduceTopic("tx"), kgo.RecordPartitioner(kgo.ManualPartitioner()),
			kgo.RetryTimeout(5*time.Second),
			// A record in flight when the broker dies fails after this,
			// rather than retrying for ever (kgo's default).
			kgo.RecordDeliveryTimeout(10*time.Second))
	}
	produce := func(cl *kgo.Client, prefix string) error {
		ctx := ctxFor(t, 30*time.Second)
		if err := cl.BeginTransaction(); err != nil {
			return err
		}
		var rs []*kgo.Record
		for p := range parts {
			rs = append(rs, &kgo.Record{Partition: int32(p), Value: fmt.Appendf(nil, "%s/%d", prefix, p)})
		}
		return cl.ProduceSync(ctx, rs...).FirstErr()
	}

	// 1. An open transaction with data in every partition.
	open := txnClient("open")
	if err := produce(open, "open"); err != nil {
		t.Fatal(err)
	}
	b.kill()
	open.Close()
	b.start()
	waitStable(t, b, "tx", parts)
	if got := readCommitted(t, b, "tx"); len(got) != 0 {
		t.Fatalf("read_committed after the restart: %v", got)
	}

	// 2. Transactions committing back to back, killed mid-way.
	loop := txnClient("loop")
	var (
		mu    sync.Mutex
		acked []int
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for k := 0; ; k++ {
			if err := produce(loop, fmt.Sprintf("t%d", k)); err != nil {
				return
			}
			if err := loop.EndTransaction(ctxFor(t, 30*time.Second), kgo.TryCommit); err != nil {
				return
			}
			mu.Lock()
			acked = append(acked, k)
			mu.Unlock()
		}
	}()
	if !waitFor(30*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(acked) >= 20 }) {
		t.Fatal("fewer than 20 commits in 30 s")
	}
	b.kill()
	// Closing the client fails what it still holds (a transactional kgo
	// client retries a dead broker's records for as long as its context
	// allows), so the committing goroutine ends.
	loop.Close()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the committing client did not end 60 s after it was closed")
	}
	b.start()
	waitStable(t, b, "tx", parts)
	got := readCommitted(t, b, "tx")
	perTxn := map[string]int{}
	for _, v := range got {
		prefix, _, _ := strings.Cut(v, "/")
		if !strings.HasPrefix(prefix, "t") {
			t.Fatalf("read_committed read %q", v)
		}
		perTxn[prefix]++
	}
	for prefix, n := range perTxn {
		if n != parts {
			t.Errorf("transaction %s: %d of %d records visible", prefix, n, parts)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, k := range acked {
		if perTxn[fmt.Sprintf("t%d", k)] != parts {
			t.Errorf("acknowledged commit t%d not visible", k)
		}
	}
	t.Logf("%d commits acknowledged before the kill, %d visible after", len(acked), len(perTxn))

	// 3. The transactional ID works again.
	again := txnClient("loop")
	if err := produce(again, "again"); err != nil {
		t.Fatal(err)
	}
	if err := again.EndTransaction(ctxFor(t, 30*time.Second), kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
}

// waitStable waits until every partition's last stable offset equals its
// high watermark (no transaction left open).
func waitStable(t *testing.T, b *broker, topic string, parts int) {
	t.Helper()
	adm := kadm.NewClient(b.client())
	var last string
	if !waitFor(60*time.Second, func() bool {
		ctx := ctxFor(t, 10*time.Second)
		ends, err1 := adm.ListEndOffsets(ctx, topic)
		stable, err2 := adm.ListCommittedOffsets(ctx, topic)
		if err1 != nil || err2 != nil {
			last = fmt.Sprint(err1, err2)
			return false
		}
		n := 0
		ends.Each(func(o kadm.ListedOffset) {
			if s, ok := stable.Lookup(topic, o.Partition); ok && s.Err == nil && s.Offset == o.Offset && o.Err == nil {
				n++
			}
		})
		last = fmt.Sprintf("%d of %d partitions stable", n, parts)
		return n == parts
	}) {
		t.Fatalf("last stable offsets did not reach the high watermarks in 60 s: %s", last)
	}
}

// readCommitted reads every partition of topic from the start with
// read_committed until three polls of a second in a row return nothing
// (the caller made sure nothing is unstable), and returns the values.
func readCommitted(t *testing.T, b *broker, topic string) []string {
	t.Helper()
	cl := b.client(kgo.ConsumeTopics(topic), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	defer cl.Close()
	var out []string
	empty := 0
	for range 600 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fs := cl.PollFetches(ctx)
		cancel()
		n := 0
		fs.EachRecord(func(r *kgo.Record) { out = append(out, string(r.Value)); n++ })
		if empty = empty + 1; n > 0 {
			empty = 0
		}
		if empty == 3 {
			return out
		}
	}
	t.Fatal("read_committed kept returning records")
	return nil
}
