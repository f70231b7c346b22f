package recordbatch

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"hash/crc32"
	"math"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

var update = flag.Bool("update", false, "regenerate testdata/ (golden batches from kgo via kfake, fuzz seed corpora)")

// allCodecs is every codec Kafka defines, none first.
var allCodecs = []Codec{CodecNone, CodecGzip, CodecSnappy, CodecLZ4, CodecZstd}

// forEachCodec runs fn as a subtest per codec.
func forEachCodec(t *testing.T, fn func(t *testing.T, c Codec)) {
	t.Helper()
	for _, c := range allCodecs {
		t.Run(c.String(), func(t *testing.T) { fn(t, c) })
	}
}

// sampleBase is the first sample record's timestamp.
const sampleBase = int64(1_700_000_000_000)

// sampleRecords are the records of the golden batches: null and empty keys
// and values, headers with null and empty values, timestamps that go
// backwards, and a value large enough to compress. Offsets are 0..n-1.
func sampleRecords() []Record {
	big := make([]byte, 5000)
	for i := range big {
		big[i] = "kafka record batch "[i%19] + byte(i/1000)
	}
	recs := []Record{
		{Timestamp: sampleBase, Key: []byte("key-0"), Value: []byte("value-0")},
		{Timestamp: sampleBase + 5, Key: nil, Value: []byte("null key")},
		{Timestamp: sampleBase - 3, Key: []byte{}, Value: nil},
		{Timestamp: sampleBase + 1000, Key: []byte("h"), Value: []byte("with headers"), Headers: []RecordHeader{
			{Key: []byte("a"), Value: []byte("1")},
			{Key: []byte("null-value"), Value: nil},
			{Key: []byte("empty-value"), Value: []byte{}},
		}},
		{Timestamp: sampleBase + 999, Key: bytes.Repeat([]byte("K"), 200), Value: big},
		{Timestamp: sampleBase + 1000, Key: []byte{}, Value: []byte{}},
	}
	for i := range recs {
		recs[i].Offset = int64(i)
	}
	return recs
}

// withoutHeaders is recs as a legacy message set carries them.
func withoutHeaders(recs []Record) []Record {
	out := make([]Record, len(recs))
	for i, r := range recs {
		r.Headers = nil
		out[i] = r
	}
	return out
}

// build encodes recs with a copy of b's header fields.
func build(t testing.TB, b Builder, recs []Record) []byte {
	t.Helper()
	b.Reset()
	for i := range recs {
		b.Add(&recs[i])
	}
	out, err := b.AppendTo(nil)
	if err != nil {
		t.Fatalf("AppendTo: %v", err)
	}
	return out
}

// cloneRecord deep-copies r, keeping nil apart from empty.
func cloneRecord(r *Record) Record {
	c := Record{Offset: r.Offset, Timestamp: r.Timestamp, Attributes: r.Attributes,
		Key: cloneBytes(r.Key), Value: cloneBytes(r.Value)}
	for _, h := range r.Headers {
		c.Headers = append(c.Headers, RecordHeader{Key: cloneBytes(h.Key), Value: cloneBytes(h.Value)})
	}
	return c
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

// iterate collects the records of batch through an Iterator.
func iterate(batch []byte, max int) ([]Record, error) {
	var out []Record
	it := NewIterator(batch, max)
	for it.Next() {
		out = append(out, cloneRecord(it.Record()))
	}
	return out, it.Err()
}

// diffRecords describes the first difference between got and want, nil
// against empty included, or returns "".
func diffRecords(got, want []Record) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d records, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		switch {
		case g.Offset != w.Offset:
			return fmt.Sprintf("record %d: offset %d, want %d", i, g.Offset, w.Offset)
		case g.Timestamp != w.Timestamp:
			return fmt.Sprintf("record %d: timestamp %d, want %d", i, g.Timestamp, w.Timestamp)
		case g.Attributes != w.Attributes:
			return fmt.Sprintf("record %d: attributes %d, want %d", i, g.Attributes, w.Attributes)
		case !sameBytes(g.Key, w.Key):
			return fmt.Sprintf("record %d: key %s, want %s", i, show(g.Key), show(w.Key))
		case !sameBytes(g.Value, w.Value):
			return fmt.Sprintf("record %d: value %s, want %s", i, show(g.Value), show(w.Value))
		case len(g.Headers) != len(w.Headers):
			return fmt.Sprintf("record %d: %d headers, want %d", i, len(g.Headers), len(w.Headers))
		}
		for j := range g.Headers {
			gh, wh := g.Headers[j], w.Headers[j]
			if !bytes.Equal(gh.Key, wh.Key) || !sameBytes(gh.Value, wh.Value) {
				return fmt.Sprintf("record %d header %d: %s=%s, want %s=%s", i, j,
					show(gh.Key), show(gh.Value), show(wh.Key), show(wh.Value))
			}
		}
	}
	return ""
}

// sameBytes is bytes.Equal that also tells null from empty.
func sameBytes(a, b []byte) bool { return (a == nil) == (b == nil) && bytes.Equal(a, b) }

func show(b []byte) string {
	if b == nil {
		return "null"
	}
	if len(b) > 24 {
		return fmt.Sprintf("%q…(%d bytes)", b[:24], len(b))
	}
	return fmt.Sprintf("%q", b)
}

func wantRecords(t testing.TB, got []Record, err error, want []Record) {
	t.Helper()
	if err != nil {
		t.Fatalf("iterating: %v", err)
	}
	if d := diffRecords(got, want); d != "" {
		t.Fatal(d)
	}
}

// kmsgRecords decodes a v2 batch with kmsg, the oracle: RecordBatch for the
// header, kgo's default decompressor for the payload, kmsg.Record for each
// record, split by its length varint (read with encoding/binary).
func kmsgRecords(batch []byte) ([]Record, error) {
	var rb kmsg.RecordBatch
	if err := rb.ReadFrom(batch); err != nil {
		return nil, fmt.Errorf("kmsg RecordBatch: %w", err)
	}
	raw := rb.Records
	if c := rb.Attributes & 7; c != 0 {
		var err error
		if raw, err = kgo.DefaultDecompressor().Decompress(raw, kgo.CompressionCodecType(c)); err != nil {
			return nil, fmt.Errorf("kgo decompress: %w", err)
		}
	}
	var out []Record
	for i := int32(0); i < rb.NumRecords; i++ {
		l, n := binary.Varint(raw)
		if n <= 0 || l < 0 || l > int64(len(raw)-n) {
			return nil, fmt.Errorf("record %d: bad length", i)
		}
		var kr kmsg.Record
		if err := kr.ReadFrom(raw[:n+int(l)]); err != nil {
			return nil, fmt.Errorf("record %d: %w", i, err)
		}
		raw = raw[n+int(l):]
		r := Record{
			Offset:     rb.FirstOffset + int64(kr.OffsetDelta),
			Timestamp:  rb.FirstTimestamp + kr.TimestampDelta64,
			Attributes: kr.Attributes,
			Key:        kr.Key,
			Value:      kr.Value,
		}
		if rb.Attributes&AttrLogAppendTime != 0 {
			r.Timestamp = rb.MaxTimestamp
		}
		for _, h := range kr.Headers {
			r.Headers = append(r.Headers, RecordHeader{Key: []byte(h.Key), Value: h.Value})
		}
		out = append(out, r)
	}
	if len(raw) != 0 {
		return nil, fmt.Errorf("%d bytes after the records", len(raw))
	}
	return out, nil
}

// kgoFetch runs kgo's fetch-response decoding over batches (v2 batches or
// legacy message sets), as a consumer would see them.
func kgoFetch(data []byte) kgo.FetchPartition {
	rp := kmsg.NewFetchResponseTopicPartition()
	rp.HighWatermark = math.MaxInt64
	rp.LastStableOffset = math.MaxInt64
	rp.RecordBatches = data
	fp, _ := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{
		KeepControlRecords: true,
		Offset:             math.MinInt64,
		Topic:              "t",
	}, &rp, kgo.DefaultDecompressor(), nil)
	return fp
}

// kgoRecords converts what kgoFetch returned, without headers' nil-ness
// for keys (kgo's header keys are strings).
func kgoRecords(fp kgo.FetchPartition) []Record {
	var out []Record
	for _, kr := range fp.Records {
		r := Record{Offset: kr.Offset, Timestamp: kr.Timestamp.UnixMilli(), Key: kr.Key, Value: kr.Value}
		for _, h := range kr.Headers {
			r.Headers = append(r.Headers, RecordHeader{Key: []byte(h.Key), Value: h.Value})
		}
		out = append(out, r)
	}
	return out
}

// toKgo converts recs for a kgo producer.
func toKgo(recs []Record) []*kgo.Record {
	var out []*kgo.Record
	for _, r := range recs {
		kr := &kgo.Record{Key: r.Key, Value: r.Value, Timestamp: time.UnixMilli(r.Timestamp)}
		for _, h := range r.Headers {
			kr.Headers = append(kr.Headers, kgo.RecordHeader{Key: string(h.Key), Value: h.Value})
		}
		out = append(out, kr)
	}
	return out
}

// legacyMsg encodes one legacy message with a correct size and CRC.
func legacyMsg(magic, attrs int8, offset, ts int64, key, value []byte) []byte {
	var b []byte
	if magic == 0 {
		m := kmsg.MessageV0{Offset: offset, Magic: 0, Attributes: attrs, Key: key, Value: value}
		b = m.AppendTo(nil)
	} else {
		m := kmsg.MessageV1{Offset: offset, Magic: magic, Attributes: attrs, Timestamp: ts, Key: key, Value: value}
		b = m.AppendTo(nil)
	}
	binary.BigEndian.PutUint32(b[8:], uint32(len(b)-12))
	binary.BigEndian.PutUint32(b[12:], crc32.ChecksumIEEE(b[16:]))
	return b
}

// legacySet encodes recs as uncompressed messages with offsets 0..n-1.
func legacySet(magic int8, recs []Record) []byte {
	var out []byte
	for i, r := range recs {
		out = append(out, legacyMsg(magic, 0, int64(i), r.Timestamp, r.Key, r.Value)...)
	}
	return out
}

// legacyWrapper encodes recs as one compressed wrapper message holding an
// uncompressed inner set, the way producers of that magic did: magic 1
// inner offsets relative (0..n-1) and the wrapper at the last offset, with
// the largest timestamp.
func legacyWrapper(t testing.TB, magic int8, c Codec, recs []Record, compress func([]byte) []byte) []byte {
	t.Helper()
	inner := legacySet(magic, recs)
	var value []byte
	if compress != nil {
		value = compress(inner)
	} else {
		var err error
		if value, err = Compress(nil, c, inner); err != nil {
			t.Fatal(err)
		}
	}
	maxTS := int64(-1)
	for _, r := range recs {
		maxTS = max(maxTS, r.Timestamp)
	}
	return legacyMsg(magic, int8(c), int64(len(recs)-1), maxTS, nil, value)
}

// appendXerial appends src in xerial framing with blocks of at most
// blockSize input bytes, as snappy-java's SnappyOutputStream writes it.
func appendXerial(dst, src []byte, blockSize int) []byte {
	dst = append(dst, xerialMagic...)
	dst = binary.BigEndian.AppendUint32(dst, 1)
	dst = binary.BigEndian.AppendUint32(dst, 1)
	for len(src) > 0 {
		n := min(blockSize, len(src))
		at := len(dst)
		dst = append(dst, 0, 0, 0, 0)
		dst, _ = compressSnappy(dst, src[:n])
		binary.BigEndian.PutUint32(dst[at:], uint32(len(dst)-at-4))
		src = src[n:]
	}
	return dst
}

// allocatedWithin runs fn and reports whether the heap handed out at most
// bound bytes meanwhile, and how many. The count (from runtime/metrics:
// cheap enough per input, exact for large allocations, which are what it
// is for) is process-wide, so a goroutine left over from another test can
// inflate one run: fn runs up to three times, and one run within bound is
// enough. fn must be repeatable. Tests that use it must not run in
// parallel.
func allocatedWithin(bound uint64, fn func()) (uint64, bool) {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	var least uint64 = math.MaxUint64
	for range 3 {
		metrics.Read(s)
		before := s[0].Value.Uint64()
		fn()
		metrics.Read(s)
		least = min(least, s[0].Value.Uint64()-before)
		if least <= bound {
			return least, true
		}
	}
	return least, false
}
