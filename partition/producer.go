package partition

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/stratabroker/strata/recordbatch"
)

// ProducerState describes one idempotent producer known to a log (for
// DescribeProducers).
type ProducerState struct {
	ProducerID    int64
	Epoch         int16
	LastSequence  int32 // the last sequence number of its last batch
	LastTimestamp int64 // the max timestamp of its last batch
	LastOffset    int64 // the offset of the last record of its last batch
	// CoordinatorEpoch is the coordinator epoch of the producer's last
	// marker, -1 if none.
	CoordinatorEpoch int32
	// CurrentTxnStartOffset is the first offset of its ongoing
	// transaction, -1 when none.
	CurrentTxnStartOffset int64
}

// batchesToRetain is how many of a producer's latest batches a log
// remembers for duplicate detection: Kafka's
// ProducerStateEntry.NUM_BATCHES_TO_RETAIN, which is also the most
// in-flight requests an idempotent producer may have.
const batchesToRetain = 5

// batchMeta is what a log remembers of one batch of an idempotent producer
// (Kafka's BatchMetadata).
type batchMeta struct {
	firstSeq, lastSeq int32
	offsetDelta       int32 // lastOffset - first offset
	lastOffset        int64
	timestamp         int64 // the batch's max timestamp as stored
}

func (b batchMeta) firstOffset() int64 { return b.lastOffset - int64(b.offsetDelta) }

// producerEntry is the state of one producer ID (Kafka's
// ProducerStateEntry).
type producerEntry struct {
	epoch         int16
	lastTimestamp int64
	n             int // batches held, oldest first
	batches       [batchesToRetain]batchMeta
	coordEpoch    int32 // the coordinator epoch of its last marker, -1 if none
	txnFirst      int64 // the first offset of its ongoing transaction, -1 if none
}

func newEntry() *producerEntry { return &producerEntry{epoch: noEpoch, coordEpoch: -1, txnFirst: -1} }

func (e *producerEntry) last() batchMeta { return e.batches[e.n-1] }

// add records a batch. A new epoch forgets the batches of the old one.
func (e *producerEntry) add(epoch int16, b batchMeta) {
	if epoch != e.epoch {
		e.epoch = epoch
		e.n = 0
	}
	if e.n == batchesToRetain {
		copy(e.batches[:], e.batches[1:])
		e.n--
	}
	e.batches[e.n] = b
	e.n++
	e.lastTimestamp = b.timestamp
}

// duplicate returns the remembered batch with the same epoch and sequence
// range as a retried batch (Kafka's findDuplicateBatch).
func (e *producerEntry) duplicate(epoch int16, firstSeq, lastSeq int32) (batchMeta, bool) {
	if epoch != e.epoch {
		return batchMeta{}, false
	}
	for _, b := range e.batches[:e.n] {
		if b.firstSeq == firstSeq && b.lastSeq == lastSeq {
			return b, true
		}
	}
	return batchMeta{}, false
}

// lastSequence is the last sequence of a batch: base + delta, wrapping
// past math.MaxInt32 to 0 as producers do (Kafka's
// DefaultRecordBatch.incrementSequence).
func lastSequence(base, delta int32) int32 {
	if base > math.MaxInt32-delta {
		return delta - (math.MaxInt32 - base) - 1
	}
	return base + delta
}

// inSequence reports whether next follows last (Kafka's
// ProducerAppendInfo.inSequence).
func inSequence(last, next int32) bool {
	return int64(next) == int64(last)+1 || (next == 0 && last == math.MaxInt32)
}

// noEpoch is RecordBatch.NO_PRODUCER_EPOCH: the epoch of a producer this log
// has no state for.
const noEpoch = -1

// producers is the idempotence and transaction state of one log. It is
// guarded by the log's mu.
type producers struct {
	m     map[int64]*producerEntry
	dirty bool // changed since the last snapshot was encoded
	// ongoing counts the entries with an ongoing transaction (txnFirst >=
	// 0): the last stable offset needs a scan only when it is not zero.
	ongoing int
}

func newProducers() producers { return producers{m: make(map[int64]*producerEntry)} }

// check validates a client batch of producer h.ProducerID() >= 0 against
// the state, as Kafka's UnifiedLog.analyzeAndValidateProducerState and
// ProducerAppendInfo do for AppendOrigin.CLIENT:
//
//   - a batch with the same epoch and sequence range as one of the
//     producer's last 5 is a duplicate: its metadata is returned;
//   - an epoch below the known one is ErrInvalidProducerEpoch;
//   - a new epoch must start at sequence 0, unless the producer is unknown;
//   - within an epoch the first sequence must follow the last one.
//
// An unknown producer may start at any sequence (Kafka >= 2.5, KIP-360:
// its state may have been removed by retention, DeleteRecords or
// producer.id.expiration.ms; see franz-go#1281).
func (p *producers) check(h recordbatch.Header) (dup batchMeta, isDup bool, err error) {
	pid, epoch, first := h.ProducerID(), h.ProducerEpoch(), h.BaseSequence()
	if first < 0 {
		return batchMeta{}, false, fmt.Errorf("%w: %w: base sequence %d in a batch of producer %d",
			recordbatch.ErrInvalidRecord, recordbatch.ErrCorrupt, first, pid)
	}
	last := lastSequence(first, h.LastOffsetDelta())
	e := p.m[pid]
	if e == nil {
		return batchMeta{}, false, nil
	}
	if b, ok := e.duplicate(epoch, first, last); ok {
		return b, true, nil
	}
	switch {
	case epoch < e.epoch:
		return batchMeta{}, false, fmt.Errorf("%w: producer %d epoch %d, current epoch %d",
			ErrInvalidProducerEpoch, pid, epoch, e.epoch)
	case epoch != e.epoch:
		if first != 0 && e.epoch != noEpoch {
			return batchMeta{}, false, fmt.Errorf("%w: producer %d new epoch %d starts at sequence %d, want 0",
				ErrOutOfOrderSequence, pid, epoch, first)
		}
	case e.epoch != noEpoch:
		lastSeq := int32(-1) // RecordBatch.NO_SEQUENCE: only sequence 0 follows it
		if e.n > 0 {
			lastSeq = e.last().lastSeq
		}
		if !inSequence(lastSeq, first) {
			return batchMeta{}, false, fmt.Errorf("%w: producer %d epoch %d sequence %d, expected %d",
				ErrOutOfOrderSequence, pid, epoch, first, lastSequence(lastSeq, 1))
		}
	}
	if e.txnFirst >= 0 && !h.Transactional() {
		// ProducerAppendInfo.appendDataBatch: a non-transactional batch
		// while the producer's transaction is ongoing.
		return batchMeta{}, false, fmt.Errorf("%w: expected a transactional batch from producer %d, whose transaction began at offset %d",
			ErrInvalidTxnState, pid, e.txnFirst)
	}
	return batchMeta{}, false, nil
}

// update records an appended data batch whose offsets and max timestamp
// are final, and the transaction it begins (Kafka's appendDataBatch). It
// does not validate: recovery replays the log through it. Control
// batches go to endTxn.
func (p *producers) update(h recordbatch.Header) {
	pid := h.ProducerID()
	if pid < 0 || h.Control() {
		return
	}
	e := p.m[pid]
	if e == nil {
		e = newEntry()
		p.m[pid] = e
	}
	p.dirty = true
	if h.Transactional() && e.txnFirst < 0 {
		e.txnFirst = h.BaseOffset()
		p.ongoing++
	}
	e.add(h.ProducerEpoch(), batchMeta{
		firstSeq:    h.BaseSequence(),
		lastSeq:     lastSequence(h.BaseSequence(), h.LastOffsetDelta()),
		offsetDelta: h.LastOffsetDelta(),
		lastOffset:  h.LastOffset(),
		timestamp:   h.MaxTimestamp(),
	})
}

// expire forgets producers whose last batch is at least expMs older than
// nowMs (Kafka's removeExpiredProducers). expMs <= 0 keeps all.
func (p *producers) expire(nowMs, expMs int64) int {
	if expMs <= 0 {
		return 0
	}
	n := 0
	for pid, e := range p.m {
		// Kafka's isProducerExpired: never one with an ongoing transaction.
		if e.txnFirst < 0 && nowMs-e.lastTimestamp >= expMs {
			delete(p.m, pid)
			n++
		}
	}
	p.dirty = p.dirty || n > 0
	return n
}

// states lists the producers by ID.
func (p *producers) states() []ProducerState {
	out := make([]ProducerState, 0, len(p.m))
	for pid, e := range p.m {
		s := ProducerState{ProducerID: pid, Epoch: e.epoch, LastSequence: -1, LastTimestamp: e.lastTimestamp, LastOffset: -1,
			CoordinatorEpoch: e.coordEpoch, CurrentTxnStartOffset: e.txnFirst}
		if e.n > 0 {
			s.LastSequence, s.LastOffset = e.last().lastSeq, e.last().lastOffset
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b ProducerState) int { return cmp.Compare(a.ProducerID, b.ProducerID) })
	return out
}

// Producer snapshot file, <20-digit offset>.snapshot: the producer state
// after every batch below offset. Layout (big-endian), version 2:
//
//	magic "SPPS" | version u16 = 2 | offset i64 | count u32 | count entries | crc32c u32
//	entry: producer id i64 | epoch i16 | last timestamp i64 | coordinator epoch i32 |
//	       current txn first offset i64 (-1: none) | n u8 (<= 5) | n batches
//	batch: first seq i32 | last seq i32 | offset delta i32 | last offset i64 | timestamp i64
//
// Version 1 (written before transactions) has no coordinator epoch and
// txn first offset in its entries; it is read as -1 for both (no
// transaction was possible then) and rewritten as version 2 at the next
// snapshot. Entries are sorted by producer ID, so equal states give equal
// bytes.
const (
	snapshotMagic     = "SPPS"
	snapshotVersion   = 2
	snapshotV1        = 1
	snapshotHeader    = 4 + 2 + 8 + 4
	snapshotEntryV1   = 8 + 2 + 8 + 1
	snapshotEntryMin  = snapshotEntryV1 + 4 + 8
	snapshotBatchSize = 4 + 4 + 4 + 8 + 8
	snapshotEntryMax  = snapshotEntryMin + batchesToRetain*snapshotBatchSize
)

// maxSnapshotBytes bounds a snapshot file: Open ignores a larger one (and
// rebuilds producer state from the log), and a log never keeps more
// producers than a snapshot of this size holds (maxProducers): about 1.5
// million with 5 batches each. A variable so that tests can lower it.
var maxSnapshotBytes int64 = 256 << 20

// maxProducers is how many producers a log keeps: as many as the largest
// snapshot Open reads holds when each has 5 batches. Past it, the
// producers whose last batch is the oldest are forgotten, as if
// producer.id.expiration.ms had passed for them: a later batch of theirs
// is taken at any sequence (KIP-360), only its duplicate detection is
// lost. Any client can create producer IDs without InitProducerId, so
// without a bound they would grow the state until Open refused it.
func maxProducers() int {
	return int(max((maxSnapshotBytes-snapshotHeader-4)/snapshotEntryMax, 1))
}

// trim forgets the producers with the oldest last batches (then the
// lowest IDs) beyond limit, and returns how many.
func (p *producers) trim(limit int) int {
	n := len(p.m) - limit
	if n <= 0 {
		return 0
	}
	type age struct{ pid, ts int64 }
	all := make([]age, 0, len(p.m))
	for pid, e := range p.m {
		if e.txnFirst < 0 { // one in a transaction is never forgotten
			all = append(all, age{pid, e.lastTimestamp})
		}
	}
	n = min(n, len(all))
	slices.SortFunc(all, func(a, b age) int { return cmp.Or(cmp.Compare(a.ts, b.ts), cmp.Compare(a.pid, b.pid)) })
	for _, a := range all[:n] {
		delete(p.m, a.pid)
	}
	p.dirty = true
	return n
}

// deferProducers leaves the producer state unread until its first use
// (producersLocked), recording what a load would start from: the newest
// snapshot at or below the log end offset. Open calls it after a clean
// shutdown.
func (l *Log) deferProducers(snapshots []int64) {
	l.prodPending, l.prodSnaps, l.prodEnd = true, snapshots, l.leo
	l.producers = newProducers()
	l.snapCovered = l.view.Load().segs[0].Base()
	for i := len(snapshots) - 1; i >= 0; i-- {
		if snapshots[i] <= l.leo {
			l.snapCovered = snapshots[i]
			break
		}
	}
}

// producersLocked reads the producer state if Open deferred it: the
// snapshot, and the batches after it up to the log end offset Open found
// (if it found none there). Batches appended since are not read: while
// the state is deferred every append is of a batch without a producer
// (one with a producer reads the state first), which changes no state, so
// a Close after plain appends reads the snapshot but no segment. mu must
// be held.
func (l *Log) producersLocked() error {
	if !l.prodPending {
		return nil
	}
	if err := l.loadProducers(l.prodSnaps, l.prodEnd); err != nil {
		return fmt.Errorf("%w: load the producer state of %s: %w", ErrStorage, l.dir, err)
	}
	l.prodPending, l.prodSnaps = false, nil
	l.refreshLSOLocked(l.view.Load().segs)
	return nil
}

// ProducerStates lists the idempotent producers the log knows, by ID. If
// the state cannot be read (an I/O error reading its snapshot), it logs
// and returns none.
func (l *Log) ProducerStates() []ProducerState {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.producersLocked(); err != nil {
		l.logger.Warn("producer state not read", "dir", l.dir, "err", err)
		return nil
	}
	return l.producers.states()
}

// snapshotLocked encodes the producer state at the log end offset for a
// snapshot file, first forgetting the producers beyond maxProducers, and
// records that the state up to there needs no replay. If the state cannot
// be read, it logs and returns false: the next Open then starts from an
// older snapshot and replays the batches after it. mu must be held.
func (l *Log) snapshotLocked() (snapshotJob, bool) {
	if err := l.producersLocked(); err != nil {
		l.logger.Warn("producer snapshot not taken", "dir", l.dir, "offset", l.leo, "err", err)
		return snapshotJob{}, false
	}
	if n := l.producers.trim(maxProducers()); n > 0 {
		l.logger.Warn("too many idempotent producers: forgot those idle longest", "dir", l.dir, "forgotten", n, "kept", len(l.producers.m))
	}
	j := snapshotJob{offset: l.leo, data: l.producers.encodeSnapshot(l.leo)}
	l.snapProds = len(l.producers.m) > 0
	l.producers.dirty = false
	l.snapCovered = l.leo
	return j, true
}

// snapshotWantedLocked reports whether Close must write a producer
// snapshot: the state changed since the last one, or the log end moved
// past it (else the next Open would replay the batches between). An idle
// log writes none, and neither does a log whose state was never read since
// Open: every batch appended since is plain and no roll happened (a roll
// reads the state for its snapshot), so the next Open's replay from the
// same snapshot reads at most the active segment's headers, and only when
// a producer first needs the state. At 50,000 partitions the snapshot
// files were half of a clean shutdown. Nor does a log that has no producer
// and whose newest snapshot has none either (or that has no snapshot): the
// next Open's replay finds none in the batches since. mu must be held.
func (l *Log) snapshotWantedLocked() bool {
	if l.prodPending || (len(l.producers.m) == 0 && !l.producers.dirty && !l.snapProds) {
		return false
	}
	return l.producers.dirty || l.snapCovered != l.leo
}

func (p *producers) encodeSnapshot(offset int64) []byte {
	pids := make([]int64, 0, len(p.m))
	size := snapshotHeader + 4
	for pid, e := range p.m {
		pids = append(pids, pid)
		size += snapshotEntryMin + e.n*snapshotBatchSize
	}
	slices.Sort(pids)
	b := make([]byte, 0, size)
	b = append(b, snapshotMagic...)
	b = binary.BigEndian.AppendUint16(b, snapshotVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(offset))
	b = binary.BigEndian.AppendUint32(b, uint32(len(pids)))
	for _, pid := range pids {
		e := p.m[pid]
		b = binary.BigEndian.AppendUint64(b, uint64(pid))
		b = binary.BigEndian.AppendUint16(b, uint16(e.epoch))
		b = binary.BigEndian.AppendUint64(b, uint64(e.lastTimestamp))
		b = binary.BigEndian.AppendUint32(b, uint32(e.coordEpoch))
		b = binary.BigEndian.AppendUint64(b, uint64(e.txnFirst))
		b = append(b, byte(e.n))
		for _, m := range e.batches[:e.n] {
			b = binary.BigEndian.AppendUint32(b, uint32(m.firstSeq))
			b = binary.BigEndian.AppendUint32(b, uint32(m.lastSeq))
			b = binary.BigEndian.AppendUint32(b, uint32(m.offsetDelta))
			b = binary.BigEndian.AppendUint64(b, uint64(m.lastOffset))
			b = binary.BigEndian.AppendUint64(b, uint64(m.timestamp))
		}
	}
	return binary.BigEndian.AppendUint32(b, recordbatch.Checksum(b))
}

// decodeSnapshot parses a snapshot file, returning the offset it was taken
// at and the state. Every count is bounded by the bytes present.
func decodeSnapshot(b []byte) (int64, producers, error) {
	version := uint16(snapshotVersion)
	if len(b) >= 6 && binary.BigEndian.Uint16(b[4:]) == snapshotV1 {
		version = snapshotV1
	}
	if err := checkFrame(b, snapshotMagic, version, -(snapshotHeader + 4)); err != nil {
		return 0, producers{}, err
	}
	entryMin := snapshotEntryMin
	if version == snapshotV1 {
		entryMin = snapshotEntryV1
	}
	offset := int64(binary.BigEndian.Uint64(b[6:]))
	count := binary.BigEndian.Uint32(b[14:])
	body := b[snapshotHeader : len(b)-4]
	if offset < 0 || uint64(count) > uint64(len(body)/entryMin) {
		return 0, producers{}, fmt.Errorf("%w: snapshot offset %d, %d producers in %d bytes", errBadFile, offset, count, len(body))
	}
	p := producers{m: make(map[int64]*producerEntry, count)}
	for range count {
		if len(body) < entryMin {
			return 0, producers{}, fmt.Errorf("%w: snapshot entry truncated", errBadFile)
		}
		pid := int64(binary.BigEndian.Uint64(body))
		e := &producerEntry{
			epoch:         int16(binary.BigEndian.Uint16(body[8:])),
			lastTimestamp: int64(binary.BigEndian.Uint64(body[10:])),
			coordEpoch:    -1,
			txnFirst:      -1,
		}
		if version == snapshotV1 {
			e.n = int(body[18])
		} else {
			e.coordEpoch = int32(binary.BigEndian.Uint32(body[18:]))
			e.txnFirst = int64(binary.BigEndian.Uint64(body[22:]))
			e.n = int(body[30])
			if e.txnFirst < -1 {
				return 0, producers{}, fmt.Errorf("%w: snapshot entry for producer %d has transaction offset %d", errBadFile, pid, e.txnFirst)
			}
			if e.txnFirst >= 0 {
				p.ongoing++
			}
		}
		body = body[entryMin:]
		if e.n > batchesToRetain || len(body) < e.n*snapshotBatchSize || pid < 0 {
			return 0, producers{}, fmt.Errorf("%w: snapshot entry for producer %d holds %d batches", errBadFile, pid, e.n)
		}
		for i := range e.n {
			e.batches[i] = batchMeta{
				firstSeq:    int32(binary.BigEndian.Uint32(body)),
				lastSeq:     int32(binary.BigEndian.Uint32(body[4:])),
				offsetDelta: int32(binary.BigEndian.Uint32(body[8:])),
				lastOffset:  int64(binary.BigEndian.Uint64(body[12:])),
				timestamp:   int64(binary.BigEndian.Uint64(body[20:])),
			}
			body = body[snapshotBatchSize:]
		}
		p.m[pid] = e
	}
	if len(body) != 0 {
		return 0, producers{}, fmt.Errorf("%w: %d bytes after the last snapshot entry", errBadFile, len(body))
	}
	return offset, p, nil
}
