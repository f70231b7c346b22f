package recordbatch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/pierrec/lz4/v4"
)

// legacyForm is one way a producer of the old formats compressed a set.
type legacyForm struct {
	name     string
	codec    Codec
	compress func([]byte) []byte // nil: Compress
}

func legacyForms() []legacyForm {
	return []legacyForm{
		{"none", CodecNone, nil},
		{"gzip", CodecGzip, nil},
		{"snappy-raw", CodecSnappy, nil},
		{"snappy-xerial", CodecSnappy, func(b []byte) []byte { return appendXerial(nil, b, 32<<10) }},
		{"lz4", CodecLZ4, nil},
		{"lz4-kafka08-checksum", CodecLZ4, brokenLZ4},
	}
}

// brokenLZ4 writes an LZ4 frame whose header checksum covers the frame
// magic too, as Kafka 0.8's KafkaLZ4BlockOutputStream did for magic 0.
func brokenLZ4(b []byte) []byte {
	out, err := Compress(nil, CodecLZ4, b)
	if err != nil {
		panic(err)
	}
	hc := 6 // magic, FLG, BD: no content size or dictionary ID
	out[hc] = byte(xxh32(out[:hc]) >> 8)
	return out
}

func TestUpconvert(t *testing.T) {
	for _, magic := range []int8{0, 1} {
		for _, f := range legacyForms() {
			if f.name == "lz4-kafka08-checksum" && magic == 1 {
				continue // magic 1 producers wrote the checksum right; see TestUpconvertErrors
			}
			t.Run(f.name+"/magic"+string(rune('0'+magic)), func(t *testing.T) {
				recs := withoutHeaders(sampleRecords())
				var set []byte
				if f.codec == CodecNone {
					set = legacySet(magic, recs)
				} else {
					set = legacyWrapper(t, magic, f.codec, recs, f.compress)
				}
				out, err := Upconvert(set, 1<<20)
				if err != nil {
					t.Fatalf("Upconvert: %v", err)
				}
				if err := Validate(out, 0); err != nil {
					t.Fatalf("Validate: %v", err)
				}
				want := withoutHeaders(sampleRecords())
				wantBase, wantMax := sampleBase, sampleBase+1000
				if magic == 0 {
					for i := range want {
						want[i].Timestamp = -1
					}
					wantBase, wantMax = -1, -1
				}
				h := Header(out)
				if h.Codec() != f.codec || h.BaseTimestamp() != wantBase || h.MaxTimestamp() != wantMax ||
					h.ProducerID() != -1 || h.ProducerEpoch() != -1 || h.BaseSequence() != -1 ||
					h.PartitionLeaderEpoch() != -1 || h.LogAppendTime() || h.Transactional() {
					t.Fatalf("header: codec %s, timestamps %d/%d, producer %d/%d/%d, epoch %d, attributes %#x",
						h.Codec(), h.BaseTimestamp(), h.MaxTimestamp(), h.ProducerID(), h.ProducerEpoch(),
						h.BaseSequence(), h.PartitionLeaderEpoch(), h.Attributes())
				}
				got, err := iterate(out, 1<<20)
				wantRecords(t, got, err, want)

				// kgo, reading the same set as a consumer, sees the same
				// keys and values (and magic 1 timestamps).
				if f.name == "lz4-kafka08-checksum" {
					return // kgo checks the header checksum
				}
				fp := kgoFetch(set)
				if fp.Err != nil {
					t.Fatalf("kgo: %v", fp.Err)
				}
				fromKgo := kgoRecords(fp)
				for i := range fromKgo {
					fromKgo[i].Offset = int64(i)
					if magic == 0 {
						fromKgo[i].Timestamp = -1
					}
				}
				if d := diffRecords(fromKgo, want); d != "" {
					t.Fatalf("kgo: %s", d)
				}
			})
		}
	}
}

// TestUpconvertAppendTimeWrapper: inside a magic 1 wrapper marked
// LogAppendTime, every record takes the wrapper's timestamp.
func TestUpconvertAppendTimeWrapper(t *testing.T) {
	recs := withoutHeaders(smallRecords())
	w := legacyWrapper(t, 1, CodecGzip, recs, nil)
	w[17] |= AttrLogAppendTime
	binary.BigEndian.PutUint64(w[18:], 777)
	binary.BigEndian.PutUint32(w[12:], crc32.ChecksumIEEE(w[16:]))
	out, err := Upconvert(w, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		recs[i].Timestamp = 777
	}
	got, err := iterate(out, 1<<20)
	wantRecords(t, got, err, recs)
}

func TestUpconvertErrors(t *testing.T) {
	recs := withoutHeaders(smallRecords())
	plain1 := legacySet(1, recs)
	gzip1 := legacyWrapper(t, 1, CodecGzip, recs, nil)
	recrc := func(m []byte) []byte {
		binary.BigEndian.PutUint32(m[12:], crc32.ChecksumIEEE(m[16:]))
		return m
	}
	mutate := func(b []byte, at int, v byte) []byte {
		b = bytes.Clone(b)
		b[at] = v
		return b
	}
	emptyGzip, _ := Compress(nil, CodecGzip, nil)
	bomb, _ := Compress(nil, CodecGzip, make([]byte, 4<<20))
	for _, tc := range []struct {
		name    string
		set     []byte
		want    string
		invalid bool // wraps ErrInvalidRecord
		is      error
	}{
		{"empty", nil, "empty message set", true, nil},
		{"short", plain1[:11], "too short for an offset and a size", false, nil},
		{"size below the minimum", mutate(plain1, 11, 13), "size 13", false, nil},
		{"size past the end", legacyMsg(1, 0, 0, 0, nil, []byte("v"))[:30], "size 23, 18 bytes follow", false, nil},
		{"crc", mutate(plain1, 12, plain1[12]^1), "crc", false, nil},
		{"magic 2", recrc(mutate(legacyMsg(1, 0, 0, 5, nil, []byte("v")), 16, 2)), "magic 2, want 0 or 1", false, nil},
		{"magic 1 too short", recrc(mutate(legacyMsg(0, 0, 0, 0, nil, nil), 16, 1)), "size 14, too short for magic 1", false, nil},
		{"key length -2", recrc(func() []byte {
			m := legacyMsg(1, 0, 0, 0, nil, nil)
			binary.BigEndian.PutUint32(m[26:], uint32(0xfffffffe))
			return m
		}()), "key length -2", false, nil},
		{"value past the message", recrc(func() []byte {
			m := legacyMsg(0, 0, 0, 0, nil, []byte("abc"))
			binary.BigEndian.PutUint32(m[22:], 4)
			return m
		}()), "value length 4", false, nil},
		{"bytes after the value", func() []byte {
			m := append(legacyMsg(0, 0, 0, 0, nil, []byte("abc")), 0)
			binary.BigEndian.PutUint32(m[8:], uint32(len(m)-12))
			return recrc(m)
		}(), "its fields take", false, nil},
		{"mixed magic", append(legacySet(1, recs[:1]), legacySet(0, recs[:1])...), "message 1 has magic 0", true, nil},
		{"wrapper then more", append(bytes.Clone(gzip1), plain1...), "must be alone", true, nil},
		{"wrapper second", append(bytes.Clone(plain1), gzip1...), "message 3 is a compressed wrapper", true, nil},
		{"null wrapper value", legacyMsg(1, int8(CodecGzip), 0, 0, nil, nil), "null value", true, nil},
		{"empty wrapper", legacyMsg(1, int8(CodecGzip), 0, 0, nil, emptyGzip), "holds no messages", true, nil},
		{"nested compression", legacyWrapper(t, 1, CodecGzip, nil, func([]byte) []byte {
			v, _ := Compress(nil, CodecGzip, gzip1)
			return v
		}), "inner message 0 is compressed too", true, nil},
		{"inner magic differs", legacyMsg(1, int8(CodecGzip), 0, 0, nil, func() []byte {
			v, _ := Compress(nil, CodecGzip, legacySet(0, recs))
			return v
		}()), "inner message 0 has magic 0", true, nil},
		{"inner crc", legacyMsg(1, int8(CodecGzip), 0, 0, nil, func() []byte {
			v, _ := Compress(nil, CodecGzip, mutate(plain1, 30, plain1[30]^1))
			return v
		}()), "message 0: crc", false, nil},
		{"inner truncated", legacyMsg(1, int8(CodecGzip), 0, 0, nil, func() []byte {
			v, _ := Compress(nil, CodecGzip, plain1[:len(plain1)-1])
			return v
		}()), "message 2: size", false, nil},
		{"zstd wrapper", legacyMsg(1, int8(CodecZstd), 0, 0, nil, []byte("x")), "codec zstd in a magic 1", false, ErrUnknownCodec},
		{"codec 7 wrapper", legacyMsg(0, 7, 0, 0, nil, []byte("x")), "codec(7) in a magic 0", false, ErrUnknownCodec},
		{"corrupt payload", legacyMsg(1, int8(CodecSnappy), 0, 0, nil, []byte("not snappy")), "snappy", false, nil},
		{"bomb", legacyMsg(0, int8(CodecGzip), 0, 0, nil, bomb), "inflates past", false, ErrMaxDecompress},
		{"magic 1 lz4 with Kafka 0.8's checksum", legacyWrapper(t, 1, CodecLZ4, recs, brokenLZ4), "lz4", false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Upconvert(tc.set, 1<<20)
			if err == nil {
				t.Fatalf("no error; %d bytes out", len(out))
			}
			if !errors.Is(err, ErrCorrupt) || errors.Is(err, ErrInvalidRecord) != tc.invalid ||
				(tc.is != nil && !errors.Is(err, tc.is)) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q; want ErrCorrupt, invalid %v, %v, containing %q", err, tc.invalid, tc.is, tc.want)
			}
		})
	}
}

// TestUpconvertTruncations: an uncompressed set cut at a message boundary
// is a shorter valid set; cut anywhere else, or a wrapper cut anywhere,
// it is an error.
func TestUpconvertTruncations(t *testing.T) {
	recs := withoutHeaders(smallRecords())
	for _, magic := range []int8{0, 1} {
		plain := legacySet(magic, recs)
		boundaries := map[int]int{} // length → messages
		for n, at := 0, 0; at < len(plain); n++ {
			boundaries[at] = n
			at += legacyLogOverhead + int(binary.BigEndian.Uint32(plain[at+8:]))
		}
		for n := 1; n < len(plain); n++ {
			out, err := Upconvert(plain[:n], 1<<20)
			if msgs, ok := boundaries[n]; ok {
				if err != nil || Header(out).RecordCount() != int32(msgs) {
					t.Fatalf("magic %d cut at message boundary %d: %v", magic, n, err)
				}
			} else if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("magic %d cut to %d: %v", magic, n, err)
			}
		}
		for _, f := range legacyForms()[1:] {
			w := legacyWrapper(t, magic, f.codec, recs, f.compress)
			for n := 1; n < len(w); n++ {
				if _, err := Upconvert(w[:n], 1<<20); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("magic %d %s cut to %d: %v", magic, f.name, n, err)
				}
			}
		}
	}
}

// TestUpconvertBitFlips: the Offset fields are ignored, so flips there
// change nothing; every other flip breaks a size or a CRC-32.
func TestUpconvertBitFlips(t *testing.T) {
	recs := withoutHeaders(smallRecords())
	for _, magic := range []int8{0, 1} {
		for _, f := range legacyForms() {
			var set []byte
			if f.codec == CodecNone {
				set = legacySet(magic, recs)
			} else {
				set = legacyWrapper(t, magic, f.codec, recs, f.compress)
			}
			want, err := Upconvert(set, 1<<20)
			if magic == 1 && f.name == "lz4-kafka08-checksum" {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			offsetByte := map[int]bool{}
			for at := 0; at < len(set); at += legacyLogOverhead + int(binary.BigEndian.Uint32(set[at+8:])) {
				for i := range 8 {
					offsetByte[at+i] = true
				}
			}
			b := bytes.Clone(set)
			for i := range len(b) * 8 {
				b[i/8] ^= 1 << (i % 8)
				var out []byte
				bound := uint64(2<<16 + 64*len(set) + 4<<20 + 64<<10)
				alloc, ok := allocatedWithin(bound, func() { out, err = Upconvert(b, 1<<16) })
				if offsetByte[i/8] {
					if err != nil || !bytes.Equal(out, want) {
						t.Fatalf("magic %d %s: flip of offset bit %d: %v", magic, f.name, i, err)
					}
				} else if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("magic %d %s: flip of bit %d: %v", magic, f.name, i, err)
				}
				if !ok {
					t.Fatalf("magic %d %s: flip of bit %d: allocated %d bytes", magic, f.name, i, alloc)
				}
				b[i/8] ^= 1 << (i % 8)
			}
		}
	}
}

func TestXXH32(t *testing.T) {
	// The reference test vectors (seed 0).
	for _, tc := range []struct {
		in   string
		want uint32
	}{
		{"", 0x02cc5d05},
		{"a", 0x550d7456},
		{"abc", 0x32d153ff},
		{"abcdefghij", 0x8b988cfe},
		{"abcdefghijklmnop", 0x9d2d8b62},
		{"abcdefghijklmnopqrstuvwxyz0123456789", 0x42ae804d},
	} {
		if got := xxh32([]byte(tc.in)); got != tc.want {
			t.Errorf("xxh32(%q) = %08x, want %08x", tc.in, got, tc.want)
		}
	}
	// Frames pierrec writes carry the right checksum: fix leaves them be.
	for _, opts := range [][]lz4.Option{nil, {lz4.SizeOption(5)}} {
		var buf bytes.Buffer
		w := lz4.NewWriter(&buf)
		if err := w.Apply(opts...); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte("hello")); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		frame := buf.Bytes()
		if fixed := fixLZ4HeaderChecksum(frame); &fixed[0] != &frame[0] {
			t.Errorf("options %v: a correct frame was copied", opts)
		}
	}
	broken := brokenLZ4([]byte("hello"))
	fixed := fixLZ4HeaderChecksum(broken)
	if bytes.Equal(fixed, broken) {
		t.Fatal("broken checksum not fixed")
	}
	if out, err := Decompress(nil, CodecLZ4, fixed, 10); err != nil || string(out) != "hello" {
		t.Fatalf("fixed frame: %q, %v", out, err)
	}
	if _, err := Decompress(nil, CodecLZ4, broken, 10); err == nil {
		t.Fatal("the broken frame decodes without the fix: the test is not testing it")
	}
	for _, notFrame := range [][]byte{nil, []byte("short"), []byte("not an lz4 frame at all")} {
		if got := fixLZ4HeaderChecksum(notFrame); !bytes.Equal(got, notFrame) {
			t.Errorf("%q changed", notFrame)
		}
	}
}
