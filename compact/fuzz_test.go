package compact

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stratabroker/strata/recordbatch"
)

// fuzzRecords cuts data into records: per record a flags byte (bit 0 null
// key, bit 1 null value, bits 2-3 header count), a length byte for the key
// and one for the value, then a length byte per header key and value.
func fuzzRecords(data []byte, ts int64) []recordbatch.Record {
	var out []recordbatch.Record
	take := func(n int) []byte {
		n = min(n, len(data))
		b := data[:n]
		data = data[n:]
		return b
	}
	field := func(null bool) []byte {
		if len(data) == 0 {
			return nil
		}
		n := int(take(1)[0]) % 40
		if null {
			return nil
		}
		return append([]byte{}, take(n)...)
	}
	for len(data) > 0 && len(out) < 64 {
		flags := take(1)[0]
		r := recordbatch.Record{Timestamp: ts + int64(flags>>4)*1000 - 7000, Attributes: 0}
		r.Key = field(flags&1 != 0)
		r.Value = field(flags&2 != 0)
		if r.Key == nil && flags&1 == 0 {
			r.Key = []byte{}
		}
		for range int(flags>>2) & 3 {
			h := recordbatch.RecordHeader{Key: field(false), Value: field(len(data)%3 == 0)}
			if h.Key == nil {
				h.Key = []byte{}
			}
			r.Headers = append(r.Headers, h)
		}
		out = append(out, r)
	}
	return out
}

// FuzzRewrite: for any batch the Builder writes (any records, headers and
// codec, producer fields, a delete horizon or not) and any choice of records
// to keep, the rewrite is a batch that passes recovery's checks, keeps the
// header fields (base offset, last offset delta, producer ID, epoch and
// base sequence, leader epoch, codec, timestamp type, transactional bit),
// and yields exactly the kept records with their offsets, timestamps,
// keys, values and headers; a batch kept whole with no tombstone to mark
// is copied byte for byte.
func FuzzRewrite(f *testing.F) {
	f.Add([]byte("\x00\x03key\x05value"), uint8(0), uint64(1), false, int64(3))
	f.Add([]byte("\x04\x01k\x02v1\x01h\x01x\x02\x01k\x00\x00\x02kk\x03vvv"), uint8(4), uint64(5), true, int64(0))
	f.Add(bytes.Repeat([]byte("\x30\x02ab\x10abcdefghijklmnop"), 20), uint8(1), ^uint64(0), false, int64(-1))
	f.Fuzz(func(t *testing.T, data []byte, codec uint8, mask uint64, horizon bool, pid int64) {
		recs := fuzzRecords(data, 1_700_000_000_000)
		if len(recs) == 0 {
			return
		}
		b := recordbatch.NewBuilder()
		b.BaseOffset = 1000
		b.PartitionLeaderEpoch = 3
		b.Codec = recordbatch.Codec(codec % 5)
		b.LogAppendTime = codec&0x80 != 0
		if pid >= 0 {
			b.ProducerID, b.ProducerEpoch, b.BaseSequence = pid, 2, 17
		}
		for i := range recs {
			b.Add(&recs[i])
		}
		in, err := b.AppendTo(nil)
		if err != nil {
			t.Skip(err)
		}
		h := recordbatch.Header(in)
		if horizon { // a batch a pass already gave a delete horizon
			be := h[recordbatch.OffAttributes:]
			be[1] |= byte(recordbatch.AttrDeleteHorizonMs)
			h.UpdateCRC()
		}
		var w rewriter
		w.maxDe = 1 << 24
		keep := func(r *recordbatch.Record) bool { return mask>>(uint(r.Offset-1000)%64)&1 != 0 }
		const newHorizon = 1_800_000_000_000
		out, res, err := w.filter(nil, h, deleteEmpty, keep, newHorizon, false)
		if err != nil {
			t.Fatal(err)
		}
		var want []recordbatch.Record
		tombs := false
		for i := range recs {
			if mask>>(uint(i)%64)&1 != 0 {
				r := recs[i]
				r.Offset = 1000 + int64(i)
				if b.LogAppendTime {
					r.Timestamp = h.MaxTimestamp()
				}
				want = append(want, r)
				tombs = tombs || r.Value == nil
			}
		}
		if len(want) == 0 {
			if len(out) != 0 || res.kept != 0 {
				t.Fatalf("nothing kept, %d bytes written", len(out))
			}
			return
		}
		if len(want) == len(recs) && (horizon || !tombs) && !bytes.Equal(out, in) {
			t.Fatal("a batch kept whole was not copied as it was")
		}
		if err := recordbatch.CheckStored(out); err != nil {
			t.Fatalf("rewritten batch: %v", err)
		}
		o := recordbatch.Header(out)
		if o.Size() != len(out) || o.BaseOffset() != 1000 || o.LastOffsetDelta() != h.LastOffsetDelta() ||
			o.ProducerID() != h.ProducerID() || o.ProducerEpoch() != h.ProducerEpoch() || o.BaseSequence() != h.BaseSequence() ||
			o.PartitionLeaderEpoch() != 3 || o.Codec() != h.Codec() || o.LogAppendTime() != h.LogAppendTime() ||
			o.Transactional() != h.Transactional() || int(o.RecordCount()) != len(want) {
			t.Fatalf("header fields changed: %x\nfrom %x", out[:recordbatch.HeaderSize], in[:recordbatch.HeaderSize])
		}
		hasH := o.Attributes()&recordbatch.AttrDeleteHorizonMs != 0
		switch {
		case horizon && (!hasH || o.BaseTimestamp() != h.BaseTimestamp()):
			t.Fatal("the batch's delete horizon was lost")
		case !horizon && tombs && (!hasH || o.BaseTimestamp() != newHorizon):
			t.Fatalf("a kept tombstone got no delete horizon (attributes %#x, base %d)", o.Attributes(), o.BaseTimestamp())
		case !horizon && !tombs && hasH:
			t.Fatal("a delete horizon without a tombstone")
		}
		it := recordbatch.NewIterator(out, 1<<24)
		i := 0
		for it.Next() {
			r := it.Record()
			if i >= len(want) {
				t.Fatal("more records than kept")
			}
			wr := want[i]
			if r.Offset != wr.Offset || r.Timestamp != wr.Timestamp || !bytes.Equal(r.Key, wr.Key) || (r.Key == nil) != (wr.Key == nil) ||
				!bytes.Equal(r.Value, wr.Value) || (r.Value == nil) != (wr.Value == nil) || fmt.Sprint(r.Headers) != fmt.Sprint(wr.Headers) {
				t.Fatalf("record %d: got %d@%d %q=%q %v nil %v %v, want %d@%d %q=%q %v nil %v %v", i, r.Offset, r.Timestamp, r.Key, r.Value, r.Headers,
					r.Key == nil, r.Value == nil, wr.Offset, wr.Timestamp, wr.Key, wr.Value, wr.Headers, wr.Key == nil, wr.Value == nil)
			}
			i++
		}
		if it.Err() != nil || i != len(want) {
			t.Fatalf("%d of %d records: %v", i, len(want), it.Err())
		}
	})
}
