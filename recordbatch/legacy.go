package recordbatch

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/bits"
	"slices"
)

// Legacy message sets (magic 0 and 1) are what Produce v0-v2 carry: a
// concatenation of messages, each
//
//	offset  size  field
//	     0     8  Offset        producer's choice; the broker assigns offsets
//	     8     4  MessageSize   bytes after this field
//	    12     4  CRC           CRC-32 (IEEE) of bytes [16:]
//	    16     1  Magic         0 or 1
//	    17     1  Attributes    bits 0-2 codec (gzip, snappy, lz4), bit 3 LogAppendTime (magic 1)
//	    18     8  Timestamp     magic 1 only
//	     …     4  KeyLength     -1 = null, then the key
//	     …     4  ValueLength   -1 = null, then the value
//
// A compressed message set is one "wrapper" message whose codec bits are
// set and whose value is a compressed message set of uncompressed messages
// (with relative offsets 0..n-1 in magic 1, arbitrary ones in magic 0).

// Sizes of the legacy message framing.
const (
	legacyLogOverhead = 12                // Offset + MessageSize
	legacyMinV0       = 4 + 1 + 1 + 4 + 4 // CRC, Magic, Attributes, KeyLength, ValueLength
	legacyMinV1       = legacyMinV0 + 8   // and Timestamp
)

// noTimestamp is Kafka's RecordBatch.NO_TIMESTAMP, the timestamp of every
// magic 0 message.
const noTimestamp = -1

type legacyMessage struct {
	magic     int8
	attrs     int8
	timestamp int64 // noTimestamp for magic 0
	key       []byte
	value     []byte
}

// Upconvert converts a legacy message set (magic 0 or 1) into one v2 batch
// with base offset 0, as Kafka's LogValidator does for old producers:
//
//   - Every message, or every message inside a compressed wrapper, becomes
//     a record with offset delta 0, 1, 2, … (the set's own offsets are
//     ignored; the broker assigns offsets).
//   - Magic 0 messages have no timestamp: their records get -1
//     (NO_TIMESTAMP), and so do the batch's base and max timestamps.
//     Magic 1 messages keep theirs, except that inside a wrapper with the
//     LogAppendTime bit every record takes the wrapper's timestamp.
//   - A compressed wrapper's batch is compressed again with the same codec
//     (compression.type=producer); an uncompressed set stays uncompressed.
//     UpconvertTo chooses another codec.
//   - The batch has no producer ID, epoch or sequence (all -1), leader
//     epoch -1 and CreateTime; the caller sets the leader epoch, and
//     LogAppendTime if the topic wants it.
//
// It checks each message's CRC-32, sizes and magic. LZ4 wrappers of magic 0
// carry the header checksum that Kafka 0.8-0.9 computed wrongly (over the
// frame magic too); as Kafka does, it is not checked. Decompression is
// bounded by maxDecompressed.
//
// Errors wrap ErrCorrupt; those Kafka answers with INVALID_RECORD (mixed
// magics, a wrapper that is not alone, nested compression, a null or empty
// wrapper, an empty set) also wrap ErrInvalidRecord. A trailing partial
// message is an error, where Kafka would drop it silently.
func Upconvert(msgSet []byte, maxDecompressed int) ([]byte, error) {
	return UpconvertTo(msgSet, Target{Producer: true}, maxDecompressed)
}

// UpconvertTo is Upconvert with the codec of the result chosen by to, as
// Kafka's LogValidator picks the topic's compression.type for an
// up-converted set: to.For(the wrapper's codec, or CodecNone for an
// uncompressed set).
func UpconvertTo(msgSet []byte, to Target, maxDecompressed int) ([]byte, error) {
	if len(msgSet) == 0 {
		return nil, fmt.Errorf("%w: %w: empty message set", ErrInvalidRecord, ErrCorrupt)
	}
	first, rest, err := readLegacyMessage(msgSet, 0)
	if err != nil {
		return nil, err
	}
	b := NewBuilder()
	codec := Codec(first.attrs & AttrCodecMask)
	if codec == CodecNone {
		if err := upconvertPlain(b, first, rest); err != nil {
			return nil, err
		}
	} else {
		if err := upconvertWrapper(b, first, rest, codec, maxDecompressed); err != nil {
			return nil, err
		}
	}
	b.Codec, b.level = to.For(codec)
	return b.AppendTo(nil)
}

func upconvertPlain(b *Builder, first legacyMessage, rest []byte) error {
	m := first
	for i := 0; ; i++ {
		if m.magic != first.magic {
			return fmt.Errorf("%w: %w: message %d has magic %d, the first has %d", ErrInvalidRecord, ErrCorrupt, i, m.magic, first.magic)
		}
		if m.attrs&AttrCodecMask != 0 {
			return fmt.Errorf("%w: %w: message %d is a compressed wrapper; a wrapper must be alone in its set",
				ErrInvalidRecord, ErrCorrupt, i)
		}
		b.Add(&Record{Timestamp: m.timestamp, Key: m.key, Value: m.value})
		if len(rest) == 0 {
			return nil
		}
		var err error
		if m, rest, err = readLegacyMessage(rest, i+1); err != nil {
			return err
		}
	}
}

func upconvertWrapper(b *Builder, w legacyMessage, rest []byte, codec Codec, maxDecompressed int) error {
	if len(rest) > 0 {
		return fmt.Errorf("%w: %w: compressed wrapper followed by %d more bytes; it must be alone",
			ErrInvalidRecord, ErrCorrupt, len(rest))
	}
	if codec > CodecLZ4 {
		return fmt.Errorf("%w: %w: codec %s in a magic %d message", ErrCorrupt, ErrUnknownCodec, codec, w.magic)
	}
	if w.value == nil {
		return fmt.Errorf("%w: %w: compressed wrapper has a null value", ErrInvalidRecord, ErrCorrupt)
	}
	src := w.value
	if codec == CodecLZ4 && w.magic == 0 {
		src = fixLZ4HeaderChecksum(src)
	}
	inner, err := Decompress(nil, codec, src, maxDecompressed)
	if err != nil {
		return fmt.Errorf("compressed wrapper: %w", err)
	}
	if len(inner) == 0 {
		return fmt.Errorf("%w: %w: compressed wrapper holds no messages", ErrInvalidRecord, ErrCorrupt)
	}
	appendTime := w.magic == 1 && w.attrs&AttrLogAppendTime != 0
	for i := 0; len(inner) > 0; i++ {
		var m legacyMessage
		if m, inner, err = readLegacyMessage(inner, i); err != nil {
			return fmt.Errorf("compressed wrapper: %w", err)
		}
		if m.magic != w.magic {
			return fmt.Errorf("%w: %w: inner message %d has magic %d, its wrapper %d", ErrInvalidRecord, ErrCorrupt, i, m.magic, w.magic)
		}
		if m.attrs&AttrCodecMask != 0 {
			return fmt.Errorf("%w: %w: inner message %d is compressed too", ErrInvalidRecord, ErrCorrupt, i)
		}
		ts := m.timestamp
		if appendTime {
			ts = w.timestamp
		}
		b.Add(&Record{Timestamp: ts, Key: m.key, Value: m.value})
	}
	return nil
}

// readLegacyMessage parses the message at the start of b and returns it
// with the bytes after it. i numbers the message in errors.
func readLegacyMessage(b []byte, i int) (legacyMessage, []byte, error) {
	var m legacyMessage
	if len(b) < legacyLogOverhead {
		return m, nil, fmt.Errorf("%w: message %d: %d bytes, too short for an offset and a size", ErrCorrupt, i, len(b))
	}
	size := int32(binary.BigEndian.Uint32(b[8:]))
	if size < legacyMinV0 || int64(size) > int64(len(b)-legacyLogOverhead) {
		return m, nil, fmt.Errorf("%w: message %d: size %d, %d bytes follow it", ErrCorrupt, i, size, len(b)-legacyLogOverhead)
	}
	msg := b[legacyLogOverhead : legacyLogOverhead+int(size)]
	rest := b[legacyLogOverhead+int(size):]
	if got, want := binary.BigEndian.Uint32(msg), crc32.ChecksumIEEE(msg[4:]); got != want {
		return m, nil, fmt.Errorf("%w: message %d: crc %08x, computed %08x", ErrCorrupt, i, got, want)
	}
	m.magic, m.attrs = int8(msg[4]), int8(msg[5])
	p := 6
	switch m.magic {
	case 0:
		m.timestamp = noTimestamp
	case 1:
		if size < legacyMinV1 {
			return m, nil, fmt.Errorf("%w: message %d: size %d, too short for magic 1", ErrCorrupt, i, size)
		}
		m.timestamp = int64(binary.BigEndian.Uint64(msg[p:]))
		p += 8
	default:
		return m, nil, fmt.Errorf("%w: message %d: magic %d, want 0 or 1", ErrCorrupt, i, m.magic)
	}
	var err error
	if m.key, p, err = legacyBytes(msg, p, i, "key"); err != nil {
		return m, nil, err
	}
	if m.value, p, err = legacyBytes(msg, p, i, "value"); err != nil {
		return m, nil, err
	}
	if p != len(msg) {
		return m, nil, fmt.Errorf("%w: message %d: size says %d bytes, its fields take %d", ErrCorrupt, i, len(msg), p)
	}
	return m, rest, nil
}

// legacyBytes reads an int32-length-prefixed byte string at msg[p:].
func legacyBytes(msg []byte, p, i int, field string) ([]byte, int, error) {
	if len(msg)-p < 4 {
		return nil, p, fmt.Errorf("%w: message %d: %s length runs past the message", ErrCorrupt, i, field)
	}
	l := int32(binary.BigEndian.Uint32(msg[p:]))
	p += 4
	if l == -1 {
		return nil, p, nil
	}
	if l < 0 || int64(l) > int64(len(msg)-p) {
		return nil, p, fmt.Errorf("%w: message %d: %s length %d, %d bytes left in the message", ErrCorrupt, i, field, l, len(msg)-p)
	}
	end := p + int(l)
	return msg[p:end:end], end, nil
}

// lz4FrameMagic starts every LZ4 frame (little-endian on the wire).
const lz4FrameMagic = 0x184D2204

// fixLZ4HeaderChecksum returns src with the frame descriptor's checksum
// byte (HC) set to the value the LZ4 frame format specifies: the second
// byte of the XXH32 of the descriptor. Kafka's magic 0 producers hashed
// the frame magic too, and Kafka skips the check for magic 0. src is
// copied only when the byte changes; anything that is not an LZ4 frame
// header is returned as is, for the decoder to reject.
func fixLZ4HeaderChecksum(src []byte) []byte {
	if len(src) < 7 || binary.LittleEndian.Uint32(src) != lz4FrameMagic {
		return src
	}
	flg := src[4]
	hc := 4 + 2 // magic, FLG, BD
	if flg&0x08 != 0 {
		hc += 8 // content size
	}
	if flg&0x01 != 0 {
		hc += 4 // dictionary ID
	}
	if len(src) <= hc {
		return src
	}
	want := byte(xxh32(src[4:hc]) >> 8)
	if src[hc] == want {
		return src
	}
	fixed := slices.Clone(src)
	fixed[hc] = want
	return fixed
}

// XXH32 with seed 0, for LZ4 frame descriptors.
const (
	xxhPrime1 uint32 = 2654435761
	xxhPrime2 uint32 = 2246822519
	xxhPrime3 uint32 = 3266489917
	xxhPrime4 uint32 = 668265263
	xxhPrime5 uint32 = 374761393
)

func xxh32(b []byte) uint32 {
	n := uint32(len(b))
	var h uint32
	if len(b) >= 16 {
		// The seed-0 accumulators: prime1+prime2, prime2, 0, -prime1 (mod 2^32).
		v1, v2, v3, v4 := uint32(606290984), xxhPrime2, uint32(0), uint32(1640531535)
		for ; len(b) >= 16; b = b[16:] {
			v1 = xxhRound(v1, binary.LittleEndian.Uint32(b))
			v2 = xxhRound(v2, binary.LittleEndian.Uint32(b[4:]))
			v3 = xxhRound(v3, binary.LittleEndian.Uint32(b[8:]))
			v4 = xxhRound(v4, binary.LittleEndian.Uint32(b[12:]))
		}
		h = bits.RotateLeft32(v1, 1) + bits.RotateLeft32(v2, 7) + bits.RotateLeft32(v3, 12) + bits.RotateLeft32(v4, 18)
	} else {
		h = xxhPrime5
	}
	h += n
	for ; len(b) >= 4; b = b[4:] {
		h += binary.LittleEndian.Uint32(b) * xxhPrime3
		h = bits.RotateLeft32(h, 17) * xxhPrime4
	}
	for _, c := range b {
		h += uint32(c) * xxhPrime5
		h = bits.RotateLeft32(h, 11) * xxhPrime1
	}
	h ^= h >> 15
	h *= xxhPrime2
	h ^= h >> 13
	h *= xxhPrime3
	h ^= h >> 16
	return h
}

func xxhRound(acc, in uint32) uint32 {
	acc += in * xxhPrime2
	return bits.RotateLeft32(acc, 13) * xxhPrime1
}
