package compact

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/stratabroker/strata/index"
	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/segment"
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
// NoTransactions keeps every transactional batch and every marker;
// Transactions (the default) is Kafka's.
type TxnMetadata interface {
	OnBatch(h recordbatch.Header) (aborted bool)
	OnControlBatch(h recordbatch.Header) (discardable bool)
}

// TxnSource builds the TxnMetadata of the offsets [from, to) of l for one
// pass over them (building the offset map, then each group of segments).
type TxnSource func(l *partition.Log, from, to int64) TxnMetadata

// NoTransactions treats transactional records like any other and keeps
// every marker.
func NoTransactions(*partition.Log, int64, int64) TxnMetadata { return noTxn{} }

type noTxn struct{}

func (noTxn) OnBatch(recordbatch.Header) bool        { return false }
func (noTxn) OnControlBatch(recordbatch.Header) bool { return false }

// Transactions is Kafka's cleaner transaction handling
// (CleanedTransactionMetadata, with the aborted transactions of [from, to)
// that UnifiedLog.collectAbortedTransactions gives from the segments'
// .txnindex):
//
//   - a transactional batch of a producer whose aborted transaction has
//     begun (by first offset) and whose marker is not yet read is aborted:
//     removed, records and all (its header stays if it is its producer's
//     last batch);
//   - an abort marker is kept while its transaction still had batches in
//     this pass (and the transaction is indexed again in the cleaned
//     segment's .txnindex); once none are left it is discardable;
//   - a commit marker is discardable once no batch of its transaction was
//     read in this pass (its records were all cleaned away before);
//   - a discardable marker goes after its delete horizon (delete.retention.ms
//     after the first pass that found it discardable), as Kafka does; an
//     empty control batch is discardable.
//
// The cleaned segment's transaction index is written through CleanInto,
// which the cleaner calls for each group with the group's new segment.
func Transactions(l *partition.Log, from, to int64) TxnMetadata {
	aborted := l.AbortedTransactions(from, to)
	slices.SortStableFunc(aborted, func(a, b index.AbortedTxn) int { return cmp.Compare(a.FirstOffset, b.FirstOffset) })
	return &cleanedTxns{
		aborted:          aborted,
		ongoingAborted:   make(map[int64]*abortedMeta),
		ongoingCommitted: make(map[int64]struct{}),
	}
}

type abortedMeta struct {
	txn      index.AbortedTxn
	observed bool // a batch of it was read in this pass
}

type cleanedTxns struct {
	aborted          []index.AbortedTxn // by first offset; consumed from the front
	ongoingAborted   map[int64]*abortedMeta
	ongoingCommitted map[int64]struct{}
	cleaned          *segment.Segment // the group's new segment, whose .txnindex gets the kept aborts
	err              error
}

// CleanInto names the cleaned segment of the group about to be written.
func (c *cleanedTxns) CleanInto(s *segment.Segment) { c.cleaned = s }

// Err is the first failure to write a cleaned segment's .txnindex: the
// group must not be swapped in.
func (c *cleanedTxns) Err() error { return c.err }

func (c *cleanedTxns) consumeUpTo(offset int64) {
	for len(c.aborted) > 0 && c.aborted[0].FirstOffset <= offset {
		a := c.aborted[0]
		c.aborted = c.aborted[1:]
		if _, ok := c.ongoingAborted[a.ProducerID]; !ok {
			c.ongoingAborted[a.ProducerID] = &abortedMeta{txn: a}
		}
	}
}

func (c *cleanedTxns) OnBatch(h recordbatch.Header) bool {
	c.consumeUpTo(h.LastOffset())
	if !h.Transactional() {
		return false
	}
	if m, ok := c.ongoingAborted[h.ProducerID()]; ok {
		m.observed = true
		return true
	}
	c.ongoingCommitted[h.ProducerID()] = struct{}{}
	return false
}

func (c *cleanedTxns) OnControlBatch(h recordbatch.Header) bool {
	c.consumeUpTo(h.LastOffset())
	if h.RecordCount() == 0 {
		return true // emptied by an earlier pass
	}
	commit, _, ok, err := partition.ParseEndTxnMarker(h)
	if err != nil || !ok {
		return false // not a transaction marker (or unreadable): kept
	}
	pid := h.ProducerID()
	if commit {
		_, had := c.ongoingCommitted[pid]
		delete(c.ongoingCommitted, pid)
		return !had
	}
	m, ok := c.ongoingAborted[pid]
	delete(c.ongoingAborted, pid)
	if !ok || !m.observed {
		return true
	}
	if c.cleaned != nil && c.err == nil {
		if err := c.cleaned.AppendAbortedTxn(m.txn); err != nil {
			c.err = fmt.Errorf("%w: transaction index of cleaned segment %d: %w", partition.ErrStorage, c.cleaned.Base(), err)
		}
	}
	return false
}

// lastRecord is Kafka's LastRecord: a producer's last data offset (-1
// when it has none left, e.g. after a marker bumped its epoch) and epoch.
type lastRecord struct {
	offset int64
	epoch  int16
}

// lastOfProducer is Kafka's isBatchLastRecordOfProducer: the batch holds
// its producer's last data offset (its sequence stays), or, for a
// producer with no data offset, it is a marker of the producer's epoch
// (its epoch stays, for fencing).
func (p *passCtx) lastOfProducer(h recordbatch.Header) bool {
	r, ok := p.last[h.ProducerID()]
	switch {
	case !ok:
		return false
	case r.offset >= 0:
		return h.LastOffset() == r.offset
	}
	return h.Control() && h.ProducerEpoch() == r.epoch
}
