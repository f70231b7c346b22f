package recordbatch

import (
	"encoding/binary"
	"hash/crc32"
)

// Byte offsets of the v2 batch header fields. Part of the wire format.
const (
	OffBaseOffset      = 0                      // int64
	OffBatchLength     = OffBaseOffset + 8      // int32: bytes after this field
	OffLeaderEpoch     = OffBatchLength + 4     // int32
	OffMagic           = OffLeaderEpoch + 4     // int8
	OffCRC             = OffMagic + 1           // uint32, CRC-32C over [OffAttributes:]
	OffAttributes      = OffCRC + 4             // int16
	OffLastOffsetDelta = OffAttributes + 2      // int32
	OffBaseTimestamp   = OffLastOffsetDelta + 4 // int64
	OffMaxTimestamp    = OffBaseTimestamp + 8   // int64
	OffProducerID      = OffMaxTimestamp + 8    // int64
	OffProducerEpoch   = OffProducerID + 8      // int16
	OffBaseSequence    = OffProducerEpoch + 2   // int32
	OffRecordCount     = OffBaseSequence + 4    // int32
	HeaderSize         = OffRecordCount + 4     // 61
	LogOverhead        = OffBatchLength + 4     // 12: BaseOffset + BatchLength, not counted by BatchLength
	MagicV2            = 2
)

// Attribute bits.
const (
	AttrCodecMask       = 0x07
	AttrLogAppendTime   = 0x08
	AttrTransactional   = 0x10
	AttrControl         = 0x20
	AttrDeleteHorizonMs = 0x40
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum returns the CRC-32C of b, the checksum record batches use.
func Checksum(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// Header is a zero-copy view over a v2 batch. Its length must be at least
// HeaderSize; Validate and CheckStored guarantee that, and accessors panic
// on a shorter slice like any out-of-range slice access.
type Header []byte

// BaseOffset is the offset of the batch's first record.
func (h Header) BaseOffset() int64 { return int64(binary.BigEndian.Uint64(h[OffBaseOffset:])) }

// BatchLength is the length field: the batch's size less LogOverhead.
func (h Header) BatchLength() int32 { return int32(binary.BigEndian.Uint32(h[OffBatchLength:])) }

// PartitionLeaderEpoch is the leader epoch the broker stamped on the batch.
func (h Header) PartitionLeaderEpoch() int32 {
	return int32(binary.BigEndian.Uint32(h[OffLeaderEpoch:]))
}

// Magic is the format version byte: 2 for a record batch.
func (h Header) Magic() int8 { return int8(h[OffMagic]) }

// CRC is the stored CRC-32C of [OffAttributes:Size()).
func (h Header) CRC() uint32 { return binary.BigEndian.Uint32(h[OffCRC:]) }

// Attributes is the attribute field; see the Attr constants.
func (h Header) Attributes() int16 { return int16(binary.BigEndian.Uint16(h[OffAttributes:])) }

// LastOffsetDelta is the offset of the last record less BaseOffset.
func (h Header) LastOffsetDelta() int32 {
	return int32(binary.BigEndian.Uint32(h[OffLastOffsetDelta:]))
}

// BaseTimestamp is the timestamp the records' deltas are relative to: the
// first record's, as clients write it.
func (h Header) BaseTimestamp() int64 { return int64(binary.BigEndian.Uint64(h[OffBaseTimestamp:])) }

// MaxTimestamp is the largest record timestamp, or the log append time.
func (h Header) MaxTimestamp() int64 { return int64(binary.BigEndian.Uint64(h[OffMaxTimestamp:])) }

// ProducerID is the idempotent producer's ID, -1 for none.
func (h Header) ProducerID() int64 { return int64(binary.BigEndian.Uint64(h[OffProducerID:])) }

// ProducerEpoch is the idempotent producer's epoch.
func (h Header) ProducerEpoch() int16 { return int16(binary.BigEndian.Uint16(h[OffProducerEpoch:])) }

// BaseSequence is the first record's producer sequence number.
func (h Header) BaseSequence() int32 { return int32(binary.BigEndian.Uint32(h[OffBaseSequence:])) }

// RecordCount is the number of records the batch says it holds.
func (h Header) RecordCount() int32 { return int32(binary.BigEndian.Uint32(h[OffRecordCount:])) }

// Size is the whole batch's size in bytes as its length field says:
// BatchLength + LogOverhead.
func (h Header) Size() int { return int(h.BatchLength()) + LogOverhead }

// LastOffset is BaseOffset + LastOffsetDelta.
func (h Header) LastOffset() int64 { return h.BaseOffset() + int64(h.LastOffsetDelta()) }

// NextOffset is the offset after the batch's last: LastOffset + 1.
func (h Header) NextOffset() int64 { return h.LastOffset() + 1 }

// Codec is the compression codec from the attributes.
func (h Header) Codec() Codec { return Codec(h.Attributes() & AttrCodecMask) }

// LogAppendTime reports whether the timestamp-type bit says LogAppendTime.
func (h Header) LogAppendTime() bool { return h.Attributes()&AttrLogAppendTime != 0 }

// Transactional reports the transactional attribute bit.
func (h Header) Transactional() bool { return h.Attributes()&AttrTransactional != 0 }

// Control reports the control-batch attribute bit.
func (h Header) Control() bool { return h.Attributes()&AttrControl != 0 }

// Records is the record section: everything after the header, compressed
// when Codec is not CodecNone.
func (h Header) Records() []byte { return h[HeaderSize:h.Size()] }

// SetBaseOffset writes the base offset. It lies outside the CRC.
func (h Header) SetBaseOffset(o int64) { binary.BigEndian.PutUint64(h[OffBaseOffset:], uint64(o)) }

// SetPartitionLeaderEpoch writes the leader epoch. It lies outside the CRC.
func (h Header) SetPartitionLeaderEpoch(e int32) {
	binary.BigEndian.PutUint32(h[OffLeaderEpoch:], uint32(e))
}

// SetMaxTimestamp writes the max timestamp; call UpdateCRC afterwards.
func (h Header) SetMaxTimestamp(ts int64) {
	binary.BigEndian.PutUint64(h[OffMaxTimestamp:], uint64(ts))
}

// SetLogAppendTime sets or clears the timestamp-type bit; call UpdateCRC afterwards.
func (h Header) SetLogAppendTime(on bool) {
	a := uint16(h.Attributes())
	if on {
		a |= AttrLogAppendTime
	} else {
		a &^= AttrLogAppendTime
	}
	binary.BigEndian.PutUint16(h[OffAttributes:], a)
}

// ComputeCRC returns the CRC-32C of the batch's CRC'd range, [OffAttributes:Size()).
func (h Header) ComputeCRC() uint32 { return Checksum(h[OffAttributes:h.Size()]) }

// UpdateCRC recomputes the CRC and writes it into the header.
func (h Header) UpdateCRC() { binary.BigEndian.PutUint32(h[OffCRC:], h.ComputeCRC()) }
