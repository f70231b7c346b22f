package recordbatch

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Builder encodes records into one v2 batch. Set the header fields, Add
// records, then AppendTo; Reset starts the next batch with the same fields.
//
// Records take offset deltas 0, 1, 2, … in the order added (Record.Offset
// is ignored). BaseTimestamp is the first record's timestamp and
// MaxTimestamp the largest, as kgo and the Java producer write them. With
// CodecNone the output is byte for byte what kgo writes for the same
// records and header fields; with a codec, the record section is always
// compressed with it, even when that does not make it smaller (kgo would
// then send it uncompressed).
//
// A Builder is not safe for concurrent use.
type Builder struct {
	BaseOffset           int64
	PartitionLeaderEpoch int32
	ProducerID           int64 // -1: no idempotence
	ProducerEpoch        int16
	BaseSequence         int32
	Codec                Codec
	Transactional        bool
	Control              bool // the records are control records (transaction markers)
	LogAppendTime        bool // sets the timestamp-type bit; MaxTimestamp stays the largest record timestamp

	level    int    // CompressLevel's level for Codec; 0 (set by NewBuilder to none) is the default
	recs     []byte // encoded records, uncompressed
	n        int64
	firstTS  int64
	maxTS    int64
	overflow error
}

// NewBuilder returns a Builder whose header fields are those of a producer
// without idempotence: PartitionLeaderEpoch, ProducerID, ProducerEpoch and
// BaseSequence all -1, no codec, CreateTime. (kgo writes BaseSequence 0 in
// that case; set it to match.)
func NewBuilder() *Builder {
	return &Builder{
		PartitionLeaderEpoch: -1,
		ProducerID:           -1,
		ProducerEpoch:        -1,
		BaseSequence:         -1,
	}
}

// Reset drops the records added so far and keeps the header fields and
// the buffer.
func (b *Builder) Reset() {
	b.recs = b.recs[:0]
	b.n = 0
	b.overflow = nil
}

// Len is the number of records added since the last Reset.
func (b *Builder) Len() int { return int(b.n) }

// Add encodes r as the next record. The Builder copies r's bytes and keeps
// no reference to r. A nil header key is written as an empty key, since
// Kafka has no null header keys. Sizes past what the format can hold make
// AppendTo fail.
func (b *Builder) Add(r *Record) {
	if b.overflow != nil {
		return
	}
	if b.n == 0 {
		b.firstTS, b.maxTS = r.Timestamp, r.Timestamp
	} else if r.Timestamp > b.maxTS {
		b.maxTS = r.Timestamp
	}
	if b.n >= math.MaxInt32 {
		b.overflow = fmt.Errorf("recordbatch: builder: more than %d records", math.MaxInt32)
		return
	}
	tsDelta := r.Timestamp - b.firstTS
	offDelta := int32(b.n)
	size := 1 + varlongLen(tsDelta) + varintLen(offDelta) +
		bytesFieldLen(r.Key) + bytesFieldLen(r.Value) + varintLen(int32(len(r.Headers)))
	for i := range r.Headers {
		size += bytesFieldLen(r.Headers[i].Key) + bytesFieldLen(r.Headers[i].Value)
	}
	if size > math.MaxInt32 || len(r.Headers) > math.MaxInt32 || len(b.recs)+size+5 > math.MaxInt32 {
		b.overflow = fmt.Errorf("recordbatch: builder: record %d is too large to encode (%d bytes)", b.n, size)
		return
	}
	b.recs = appendVarint(b.recs, int32(size))
	b.recs = append(b.recs, byte(r.Attributes))
	b.recs = appendVarlong(b.recs, tsDelta)
	b.recs = appendVarint(b.recs, offDelta)
	b.recs = appendBytesField(b.recs, r.Key)
	b.recs = appendBytesField(b.recs, r.Value)
	b.recs = appendVarint(b.recs, int32(len(r.Headers)))
	for i := range r.Headers {
		key := r.Headers[i].Key
		if key == nil {
			key = []byte{}
		}
		b.recs = appendBytesField(b.recs, key)
		b.recs = appendBytesField(b.recs, r.Headers[i].Value)
	}
	b.n++
}

// bytesFieldLen is the encoded size of a varint-length-prefixed byte
// string; nil is null (-1). A length past int32 saturates, which Add's
// size check then rejects.
func bytesFieldLen(v []byte) int {
	if v == nil {
		return 1
	}
	if len(v) > math.MaxInt32 {
		return math.MaxInt32
	}
	return varintLen(int32(len(v))) + len(v)
}

func appendBytesField(dst, v []byte) []byte {
	if v == nil {
		return appendVarint(dst, -1)
	}
	dst = appendVarint(dst, int32(len(v)))
	return append(dst, v...)
}

// Attributes is the attribute field the batch will carry.
func (b *Builder) Attributes() int16 {
	a := int16(b.Codec) & AttrCodecMask
	if b.LogAppendTime {
		a |= AttrLogAppendTime
	}
	if b.Transactional {
		a |= AttrTransactional
	}
	if b.Control {
		a |= AttrControl
	}
	return a
}

// AppendTo appends the batch to dst and returns the extended slice. It
// fails, leaving dst as it was, if no record was added, a record was too
// large, the codec is unknown or compression failed. The Builder keeps its
// records: AppendTo may be called again.
func (b *Builder) AppendTo(dst []byte) ([]byte, error) {
	if b.overflow != nil {
		return dst, b.overflow
	}
	if b.n == 0 {
		return dst, fmt.Errorf("%w: %w: builder has no records", ErrInvalidRecord, ErrCorrupt)
	}
	if b.Codec < CodecNone || b.Codec > CodecZstd {
		return dst, fmt.Errorf("recordbatch: builder: %w: codec %d", ErrUnknownCodec, int8(b.Codec))
	}
	start := len(dst)
	var h [HeaderSize]byte
	be := binary.BigEndian
	be.PutUint64(h[OffBaseOffset:], uint64(b.BaseOffset))
	be.PutUint32(h[OffLeaderEpoch:], uint32(b.PartitionLeaderEpoch))
	h[OffMagic] = MagicV2
	be.PutUint16(h[OffAttributes:], uint16(b.Attributes()))
	be.PutUint32(h[OffLastOffsetDelta:], uint32(b.n-1))
	be.PutUint64(h[OffBaseTimestamp:], uint64(b.firstTS))
	be.PutUint64(h[OffMaxTimestamp:], uint64(b.maxTS))
	be.PutUint64(h[OffProducerID:], uint64(b.ProducerID))
	be.PutUint16(h[OffProducerEpoch:], uint16(b.ProducerEpoch))
	be.PutUint32(h[OffBaseSequence:], uint32(b.BaseSequence))
	be.PutUint32(h[OffRecordCount:], uint32(b.n))
	out := append(dst, h[:]...)
	level := b.level
	if level == 0 {
		level = DefaultLevel(b.Codec)
	}
	out, err := CompressLevel(out, b.Codec, b.recs, level)
	if err != nil {
		return dst[:start], err
	}
	length := len(out) - start - LogOverhead
	if length > math.MaxInt32 {
		return dst[:start], fmt.Errorf("recordbatch: builder: batch of %d bytes is too large", length+LogOverhead)
	}
	batch := Header(out[start:])
	be.PutUint32(batch[OffBatchLength:], uint32(length))
	batch.UpdateCRC()
	return out, nil
}
