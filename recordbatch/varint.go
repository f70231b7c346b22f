package recordbatch

// Kafka's record fields use zigzag varints: int32 values in at most 5 bytes
// ("varint") and int64 values in at most 10 ("varlong"), 7 bits a byte, low
// group first, the high bit set on every byte but the last.
//
// The readers here accept only minimal encodings, as every known client
// writes them (Java's ByteUtils, librdkafka, kgo, Sarama). Java accepts
// padded ones too; rejecting them is what lets a decoded batch re-encode to
// exactly its input bytes.

// varintStatus is the second result of the readers when no value was read.
const (
	varintShort = 0  // the bytes end inside the varint
	varintBad   = -1 // too long, overflowing its type, or not minimal
)

// readVarint decodes a zigzag varint int32 from the start of b. It returns
// the value and the number of bytes read, or varintShort or varintBad.
func readVarint(b []byte) (int32, int) {
	if len(b) > 0 && b[0] < 0x80 {
		u := uint32(b[0])
		return int32(u>>1) ^ -int32(u&1), 1
	}
	u, n := readUvarint(b, 5, 0x0f)
	return int32(uint32(u)>>1) ^ -int32(u&1), n
}

// readVarlong decodes a zigzag varint int64 from the start of b, with the
// same results as readVarint.
func readVarlong(b []byte) (int64, int) {
	if len(b) > 0 && b[0] < 0x80 {
		u := uint64(b[0])
		return int64(u>>1) ^ -int64(u&1), 1
	}
	u, n := readUvarint(b, 10, 0x01)
	return int64(u>>1) ^ -int64(u&1), n
}

// readUvarint decodes an unsigned varint of at most maxLen bytes whose last
// byte, when the encoding uses all maxLen, is at most lastMax (the bits the
// type has left). The value is 0 whenever n <= 0.
func readUvarint(b []byte, maxLen int, lastMax byte) (v uint64, n int) {
	var shift uint
	for i := 0; i < maxLen; i++ {
		if i == len(b) {
			return 0, varintShort
		}
		c := b[i]
		if c < 0x80 {
			if c == 0 && i > 0 {
				return 0, varintBad // a padded encoding: the last group is empty
			}
			if i == maxLen-1 && c > lastMax {
				return 0, varintBad // more bits than the type holds
			}
			return v | uint64(c)<<shift, i + 1
		}
		v |= uint64(c&0x7f) << shift
		shift += 7
	}
	return 0, varintBad // continuation bit set on the last allowed byte
}

// appendVarint appends v as a zigzag varint.
func appendVarint(dst []byte, v int32) []byte {
	return appendUvarint(dst, uint64(uint32(v<<1)^uint32(v>>31)))
}

// appendVarlong appends v as a zigzag varlong.
func appendVarlong(dst []byte, v int64) []byte {
	return appendUvarint(dst, uint64(v<<1)^uint64(v>>63))
}

func appendUvarint(dst []byte, u uint64) []byte {
	for u >= 0x80 {
		dst = append(dst, byte(u)|0x80)
		u >>= 7
	}
	return append(dst, byte(u))
}

// varintLen is the encoded size of v as a zigzag varint.
func varintLen(v int32) int { return uvarintLen(uint64(uint32(v<<1) ^ uint32(v>>31))) }

// varlongLen is the encoded size of v as a zigzag varlong.
func varlongLen(v int64) int { return uvarintLen(uint64(v<<1) ^ uint64(v>>63)) }

func uvarintLen(u uint64) int {
	n := 1
	for u >= 0x80 {
		u >>= 7
		n++
	}
	return n
}
