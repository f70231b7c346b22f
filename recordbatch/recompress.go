package recordbatch

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Target is the codec a broker stores batches with: Kafka's topic config
// compression.type, with the level of compression.<codec>.level.
type Target struct {
	// Producer is compression.type=producer, Kafka's default: a batch keeps
	// the codec its producer chose. Codec and Level are then unused.
	Producer bool
	Codec    Codec // CodecNone is compression.type=uncompressed
	Level    int   // in Kafka's numbering for Codec; see CompressLevel
}

// For returns the codec and level a batch compressed with src is stored
// with: src at its default level for Producer, else the target's.
func (t Target) For(src Codec) (Codec, int) {
	if t.Producer {
		return src, DefaultLevel(src)
	}
	return t.Codec, t.Level
}

// Recompress appends to dst a copy of batch, one v2 batch a producer sent,
// with its record section compressed with codec to at level (Kafka's
// numbering, see CompressLevel), as Kafka's LogValidator rebuilds a batch
// whose codec differs from the topic's compression.type
// (validateMessagesAndAssignOffsetsCompressed, then
// buildRecordsAndAssignOffsets). What the rebuilt batch keeps and what it
// recomputes is Kafka's MemoryRecordsBuilder's:
//
//   - kept: base offset, leader epoch, producer ID, producer epoch, base
//     sequence, the transactional and timestamp-type bits, and every
//     record's timestamp, key, value and headers;
//   - recomputed: the codec bits (to); the records' offset deltas (0..n-1),
//     their attributes (0) and timestamp deltas (from the first record's
//     timestamp, which becomes BaseTimestamp); MaxTimestamp (the largest
//     record timestamp, at least -1); the count, the length and the CRC.
//
// Records that are already what the builder would write (every known
// producer writes them so) are compressed as they are, without a copy;
// others are re-encoded first.
//
// A compressed batch is decompressed to at most maxDecompressed bytes, and
// an uncompressed record section larger than that is refused the same way
// (ErrMaxDecompress), so that the caller's limit bounds the work whatever
// the codec. Memory: the decompressed records (none for an uncompressed
// batch), the re-encoded records when needed, and the output.
//
// The batch is not validated (Validate does that first); its records are
// parsed, and a malformed one fails with an error wrapping ErrCorrupt. On
// error dst is returned at its original length.
func Recompress(dst, batch []byte, to Codec, level, maxDecompressed int) ([]byte, error) {
	if err := checkLength(batch); err != nil {
		return dst, err
	}
	h := Header(batch)
	data := h.Records()
	if c := h.Codec(); c != CodecNone {
		var err error
		if data, err = Decompress(nil, c, data, maxDecompressed); err != nil {
			return dst, fmt.Errorf("records of batch at base offset %d: %w", h.BaseOffset(), err)
		}
	} else if len(data) > maxDecompressed {
		return dst, errMaxDecompress(c, maxDecompressed)
	}
	var it Iterator
	if err := it.setRecords(h, data); err != nil {
		return dst, err
	}
	canonical := !h.LogAppendTime() && h.Attributes()&AttrDeleteHorizonMs == 0
	maxTS, first := int64(noTimestamp), int64(0)
	var i int64
	for ; it.Next(); i++ {
		r := it.Record()
		if i == 0 {
			first = r.Timestamp
		}
		if r.Attributes != 0 || r.Offset-h.BaseOffset() != i || (i == 0 && r.Timestamp != h.BaseTimestamp()) {
			canonical = false
		}
		maxTS = max(maxTS, r.Timestamp)
	}
	if err := it.Err(); err != nil {
		return dst, err
	}
	if i == 0 {
		return dst, fmt.Errorf("%w: %w: batch has no records", ErrInvalidRecord, ErrCorrupt)
	}
	if !canonical {
		data = rebuildRecords(h, data)
	}
	return appendRebuilt(dst, h, data, rebuiltFields{n: i, first: first, max: maxTS}, to, level)
}

// rebuildRecords re-encodes the records of h (data, its decompressed
// record section, which parsed) as Kafka's builder writes them.
func rebuildRecords(h Header, data []byte) []byte {
	b := NewBuilder()
	var it Iterator
	_ = it.setRecords(h, data) // it parsed once already
	for it.Next() {
		r := *it.Record()
		r.Attributes = 0
		b.Add(&r)
	}
	return b.recs
}

// rebuiltFields are the header fields a rebuilt batch recomputes from its
// records: the count, the first record's timestamp and the largest.
type rebuiltFields struct{ n, first, max int64 }

// appendRebuilt appends the batch whose uncompressed record section is
// data, with h's kept header fields and f, compressed with to.
func appendRebuilt(dst []byte, h Header, data []byte, f rebuiltFields, to Codec, level int) ([]byte, error) {
	start := len(dst)
	out := append(dst, h[:HeaderSize]...)
	out, err := CompressLevel(out, to, data, level)
	if err != nil {
		return dst[:start], err
	}
	length := len(out) - start - LogOverhead
	if length > math.MaxInt32 {
		return dst[:start], fmt.Errorf("recordbatch: recompress: batch of %d bytes is too large", length+LogOverhead)
	}
	b := Header(out[start:])
	be := binary.BigEndian
	be.PutUint32(b[OffBatchLength:], uint32(length))
	attrs := uint16(h.Attributes())&^(AttrCodecMask|AttrDeleteHorizonMs) | uint16(to)
	be.PutUint16(b[OffAttributes:], attrs)
	be.PutUint32(b[OffLastOffsetDelta:], uint32(f.n-1))
	be.PutUint64(b[OffBaseTimestamp:], uint64(f.first))
	be.PutUint64(b[OffMaxTimestamp:], uint64(f.max))
	be.PutUint32(b[OffRecordCount:], uint32(f.n))
	b.UpdateCRC()
	return out, nil
}
