package compact

import (
	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/recordbatch"
)

// TxnMetadata is the hook for transactions (Kafka's
// CleanedTransactionMetadata). The cleaner feeds it every batch of the
// range it cleans, in offset order: OnBatch for a data batch, OnControlBatch
// for a transaction marker. A data batch for which OnBatch returns true
// belongs to an aborted transaction: its records are not mapped and are
// removed (the batch stays as an empty header when it is its producer's
// last). A marker for which OnControlBatch returns true may go once its
// delete horizon has passed: the first pass that keeps it sets the horizon
// (now + delete.retention.ms) and a pass after the horizon drops it (as
// Kafka delays markers with the tombstone rule).
//
// Until transactions exist (the transactions issue plugs in here, with the
// aborted-transaction index of each segment: Kafka's
// UnifiedLog.collectAbortedTransactions(start, end)), NoTransactions keeps
// every transactional batch and every marker, and treats transactional
// records like any other.
type TxnMetadata interface {
	OnBatch(h recordbatch.Header) (aborted bool)
	OnControlBatch(h recordbatch.Header) (discardable bool)
}

// TxnSource builds the TxnMetadata of the offsets [from, to) of l for one
// pass over them (building the offset map, then each group of segments).
type TxnSource func(l *partition.Log, from, to int64) TxnMetadata

// NoTransactions is the TxnSource until transactions are implemented.
func NoTransactions(*partition.Log, int64, int64) TxnMetadata { return noTxn{} }

type noTxn struct{}

func (noTxn) OnBatch(recordbatch.Header) bool        { return false }
func (noTxn) OnControlBatch(recordbatch.Header) bool { return false }
