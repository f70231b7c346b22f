package compact

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/recordbatch"
)

// model is what a pass below upTo leaves: for records below upTo, each
// key's last among them; every record from upTo on.
func model(all []got, upTo int64) []got {
	var below, above []got
	for _, g := range all {
		if g.offset < upTo {
			below = append(below, g)
		} else {
			above = append(above, g)
		}
	}
	return append(latest(below), above...)
}

func withTs(gs []got) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = fmt.Sprintf("%s@%d", g, g.ts)
	}
	return out
}

var codecs = []struct {
	name  string
	codec recordbatch.Codec
	kgo   kgo.CompressionCodec
}{
	{"none", recordbatch.CodecNone, kgo.NoCompression()},
	{"gzip", recordbatch.CodecGzip, kgo.GzipCompression()},
	{"snappy", recordbatch.CodecSnappy, kgo.SnappyCompression()},
	{"lz4", recordbatch.CodecLZ4, kgo.Lz4Compression()},
	{"zstd", recordbatch.CodecZstd, kgo.ZstdCompression()},
}

// TestCleanKeepsLastValuePerKey: six kgo batches of five records over
// seven keys (with headers), two per segment; one pass keeps, below the
// active segment, exactly each key's last record at its offset with its
// timestamp and headers, in batches that keep their base offset, last
// offset, producer fields and codec.
func TestCleanKeepsLastValuePerKey(t *testing.T) {
	for _, cc := range codecs {
		t.Run(cc.name, func(t *testing.T) {
			p := newProducer(t, kgo.ProducerBatchCompression(cc.kgo))
			c := newClock()
			mem := vfs.NewMem()
			l := openLog(t, mem, c, testConfig())
			defer func() { l.Close() }()
			var origBatches []recordbatch.Header
			for b := range 6 {
				var recs []kv
				for i := range 5 {
					k := fmt.Sprintf("k%d", (b*2+i*3)%7)
					recs = append(recs, kv{key: k, value: strings.Repeat(fmt.Sprintf("v%d-%d ", b, i), 20),
						headers: []kgo.RecordHeader{{Key: "h", Value: []byte(fmt.Sprint(b*10 + i))}}})
				}
				batch := p.batch(t, recs)
				if recordbatch.Header(batch).Codec() != cc.codec {
					t.Fatalf("kgo wrote codec %v", recordbatch.Header(batch).Codec())
				}
				if b > 0 && b%2 == 0 {
					appendRolling(t, l, batch)
				} else {
					appendBatch(t, l, batch)
				}
				p.ts = p.ts.Add(time.Second)
			}
			before, bb := readLog(t, l)
			origBatches = bb
			active := l.CleanerView().ActiveBase
			if active != 20 {
				t.Fatalf("active segment at %d, want 20", active)
			}
			st, err := NewCleaner(1<<20, 64<<10, nil).Clean(l, 0, cleanConfig(), c.now())
			if err != nil {
				t.Fatal(err)
			}
			after, batches := readLog(t, l)
			// Below the active segment (offsets 0-19): k0..k6 last at
			// 11, 18, 16, 12, 19, 17, 15; the ten records from 20 on stay.
			var below []int64
			for _, g := range after {
				if g.offset < 20 {
					below = append(below, g.offset)
				}
			}
			if want := []int64{11, 12, 15, 16, 17, 18, 19}; len(before) != 30 || len(after) != 17 || !slices.Equal(below, want) {
				t.Fatalf("%d records before, %d after, below 20 at %v; want 30, 17, %v", len(before), len(after), below, want)
			}
			if want := model(before, active); !slices.Equal(withTs(after), withTs(want)) {
				t.Fatalf("after cleaning:\n%v\nwant\n%v", withTs(after), withTs(want))
			}
			if st.EndOffset != 20 || st.Keys != 7 || st.FirstDirty != 0 || st.Groups != 1 {
				t.Fatalf("stats %+v", st)
			}
			checkSeeks(t, l, after)
			// A clean reopen serves the cleaned log, gaps and all.
			l.Close()
			l = openLog(t, mem, c, testConfig())
			if again, _ := readLog(t, l); !slices.Equal(withTs(again), withTs(after)) {
				t.Fatalf("after a reopen:\n%v\nwant\n%v", withTs(again), withTs(after))
			}
			// Every batch below the active segment was kept (each holds a
			// key's last record or is its producer's last, or the pass's
			// last), with its header fields.
			orig := map[int64]recordbatch.Header{}
			for _, h := range origBatches {
				orig[h.BaseOffset()] = h
			}
			for _, h := range batches {
				o := orig[h.BaseOffset()]
				if o == nil || o.LastOffset() != h.LastOffset() || o.ProducerID() != h.ProducerID() ||
					o.ProducerEpoch() != h.ProducerEpoch() || o.BaseSequence() != h.BaseSequence() ||
					(h.RecordCount() > 0 && h.Codec() != cc.codec) {
					t.Fatalf("batch %d changed: base %d..%d pid %d seq %d codec %v", h.BaseOffset(), h.BaseOffset(), h.LastOffset(), h.ProducerID(), h.BaseSequence(), h.Codec())
				}
			}
		})
	}
}

// checkSeeks reads from every offset of the log as a consumer seeking
// there does (a read, then on from the last offset of what came back until
// a record at or after the offset appears): the first record it finds is
// the first of want at or after the offset.
func checkSeeks(t *testing.T, l *partition.Log, want []got) {
	t.Helper()
	var it recordbatch.Iterator
	for o := l.LogStartOffset(); o < l.HighWatermark(); o++ {
		var first *got
		for at := o; first == nil && at < l.HighWatermark(); {
			r, err := l.Read(at, 1)
			if err != nil || len(r.Slices) == 0 {
				t.Fatalf("Read(%d): %v", at, err)
			}
			sl := r.Slices[0]
			buf := make([]byte, sl.Len)
			sl.File.ReadAt(buf, sl.Pos)
			r.Release()
			n, _ := recordbatch.BatchSize(buf)
			it.Reset(buf[:n], 1<<26)
			for it.Next() {
				if rec := it.Record(); rec.Offset >= o && first == nil {
					first = &got{offset: rec.Offset, key: string(rec.Key), value: string(rec.Value), tomb: rec.Value == nil}
					for _, hd := range rec.Headers {
						first.headers += fmt.Sprintf("[%s:%s]", hd.Key, hd.Value)
					}
				}
			}
			at = recordbatch.Header(buf[:n]).LastOffset() + 1
		}
		i := slices.IndexFunc(want, func(g got) bool { return g.offset >= o })
		switch {
		case i < 0 && first != nil:
			t.Fatalf("seek to %d found %v, want nothing", o, first)
		case i >= 0 && (first == nil || first.String() != want[i].String()):
			t.Fatalf("seek to %d found %v, want %v", o, first, want[i])
		}
	}
}
