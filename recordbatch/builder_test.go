package recordbatch

import (
	"bytes"
	"errors"
	"testing"
)

func TestBuilderHeader(t *testing.T) {
	forEachCodec(t, func(t *testing.T, c Codec) {
		bl := NewBuilder()
		bl.BaseOffset = 0
		bl.PartitionLeaderEpoch = 9
		bl.ProducerID, bl.ProducerEpoch, bl.BaseSequence = 1234, 5, 77
		bl.Codec = c
		bl.Transactional = true
		recs := sampleRecords() // timestamps: base, +5, -3, +1000, +999, +1000
		for i := range recs {
			bl.Add(&recs[i])
		}
		if bl.Len() != len(recs) {
			t.Fatalf("Len %d", bl.Len())
		}
		prefix := []byte("prefix")
		out, err := bl.AppendTo(bytes.Clone(prefix))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(out, prefix) {
			t.Fatal("AppendTo overwrote dst")
		}
		b := Header(out[len(prefix):])
		if err := Validate(b, 0); err != nil {
			t.Fatal(err)
		}
		for _, f := range []struct {
			name      string
			got, want int64
		}{
			{"BaseOffset", b.BaseOffset(), 0},
			{"PartitionLeaderEpoch", int64(b.PartitionLeaderEpoch()), 9},
			{"Magic", int64(b.Magic()), 2},
			{"Attributes", int64(b.Attributes()), int64(c) | AttrTransactional},
			{"LastOffsetDelta", int64(b.LastOffsetDelta()), int64(len(recs) - 1)},
			{"BaseTimestamp", b.BaseTimestamp(), sampleBase},
			{"MaxTimestamp", b.MaxTimestamp(), sampleBase + 1000},
			{"ProducerID", b.ProducerID(), 1234},
			{"ProducerEpoch", int64(b.ProducerEpoch()), 5},
			{"BaseSequence", int64(b.BaseSequence()), 77},
			{"RecordCount", int64(b.RecordCount()), int64(len(recs))},
			{"Size", int64(b.Size()), int64(len(b))},
		} {
			if f.got != f.want {
				t.Errorf("%s = %d, want %d", f.name, f.got, f.want)
			}
		}
		if !b.Transactional() || b.Control() || b.LogAppendTime() || b.Codec() != c {
			t.Errorf("flags: transactional %v control %v append time %v codec %s", b.Transactional(), b.Control(), b.LogAppendTime(), b.Codec())
		}

		// Again, to a fresh slice: the same bytes.
		again, err := bl.AppendTo(nil)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("second AppendTo differs: %v", err)
		}
	})
}

func TestBuilderFlags(t *testing.T) {
	for _, tc := range []struct {
		name  string
		set   func(*Builder)
		attrs int16
	}{
		{"plain", func(*Builder) {}, 0},
		{"control", func(b *Builder) { b.Control = true }, AttrControl},
		{"log append time", func(b *Builder) { b.LogAppendTime = true }, AttrLogAppendTime},
		{"all", func(b *Builder) {
			b.Control, b.Transactional, b.LogAppendTime, b.Codec = true, true, true, CodecZstd
		}, AttrControl | AttrTransactional | AttrLogAppendTime | int16(CodecZstd)},
	} {
		bl := NewBuilder()
		tc.set(bl)
		if bl.Attributes() != tc.attrs {
			t.Errorf("%s: Attributes %#x, want %#x", tc.name, bl.Attributes(), tc.attrs)
		}
		b := build(t, *bl, smallRecords())
		if got := Header(b).Attributes(); got != tc.attrs {
			t.Errorf("%s: batch attributes %#x, want %#x", tc.name, got, tc.attrs)
		}
		if err := CheckStored(b); err != nil {
			t.Errorf("%s: CheckStored: %v", tc.name, err)
		}
	}
	// Validate refuses control batches: only the broker writes them.
	bl := NewBuilder()
	bl.Control = true
	if err := Validate(build(t, *bl, smallRecords()), 0); !errors.Is(err, ErrInvalidRecord) || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Validate control batch: %v", err)
	}
}

func TestBuilderReset(t *testing.T) {
	bl := NewBuilder()
	recs := sampleRecords()
	for i := range recs {
		bl.Add(&recs[i])
	}
	bl.Reset()
	if bl.Len() != 0 {
		t.Fatalf("Len after Reset %d", bl.Len())
	}
	small := smallRecords()
	for i := range small {
		bl.Add(&small[i])
	}
	b, err := bl.AppendTo(nil)
	if err != nil {
		t.Fatal(err)
	}
	if ts := Header(b).BaseTimestamp(); ts != 5 {
		t.Fatalf("BaseTimestamp %d after Reset, want the new first record's 5", ts)
	}
	got, err := iterate(b, 0)
	wantRecords(t, got, err, smallRecords())
}

func TestBuilderErrors(t *testing.T) {
	bl := NewBuilder()
	dst := []byte("dst")
	out, err := bl.AppendTo(dst)
	if !errors.Is(err, ErrInvalidRecord) || !bytes.Equal(out, dst) {
		t.Fatalf("empty builder: %q, %v", out, err)
	}
	bl.Add(&Record{Value: []byte("v")})
	bl.Codec = 5
	out, err = bl.AppendTo(dst)
	if !errors.Is(err, ErrUnknownCodec) || !bytes.Equal(out, dst) {
		t.Fatalf("codec 5: %q, %v", out, err)
	}
}

// TestBuilderNilHeaderKey: Kafka has no null header keys; nil is written
// as empty.
func TestBuilderNilHeaderKey(t *testing.T) {
	b := build(t, *NewBuilder(), []Record{{Headers: []RecordHeader{{Key: nil, Value: []byte("v")}}}})
	got, err := iterate(b, 0)
	if err != nil {
		t.Fatal(err)
	}
	if k := got[0].Headers[0].Key; k == nil || len(k) != 0 {
		t.Fatalf("header key %v, want empty", k)
	}
}
