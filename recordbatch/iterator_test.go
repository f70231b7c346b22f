package recordbatch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

func TestIteratorRoundTrip(t *testing.T) {
	forEachCodec(t, func(t *testing.T, c Codec) {
		bl := *NewBuilder()
		bl.Codec = c
		b := build(t, bl, sampleRecords())
		if err := Validate(b, 0); err != nil {
			t.Fatalf("Validate: %v", err)
		}
		got, err := iterate(b, 1<<20)
		wantRecords(t, got, err, sampleRecords())
		fromKmsg, err := kmsgRecords(b)
		wantRecords(t, fromKmsg, err, sampleRecords())
	})
}

func TestIteratorFields(t *testing.T) {
	bl := *NewBuilder()
	bl.BaseOffset = 1000
	b := build(t, bl, sampleRecords())
	it := NewIterator(b, 0) // uncompressed: the limit does not apply
	if !bytes.Equal(it.Header(), b) {
		t.Fatal("Header is not the batch")
	}
	var n int
	for ; it.Next(); n++ {
		r := it.Record()
		if r != it.Record() {
			t.Fatal("Record pointer changes")
		}
		if r.Offset != 1000+int64(n) {
			t.Fatalf("record %d: offset %d", n, r.Offset)
		}
	}
	if it.Err() != nil || n != len(sampleRecords()) {
		t.Fatalf("%d records, %v", n, it.Err())
	}
	if it.Next() || it.Err() != nil {
		t.Fatal("Next after the end")
	}

	// Null and empty stay apart.
	recs, err := iterate(b, 0)
	if err != nil {
		t.Fatal(err)
	}
	if recs[1].Key != nil || recs[2].Key == nil || len(recs[2].Key) != 0 || recs[2].Value != nil {
		t.Fatalf("null/empty: key1 %v key2 %v value2 %v", recs[1].Key, recs[2].Key, recs[2].Value)
	}
	if h := recs[3].Headers; h[1].Value != nil || h[2].Value == nil {
		t.Fatalf("header null/empty: %v %v", h[1].Value, h[2].Value)
	}

	// Appending to a returned slice must not write over the next field.
	it.Reset(b, 0)
	it.Next()
	r := it.Record()
	value := bytes.Clone(r.Value)
	_ = append(r.Key, "XXXXXXXX"...)
	if !bytes.Equal(r.Value, value) {
		t.Fatal("append to Key overwrote Value")
	}
}

func TestIteratorLogAppendTime(t *testing.T) {
	forEachCodec(t, func(t *testing.T, c Codec) {
		bl := *NewBuilder()
		bl.Codec = c
		b := build(t, bl, sampleRecords())
		h := Header(b)
		h.SetLogAppendTime(true)
		h.SetMaxTimestamp(42)
		h.UpdateCRC()
		if err := Validate(b, 0); err != nil {
			t.Fatal(err)
		}
		want := sampleRecords()
		for i := range want {
			want[i].Timestamp = 42
		}
		got, err := iterate(b, 1<<20)
		wantRecords(t, got, err, want)
		fromKmsg, err := kmsgRecords(b)
		wantRecords(t, fromKmsg, err, want)
		fp := kgoFetch(b)
		if d := diffRecords(kgoRecords(fp), want); fp.Err != nil || d != "" {
			t.Fatalf("kgo: %v %s", fp.Err, d)
		}
	})
}

// rawBatch frames records (an uncompressed record section) as a batch
// claiming count records, with a correct length and CRC.
func rawBatch(count int32, attrs int16, records []byte) []byte {
	b := make([]byte, HeaderSize, HeaderSize+len(records))
	b[OffMagic] = MagicV2
	binary.BigEndian.PutUint16(b[OffAttributes:], uint16(attrs))
	binary.BigEndian.PutUint32(b[OffLastOffsetDelta:], uint32(count-1))
	binary.BigEndian.PutUint64(b[OffProducerID:], ^uint64(0))
	binary.BigEndian.PutUint32(b[OffRecordCount:], uint32(count))
	b = append(b, records...)
	binary.BigEndian.PutUint32(b[OffBatchLength:], uint32(len(b)-LogOverhead))
	Header(b).UpdateCRC()
	return b
}

// rec concatenates record fields: ints are encoded as varints, strings and
// byte slices as they are.
func rec(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch p := p.(type) {
		case int:
			b = appendVarlong(b, int64(p))
		case string:
			b = append(b, p...)
		case []byte:
			b = append(b, p...)
		default:
			panic(p)
		}
	}
	return b
}

// framed prefixes a record body with its length.
func framed(body []byte) []byte { return append(appendVarint(nil, int32(len(body))), body...) }

// goodRecord is attributes 0, deltas 0, key "k", value "v", no headers.
var goodRecord = framed(rec("\x00", 0, 0, 1, "k", 1, "v", 0))

func TestIteratorMalformed(t *testing.T) {
	gz, _ := Compress(nil, CodecGzip, goodRecord)
	for _, tc := range []struct {
		name  string
		batch []byte
		max   int
		want  string // in the error
		is    error  // besides ErrCorrupt
	}{
		{"short header", rawBatch(1, 0, goodRecord)[:60], 0, "shorter than the 61-byte", nil},
		{"length field off by one", func() []byte {
			b := rawBatch(1, 0, goodRecord)
			return b[:len(b)-1]
		}(), 0, "batch length field says", nil},
		{"magic 1", func() []byte { b := rawBatch(1, 0, goodRecord); b[OffMagic] = 1; return b }(), 0, "magic 1", nil},
		{"negative count", rawBatch(-1, 0, goodRecord), 0, "record count -1 is negative", nil},
		{"count cannot fit", rawBatch(1<<30, 0, goodRecord), 0, "cannot fit", nil},
		{"more records than present", rawBatch(2, 0, append(bytes.Clone(goodRecord), goodRecord[:7]...)), 0, "record 1: length", nil},
		{"count past the bytes", rawBatch(2, 0, bytes.Repeat([]byte{0}, 14)), 0, "record 0: attributes runs past", nil},
		{"fewer records than bytes", rawBatch(1, 0, append(bytes.Clone(goodRecord), goodRecord...)), 0, "bytes after the last of 1 records", nil},
		{"negative length", rawBatch(1, 0, rec(-2, "\x00\x00\x00\x00\x00\x00")), 0, "length -2", nil},
		{"length past the batch", rawBatch(1, 0, rec(100, "\x00\x00\x00\x00\x00\x00")), 0, "length 100, 6 bytes left", nil},
		{"length shorter than fields", rawBatch(1, 0, rec(7, "\x00", 0, 0, 1, "k", 1, "v", 0)), 0, "header count runs past the end", nil},
		{"length longer than fields", rawBatch(1, 0, framed(rec("\x00", 0, 0, 1, "k", 1, "v", 0, "\x00"))), 0, "length says 9 bytes, its fields take 8", nil},
		{"key length -2", rawBatch(1, 0, framed(rec("\x00", 0, 0, -2, -1, 0))), 0, "key length -2", nil},
		{"key past the record", rawBatch(1, 0, framed(rec("\x00", 0, 0, 50, "k", -1, 0))), 0, "key length 50", nil},
		{"value past the record", rawBatch(1, 0, framed(rec("\x00", 0, 0, -1, 3, "v", 0))), 0, "value length 3", nil},
		{"negative header count", rawBatch(1, 0, framed(rec("\x00", 0, 0, -1, -1, -1))), 0, "header count -1", nil},
		{"header count past the record", rawBatch(1, 0, framed(rec("\x00", 0, 0, -1, -1, 1<<30, 0, 0))), 0, "header count 1073741824", nil},
		{"null header key", rawBatch(1, 0, framed(rec("\x00", 0, 0, -1, -1, 1, -1, -1))), 0, "header key length -1", nil},
		{"header value -3", rawBatch(1, 0, framed(rec("\x00", 0, 0, -1, -1, 1, 0, -3))), 0, "header value length -3", nil},
		{"timestamp delta overflow", rawBatch(1, 0, framed(rec("\x00", strings.Repeat("\xff", 10), "\x01", 0, -1, -1, 0))), 0, "timestamp delta is not a valid varint", nil},
		{"offset delta over 32 bits", rawBatch(1, 0, framed(rec("\x00", 0, "\xff\xff\xff\xff\x1f", -1, -1, 0))), 0, "offset delta is not a valid varint", nil},
		{"padded key length", rawBatch(1, 0, framed(rec("\x00", 0, 0, "\x80\x00", -1, 0))), 0, "key length is not a valid varint", nil},
		{"length varint cut", rawBatch(1, 0, []byte{0x80}), 0, "", nil},
		{"unknown codec", rawBatch(1, 6, goodRecord), 0, "codec bits 6", ErrUnknownCodec},
		{"gzip garbage", rawBatch(1, int16(CodecGzip), goodRecord), 1 << 20, "gzip", nil},
		{"gzip over the limit", rawBatch(1, int16(CodecGzip), gz), len(goodRecord) - 1, "inflates past", ErrMaxDecompress},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := iterate(tc.batch, tc.max)
			if err == nil {
				t.Fatalf("no error; %d records", len(got))
			}
			if !errors.Is(err, ErrCorrupt) || (tc.is != nil && !errors.Is(err, tc.is)) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q; want ErrCorrupt, %v, containing %q", err, tc.is, tc.want)
			}
		})
	}
	// The gzip batch is fine with room.
	if got, err := iterate(rawBatch(1, int16(CodecGzip), gz), len(goodRecord)); err != nil || len(got) != 1 {
		t.Fatalf("gzip with max = len: %d, %v", len(got), err)
	}
}

// smallRecords is a few records with every kind of field, small enough to
// mutate bit by bit.
func smallRecords() []Record {
	return []Record{
		{Offset: 0, Timestamp: 5, Key: []byte("k"), Value: []byte("value")},
		{Offset: 1, Timestamp: 3, Key: nil, Value: []byte{}, Headers: []RecordHeader{{Key: []byte("h"), Value: nil}, {Key: []byte{}, Value: []byte("x")}}},
		{Offset: 2, Timestamp: 9, Key: []byte{}, Value: nil},
	}
}

// mutationBounds returns the decompression limit for mutated copies of
// batch and the most one iteration over such a copy may allocate: the
// output buffer grows in doubling steps to max+1, errors and headers take
// a little, and a codec whose pooled state the GC dropped builds it again
// (a gzip reader's tables take about 650 KiB, an LZ4 frame may ask for
// 4 MiB blocks, a zstd frame for an 8 MiB window).
func mutationBounds(c Codec, batch []byte) (max int, bound uint64) {
	max = 16 * len(batch)
	bound = uint64(2*max + 64*len(batch) + 64<<10)
	if c != CodecNone {
		bound += 1 << 20
	}
	if c == CodecLZ4 {
		bound += 4 << 20 // a frame may declare 4 MiB blocks
	}
	if c == CodecZstd {
		bound += zstdMaxWindow
	}
	return max, bound
}

// TestIteratorTruncations cuts a batch at every length. Cut as it is, the
// length field disagrees; with the length field fixed to match, the
// iterator parses the cut records: either way it must fail, after
// yielding a prefix of the records, without a large allocation.
func TestIteratorTruncations(t *testing.T) {
	forEachCodec(t, func(t *testing.T, c Codec) {
		bl := *NewBuilder()
		bl.Codec = c
		full := build(t, bl, smallRecords())
		want := smallRecords()
		max, bound := mutationBounds(c, full)
		it := NewIterator(full, max)
		for n := range len(full) {
			for _, fix := range []bool{false, true} {
				b := bytes.Clone(full[:n])
				if fix && n >= LogOverhead {
					binary.BigEndian.PutUint32(b[OffBatchLength:], uint32(n-LogOverhead))
				}
				var got []Record
				alloc, ok := allocatedWithin(bound, func() {
					got = got[:0]
					it.Reset(b, max)
					for it.Next() {
						got = append(got, cloneRecord(it.Record()))
					}
				})
				if it.Err() == nil || !errors.Is(it.Err(), ErrCorrupt) {
					t.Fatalf("cut to %d (length fixed %v): %v", n, fix, it.Err())
				}
				if d := diffRecords(got, want[:len(got)]); d != "" {
					t.Fatalf("cut to %d: %s", n, d)
				}
				if !ok {
					t.Fatalf("cut to %d: allocated %d bytes, bound %d", n, alloc, bound)
				}
			}
		}
	})
}

// TestBitFlips flips every bit of a batch, one at a time. Validate must
// reject each flip except in PartitionLeaderEpoch, which no check covers
// (Kafka's neither: the broker overwrites it); CheckStored also lets
// BaseOffset flips through. The iterator, which checks no CRC, must never
// panic or allocate much, and must fail or yield records.
func TestBitFlips(t *testing.T) {
	forEachCodec(t, func(t *testing.T, c Codec) {
		bl := *NewBuilder()
		bl.Codec = c
		bl.BaseSequence = 0
		full := build(t, bl, smallRecords())
		max, bound := mutationBounds(c, full)
		it := NewIterator(full, max)
		b := bytes.Clone(full)
		for i := range len(b) * 8 {
			b[i/8] ^= 1 << (i % 8)
			inEpoch := i/8 >= OffLeaderEpoch && i/8 < OffMagic
			inBase := i/8 < OffBatchLength
			if err := Validate(b, 0); (err == nil) != inEpoch {
				t.Fatalf("bit %d: Validate: %v", i, err)
			}
			if err := CheckStored(b); (err == nil) != (inEpoch || inBase) {
				t.Fatalf("bit %d: CheckStored: %v", i, err)
			}
			alloc, ok := allocatedWithin(bound, func() {
				it.Reset(b, max)
				for it.Next() {
				}
			})
			if err := it.Err(); err != nil && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("bit %d: %v does not wrap ErrCorrupt", i, err)
			}
			if !ok {
				t.Fatalf("bit %d: allocated %d bytes, bound %d", i, alloc, bound)
			}
			b[i/8] ^= 1 << (i % 8)
		}
	})
}

// TestZeroAllocs pins the allocation-free paths: Validate, and iterating an
// uncompressed batch with a reused Iterator.
func TestZeroAllocs(t *testing.T) {
	recs := make([]Record, 1000)
	for i := range recs {
		recs[i] = Record{Timestamp: int64(i), Key: []byte("key"), Value: bytes.Repeat([]byte{'v'}, 100),
			Headers: []RecordHeader{{Key: []byte("a"), Value: []byte("b")}, {Key: []byte("c")}}}
	}
	b := build(t, *NewBuilder(), recs)
	if n := testing.AllocsPerRun(100, func() {
		if err := Validate(b, 1<<20); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("Validate: %v allocations", n)
	}
	it := NewIterator(b, 0)
	var count int
	if n := testing.AllocsPerRun(100, func() {
		count = 0
		it.Reset(b, 0)
		for it.Next() {
			count++
		}
	}); n != 0 || count != len(recs) || it.Err() != nil {
		t.Fatalf("iterating: %v allocations, %d records, %v", n, count, it.Err())
	}
}

// TestIteratorReuse moves one Iterator between compressed and plain
// batches; each must read as if fresh.
func TestIteratorReuse(t *testing.T) {
	it := new(Iterator)
	if it.Next() || it.Err() != nil {
		t.Fatal("zero Iterator has records")
	}
	for round := range 3 {
		for _, c := range allCodecs {
			bl := *NewBuilder()
			bl.Codec = c
			recs := sampleRecords()[:2+round]
			b := build(t, bl, recs)
			it.Reset(b, 1<<20)
			var got []Record
			for it.Next() {
				got = append(got, cloneRecord(it.Record()))
			}
			wantRecords(t, got, it.Err(), recs)
		}
	}
}
