package metrics

import (
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestTxnMetrics: transactions by state, and the LSO lag of a partition
// while a transaction is open there (3 records: lag 3), back to 0 once it
// commits (the marker moves both offsets).
func TestTxnMetrics(t *testing.T) {
	b := startBroker(t, false)
	adm := kadm.NewClient(b.client(t))
	if _, err := adm.CreateTopic(ctx(t), 2, 1, nil, "tx"); err != nil {
		t.Fatal(err)
	}
	cl := b.client(t, kgo.TransactionalID("m-1"), kgo.DefaultProduceTopic("tx"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"a", "b", "c"} {
		if err := cl.ProduceSync(ctx(t), &kgo.Record{Partition: 1, Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	check(t, b.scrape(t), map[string]float64{
		`strata_transactions{state="Ongoing"}`:                              1,
		`strata_transactions{state="CompleteCommit"}`:                       0,
		`strata_transactions{state="Empty"}`:                                0,
		`strata_partition_last_stable_offset_lag{partition="0",topic="tx"}`: 0,
		`strata_partition_last_stable_offset_lag{partition="1",topic="tx"}`: 3,
	})
	if err := cl.EndTransaction(ctx(t), kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	// EndTxn answers after PrepareCommit; the marker follows.
	b.waitFor(t, "the commit marker", func(s samples) bool {
		return s[`strata_transactions{state="CompleteCommit"}`] == 1
	})
	s := b.scrape(t)
	check(t, s, map[string]float64{
		`strata_transactions{state="Ongoing"}`:                              0,
		`strata_partition_last_stable_offset_lag{partition="1",topic="tx"}`: 0,
	})
	markers, aborts, ok := b.srv.TxnCounters()
	_, present := s[`strata_transaction_markers_written_total`]
	switch {
	case ok && (!present || s[`strata_transaction_markers_written_total`] != float64(markers) || s[`strata_transaction_timeout_aborts_total`] != float64(aborts) || markers != 1):
		t.Errorf("counters: scrape %v / %v, coordinator %d / %d, want 1 marker", s[`strata_transaction_markers_written_total`], s[`strata_transaction_timeout_aborts_total`], markers, aborts)
	case !ok && present:
		t.Errorf("counters scraped while the coordinator does not export them")
	}
	_, body := get(t, b.url+"/metrics?name[]=strata_transactions")
	if !strings.Contains(body, "# TYPE strata_transactions gauge\n") || strings.Contains(body, "strata_partition_last_stable_offset_lag") {
		t.Errorf("name[] filter:\n%s", body)
	}
}
