package recordbatch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// idempotentBuilder has the header fields of an idempotent, transactional
// producer's batch, so that a test sees each preserved.
func idempotentBuilder(c Codec) Builder {
	b := *NewBuilder()
	b.ProducerID, b.ProducerEpoch, b.BaseSequence = 4711, 3, 120
	b.Transactional = true
	b.Codec = c
	return b
}

// uncompressedSection is the record section of recs as a Builder encodes
// it, uncompressed: what Kafka's MemoryRecordsBuilder writes for them.
func uncompressedSection(t *testing.T, recs []Record) []byte {
	t.Helper()
	return Header(build(t, *NewBuilder(), recs)).Records()
}

// TestRecompress: every source codec to every target codec. The result is
// a valid batch (length, CRC) with the target's codec bits, the source's
// producer ID, epoch, base sequence, transactional bit, count, offsets and
// timestamps, and a record section that decompresses to exactly the bytes
// of the records uncompressed.
func TestRecompress(t *testing.T) {
	recs := sampleRecords()
	want := uncompressedSection(t, recs)
	for _, from := range allCodecs {
		src := build(t, idempotentBuilder(from), recs)
		for _, to := range allCodecs {
			t.Run(from.String()+"-to-"+to.String(), func(t *testing.T) {
				out, err := Recompress([]byte("prefix"), src, to, DefaultLevel(to), 1<<20)
				if err != nil {
					t.Fatal(err)
				}
				if string(out[:6]) != "prefix" {
					t.Fatalf("dst overwritten: %q", out[:6])
				}
				b := out[6:]
				if err := Validate(b, 0); err != nil {
					t.Fatalf("Validate: %v", err)
				}
				h, s := Header(b), Header(src)
				if h.Codec() != to {
					t.Fatalf("codec %s, want %s", h.Codec(), to)
				}
				if got, want := h.Attributes()&^AttrCodecMask, s.Attributes()&^AttrCodecMask; got != want {
					t.Fatalf("attributes besides the codec %#x, want %#x", got, want)
				}
				for _, f := range []struct {
					name      string
					got, want int64
				}{
					{"producer ID", h.ProducerID(), 4711},
					{"producer epoch", int64(h.ProducerEpoch()), 3},
					{"base sequence", int64(h.BaseSequence()), 120},
					{"record count", int64(h.RecordCount()), int64(len(recs))},
					{"last offset delta", int64(h.LastOffsetDelta()), int64(len(recs) - 1)},
					{"base timestamp", h.BaseTimestamp(), sampleBase},
					{"max timestamp", h.MaxTimestamp(), sampleBase + 1000},
					{"leader epoch", int64(h.PartitionLeaderEpoch()), int64(s.PartitionLeaderEpoch())},
				} {
					if f.got != f.want {
						t.Errorf("%s %d, want %d", f.name, f.got, f.want)
					}
				}
				section := h.Records()
				if to != CodecNone {
					if section, err = Decompress(nil, to, section, 1<<20); err != nil {
						t.Fatal(err)
					}
				}
				if !bytes.Equal(section, want) {
					t.Fatalf("record section differs from the records uncompressed (%d bytes, want %d)", len(section), len(want))
				}
				got, err := iterate(b, 1<<20)
				wantRecords(t, got, err, recs)
			})
		}
	}
}

// TestRecompressLevels: each Kafka level of each codec gives a batch that
// reads back the same; gzip at 1 and 9 differ (the level is applied).
func TestRecompressLevels(t *testing.T) {
	recs := sampleRecords()
	src := build(t, *NewBuilder(), recs)
	levels := map[Codec][]int{
		CodecGzip: {-1, 1, 5, 9},
		CodecLZ4:  {1, 4, 9, 12, 17},
		CodecZstd: {-5, 0, 1, 3, 7, 22},
	}
	sizes := map[int]int{}
	for c, ls := range levels {
		for _, l := range ls {
			out, err := Recompress(nil, src, c, l, 1<<20)
			if err != nil {
				t.Fatalf("%s level %d: %v", c, l, err)
			}
			got, err := iterate(out, 1<<20)
			wantRecords(t, got, err, recs)
			if c == CodecGzip {
				sizes[l] = len(out)
			}
		}
	}
	one, err := CompressLevel(nil, CodecGzip, bytes.Repeat(payloads()["text"], 4), 1)
	if err != nil {
		t.Fatal(err)
	}
	nine, err := CompressLevel(nil, CodecGzip, bytes.Repeat(payloads()["text"], 4), 9)
	if err != nil {
		t.Fatal(err)
	}
	if len(nine) >= len(one) {
		t.Fatalf("gzip level 9: %d bytes, level 1: %d; the level is not applied", len(nine), len(one))
	}
}

// TestRecompressRebuilds: records that Kafka's builder would not write
// byte for byte (attributes set, offset deltas with a gap, a base
// timestamp other than the first record's) are rebuilt as Kafka rebuilds
// them: attributes 0, offset deltas 0..n-1, timestamps relative to the
// first record's; and the max timestamp is the records' largest whatever
// the producer wrote.
func TestRecompressRebuilds(t *testing.T) {
	recs := []Record{
		{Timestamp: 1000, Value: []byte("a")},
		{Timestamp: 1200, Value: []byte("b")},
		{Timestamp: 1100, Value: []byte("c")},
	}
	// Encode by hand: base timestamp 900, offset deltas 0, 2, 3 (a gap; the
	// count and last delta disagree, so count 3 and last delta 2 with
	// deltas 0, 1, 1 instead), record attributes 0x40 on the second.
	var section []byte
	deltas := []int32{0, 1, 1}
	for i, r := range recs {
		var body []byte
		attrs := byte(0)
		if i == 1 {
			attrs = 0x40
		}
		body = append(body, attrs)
		body = appendVarlong(body, r.Timestamp-900)
		body = appendVarint(body, deltas[i])
		body = appendVarint(body, -1)
		body = appendVarint(body, int32(len(r.Value)))
		body = append(body, r.Value...)
		body = appendVarint(body, 0)
		section = appendVarint(section, int32(len(body)))
		section = append(section, body...)
	}
	src := rawBatch(3, 0, section)
	binary.BigEndian.PutUint64(src[OffBaseTimestamp:], 900)
	binary.BigEndian.PutUint64(src[OffMaxTimestamp:], 5) // a lie
	binary.BigEndian.PutUint32(src[OffLastOffsetDelta:], 2)
	Header(src).UpdateCRC()
	if err := Validate(src, 0); err != nil {
		t.Fatal(err)
	}
	for _, to := range []Codec{CodecNone, CodecZstd} {
		out, err := Recompress(nil, src, to, DefaultLevel(to), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		h := Header(out)
		if h.BaseTimestamp() != 1000 || h.MaxTimestamp() != 1200 {
			t.Fatalf("%s: base timestamp %d, max %d; want 1000, 1200", to, h.BaseTimestamp(), h.MaxTimestamp())
		}
		want := recs
		for i := range want {
			want[i].Offset = int64(i)
		}
		got, err := iterate(out, 1<<20)
		wantRecords(t, got, err, want)
		if s := uncompressedSection(t, recs); to == CodecNone && !bytes.Equal(h.Records(), s) {
			t.Fatalf("rebuilt section differs from the builder's")
		}
	}
}

// TestRecompressBomb: a batch that inflates past the limit fails with
// ErrMaxDecompress having allocated about the limit, not the inflation.
func TestRecompressBomb(t *testing.T) {
	const limit = 1 << 20
	b := NewBuilder()
	b.Codec = CodecGzip
	b.Add(&Record{Value: make([]byte, 64<<20)})
	bomb, err := b.AppendTo(nil)
	if err != nil {
		t.Fatal(err)
	}
	b = nil
	if _, err := Recompress(nil, bomb, CodecZstd, 3, limit); !errors.Is(err, ErrMaxDecompress) {
		t.Fatalf("got %v, want ErrMaxDecompress", err)
	}
	n, ok := allocatedWithin(4*limit+1<<20, func() { _, err = Recompress(nil, bomb, CodecZstd, 3, limit) })
	if !errors.Is(err, ErrMaxDecompress) || !ok {
		t.Fatalf("got %v after allocating %d bytes, want ErrMaxDecompress within %d", err, n, 4*limit+1<<20)
	}
	// Uncompressed records past the limit are refused too.
	plain := build(t, *NewBuilder(), []Record{{Value: make([]byte, limit)}})
	if _, err := Recompress(nil, plain, CodecZstd, 3, limit); !errors.Is(err, ErrMaxDecompress) {
		t.Fatalf("uncompressed over the limit: got %v, want ErrMaxDecompress", err)
	}
}

// TestRecompressCorrupt: records that do not parse fail with ErrCorrupt
// and dst comes back as it was.
func TestRecompressCorrupt(t *testing.T) {
	src := build(t, *NewBuilder(), sampleRecords())
	binary.BigEndian.PutUint32(src[OffRecordCount:], 7)
	binary.BigEndian.PutUint32(src[OffLastOffsetDelta:], 6)
	Header(src).UpdateCRC()
	out, err := Recompress([]byte("x"), src, CodecLZ4, 9, 1<<20)
	if !errors.Is(err, ErrCorrupt) || string(out) != "x" {
		t.Fatalf("got %q, %v; want x and ErrCorrupt", out, err)
	}
}

// TestUpconvertTo: a legacy set goes to the target codec; Producer keeps
// the wrapper's; an uncompressed set is compressed for a compressed target.
func TestUpconvertTo(t *testing.T) {
	recs := withoutHeaders(sampleRecords())
	gz := legacyWrapper(t, 1, CodecGzip, recs, nil)
	plain := legacySet(1, recs)
	for _, tc := range []struct {
		name string
		set  []byte
		to   Target
		want Codec
	}{
		{"gzip-producer", gz, Target{Producer: true}, CodecGzip},
		{"gzip-to-zstd", gz, Target{Codec: CodecZstd, Level: 3}, CodecZstd},
		{"gzip-to-none", gz, Target{Codec: CodecNone}, CodecNone},
		{"plain-producer", plain, Target{Producer: true}, CodecNone},
		{"plain-to-lz4", plain, Target{Codec: CodecLZ4, Level: 9}, CodecLZ4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := UpconvertTo(tc.set, tc.to, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if err := Validate(out, 0); err != nil {
				t.Fatal(err)
			}
			if c := Header(out).Codec(); c != tc.want {
				t.Fatalf("codec %s, want %s", c, tc.want)
			}
			got, err := iterate(out, 1<<20)
			wantRecords(t, got, err, recs)
		})
	}
}
