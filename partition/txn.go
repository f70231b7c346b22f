package partition

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/stratabroker/strata/index"
	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/segment"
)

// Transactions (Kafka's ProducerStateManager, ProducerAppendInfo and the
// transaction parts of UnifiedLog): a producer's ongoing transaction in
// this log (the first offset of its first transactional batch), control
// batches (markers) that end it, the last stable offset (LSO), and the
// aborted-transaction index of each segment (.txnindex, package index).

// AbortedTxn is one aborted transaction, as read_committed Fetch lists it
// (FetchResponse's AbortedTransactions) and as a segment's .txnindex holds
// it (Kafka's AbortedTxn): the producer, the offset of its first record in
// this partition, the offset of its abort marker (LastOffset) and the last
// stable offset once the marker was written.
type AbortedTxn = index.AbortedTxn

// OngoingTxn is a transaction with data in this log and no marker yet.
type OngoingTxn struct {
	ProducerID       int64
	Epoch            int16
	FirstOffset      int64
	CoordinatorEpoch int32
	// LastTimestamp is the max timestamp of the producer's last batch (ms).
	LastTimestamp int64
}

// Control record types (Kafka's ControlRecordType) and the versions of the
// marker's key and value.
const (
	controlAbort  = 0
	controlCommit = 1
)

// markerBatch builds the control batch of an end-transaction marker, as
// Kafka's MemoryRecords.withEndTransactionMarker does: magic 2, no
// compression, CreateTime, transactional and control, base sequence -1,
// partition leader epoch 0 (Strata's single epoch), one record with
// timestamp now, key = ControlRecordType (version 0, type), value =
// EndTransactionMarker (version 0, coordinator epoch), no headers.
func markerBatch(producerID int64, epoch int16, commit bool, coordinatorEpoch int32, now int64) ([]byte, error) {
	b := recordbatch.NewBuilder()
	b.PartitionLeaderEpoch = 0
	b.ProducerID, b.ProducerEpoch, b.BaseSequence = producerID, epoch, -1
	b.Transactional, b.Control = true, true
	typ := uint16(controlAbort)
	if commit {
		typ = controlCommit
	}
	key := binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(nil, 0), typ)
	value := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint16(nil, 0), uint32(coordinatorEpoch))
	b.Add(&recordbatch.Record{Timestamp: now, Key: key, Value: value, Headers: nil})
	return b.AppendTo(nil)
}

// txnMarker is a parsed end-transaction marker.
type txnMarker struct {
	commit     bool
	coordEpoch int32
	timestamp  int64
}

// parseMarker reads the control record of a control batch (Kafka's
// EndTransactionMarker.deserialize). ok is false for an empty batch (one
// the cleaner emptied) or a control type other than commit and abort.
func parseMarker(h recordbatch.Header) (m txnMarker, ok bool, err error) {
	it := recordbatch.NewIterator(h, len(h)*4+1024)
	if !it.Next() {
		return txnMarker{}, false, it.Err()
	}
	rec := it.Record()
	if len(rec.Key) < 4 {
		return txnMarker{}, false, fmt.Errorf("%w: control record key of %d bytes", recordbatch.ErrCorrupt, len(rec.Key))
	}
	switch binary.BigEndian.Uint16(rec.Key[2:]) {
	case controlAbort:
	case controlCommit:
		m.commit = true
	default:
		return txnMarker{}, false, nil
	}
	if len(rec.Value) < 6 {
		return txnMarker{}, false, fmt.Errorf("%w: end transaction marker value of %d bytes", recordbatch.ErrCorrupt, len(rec.Value))
	}
	m.coordEpoch = int32(binary.BigEndian.Uint32(rec.Value[2:]))
	m.timestamp = rec.Timestamp
	return m, true, nil
}

// checkMarker validates a marker against the producer's state (Kafka's
// appendEndTxnMarker for origin COORDINATOR): an older producer epoch is
// ErrInvalidProducerEpoch, an older coordinator epoch
// ErrTransactionCoordinatorFenced.
func (p *producers) checkMarker(pid int64, epoch int16, coordEpoch int32) error {
	e := p.m[pid]
	if e == nil {
		return nil
	}
	if epoch < e.epoch {
		return fmt.Errorf("%w: marker for producer %d with epoch %d, current epoch %d", ErrInvalidProducerEpoch, pid, epoch, e.epoch)
	}
	if e.coordEpoch > coordEpoch {
		return fmt.Errorf("%w: marker for producer %d with coordinator epoch %d, current %d", ErrTransactionCoordinatorFenced, pid, coordEpoch, e.coordEpoch)
	}
	return nil
}

// endTxn applies a marker at offset (Kafka's appendEndTxnMarker and
// ProducerStateEntry.update): the producer takes the marker's epoch (a new
// epoch forgets its batches) and coordinator epoch, and its ongoing
// transaction, if any, ends: first is its first offset, -1 if there was
// none (a marker for an empty transaction).
func (p *producers) endTxn(pid int64, epoch int16, m txnMarker) (first int64) {
	e := p.m[pid]
	if e == nil {
		e = newEntry()
		p.m[pid] = e
	}
	p.dirty = true
	if epoch != e.epoch {
		e.epoch, e.n = epoch, 0
	}
	e.coordEpoch = m.coordEpoch
	e.lastTimestamp = m.timestamp
	first = e.txnFirst
	if first >= 0 {
		e.txnFirst = -1
		p.ongoing--
	}
	return first
}

// firstUnstable is the smallest first offset of an ongoing transaction,
// or -1; skip is a producer not to count (the one whose marker is being
// written).
func (p *producers) firstUnstable(skip int64) int64 {
	if p.ongoing == 0 {
		return -1
	}
	first := int64(math.MaxInt64)
	for pid, e := range p.m {
		if e.txnFirst >= 0 && pid != skip {
			first = min(first, e.txnFirst)
		}
	}
	if first == math.MaxInt64 {
		return -1
	}
	return first
}

// ongoingTxns lists the ongoing transactions by first offset.
func (p *producers) ongoingTxns() []OngoingTxn {
	var out []OngoingTxn
	if p.ongoing == 0 {
		return nil
	}
	for pid, e := range p.m {
		if e.txnFirst >= 0 {
			out = append(out, OngoingTxn{ProducerID: pid, Epoch: e.epoch, FirstOffset: e.txnFirst,
				CoordinatorEpoch: e.coordEpoch, LastTimestamp: e.lastTimestamp})
		}
	}
	slices.SortFunc(out, func(a, b OngoingTxn) int {
		return cmp.Or(cmp.Compare(a.FirstOffset, b.FirstOffset), cmp.Compare(a.ProducerID, b.ProducerID))
	})
	return out
}

// AppendMarker writes one control batch for producerID (see markerBatch:
// Kafka's format), stamped now (ms), ends the producer's ongoing
// transaction, indexes an abort in the .txnindex of the segment the marker
// lands in and moves the last stable offset. A marker for a producer with
// no ongoing transaction is still written and changes only its epoch and
// coordinator epoch (Kafka does). Errors: ErrInvalidProducerEpoch for an
// epoch older than the producer's, ErrTransactionCoordinatorFenced for a
// coordinator epoch older than its last marker's, and Append's storage
// errors. The marker is fsynced when the flush policy says so, as a
// waitFlush Append.
func (l *Log) AppendMarker(producerID int64, epoch int16, commit bool, coordinatorEpoch int32, now int64) (offset int64, err error) {
	if producerID < 0 {
		return -1, fmt.Errorf("%w: marker for producer %d", recordbatch.ErrInvalidRecord, producerID)
	}
	batch, err := markerBatch(producerID, epoch, commit, coordinatorEpoch, now)
	if err != nil {
		return -1, err
	}
	l.mu.Lock()
	off, wait, err := l.appendMarkerLocked(recordbatch.Header(batch), producerID, epoch, txnMarker{commit: commit, coordEpoch: coordinatorEpoch, timestamp: now})
	l.mu.Unlock()
	if err != nil || !wait {
		return off, err
	}
	return off, l.waitSynced(off + 1)
}

func (l *Log) appendMarkerLocked(h recordbatch.Header, pid int64, epoch int16, m txnMarker) (int64, bool, error) {
	if l.closed.Load() {
		return -1, false, ErrClosed
	}
	if l.failed != nil {
		return -1, false, l.failed
	}
	if err := l.producersLocked(); err != nil {
		return -1, false, err
	}
	if err := l.producers.checkMarker(pid, epoch, m.coordEpoch); err != nil {
		return -1, false, err
	}
	res, wait, err := l.writeLocked(h)
	if err != nil {
		return -1, false, err
	}
	off := res.BaseOffset
	// Kafka's UnifiedLog.append: the aborted transaction goes into the
	// index with the LSO it leaves (ProducerStateManager.lastStableOffset:
	// the first offset of the next ongoing transaction of another
	// producer, else the marker's offset + 1), then the transaction ends.
	first := l.producers.m[pid].txnFirstOrNone()
	var idxErr error
	if first >= 0 && !m.commit {
		lso := l.producers.firstUnstable(pid)
		if lso < 0 {
			lso = off + 1
		}
		idxErr = l.active.AppendAbortedTxn(index.AbortedTxn{ProducerID: pid, FirstOffset: first, LastOffset: off, LastStableOffset: lso})
	}
	l.producers.endTxn(pid, epoch, m)
	if first >= 0 && first <= l.lsoFirst {
		// It was the oldest (the LSO may be the log start offset, past
		// its first offset): the next one bounds readers now.
		l.refreshLSOLocked(l.view.Load().segs)
	}
	l.publishLocked()
	l.notify.wake()
	if idxErr != nil {
		// The marker is in the log; its index entry is not: fail the log
		// until it is reopened, whose recovery rebuilds the index.
		l.failed = fmt.Errorf("%w: transaction index of %s: %w", ErrStorage, l.dir, idxErr)
		return off, false, l.failed
	}
	return off, wait, nil
}

func (e *producerEntry) txnFirstOrNone() int64 {
	if e == nil {
		return -1
	}
	return e.txnFirst
}

// refreshLSOLocked recomputes the first unstable offset (the smallest
// first offset of an ongoing transaction, at least the log start offset:
// Kafka's maybeIncrementFirstUnstableOffset) and the position of its batch
// in segs (the view's segments being published), which read_committed
// reads stop at. mu must be held and the producer state read.
func (l *Log) refreshLSOLocked(segs []*segment.Segment) {
	first := l.producers.firstUnstable(-1)
	if first < 0 {
		l.lsoFirst, l.lsoSeg, l.lsoPos = -1, nil, 0
		return
	}
	first = max(first, l.logStart)
	if first >= l.leo {
		l.lsoFirst, l.lsoSeg, l.lsoPos = -1, nil, 0
		return
	}
	l.lsoFirst, l.lsoSeg, l.lsoPos = first, nil, 0
	v := view{segs: segs}
	i := v.find(first)
	for ; i >= 0 && i < len(segs); i++ {
		s := segs[i]
		sl, err := s.Read(first, 1, s.Size())
		if errors.Is(err, segment.ErrOffsetNotFound) {
			continue
		}
		if err != nil {
			l.logger.Warn("last stable offset's position not found; read_committed reads stop at the segment before it", "dir", l.dir, "offset", first, "err", err)
			l.lsoSeg, l.lsoPos = s, 0
			return
		}
		l.lsoSeg, l.lsoPos = s, sl.Pos
		return
	}
}

// ensureLSO reads the producer state if Open deferred it (a clean
// shutdown), so that the view carries the last stable offset. It returns
// the view to read.
func (l *Log) ensureLSO() *view {
	if v := l.view.Load(); v.lsoKnown {
		return v
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.producersLocked(); err != nil {
		l.logger.Warn("producer state not read; the last stable offset is the log start offset", "dir", l.dir, "err", err)
	}
	if !l.closed.Load() {
		l.publishLocked()
	}
	return l.view.Load()
}

// LastStableOffset is the end of what read_committed readers may see: the
// first offset of the oldest ongoing transaction (not below the log start
// offset), or the high watermark.
func (l *Log) LastStableOffset() int64 { return l.ensureLSO().lso }

// AbortedTransactions lists the aborted transactions whose data overlaps
// [from, upTo) (Kafka's UnifiedLog.collectAbortedTransactions: the
// .txnindex of the segment holding from, then of each later one, every
// entry with LastOffset >= from and FirstOffset < upTo, until an entry
// whose last stable offset reaches upTo), in index order.
func (l *Log) AbortedTransactions(from, upTo int64) []AbortedTxn {
	for range maxReadAttempts {
		out, retry, err := l.view.Load().abortedTxns(from, upTo)
		if err != nil {
			l.logger.Warn("transaction index not read", "dir", l.dir, "err", err)
			return out
		}
		if !retry {
			return out
		}
	}
	return nil
}

func (v *view) abortedTxns(from, upTo int64) (out []AbortedTxn, retry bool, err error) {
	i := max(v.find(from), 0)
	for ; i < len(v.segs); i++ {
		s := v.segs[i]
		got, complete, err := s.CollectAbortedTxns(from, upTo)
		if errors.Is(err, segment.ErrClosed) {
			return nil, true, nil
		}
		if err != nil {
			return out, false, err
		}
		if out == nil {
			out = got
		} else {
			out = append(out, got...)
		}
		if complete {
			break
		}
	}
	return out, false, nil
}

// OngoingTransactions lists the producers' ongoing transactions by first
// offset (DescribeProducers, find-hanging).
func (l *Log) OngoingTransactions() []OngoingTxn {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.producersLocked(); err != nil {
		l.logger.Warn("producer state not read", "dir", l.dir, "err", err)
		return nil
	}
	return l.producers.ongoingTxns()
}

// HasOngoingTransaction reports whether producerID has an ongoing
// transaction in this log at epoch (Kafka's
// UnifiedLog.hasOngoingTransaction): Produce verifies a transactional
// batch with the coordinator only when it has none.
func (l *Log) HasOngoingTransaction(producerID int64, epoch int16) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.producersLocked(); err != nil {
		return false
	}
	e := l.producers.m[producerID]
	return e != nil && e.txnFirst >= 0 && e.epoch == epoch
}

// replayMarker applies a control batch met while Open replays the log
// (Kafka's ProducerStateManager replay through ProducerAppendInfo with
// origin REPLICATION: no validation), and indexes an abort in s if its
// transaction index is being rebuilt (txnRebuildFrom). mu is not needed:
// the log is not shared yet.
func (l *Log) replayMarker(s *segment.Segment, h recordbatch.Header) error {
	m, ok, err := parseMarker(h)
	if err != nil {
		// A batch that passed its CRC but whose marker does not parse:
		// Kafka's loader would fail the log; here it is skipped, logged.
		l.logger.Warn("skipping an unreadable control batch", "dir", l.dir, "offset", h.BaseOffset(), "err", err)
		return nil
	}
	if !ok {
		return nil
	}
	pid, off := h.ProducerID(), h.BaseOffset()
	first := l.producers.m[pid].txnFirstOrNone()
	if first >= 0 && !m.commit && off >= l.txnRebuildFrom {
		lso := l.producers.firstUnstable(pid)
		if lso < 0 {
			lso = off + 1
		}
		if err := s.AppendAbortedTxn(index.AbortedTxn{ProducerID: pid, FirstOffset: first, LastOffset: off, LastStableOffset: lso}); err != nil {
			return err
		}
	}
	l.producers.endTxn(pid, h.ProducerEpoch(), m)
	return nil
}

// ParseEndTxnMarker reads the control record of a control batch h (whole):
// whether it commits, and the coordinator epoch. ok is false for an empty
// control batch (one the cleaner emptied) and for control types other
// than commit (1) and abort (0). For the log cleaner.
func ParseEndTxnMarker(h recordbatch.Header) (commit bool, coordinatorEpoch int32, ok bool, err error) {
	m, ok, err := parseMarker(h)
	return m.commit, m.coordEpoch, ok, err
}
