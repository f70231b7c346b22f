package recordbatch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/klauspost/compress/s2"
)

// Kafka's snappy payloads come in two forms. kgo, librdkafka and Sarama
// write one raw snappy block. The Java client writes snappy-java's stream
// ("xerial") framing:
//
//	offset  size  field
//	     0     8  magic  0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00
//	     8     4  version             (1)
//	    12     4  compatible version  (1)
//	    16     …  blocks: a big-endian int32 length, then a raw snappy block of that many bytes
//
// Decoding tells them apart by the magic, as the Java and kgo readers do.

var xerialMagic = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

// xerialHeaderSize is the magic and the two version fields.
const xerialHeaderSize = 16

var errXerialFraming = errors.New("malformed xerial framing")

func decompressSnappy(dst, src []byte, max int) ([]byte, error) {
	if len(src) >= xerialHeaderSize && bytes.HasPrefix(src, xerialMagic) {
		return decompressXerial(dst, src[xerialHeaderSize:], max)
	}
	return decodeSnappyBlock(dst, src, max, 0)
}

// decodeSnappyBlock appends one raw snappy block to dst. used is how much
// output earlier blocks made; the block's declared length is checked
// against max before anything is allocated for it.
func decodeSnappyBlock(dst, src []byte, max, used int) ([]byte, error) {
	n, err := s2.DecodedLen(src)
	if err != nil {
		return dst, err
	}
	if n > max-used {
		return dst, errMaxDecompress(CodecSnappy, max)
	}
	dst = slices.Grow(dst, n)
	if _, err := s2.Decode(dst[len(dst):len(dst)+n], src); err != nil { // room given: decodes in place
		return dst, err
	}
	return dst[:len(dst)+n], nil
}

// decompressXerial decodes the blocks after the xerial header. It first
// walks the block lengths, checking the framing and summing the declared
// sizes against max, so that dst grows once.
func decompressXerial(dst, blocks []byte, max int) ([]byte, error) {
	total := 0
	for rem := blocks; len(rem) > 0; {
		block, next, err := nextXerialBlock(rem)
		if err != nil {
			return dst, err
		}
		n, err := s2.DecodedLen(block)
		if err != nil {
			return dst, err
		}
		if n > max-total {
			return dst, errMaxDecompress(CodecSnappy, max)
		}
		total += n
		rem = next
	}
	dst = slices.Grow(dst, total)
	used := 0
	for len(blocks) > 0 {
		block, next, _ := nextXerialBlock(blocks) // checked above
		before := len(dst)
		var err error
		if dst, err = decodeSnappyBlock(dst, block, max, used); err != nil {
			return dst, err
		}
		used += len(dst) - before
		blocks = next
	}
	return dst, nil
}

func nextXerialBlock(b []byte) (block, rest []byte, err error) {
	if len(b) < 4 {
		return nil, nil, fmt.Errorf("%w: %d bytes where a block length belongs", errXerialFraming, len(b))
	}
	n := int32(binary.BigEndian.Uint32(b))
	b = b[4:]
	if n < 0 || int(n) > len(b) {
		return nil, nil, fmt.Errorf("%w: block length %d, %d bytes left", errXerialFraming, n, len(b))
	}
	return b[:n], b[n:], nil
}
