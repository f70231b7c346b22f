package recordbatch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The fuzz targets. Each runs its committed corpus under
// testdata/fuzz/FuzzX/ (written by TestFuzzCorpus -update from the seeds
// below) and its f.Add edge cases on every go test.

// FuzzValidate feeds arbitrary bytes and limits to Validate.
//
// Invariants: it never panics; an error wraps ErrCorrupt or is ErrTooLarge
// (and then does not wrap ErrCorrupt). An accepted batch is no larger than
// a positive limit, passes CheckStored, and agrees with kmsg: kmsg reads it
// without error, re-encodes it to the same bytes, and its length, CRC-32C,
// base offset (0), counts, control bit and codec pass the same rules.
func FuzzValidate(f *testing.F) {
	f.Add([]byte{}, 0)
	f.Add(rawBatch(1, 0, goodRecord), 0)
	f.Add(rawBatch(1, 0, goodRecord), 10)
	f.Add(rawBatch(0, 0, nil), 0)
	f.Fuzz(func(t *testing.T, b []byte, limit int) {
		err := Validate(b, limit)
		if err != nil {
			if errors.Is(err, ErrTooLarge) == errors.Is(err, ErrCorrupt) {
				t.Fatalf("%v: want exactly one of ErrTooLarge and ErrCorrupt", err)
			}
			return
		}
		if limit > 0 && len(b) > limit {
			t.Fatalf("accepted %d bytes over the limit %d", len(b), limit)
		}
		if err := CheckStored(b); err != nil {
			t.Fatalf("Validate accepts, CheckStored: %v", err)
		}
		var rb kmsg.RecordBatch
		if err := rb.ReadFrom(b); err != nil {
			t.Fatalf("kmsg: %v", err)
		}
		if !bytes.Equal(rb.AppendTo(nil), b) {
			t.Fatal("kmsg re-encodes to different bytes")
		}
		if int(rb.Length) != len(b)-LogOverhead || rb.Magic != 2 || rb.FirstOffset != 0 ||
			uint32(rb.CRC) != crc32.Checksum(b[OffAttributes:], crc32.MakeTable(crc32.Castagnoli)) ||
			rb.NumRecords <= 0 || rb.NumRecords != rb.LastOffsetDelta+1 ||
			rb.Attributes&AttrControl != 0 || rb.Attributes&7 > 4 ||
			(rb.ProducerID >= 0 && rb.FirstSequence < 0) {
			t.Fatalf("accepted, but kmsg reads %+v", rb)
		}
	})
}

// FuzzIterate feeds arbitrary bytes to an Iterator with a 1 MiB
// decompression limit.
//
// Invariants: it never panics; an error wraps ErrCorrupt. An accepted batch
// agrees with kmsg (kmsg.RecordBatch, kgo's decompressor, kmsg.Record):
// the same records, offsets, timestamps, keys, values and headers, null
// told from empty. Its records re-encode (kmsg.Record.AppendTo, with the
// batch's offset and timestamp deltas) to exactly the record section, or
// for a compressed batch to its decompression; and a Builder given the
// records writes a batch that iterates back to them.
func FuzzIterate(f *testing.F) {
	f.Add([]byte{})
	f.Add(rawBatch(1, 0, goodRecord))
	f.Add(rawBatch(2, 0, append(bytes.Clone(goodRecord), goodRecord...)))
	f.Add(rawBatch(1, 0, framed(rec("\x00", 0, 0, -1, -1, 1, 0, -1))))
	f.Fuzz(func(t *testing.T, b []byte) {
		const max = 1 << 20
		got, err := iterate(b, max)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%v does not wrap ErrCorrupt", err)
			}
			return
		}
		h := Header(b)
		if len(got) != int(h.RecordCount()) {
			t.Fatalf("%d records, the batch says %d", len(got), h.RecordCount())
		}
		if len(got) == 0 {
			return
		}
		fromKmsg, err := kmsgRecords(b)
		if err != nil {
			t.Fatalf("accepted, kmsg: %v", err)
		}
		if d := diffRecords(got, fromKmsg); d != "" {
			t.Fatalf("kmsg disagrees: %s", d)
		}
		section := h.Records()
		if h.Codec() != CodecNone {
			if section, err = Decompress(nil, h.Codec(), section, max); err != nil {
				t.Fatal(err)
			}
		}
		if !h.LogAppendTime() { // else the records' own timestamps are not visible
			if re := reencode(got, h.BaseOffset(), h.BaseTimestamp()); !bytes.Equal(re, section) {
				t.Fatalf("records re-encode to %x, were %x", re, section)
			}
		}
		bl := *NewBuilder()
		bl.Codec = h.Codec()
		rebuilt, err := iterate(build(t, bl, got), max)
		want := slices.Clone(got)
		for i := range want {
			want[i].Offset = int64(i)
		}
		wantRecords(t, rebuilt, err, want)
	})
}

// reencode writes records with kmsg's encoder, their deltas taken against
// the batch's base offset and timestamp.
func reencode(recs []Record, baseOffset, baseTime int64) []byte {
	var out []byte
	for _, r := range recs {
		kr := kmsg.Record{
			Attributes:       r.Attributes,
			TimestampDelta64: r.Timestamp - baseTime,
			OffsetDelta:      int32(r.Offset - baseOffset),
			Key:              r.Key,
			Value:            r.Value,
		}
		for _, h := range r.Headers {
			kr.Headers = append(kr.Headers, kmsg.Header{Key: string(h.Key), Value: h.Value})
		}
		body := kr.AppendTo(nil)[1:] // encoded with Length 0: one byte to drop
		out = appendVarint(out, int32(len(body)))
		out = append(out, body...)
	}
	return out
}

// FuzzDecompress feeds arbitrary payloads, codecs and limits to
// Decompress, appending to a prefix.
//
// Invariants: it never panics; the prefix is kept; an error wraps
// ErrCorrupt and returns dst at its original length; no more than max
// bytes are appended. Accepted output is what kgo's decompressor (over
// the same libraries, with its own xerial and bounds code) makes of the
// payload, and Compress then Decompress gives it back.
func FuzzDecompress(f *testing.F) {
	f.Add(uint8(0), []byte("plain"), uint16(5))
	f.Add(uint8(2), appendXerial(nil, []byte("xerial"), 3), uint16(100))
	f.Add(uint8(2), xerialMagic, uint16(100))
	f.Add(uint8(6), []byte{1, 2, 3}, uint16(100))
	f.Fuzz(func(t *testing.T, codec uint8, src []byte, max uint16) {
		c := Codec(codec % 8)
		prefix := []byte("pre")
		out, err := Decompress(bytes.Clone(prefix), c, src, int(max))
		if !bytes.HasPrefix(out, prefix) {
			t.Fatal("prefix lost")
		}
		if err != nil {
			if !errors.Is(err, ErrCorrupt) || len(out) != len(prefix) {
				t.Fatalf("%v: %d bytes returned", err, len(out))
			}
			return
		}
		out = out[len(prefix):]
		if len(out) > int(max) {
			t.Fatalf("%d bytes out, max %d", len(out), max)
		}
		want := src
		switch {
		case c == CodecNone:
		case c == CodecSnappy && len(src) == xerialHeaderSize:
			want = nil // a xerial header and no blocks; kgo wants a block after it
		default:
			if want, err = kgo.DefaultDecompressor().Decompress(src, kgo.CompressionCodecType(c)); err != nil {
				t.Fatalf("accepted, kgo: %v", err)
			}
		}
		if !bytes.Equal(out, want) {
			t.Fatalf("decoded %d bytes, kgo %d", len(out), len(want))
		}
		comp, err := Compress(nil, c, out)
		if err != nil {
			t.Fatal(err)
		}
		if again, err := Decompress(nil, c, comp, len(out)); err != nil || !bytes.Equal(again, out) {
			t.Fatalf("recompressed round trip: %v", err)
		}
	})
}

// FuzzLegacyUpconvert feeds arbitrary message sets to Upconvert with a
// 1 MiB decompression limit.
//
// Invariants: it never panics; an error wraps ErrCorrupt. An accepted set
// gives a batch that passes Validate and iterates to the records that an
// independent reading of the set finds (kmsg.MessageV0/V1 for the framing,
// kgo's decompressor for wrappers, Kafka's timestamp rules); and an
// uncompressed set re-encodes from those records to its own bytes.
func FuzzLegacyUpconvert(f *testing.F) {
	f.Add([]byte{})
	f.Add(legacyMsg(0, 0, 0, 0, []byte("k"), []byte("v")))
	f.Add(legacyMsg(1, 0, 7, 123, nil, []byte{}))
	f.Add(legacyMsg(1, int8(CodecNone|AttrLogAppendTime), 0, 5, []byte{}, nil))
	f.Fuzz(func(t *testing.T, set []byte) {
		const max = 1 << 20
		out, err := Upconvert(set, max)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%v does not wrap ErrCorrupt", err)
			}
			return
		}
		if err := Validate(out, 0); err != nil {
			t.Fatalf("Validate: %v", err)
		}
		got, err := iterate(out, max)
		if err != nil {
			t.Fatal(err)
		}
		want, outer, err := readLegacyOracle(set, max)
		if err != nil {
			t.Fatalf("accepted, oracle: %v", err)
		}
		if d := diffRecords(got, want); d != "" {
			t.Fatalf("oracle disagrees: %s", d)
		}
		if Header(out).Codec() != Codec(outer[0].Attributes&7) {
			t.Fatalf("codec %s, wrapper %d", Header(out).Codec(), outer[0].Attributes&7)
		}
		if outer[0].Attributes&7 == 0 {
			var re []byte
			for i, m := range outer {
				re = append(re, legacyMsg(m.Magic, m.Attributes, m.Offset, m.Timestamp, got[i].Key, got[i].Value)...)
			}
			if !bytes.Equal(re, set) {
				t.Fatalf("re-encodes to %x, was %x", re, set)
			}
		}
	})
}

// readLegacyOracle reads a message set with kmsg's message types. outer
// is the top-level messages (as MessageV1; Timestamp 0 for magic 0).
func readLegacyOracle(set []byte, max int) (recs []Record, outer []kmsg.MessageV1, err error) {
	msgs, err := oracleMessages(set)
	if err != nil || len(msgs) == 0 {
		return nil, nil, fmt.Errorf("outer: %w", err)
	}
	w := msgs[0]
	if w.Attributes&7 == 0 {
		for _, m := range msgs {
			recs = append(recs, oracleRecord(m, len(recs)))
		}
		return recs, msgs, nil
	}
	src := w.Value
	if w.Magic == 0 {
		src = fixLZ4HeaderChecksum(src) // Kafka ignores magic 0 LZ4 header checksums
	}
	raw, err := kgo.DefaultDecompressor().Decompress(src, kgo.CompressionCodecType(w.Attributes&7))
	if err != nil {
		return nil, nil, err
	}
	if len(raw) > max {
		return nil, nil, fmt.Errorf("inflates to %d", len(raw))
	}
	inner, err := oracleMessages(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("inner: %w", err)
	}
	for _, m := range inner {
		r := oracleRecord(m, len(recs))
		if w.Magic == 1 && w.Attributes&AttrLogAppendTime != 0 {
			r.Timestamp = w.Timestamp
		}
		recs = append(recs, r)
	}
	return recs, msgs, nil
}

func oracleRecord(m kmsg.MessageV1, i int) Record {
	ts := m.Timestamp
	if m.Magic == 0 {
		ts = -1
	}
	return Record{Offset: int64(i), Timestamp: ts, Key: m.Key, Value: m.Value}
}

func oracleMessages(b []byte) ([]kmsg.MessageV1, error) {
	var out []kmsg.MessageV1
	for len(b) > 0 {
		if len(b) < 17 {
			return nil, fmt.Errorf("%d bytes left", len(b))
		}
		size := int64(int32(binary.BigEndian.Uint32(b[8:])))
		if size < 0 || 12+size > int64(len(b)) {
			return nil, fmt.Errorf("size %d", size)
		}
		one := b[:12+size]
		var m kmsg.MessageV1
		var crc int32
		switch b[16] {
		case 0:
			var v0 kmsg.MessageV0
			if err := v0.ReadFrom(one); err != nil {
				return nil, err
			}
			if len(v0.AppendTo(nil)) != len(one) {
				return nil, errors.New("v0 message has bytes after its value")
			}
			m = kmsg.MessageV1{Offset: v0.Offset, MessageSize: v0.MessageSize, Magic: 0, Attributes: v0.Attributes, Key: v0.Key, Value: v0.Value}
			crc = v0.CRC
		case 1:
			if err := m.ReadFrom(one); err != nil {
				return nil, err
			}
			if len(m.AppendTo(nil)) != len(one) {
				return nil, errors.New("v1 message has bytes after its value")
			}
			crc = m.CRC
		default:
			return nil, fmt.Errorf("magic %d", b[16])
		}
		if uint32(crc) != crc32.ChecksumIEEE(one[16:]) {
			return nil, errors.New("crc")
		}
		out = append(out, m)
		b = b[len(one):]
	}
	return out, nil
}

// fuzzSeeds are the committed corpora: real batches and sets of every
// codec and format, and near misses.
func fuzzSeeds(t *testing.T) map[string]map[string][]any {
	seeds := map[string]map[string][]any{
		"FuzzValidate": {}, "FuzzIterate": {}, "FuzzDecompress": {}, "FuzzLegacyUpconvert": {},
	}
	golden, err := filepath.Glob(filepath.Join("testdata", "kgo", "*.bin"))
	if err != nil || len(golden) == 0 {
		t.Fatalf("golden batches: %v", err)
	}
	for _, g := range golden {
		b, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		name := "kgo-" + strings.TrimSuffix(filepath.Base(g), ".bin")
		if strings.HasPrefix(filepath.Base(g), "v2-") {
			seeds["FuzzValidate"][name] = []any{b, 0}
			seeds["FuzzIterate"][name] = []any{b}
			if c := Header(b).Codec(); c != CodecNone {
				seeds["FuzzDecompress"][name] = []any{uint8(c), Header(b).Records(), uint16(60000)}
			}
		} else {
			seeds["FuzzLegacyUpconvert"][name] = []any{b}
		}
	}
	for _, c := range allCodecs {
		bl := *NewBuilder()
		bl.Codec = c
		small := build(t, bl, smallRecords())
		seeds["FuzzValidate"]["small-"+c.String()] = []any{small, len(small)}
		seeds["FuzzIterate"]["small-"+c.String()] = []any{small}
		appendTime := bytes.Clone(small)
		Header(appendTime).SetLogAppendTime(true)
		Header(appendTime).UpdateCRC()
		seeds["FuzzIterate"]["append-time-"+c.String()] = []any{appendTime}
		if c != CodecNone {
			seeds["FuzzDecompress"]["small-"+c.String()] = []any{uint8(c), Header(small).Records(), uint16(1000)}
			zeros, _ := Compress(nil, c, make([]byte, 5000))
			seeds["FuzzDecompress"]["over-max-"+c.String()] = []any{uint8(c), zeros, uint16(4999)}
		}
	}
	seeds["FuzzDecompress"]["xerial"] = []any{uint8(CodecSnappy), appendXerial(nil, bytes.Repeat([]byte("ab"), 300), 256), uint16(1000)}
	seeds["FuzzDecompress"]["lz4-kafka08-checksum"] = []any{uint8(CodecLZ4), brokenLZ4([]byte("hello hello hello")), uint16(100)}
	seeds["FuzzIterate"]["headers-and-nulls"] = []any{rawBatch(1, 0, framed(rec("\x00", 0, 0, -1, 0, 2, 1, "h", -1, 0, 0)))}
	seeds["FuzzIterate"]["trailing-byte"] = []any{rawBatch(1, 0, append(bytes.Clone(goodRecord), 0))}
	recs := withoutHeaders(smallRecords())
	for _, magic := range []int8{0, 1} {
		for _, f := range legacyForms() {
			var set []byte
			if f.codec == CodecNone {
				set = legacySet(magic, recs)
			} else {
				set = legacyWrapper(t, magic, f.codec, recs, f.compress)
			}
			seeds["FuzzLegacyUpconvert"][fmt.Sprintf("v%d-%s", magic, f.name)] = []any{set}
		}
	}
	return seeds
}

// corpusFile encodes one seed in the go test fuzz v1 format.
func corpusFile(args []any) []byte {
	var b strings.Builder
	b.WriteString("go test fuzz v1\n")
	for _, a := range args {
		switch a := a.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%q)\n", a)
		case int:
			fmt.Fprintf(&b, "int(%d)\n", a)
		case uint8:
			fmt.Fprintf(&b, "uint8(%d)\n", a)
		case uint16:
			fmt.Fprintf(&b, "uint16(%d)\n", a)
		default:
			panic(fmt.Sprintf("corpus value %T", a))
		}
	}
	return []byte(b.String())
}

// TestFuzzCorpus checks that the committed corpora hold a file for every
// seed from fuzzSeeds; -update writes them. (It does not compare contents:
// compressed seeds change with the codec libraries' versions, and any
// valid corpus file is a fine seed.)
func TestFuzzCorpus(t *testing.T) {
	for target, seeds := range fuzzSeeds(t) {
		dir := filepath.Join("testdata", "fuzz", target)
		for name, args := range seeds {
			path := filepath.Join(dir, "seed-"+name)
			want := corpusFile(args)
			if *update {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (regenerate with -run TestFuzzCorpus -update)", err)
			}
			if wantLines, gotLines := bytes.Count(want, []byte("\n")), bytes.Count(got, []byte("\n")); !bytes.HasPrefix(got, []byte("go test fuzz v1\n")) || gotLines != wantLines {
				t.Errorf("%s: %d lines, want a go test fuzz v1 file of %d (regenerate with -run TestFuzzCorpus -update)", path, gotLines, wantLines)
			}
		}
	}
}
