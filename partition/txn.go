package partition

// Transactions (Kafka's ProducerStateManager and UnifiedLog's transaction
// parts): the producer's ongoing transaction, control batches (markers),
// the last stable offset and the aborted-transaction index.

// AbortedTxn is one aborted transaction, as read_committed Fetch lists it
// (FetchResponse's AbortedTransactions) and as the segment's .txnindex
// holds it (Kafka's AbortedTxn): the producer, the offset of its first
// record in this partition, the offset of its abort marker (LastOffset)
// and the last stable offset when the marker was written.
type AbortedTxn struct {
	ProducerID       int64
	FirstOffset      int64
	LastOffset       int64
	LastStableOffset int64
}

// OngoingTxn is a transaction with data in this log and no marker yet.
type OngoingTxn struct {
	ProducerID       int64
	Epoch            int16
	FirstOffset      int64
	CoordinatorEpoch int32
	// LastTimestamp is the max timestamp of the producer's last batch (ms),
	// for find-hanging's age.
	LastTimestamp int64
}

// AppendMarker writes one control batch for producerID (Kafka's
// MemoryRecords.withEndTransactionMarker: attributes transactional|control,
// base sequence -1, one record whose key is the ControlRecordType (version
// 0, type 0 abort or 1 commit) and whose value is the EndTransactionMarker
// (version 0, coordinator epoch), stamped now (ms)), ends the producer's
// ongoing transaction, indexes an abort in the active segment's .txnindex
// and moves the last stable offset. A marker for a producer with no
// ongoing transaction is still written and changes only its epoch and
// coordinator epoch (Kafka does). Errors: ErrInvalidProducerEpoch for an
// epoch older than the producer's, ErrTransactionCoordinatorFenced for a
// coordinator epoch older than the producer's, and Append's storage errors.
func (l *Log) AppendMarker(producerID int64, epoch int16, commit bool, coordinatorEpoch int32, now int64) (offset int64, err error) {
	panic("not implemented")
}

// LastStableOffset is the end of what read_committed readers may see: the
// first offset of the oldest ongoing transaction, or the high watermark.
func (l *Log) LastStableOffset() int64 { return l.view.Load().hw }

// AbortedTransactions lists the aborted transactions whose data overlaps
// [from, upTo) (Kafka's UnifiedLog.collectAbortedTransactions: from the
// .txnindex of the segment holding from onwards, each entry with
// LastOffset >= from and FirstOffset < upTo, until an entry whose last
// stable offset reaches upTo).
func (l *Log) AbortedTransactions(from, upTo int64) []AbortedTxn { return nil }

// OngoingTransactions lists the producers' ongoing transactions by first
// offset.
func (l *Log) OngoingTransactions() []OngoingTxn { return nil }
