package compact

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/stratabroker/strata/recordbatch"
)

// batchRetention is what the cleaner decides for a whole batch before its
// records (Kafka's RecordFilter.BatchRetention).
type batchRetention int

const (
	deleteEmpty batchRetention = iota // drop the batch if no record is kept
	retainEmpty                       // keep at least the header, with no record
	deleteBatch                       // drop the batch without looking at its records
)

// retained is a record kept by filter, its bytes copied into the arena.
type retained struct {
	offset, ts        int64
	attrs             int8
	key, value        span
	hdrStart, hdrSize int // headers: arena spans in rewriter.hdrs
}

// span is a byte string in the arena; len -1 is null.
type span struct{ off, len int }

// rewriter filters batches (Kafka's MemoryRecords.filterTo and
// buildRetainedRecordsInto): a batch whose records are all kept and that
// needs no delete horizon is copied as it is; otherwise the kept records
// are written into a new batch that keeps the base offset, the last
// offset delta (so the producer's last sequence stays), the producer ID,
// epoch and base sequence, the partition leader epoch, the timestamp type,
// the transactional and control bits and the codec; each record keeps its
// offset, timestamp, attributes, key, value and headers. Its memory is
// reused from batch to batch.
type rewriter struct {
	it    recordbatch.Iterator
	maxDe int // decompression bound
	arena []byte
	recs  []retained
	hdrs  []span // key, value pairs
	enc   []byte // the new batch's records, uncompressed
}

// filterResult is what filter reports of one batch.
type filterResult struct {
	read, kept int   // records
	rewritten  bool  // the batch was rebuilt (or emptied)
	written    int   // bytes appended
	tombstones bool  // a kept record has a null value
	maxOffset  int64 // the largest kept record's offset, -1 if none
}

// filter appends to dst what is kept of batch h: the batch as it is, a
// rebuilt batch, an empty header (retainEmpty with nothing kept), or
// nothing. keep decides each record; horizon is the delete horizon to set
// when the kept records include a tombstone and the batch has none yet
// (now + delete.retention.ms, KIP-534), or when markHorizon (a
// transaction marker the hook may discard later: Kafka's
// containsMarkerForEmptyTxn).
func (w *rewriter) filter(dst []byte, h recordbatch.Header, ret batchRetention, keep func(r *recordbatch.Record) bool, horizon int64, markHorizon bool) ([]byte, filterResult, error) {
	res := filterResult{maxOffset: -1}
	if ret == deleteBatch {
		return dst, res, nil
	}
	w.it.Reset(h, w.maxDe)
	w.arena, w.recs, w.hdrs = w.arena[:0], w.recs[:0], w.hdrs[:0]
	all := true
	for w.it.Next() {
		r := w.it.Record()
		res.read++
		if !keep(r) {
			all = false
			continue
		}
		if r.Value == nil {
			res.tombstones = true
		}
		res.maxOffset = max(res.maxOffset, r.Offset)
		k := retained{offset: r.Offset, ts: r.Timestamp, attrs: r.Attributes, key: w.put(r.Key), value: w.put(r.Value), hdrStart: len(w.hdrs)}
		for i := range r.Headers {
			w.hdrs = append(w.hdrs, w.put(r.Headers[i].Key), w.put(r.Headers[i].Value))
		}
		k.hdrSize = len(w.hdrs) - k.hdrStart
		w.recs = append(w.recs, k)
	}
	if err := w.it.Err(); err != nil {
		return dst, res, err
	}
	if res.read != int(h.RecordCount()) {
		return dst, res, fmt.Errorf("%w: batch at offset %d holds %d records, its header says %d", recordbatch.ErrCorrupt, h.BaseOffset(), res.read, h.RecordCount())
	}
	res.kept = len(w.recs)
	hasHorizon := h.Attributes()&recordbatch.AttrDeleteHorizonMs != 0
	switch {
	case res.kept == 0 && ret == retainEmpty:
		res.rewritten = true
		before := len(dst)
		dst = appendEmptyHeader(dst, h)
		res.written = len(dst) - before
		return dst, res, nil
	case res.kept == 0:
		return dst, res, nil
	case all && (hasHorizon || !(res.tombstones || markHorizon)):
		res.written = len(h)
		return append(dst, h...), res, nil
	}
	res.rewritten = true
	setHorizon := int64(-1)
	switch {
	case hasHorizon:
		setHorizon = h.BaseTimestamp()
	case res.tombstones || markHorizon:
		setHorizon = horizon
	}
	before := len(dst)
	dst, err := w.build(dst, h, setHorizon)
	res.written = len(dst) - before
	return dst, res, err
}

// put copies b into the arena.
func (w *rewriter) put(b []byte) span {
	if b == nil {
		return span{len: -1}
	}
	s := span{off: len(w.arena), len: len(b)}
	w.arena = append(w.arena, b...)
	return s
}

var empty = []byte{}

func (w *rewriter) bytes(s span) []byte {
	switch s.len {
	case -1:
		return nil
	case 0:
		return empty // not nil: an empty value is no tombstone
	}
	return w.arena[s.off : s.off+s.len]
}

// build appends the batch of w.recs with h's header fields; horizon >= 0
// sets the delete-horizon bit and makes it the base timestamp (Kafka's
// MemoryRecordsBuilder with deleteHorizonMs), record timestamps staying
// what they were (their deltas are from the base).
func (w *rewriter) build(dst []byte, h recordbatch.Header, horizon int64) ([]byte, error) {
	base := h.BaseOffset()
	baseTs := w.recs[0].ts
	attrs := h.Attributes() &^ recordbatch.AttrDeleteHorizonMs
	if horizon >= 0 {
		baseTs = horizon
		attrs |= recordbatch.AttrDeleteHorizonMs
	}
	maxTs := int64(math.MinInt64)
	w.enc = w.enc[:0]
	for i := range w.recs {
		r := &w.recs[i]
		maxTs = max(maxTs, r.ts)
		key, value := w.bytes(r.key), w.bytes(r.value)
		hdrs := w.hdrs[r.hdrStart : r.hdrStart+r.hdrSize]
		size := 1 + varlongLen(r.ts-baseTs) + varlongLen(r.offset-base) + fieldLen(key) + fieldLen(value) + varlongLen(int64(len(hdrs)/2))
		for _, s := range hdrs {
			size += fieldLen(w.bytes(s))
		}
		w.enc = binary.AppendVarint(w.enc, int64(size))
		w.enc = append(w.enc, byte(r.attrs))
		w.enc = binary.AppendVarint(w.enc, r.ts-baseTs)
		w.enc = binary.AppendVarint(w.enc, r.offset-base)
		w.enc = appendField(w.enc, key)
		w.enc = appendField(w.enc, value)
		w.enc = binary.AppendVarint(w.enc, int64(len(hdrs)/2))
		for j, s := range hdrs {
			b := w.bytes(s)
			if j%2 == 0 && b == nil {
				b = []byte{} // Kafka has no null header keys
			}
			w.enc = appendField(w.enc, b)
		}
	}
	if h.LogAppendTime() {
		maxTs = h.MaxTimestamp()
	}
	start := len(dst)
	dst = append(dst, h[:recordbatch.HeaderSize]...)
	nh := recordbatch.Header(dst[start:])
	be := binary.BigEndian
	be.PutUint16(nh[recordbatch.OffAttributes:], uint16(attrs))
	be.PutUint64(nh[recordbatch.OffBaseTimestamp:], uint64(baseTs))
	be.PutUint64(nh[recordbatch.OffMaxTimestamp:], uint64(maxTs))
	be.PutUint32(nh[recordbatch.OffRecordCount:], uint32(len(w.recs)))
	codec := h.Codec()
	out, err := recordbatch.CompressLevel(dst, codec, w.enc, recordbatch.DefaultLevel(codec))
	if err != nil {
		return dst[:start], fmt.Errorf("compact: recompress batch at offset %d with %v: %w", base, codec, err)
	}
	nh = recordbatch.Header(out[start:])
	be.PutUint32(nh[recordbatch.OffBatchLength:], uint32(len(out)-start-recordbatch.LogOverhead))
	nh.UpdateCRC()
	return out, nil
}

// appendEmptyHeader appends the header of h with no records (Kafka's
// DefaultRecordBatch.writeEmptyHeader): same offsets, producer fields,
// leader epoch, timestamp type and transactional and control bits; no
// codec; both timestamps the batch's MaxTimestamp.
func appendEmptyHeader(dst []byte, h recordbatch.Header) []byte {
	start := len(dst)
	dst = append(dst, h[:recordbatch.HeaderSize]...)
	nh := recordbatch.Header(dst[start:])
	be := binary.BigEndian
	attrs := h.Attributes() & (recordbatch.AttrLogAppendTime | recordbatch.AttrTransactional | recordbatch.AttrControl)
	be.PutUint32(nh[recordbatch.OffBatchLength:], uint32(recordbatch.HeaderSize-recordbatch.LogOverhead))
	be.PutUint16(nh[recordbatch.OffAttributes:], uint16(attrs))
	be.PutUint64(nh[recordbatch.OffBaseTimestamp:], uint64(h.MaxTimestamp()))
	be.PutUint32(nh[recordbatch.OffRecordCount:], 0)
	nh.UpdateCRC()
	return dst
}

func varlongLen(v int64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutVarint(b[:], v)
}

func fieldLen(b []byte) int {
	if b == nil {
		return 1
	}
	return varlongLen(int64(len(b))) + len(b)
}

func appendField(dst, b []byte) []byte {
	if b == nil {
		return binary.AppendVarint(dst, -1)
	}
	dst = binary.AppendVarint(dst, int64(len(b)))
	return append(dst, b...)
}
