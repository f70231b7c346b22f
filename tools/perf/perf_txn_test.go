package perf

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/tools/cli"
	"github.com/stratabroker/strata/tools/tooltest"
)

// endOffset is the high watermark of topic's partition 0: records plus
// the transaction markers written there.
func endOffset(t *testing.T, addr, topic string) int64 {
	t.Helper()
	ends, err := kadm.NewClient(tooltest.Client(t, addr)).ListEndOffsets(tooltest.Ctx(t), topic)
	if err != nil {
		t.Fatal(err)
	}
	o, _ := ends.Lookup(topic, 0)
	return o.Offset
}

// committedCount reads topic with read_committed until its last record
// (the one before the final marker) and counts the records.
func committedCount(t *testing.T, addr, topic string) int {
	t.Helper()
	cl := tooltest.Client(t, addr, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	end := endOffset(t, addr, topic)
	n := 0
	for ctx := tooltest.Ctx(t); ctx.Err() == nil; {
		fs := cl.PollFetches(ctx)
		last := int64(-1)
		fs.EachRecord(func(r *kgo.Record) { n++; last = r.Offset })
		if last >= 0 && last+2 >= end { // the last record, then its marker
			break
		}
	}
	return n
}

// TestProducerPerfTransactions: --transactional-id and
// --transaction-duration-ms send the records in transactions as Kafka's
// ProducerPerformance does: a long duration gives one transaction committed
// at the end (one marker after the records), a short one several; every
// record is read back by read_committed. Without the flags no marker is
// written; a duration of 0 is refused.
func TestProducerPerfTransactions(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		ok, err := cli.Advertises(tooltest.Ctx(t), tooltest.Client(t, tg.Addr), kmsg.EndTxn)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			t.Skip(tg.Name + " does not serve transactions")
		}
		b := []string{"--bootstrap-server", tg.Addr}
		perf := func(topic string, e *cli.Env, extra ...string) {
			t.Helper()
			if r := tool(t, "", append([]string{"topics", "--create", "--topic", topic, "--partitions", "1"}, b...)...); r.Code != 0 {
				t.Fatalf("create: %q", r.Stderr)
			}
			args := append([]string{"producer-perf-test", "--topic", topic, "--num-records", "40", "--record-size", "10", "--throughput", "400"}, b...)
			if r := tooltest.Run(t, dispatch, e, append(args, extra...)...); r.Code != cli.ExitOK {
				t.Fatalf("producer-perf-test %v: exit %d: %s", extra, r.Code, r.Stderr)
			}
		}
		perf("plain", &cli.Env{})
		if got := endOffset(t, tg.Addr, "plain"); got != 40 {
			t.Errorf("without transactions: end offset %d, want 40", got)
		}
		perf("one", &cli.Env{}, "--transactional-id", "perf-one", "--transaction-duration-ms", "3600000")
		if got := endOffset(t, tg.Addr, "one"); got != 41 {
			t.Errorf("one transaction: end offset %d, want 41 (40 records and a commit marker)", got)
		}
		if got := committedCount(t, tg.Addr, "one"); got != 40 {
			t.Errorf("one transaction: read_committed read %d records, want 40", got)
		}
		// A clock that advances 1 ms each time it is read: every record is
		// sent at least 1 ms after its transaction began, so each is
		// committed in a transaction of its own.
		var ms atomic.Int64
		clock := func() time.Time { return time.UnixMilli(1_700_000_000_000 + ms.Add(1)) }
		perf("many", &cli.Env{Now: clock}, "--transaction-duration-ms", "1", "--producer-props", "transactional.id=perf-many")
		if got := endOffset(t, tg.Addr, "many"); got != 80 {
			t.Errorf("1 ms transactions: end offset %d, want 80 (40 records, each followed by its commit marker)", got)
		}
		if got := committedCount(t, tg.Addr, "many"); got != 40 {
			t.Errorf("1 ms transactions: read_committed read %d records, want 40", got)
		}
		r := tool(t, "", append([]string{"producer-perf-test", "--topic", "x", "--num-records", "1", "--record-size", "1", "--throughput", "-1", "--transaction-duration-ms", "0"}, b...)...)
		if r.Code != cli.ExitUsage || r.Stderr != "strata producer-perf-test: --transaction-duration-ms should be greater than zero (run strata producer-perf-test --help)\n" {
			t.Errorf("duration 0: exit %d, %q", r.Code, r.Stderr)
		}
	})
}
