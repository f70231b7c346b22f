package metrics

import (
	"github.com/stratabroker/strata/server"
	"github.com/stratabroker/strata/topic"
	"github.com/stratabroker/strata/txn"
)

// The transaction coordinator's figures and the partitions' last stable
// offsets, written with the other per-partition families (state.go).
//
//   - strata_transactions{state}: transactional IDs by state, Kafka's
//     names (TxnSource.TxnStates: the coordinator's List, one copy of its
//     transactions on its run loop per scrape).
//   - strata_transaction_markers_written_total and
//     strata_transaction_timeout_aborts_total: counters of the coordinator
//     (TxnSource.TxnCounters), written once it exports them.
//   - strata_partition_last_stable_offset_lag{partition,topic}: the high
//     watermark less the last stable offset, the offsets read_committed
//     consumers cannot read yet (Kafka's Partition LastStableOffsetLag);
//     an atomic load per partition.

var (
	famTxns          = family{"strata_transactions", "Transactional IDs the transaction coordinator knows, by state (Kafka's names).", "gauge"}
	famMarkers       = family{"strata_transaction_markers_written_total", "Transaction markers (commit and abort control batches) the transaction coordinator wrote.", "counter"}
	famTimeoutAborts = family{"strata_transaction_timeout_aborts_total", "Transactions the coordinator aborted because they stayed open longer than their transaction.timeout.ms.", "counter"}
	famLSOLag        = family{"strata_partition_last_stable_offset_lag", "High watermark less the last stable offset: offsets read_committed consumers cannot read yet (Kafka's LastStableOffsetLag).", "gauge"}
)

// TxnSource is what the metrics read of the transaction coordinator;
// server.Server implements it. TxnStates counts the transactional IDs by
// state name (ok false while no coordinator runs); TxnCounters gives the
// markers written and the transactions aborted for their timeout since
// start (ok false when the coordinator does not export them: txn must
// offer MarkersWritten() int64 and TimeoutAborts() int64).
type TxnSource interface {
	TxnStates() (map[string]int64, bool)
	TxnCounters() (markersWritten, timeoutAborts int64, ok bool)
}

var _ TxnSource = (*server.Server)(nil)

// txnStateNames are the coordinator's states in txn's order.
func txnStateNames() []string {
	var out []string
	for s := txn.State(0); ; s++ {
		n := s.String()
		if back, ok := txn.ParseState(n); !ok || back != s {
			return out
		}
		out = append(out, n)
	}
}

func writeTxnState(w *textWriter, src TxnSource, topics []*topic.Topic) {
	if w.start(famTxns) {
		states, _ := src.TxnStates()
		for _, n := range txnStateNames() {
			w.sample1(famTxns.name, "state", n, states[n])
		}
	}
	if markers, aborts, ok := src.TxnCounters(); ok {
		if w.start(famMarkers) {
			w.sample(famMarkers.name, "", markers)
		}
		if w.start(famTimeoutAborts) {
			w.sample(famTimeoutAborts.name, "", aborts)
		}
	}
	if w.start(famLSOLag) {
		for _, t := range topics {
			for p, l := range t.Partitions {
				w.partitionSample(famLSOLag.name, p, t.Name, l.HighWatermark()-l.LastStableOffset())
			}
		}
	}
}
