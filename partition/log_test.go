package partition

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/segment"
)

// bases lists the base offsets of the log's segments.
func bases(l *Log) []int64 {
	var out []int64
	for _, s := range l.view.Load().segs {
		out = append(out, s.Base())
	}
	return out
}

func sizes(l *Log) []int64 {
	var out []int64
	for _, s := range l.view.Load().segs {
		out = append(out, s.Size())
	}
	return out
}

func TestAppendAssignsOffsetsAndReads(t *testing.T) {
	fs := vfs.NewMem()
	c := newClock(1_000_000)
	l := mustOpen(t, fs, smallConfig(), c.opts(fs))
	defer l.Close()

	var want []byte
	var next int64
	for i := range 5 {
		b := makeBatch(plain(i+1, 500, 20, byte(i)))
		res := mustAppend(t, l, b)
		if res.BaseOffset != next || res.LastOffset != next+int64(i) || res.LogAppendTime != -1 || res.Duplicate {
			t.Fatalf("append %d: %+v, want base %d last %d", i, res, next, next+int64(i))
		}
		if h := recordbatch.Header(b); h.BaseOffset() != next || h.PartitionLeaderEpoch() != 0 {
			t.Fatalf("batch not rewritten in place: base %d epoch %d", h.BaseOffset(), h.PartitionLeaderEpoch())
		}
		if err := recordbatch.CheckStored(b); err != nil {
			t.Fatalf("rewritten batch: %v", err)
		}
		want = append(want, b...)
		next += int64(i + 1)
	}
	if l.LogEndOffset() != 15 || l.HighWatermark() != 15 || l.LogStartOffset() != 0 {
		t.Fatalf("offsets: leo %d hw %d start %d", l.LogEndOffset(), l.HighWatermark(), l.LogStartOffset())
	}
	if got := readAll(t, l, 0); !bytes.Equal(got, want) {
		t.Fatalf("read back %d bytes, want %d", len(got), len(want))
	}
	if l.Size() != int64(len(want)) {
		t.Fatalf("Size %d, want %d", l.Size(), len(want))
	}
	// An offset inside a batch returns that whole batch first.
	r, err := l.Read(4, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Slices) != 1 || r.Slices[0].FirstOffset != 3 || r.Slices[0].LastOffset != 5 || r.HighWatermark != 15 || r.LastStableOffset != 15 {
		t.Fatalf("Read(4, 1) = %+v", r)
	}
	r.Release()
	// At the end: empty; beyond: out of range.
	r, err = l.Read(15, 100)
	if err != nil || len(r.Slices) != 0 || r.Bytes != 0 {
		t.Fatalf("Read(15) = %+v, %v", r, err)
	}
	if _, err := l.Read(16, 100); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("Read(16): %v", err)
	}
	if _, err := l.Read(-1, 100); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("Read(-1): %v", err)
	}
}

func TestAppendLimits(t *testing.T) {
	fs := vfs.NewMem()
	cfg := smallConfig()
	cfg.MaxMessageBytes = 200
	l := mustOpen(t, fs, cfg, Options{})
	defer l.Close()
	big := makeBatch(plain(1, 0, 300, 1))
	if _, err := l.Append(big, false); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("too large: %v", err)
	}
	cfg.MaxMessageBytes = 1 << 20
	cfg.SegmentBytes = 300
	l.SetConfig(cfg)
	if _, err := l.Append(makeBatch(plain(1, 0, 300, 1)), false); !errors.Is(err, ErrRecordListTooLarge) {
		t.Fatalf("larger than a segment: %v", err)
	}
	if _, err := l.Append(big[:40], false); !errors.Is(err, recordbatch.ErrCorrupt) {
		t.Fatalf("short batch: %v", err)
	}
	if l.LogEndOffset() != 0 || l.Size() != 0 {
		t.Fatalf("refused batches changed the log: leo %d size %d", l.LogEndOffset(), l.Size())
	}
}

func TestLogAppendTime(t *testing.T) {
	fs := vfs.NewMem()
	c := newClock(1_700_000_000_000)
	cfg := smallConfig()
	cfg.LogAppendTime = true
	l := mustOpen(t, fs, cfg, c.opts(fs))
	defer l.Close()
	b := makeBatch(plain(3, 5, 10, 1))
	res := mustAppend(t, l, b)
	if res.LogAppendTime != 1_700_000_000_000 {
		t.Fatalf("LogAppendTime %d", res.LogAppendTime)
	}
	h := recordbatch.Header(readAll(t, l, 0))
	if !h.LogAppendTime() || h.MaxTimestamp() != 1_700_000_000_000 || h.BaseTimestamp() != 5 {
		t.Fatalf("stored header: lat %v max %d base %d", h.LogAppendTime(), h.MaxTimestamp(), h.BaseTimestamp())
	}
	if err := recordbatch.CheckStored(h); err != nil {
		t.Fatal(err)
	}
}

func TestRollOnSegmentBytes(t *testing.T) {
	fs := vfs.NewMem()
	b := makeBatch(plain(1, 0, 200, 1))
	B := int64(len(b))
	cfg := smallConfig()
	cfg.SegmentBytes = 3*B + B/2 // three batches fit, the fourth would pass it
	l := mustOpen(t, fs, cfg, Options{})
	defer l.Close()
	for range 7 {
		mustAppend(t, l, makeBatch(plain(1, 0, 200, 1)))
	}
	if got, want := bases(l), []int64{0, 3, 6}; !slices.Equal(got, want) {
		t.Fatalf("segments %v, want %v", got, want)
	}
	if got, want := sizes(l), []int64{3 * B, 3 * B, B}; !slices.Equal(got, want) {
		t.Fatalf("sizes %v, want %v", got, want)
	}
	// Exactly full: size + batch == segment.bytes does not roll.
	cfg.SegmentBytes = 3 * B
	l.SetConfig(cfg)
	mustAppend(t, l, makeBatch(plain(1, 0, 200, 1)))
	mustAppend(t, l, makeBatch(plain(1, 0, 200, 1)))
	if got, want := bases(l), []int64{0, 3, 6}; !slices.Equal(got, want) {
		t.Fatalf("segments %v, want %v", got, want)
	}
	mustAppend(t, l, makeBatch(plain(1, 0, 200, 1)))
	if got, want := bases(l), []int64{0, 3, 6, 9}; !slices.Equal(got, want) {
		t.Fatalf("segments %v, want %v", got, want)
	}
	// Reads cross segment boundaries: all ten batches in one Read.
	r, err := l.Read(0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	if len(r.Slices) != 4 || r.Bytes != 10*B {
		t.Fatalf("Read across segments: %d slices, %d bytes", len(r.Slices), r.Bytes)
	}
	// maxBytes stops at a whole batch, but the first batch always comes.
	r2, err := l.Read(2, int(B)+1)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Release()
	if r2.Bytes != B || r2.Slices[0].FirstOffset != 2 {
		t.Fatalf("Read(2, B+1): %d bytes from %d", r2.Bytes, r2.Slices[0].FirstOffset)
	}
	r3, err := l.Read(2, 2*int(B))
	if err != nil {
		t.Fatal(err)
	}
	defer r3.Release()
	if r3.Bytes != 2*B || len(r3.Slices) != 2 || r3.Slices[1].FirstOffset != 3 {
		t.Fatalf("Read(2, 2B): %+v", r3)
	}
	r4, err := l.Read(0, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer r4.Release()
	if r4.Bytes != B {
		t.Fatalf("Read(0, 1) returned %d bytes, want one batch of %d (KIP-74)", r4.Bytes, B)
	}
}

func TestRollOnSegmentMs(t *testing.T) {
	fs := vfs.NewMem()
	c := newClock(50_000)
	cfg := smallConfig()
	cfg.SegmentMs = 1000
	l := mustOpen(t, fs, cfg, c.opts(fs))
	defer l.Close()
	// Measured with record timestamps: first batch's max timestamp 10000.
	mustAppend(t, l, makeBatch(plain(1, 10_000, 10, 1)))
	mustAppend(t, l, makeBatch(plain(1, 11_000, 10, 2))) // 1000: not more than segment.ms
	if got := bases(l); !slices.Equal(got, []int64{0}) {
		t.Fatalf("segments %v", got)
	}
	mustAppend(t, l, makeBatch(plain(1, 11_001, 10, 3)))
	if got := bases(l); !slices.Equal(got, []int64{0, 2}) {
		t.Fatalf("segments %v, want [0 2]", got)
	}
	// An empty segment never rolls, however old.
	c.advance(1 << 30)
	mustAppend(t, l, makeBatch(plain(1, -1, 10, 4))) // lands in segment 2 (non-empty now)
	if got := bases(l); !slices.Equal(got, []int64{0, 2}) {
		t.Fatalf("segments %v, want [0 2]", got)
	}
}

func TestRollOnSegmentMsWithoutTimestamps(t *testing.T) {
	fs := vfs.NewMem()
	c := newClock(50_000)
	cfg := smallConfig()
	cfg.SegmentMs = 1000
	l := mustOpen(t, fs, cfg, c.opts(fs))
	defer l.Close()
	// Records without timestamps (-1): measured from the segment's creation.
	mustAppend(t, l, makeBatch(plain(1, -1, 10, 1)))
	c.advance(1000)
	mustAppend(t, l, makeBatch(plain(1, -1, 10, 2)))
	if got := bases(l); !slices.Equal(got, []int64{0}) {
		t.Fatalf("segments %v", got)
	}
	c.advance(1)
	mustAppend(t, l, makeBatch(plain(1, -1, 10, 3)))
	if got := bases(l); !slices.Equal(got, []int64{0, 2}) {
		t.Fatalf("segments %v, want [0 2]", got)
	}
}

func TestRollOnOffsetOverflow(t *testing.T) {
	fs := vfs.NewMem()
	l := mustOpen(t, fs, smallConfig(), Options{})
	defer l.Close()
	mustAppend(t, l, makeBatch(plain(1, 0, 10, 1)))
	// A (compacted-looking) batch whose offsets span MaxInt32+1: its last
	// offset is MaxInt32+1 above base 0, so it starts segment 1.
	wide := makeBatch(plain(1, 0, 10, 2))
	recordbatch.Header(wide).SetBaseOffset(0)
	putLastOffsetDelta(wide, math.MaxInt32)
	if res := mustAppend(t, l, wide); res.BaseOffset != 1 || res.LastOffset != math.MaxInt32+1 {
		t.Fatalf("wide batch at %+v", res)
	}
	if got := bases(l); !slices.Equal(got, []int64{0, 1}) {
		t.Fatalf("segments %v, want [0 1]", got)
	}
	// The next offset, MaxInt32+2, is MaxInt32+1 above base 1: roll again.
	mustAppend(t, l, makeBatch(plain(1, 0, 10, 3)))
	if got := bases(l); !slices.Equal(got, []int64{0, 1, math.MaxInt32 + 2}) {
		t.Fatalf("segments %v, want [0 1 %d]", got, int64(math.MaxInt32)+2)
	}
}

// putLastOffsetDelta rewrites a batch's last offset delta (inside the CRC).
func putLastOffsetDelta(b []byte, d int32) {
	b[recordbatch.OffLastOffsetDelta] = byte(uint32(d) >> 24)
	b[recordbatch.OffLastOffsetDelta+1] = byte(uint32(d) >> 16)
	b[recordbatch.OffLastOffsetDelta+2] = byte(uint32(d) >> 8)
	b[recordbatch.OffLastOffsetDelta+3] = byte(uint32(d))
	recordbatch.Header(b).UpdateCRC()
}

// tenIn4 appends ten one-record batches, three per segment, and returns
// the batch size.
func tenIn4(t *testing.T, l *Log, ts func(i int) int64) int64 {
	t.Helper()
	var B int64
	for i := range 10 {
		b := makeBatch(plain(1, ts(i), 200, byte(i)))
		B = int64(len(b))
		mustAppend(t, l, b)
	}
	if got := bases(l); !slices.Equal(got, []int64{0, 3, 6, 9}) {
		t.Fatalf("segments %v, want [0 3 6 9]", got)
	}
	return B
}

func rollEvery3(t *testing.T) Config {
	cfg := smallConfig()
	cfg.SegmentBytes = int64(3*len(makeBatch(plain(1, 0, 200, 0))) + 10)
	return cfg
}

func TestRetentionBySize(t *testing.T) {
	fs := vfs.NewMem()
	cfg := rollEvery3(t)
	l := mustOpen(t, fs, cfg, Options{})
	defer l.Close()
	B := tenIn4(t, l, func(int) int64 { return 0 })

	cfg.RetentionBytes = 5 * B // 10B: dropping 3B leaves 7B >= 5B; dropping 3B more would leave 4B
	l.SetConfig(cfg)
	if n, err := l.ApplyRetention(); n != 1 || err != nil {
		t.Fatalf("ApplyRetention = %d, %v; want 1", n, err)
	}
	if got := bases(l); !slices.Equal(got, []int64{3, 6, 9}) || l.LogStartOffset() != 3 || l.Size() != 7*B {
		t.Fatalf("segments %v start %d size %d", got, l.LogStartOffset(), l.Size())
	}
	if _, err := l.Read(2, 100); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("Read(2) after retention: %v", err)
	}
	// 7B - 7B = 0 >= 0: every segment goes; the active one is rolled first.
	cfg.RetentionBytes = 0
	l.SetConfig(cfg)
	if n, err := l.ApplyRetention(); n != 3 || err != nil {
		t.Fatalf("ApplyRetention = %d, %v; want 3", n, err)
	}
	if got := bases(l); !slices.Equal(got, []int64{10}) || l.LogStartOffset() != 10 || l.LogEndOffset() != 10 || l.Size() != 0 {
		t.Fatalf("segments %v start %d end %d size %d", got, l.LogStartOffset(), l.LogEndOffset(), l.Size())
	}
	// The empty active segment is never deleted.
	if n, err := l.ApplyRetention(); n != 0 || err != nil {
		t.Fatalf("ApplyRetention on an empty log = %d, %v", n, err)
	}
	if res := mustAppend(t, l, makeBatch(plain(1, 0, 200, 1))); res.BaseOffset != 10 || res.LogStartOffset != 10 {
		t.Fatalf("append after retention: %+v", res)
	}
	// Files of deleted segments are gone.
	names, _ := fs.ReadDir("/data/t-0")
	for _, n := range names {
		if base, ok := segment.ParseLogName(n); ok && base != 10 {
			t.Fatalf("segment file %s survived retention", n)
		}
	}
}

func TestRetentionByTime(t *testing.T) {
	fs := vfs.NewMem()
	c := newClock(100_000)
	cfg := rollEvery3(t)
	cfg.RetentionMs = 1000
	l := mustOpen(t, fs, cfg, c.opts(fs))
	defer l.Close()
	// Segment max timestamps: 0:[1000..1002] 3:[5000..] 6:[1000] 9:[...]
	ts := []int64{1000, 1001, 1002, 5000, 5001, 5002, 1000, 1000, 1000, 9000}
	tenIn4(t, l, func(i int) int64 { return ts[i] })

	c.ms = 5003 // segment 0 (max 1002) is 4001 ms old; segment 3 (max 5002) 1 ms
	if n, err := l.ApplyRetention(); n != 1 || err != nil {
		t.Fatalf("ApplyRetention = %d, %v; want 1", n, err)
	}
	// Segment 6 is old but behind the young segment 3: it stays.
	if got := bases(l); !slices.Equal(got, []int64{3, 6, 9}) || l.LogStartOffset() != 3 {
		t.Fatalf("segments %v start %d", got, l.LogStartOffset())
	}
	c.ms = 6003 // 5002 is now 1001 ms old: 3 and 6 go; 9 (max 9000) is in the future and stays
	if n, err := l.ApplyRetention(); n != 2 || err != nil {
		t.Fatalf("ApplyRetention = %d, %v; want 2", n, err)
	}
	if got := bases(l); !slices.Equal(got, []int64{9}) {
		t.Fatalf("segments %v", got)
	}
	c.ms = 10_001 // the active segment expired: rolled, then deleted
	if n, err := l.ApplyRetention(); n != 1 || err != nil {
		t.Fatalf("ApplyRetention = %d, %v; want 1", n, err)
	}
	if got := bases(l); !slices.Equal(got, []int64{10}) || l.LogStartOffset() != 10 || l.LogEndOffset() != 10 {
		t.Fatalf("segments %v start %d end %d", got, l.LogStartOffset(), l.LogEndOffset())
	}
	// Retention by time with -1: nothing.
	cfg.RetentionMs = -1
	l.SetConfig(cfg)
	mustAppend(t, l, makeBatch(plain(1, 0, 200, 1)))
	c.ms = 1 << 50
	if n, err := l.ApplyRetention(); n != 0 || err != nil {
		t.Fatalf("ApplyRetention with retention.ms=-1 = %d, %v", n, err)
	}
}

func TestDeleteRecordsPersisted(t *testing.T) {
	mem := vfs.NewMem()
	cfg := rollEvery3(t)
	l := mustOpen(t, mem, cfg, Options{})
	tenIn4(t, l, func(int) int64 { return 0 })
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	if lw, err := l.DeleteRecords(4); lw != 4 || err != nil {
		t.Fatalf("DeleteRecords(4) = %d, %v", lw, err)
	}
	if lw, err := l.DeleteRecords(2); lw != 4 || err != nil {
		t.Fatalf("DeleteRecords(2) = %d, %v; the start never moves back", lw, err)
	}
	if _, err := l.DeleteRecords(11); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("DeleteRecords past the high watermark: %v", err)
	}
	if _, err := l.DeleteRecords(-2); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("DeleteRecords(-2): %v", err)
	}
	if _, err := l.Read(3, 100); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("Read(3): %v", err)
	}
	if r, err := l.Read(4, 1); err != nil || r.Slices[0].FirstOffset != 4 {
		t.Fatalf("Read(4): %+v %v", r, err)
	} else {
		r.Release()
	}
	// Segments are untouched until retention, which drops segment 0 only.
	if got := bases(l); !slices.Equal(got, []int64{0, 3, 6, 9}) {
		t.Fatalf("segments %v", got)
	}
	if off, _, _ := l.ListOffset(EarliestTimestamp); off != 4 {
		t.Fatalf("earliest = %d", off)
	}
	// Persisted: a machine crash right now keeps it.
	crashed := mem.CrashClone(vfs.CrashOptions{})
	l2 := mustOpen(t, crashed, cfg, Options{})
	if l2.LogStartOffset() != 4 || l2.LogEndOffset() != 10 {
		t.Fatalf("after crash: start %d end %d", l2.LogStartOffset(), l2.LogEndOffset())
	}
	l2.Close()

	if n, err := l.ApplyRetention(); n != 1 || err != nil {
		t.Fatalf("ApplyRetention = %d, %v", n, err)
	}
	if got := bases(l); !slices.Equal(got, []int64{3, 6, 9}) || l.LogStartOffset() != 4 {
		t.Fatalf("segments %v start %d", got, l.LogStartOffset())
	}
	if lw, err := l.DeleteRecords(-1); lw != 10 || err != nil {
		t.Fatalf("DeleteRecords(-1) = %d, %v", lw, err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l3 := mustOpen(t, mem, cfg, Options{})
	defer l3.Close()
	if l3.LogStartOffset() != 10 || l3.LogEndOffset() != 10 {
		t.Fatalf("after clean reopen: start %d end %d", l3.LogStartOffset(), l3.LogEndOffset())
	}
	if r, err := l3.Read(10, 100); err != nil || len(r.Slices) != 0 {
		t.Fatalf("Read(10) = %+v, %v", r, err)
	}
}

func TestListOffset(t *testing.T) {
	fs := vfs.NewMem()
	l := mustOpen(t, fs, smallConfig(), Options{})
	defer l.Close()
	if off, ts, err := l.ListOffset(MaxTimestamp); off != -1 || ts != -1 || err != nil {
		t.Fatalf("max timestamp of an empty log = %d, %d, %v", off, ts, err)
	}
	mustAppend(t, l, makeBatch(spec{pid: -1, epoch: -1, seq: -1, ts: []int64{100, 105, 110}, value: 5})) // 0..2
	mustAppend(t, l, makeBatch(spec{pid: -1, epoch: -1, seq: -1, ts: []int64{200, 190}, value: 5}))      // 3..4
	mustAppend(t, l, makeBatch(spec{pid: -1, epoch: -1, seq: -1, ts: []int64{150}, value: 5}))           // 5
	for _, c := range []struct{ q, off, ts int64 }{
		{EarliestTimestamp, 0, -1},
		{LatestTimestamp, 6, -1},
		{MaxTimestamp, 3, 200},
		{0, 0, 100},
		{100, 0, 100},
		{101, 1, 105}, // inside a batch of three records
		{106, 2, 110},
		{111, 3, 200},
		{160, 3, 200},
		{195, 3, 200},
		{200, 3, 200},
		{201, -1, -1}, // beyond the max
	} {
		off, ts, err := l.ListOffset(c.q)
		if off != c.off || ts != c.ts || err != nil {
			t.Errorf("ListOffset(%d) = %d, %d, %v; want %d, %d", c.q, off, ts, err, c.off, c.ts)
		}
	}
	if _, _, err := l.ListOffset(-4); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Errorf("ListOffset(-4): %v", err)
	}
	// After DeleteRecords inside the first batch, records below the log
	// start offset do not count.
	if _, err := l.DeleteRecords(2); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ q, off, ts int64 }{
		{EarliestTimestamp, 2, -1},
		{0, 2, 110},
		{101, 2, 110},
		{111, 3, 200},
	} {
		off, ts, err := l.ListOffset(c.q)
		if off != c.off || ts != c.ts || err != nil {
			t.Errorf("after DeleteRecords(2): ListOffset(%d) = %d, %d, %v; want %d, %d", c.q, off, ts, err, c.off, c.ts)
		}
	}
}

func TestIdempotentAppend(t *testing.T) {
	fs := vfs.NewMem()
	l := mustOpen(t, fs, smallConfig(), Options{})
	defer l.Close()
	mustAppend(t, l, makeBatch(plain(2, 1, 10, 9))) // offsets 0..1, not idempotent
	first := mustAppend(t, l, makeBatch(idem(5, 0, 0, 3, 1000)))
	if first.BaseOffset != 2 || first.LastOffset != 4 {
		t.Fatalf("first = %+v", first)
	}
	mustAppend(t, l, makeBatch(idem(5, 0, 3, 2, 1001))) // 5..6
	size := l.Size()

	dup, err := l.Append(makeBatch(idem(5, 0, 0, 3, 1000)), true)
	if err != nil || !dup.Duplicate || dup.BaseOffset != 2 || dup.LastOffset != 4 || dup.LogAppendTime != 1000 {
		t.Fatalf("retry = %+v, %v", dup, err)
	}
	if l.LogEndOffset() != 7 || l.Size() != size {
		t.Fatalf("a duplicate was appended: leo %d size %d", l.LogEndOffset(), l.Size())
	}
	if _, err := l.Append(makeBatch(idem(5, 0, 6, 1, 1002)), false); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("gap: %v", err)
	}
	if _, err := l.Append(makeBatch(idem(5, 1, 3, 1, 1002)), false); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("new epoch not at 0: %v", err)
	}
	if res := mustAppend(t, l, makeBatch(idem(5, 1, 0, 1, 1002))); res.BaseOffset != 7 {
		t.Fatalf("new epoch: %+v", res)
	}
	if _, err := l.Append(makeBatch(idem(5, 0, 5, 1, 1003)), false); !errors.Is(err, ErrInvalidProducerEpoch) {
		t.Fatalf("fenced: %v", err)
	}
	if l.LogEndOffset() != 8 {
		t.Fatalf("refused batches were appended: leo %d", l.LogEndOffset())
	}
	want := []ProducerState{{ProducerID: 5, Epoch: 1, LastSequence: 0, LastTimestamp: 1002, LastOffset: 7, CoordinatorEpoch: -1, CurrentTxnStartOffset: -1}}
	if got := l.ProducerStates(); !slices.Equal(got, want) {
		t.Fatalf("states %+v, want %+v", got, want)
	}
}

// idempotenceAfterReopen appends for two producers across a roll, reopens
// with reopen, and checks that state survived.
func TestIdempotenceSurvivesReopen(t *testing.T) {
	for _, mode := range []string{"clean", "crash", "crash-no-snapshot"} {
		t.Run(mode, func(t *testing.T) {
			mem := vfs.NewMem()
			cfg := rollEvery3(t)
			cfg.FlushMessages = 1
			l := mustOpen(t, mem, cfg, Options{})
			p := func(pid int64, seq int32) []byte {
				s := idem(pid, 0, seq, 1, 1000+int64(seq))
				s.value = 200
				return makeBatch(s)
			}
			n := 5
			if mode == "crash-no-snapshot" {
				n = 2 // no roll: no snapshot file; state comes from headers alone
			}
			for i := range n {
				if _, err := l.Append(p(1, int32(i)), true); err != nil {
					t.Fatal(err)
				}
				if _, err := l.Append(p(2, int32(10+i)), true); err != nil {
					t.Fatal(err)
				}
			}
			var fs vfs.FS = mem
			if mode == "clean" {
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
			} else {
				fs = mem.CrashClone(vfs.CrashOptions{})
				defer l.Close()
			}
			l2 := mustOpen(t, fs, cfg, Options{})
			defer l2.Close()
			want := []ProducerState{
				{ProducerID: 1, Epoch: 0, LastSequence: int32(n - 1), LastTimestamp: 1000 + int64(n-1), LastOffset: int64(2*n - 2), CoordinatorEpoch: -1, CurrentTxnStartOffset: -1},
				{ProducerID: 2, Epoch: 0, LastSequence: int32(10 + n - 1), LastTimestamp: 1000 + int64(10+n-1), LastOffset: int64(2*n - 1), CoordinatorEpoch: -1, CurrentTxnStartOffset: -1},
			}
			if got := l2.ProducerStates(); !slices.Equal(got, want) {
				t.Fatalf("states %+v, want %+v", got, want)
			}
			dup, err := l2.Append(p(1, int32(n-1)), false)
			if err != nil || !dup.Duplicate || dup.BaseOffset != int64(2*n-2) {
				t.Fatalf("retry after reopen = %+v, %v", dup, err)
			}
			if _, err := l2.Append(p(2, int32(10+n+1)), false); !errors.Is(err, ErrOutOfOrderSequence) {
				t.Fatalf("gap after reopen: %v", err)
			}
			if res, err := l2.Append(p(1, int32(n)), false); err != nil || res.BaseOffset != int64(2*n) {
				t.Fatalf("next after reopen = %+v, %v", res, err)
			}
		})
	}
}

func TestCleanReopenScansNothing(t *testing.T) {
	mem := vfs.NewMem()
	cfg := rollEvery3(t)
	l := mustOpen(t, mem, cfg, Options{})
	tenIn4(t, l, func(i int) int64 { return int64(i) })
	mustAppend(t, l, makeBatch(idem(3, 0, 0, 1, 50)))
	want := readAll(t, l, 0)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	cfs := newCountFS(mem)
	l2 := mustOpen(t, cfs, cfg, Options{})
	if r := cfs.Reads(".log") + cfs.Reads(".index") + cfs.Reads(".timeindex"); r != 0 {
		t.Fatalf("clean open read segment files %d times", r)
	}
	if l2.LogEndOffset() != 11 || l2.LogStartOffset() != 0 || len(l2.ProducerStates()) != 1 {
		t.Fatalf("clean open: end %d start %d producers %v", l2.LogEndOffset(), l2.LogStartOffset(), l2.ProducerStates())
	}
	if r := cfs.Reads(".log") + cfs.Reads(".index") + cfs.Reads(".timeindex"); r != 0 {
		t.Fatalf("offset getters read segment files %d times", r)
	}
	if got := readAll(t, l2, 0); !bytes.Equal(got, want) {
		t.Fatal("data differs after clean reopen")
	}
	if _, err := mem.Stat("/data/t-0/" + markerName); err == nil {
		t.Fatal("the marker survived Open")
	}
	if err := l2.Close(); err != nil {
		t.Fatal(err)
	}

	// Without the marker, Open scans.
	crashed := newCountFS(mem.Snapshot())
	if err := crashed.Remove("/data/t-0/" + markerName); err != nil {
		t.Fatal(err)
	}
	l3 := mustOpen(t, crashed, cfg, Options{})
	defer l3.Close()
	if crashed.Reads(".log") == 0 {
		t.Fatal("recovery read nothing")
	}
	if got := readAll(t, l3, 0); !bytes.Equal(got, want) || l3.LogEndOffset() != 11 {
		t.Fatal("data differs after recovery")
	}
}

func TestWaitWakesOnAppendAndClose(t *testing.T) {
	fs := vfs.NewMem()
	l := mustOpen(t, fs, smallConfig(), Options{})
	ch := l.Wait()
	select {
	case <-ch:
		t.Fatal("closed before any append")
	default:
	}
	mustAppend(t, l, makeBatch(plain(1, 0, 1, 0)))
	select {
	case <-ch:
	default:
		t.Fatal("not closed by an append")
	}
	ch2 := l.Wait()
	if ch2 == ch {
		t.Fatal("channel not replaced")
	}
	l.Close()
	select {
	case <-ch2:
	default:
		t.Fatal("not closed by Close")
	}
	if _, err := l.Append(makeBatch(plain(1, 0, 1, 0)), false); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
	if _, err := l.Read(0, 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("read after close: %v", err)
	}
}

func TestDeleteRemovesDirectory(t *testing.T) {
	fs := vfs.NewMem()
	l := mustOpen(t, fs, smallConfig(), Options{})
	mustAppend(t, l, makeBatch(plain(1, 0, 1, 0)))
	if err := l.Delete(); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat("/data/t-0"); err == nil {
		t.Fatal("directory survived Delete")
	}
}

// TestRecoveryDeletesSegmentsAfterAGap: a segment that recovery cut bytes
// from and whose offsets then no longer reach the next segment's base (a
// torn tail) ends the log; the segments after it are deleted, whatever
// they hold.
func TestRecoveryDeletesSegmentsAfterAGap(t *testing.T) {
	mem := vfs.NewMem()
	cfg := rollEvery3(t)
	l := mustOpen(t, mem, cfg, Options{})
	B := tenIn4(t, l, func(int) int64 { return 0 })
	want := readAll(t, l, 0)[:5*B]
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// Segment 3 loses most of its last batch (torn); the checkpoint
	// predates it all.
	f, err := mem.OpenRW("/data/t-0/00000000000000000003.log")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(2*B + 10); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := mem.Remove("/data/t-0/" + markerName); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(mem, "/data/t-0", checkpointName, checkpoint{}.encode()); err != nil {
		t.Fatal(err)
	}
	l2 := mustOpen(t, mem, cfg, Options{})
	defer l2.Close()
	if got := bases(l2); !slices.Equal(got, []int64{0, 3}) || l2.LogEndOffset() != 5 {
		t.Fatalf("segments %v, end %d; want [0 3], 5", got, l2.LogEndOffset())
	}
	if got := readAll(t, l2, 0); !bytes.Equal(got, want) {
		t.Fatal("recovered data differs")
	}
	names, _ := mem.ReadDir("/data/t-0")
	for _, n := range names {
		if base, ok := segment.ParseLogName(n); ok && base > 3 {
			t.Fatalf("segment %s after the gap survived", n)
		}
	}
	if res := mustAppend(t, l2, makeBatch(plain(1, 0, 200, 1))); res.BaseOffset != 5 {
		t.Fatalf("append after recovery at %d", res.BaseOffset)
	}
}

// TestReadStopsInsideASegment: a read that fills up inside a segment does
// not continue with the next segment's first batch.
func TestReadStopsInsideASegment(t *testing.T) {
	fs := vfs.NewMem()
	small, big := makeBatch(plain(1, 0, 100, 1)), makeBatch(plain(1, 0, 600, 2))
	S, G := int64(len(small)), int64(len(big))
	cfg := smallConfig()
	cfg.SegmentBytes = 2*S + G // segments: [small big small] [small ...]
	l := mustOpen(t, fs, cfg, Options{})
	defer l.Close()
	for _, b := range [][]byte{small, big, makeBatch(plain(1, 0, 100, 3)), makeBatch(plain(1, 0, 100, 4))} {
		mustAppend(t, l, b)
	}
	if got := bases(l); !slices.Equal(got, []int64{0, 3}) {
		t.Fatalf("segments %v", got)
	}
	r, err := l.Read(0, int(2*S+1)) // small fits, big does not; segment 3's small would
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	if len(r.Slices) != 1 || r.Bytes != S || r.Slices[0].LastOffset != 0 {
		t.Fatalf("Read(0, 2S+1) = %d slices, %d bytes, last offset %d; want one slice of %d ending at 0",
			len(r.Slices), r.Bytes, r.Slices[0].LastOffset, S)
	}
}

// TestRollOnIndexFull: with an entry for every batch after the first
// (index.interval.bytes 1) and 36-byte indexes, the time index (3 entries,
// full at 2: Kafka keeps one for the entry written at Close) fills after
// three batches of rising timestamps, the offset index (4 entries) after
// five batches of equal timestamps (which add one time index entry).
func TestRollOnIndexFull(t *testing.T) {
	for _, c := range []struct {
		name  string
		ts    func(i int) int64
		bases []int64
	}{
		{"time index", func(i int) int64 { return int64(10 * i) }, []int64{0, 3, 6}},
		{"offset index", func(int) int64 { return 7 }, []int64{0, 5}},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs := vfs.NewMem()
			cfg := smallConfig()
			cfg.SegmentIndexBytes = 36
			cfg.IndexIntervalBytes = 1
			l := mustOpen(t, fs, cfg, Options{})
			defer l.Close()
			for i := range 7 {
				mustAppend(t, l, makeBatch(plain(1, c.ts(i), 10, byte(i))))
			}
			if got := bases(l); !slices.Equal(got, c.bases) {
				t.Fatalf("segments %v, want %v", got, c.bases)
			}
		})
	}
}

// TestProducerExpiration: producer.id.expiration.ms forgets idle producers
// in ApplyRetention and when a log is opened.
func TestProducerExpiration(t *testing.T) {
	mem := vfs.NewMem()
	c := newClock(10_000)
	cfg := smallConfig()
	cfg.ProducerIDExpirationMs = 1000
	l := mustOpen(t, mem, cfg, c.opts(mem))
	mustAppend(t, l, makeBatch(idem(1, 0, 0, 1, 9_000)))
	mustAppend(t, l, makeBatch(idem(2, 0, 0, 1, 9_500)))
	c.ms = 9_999 + 1 // producer 1 idle exactly 1000 ms
	if _, err := l.ApplyRetention(); err != nil {
		t.Fatal(err)
	}
	if got := l.ProducerStates(); len(got) != 1 || got[0].ProducerID != 2 {
		t.Fatalf("states %+v, want producer 2 only", got)
	}
	// Forgotten: it may start again at any sequence (an unknown producer).
	if _, err := l.Append(makeBatch(idem(1, 0, 7, 1, 10_000)), false); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	c.ms = 10_500 // producer 2 idle 1000 ms at reopen
	l2 := mustOpen(t, mem, cfg, c.opts(mem))
	defer l2.Close()
	if got := l2.ProducerStates(); len(got) != 1 || got[0].ProducerID != 1 || got[0].LastSequence != 7 {
		t.Fatalf("states after reopen %+v, want producer 1 at sequence 7", got)
	}
}

// TestCleanReopenKeepsAppendingToTheActiveSegment: after a clean restart the
// active segment (its indexes trimmed at Close) takes appends again, as
// Kafka resizes the active segment's indexes on load; no roll.
func TestCleanReopenKeepsAppendingToTheActiveSegment(t *testing.T) {
	mem := vfs.NewMem()
	cfg := smallConfig()
	for round := range 3 {
		l := mustOpen(t, mem, cfg, Options{})
		for i := range 5 {
			if res := mustAppend(t, l, makeBatch(plain(1, int64(round), 20, byte(i)))); res.BaseOffset != int64(5*round+i) {
				t.Fatalf("round %d: append at %d", round, res.BaseOffset)
			}
		}
		if got := bases(l); !slices.Equal(got, []int64{0}) {
			t.Fatalf("round %d: segments %v, want [0]", round, got)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRecoveryBelowLogStartStartsAfresh: when recovery leaves the log end
// below the checkpointed log start offset, every segment and snapshot goes
// and the log restarts empty at the log start offset (Kafka's LogLoader).
func TestRecoveryBelowLogStartStartsAfresh(t *testing.T) {
	mem := vfs.NewMem()
	cfg := rollEvery3(t)
	l := mustOpen(t, mem, cfg, Options{})
	tenIn4(t, l, func(int) int64 { return 0 })
	mustAppend(t, l, makeBatch(idem(4, 0, 0, 1, 0))) // offset 10, producer state
	if _, err := l.DeleteRecords(11); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := mem.OpenRW("/data/t-0/00000000000000000009.log")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(0); err != nil { // segment 9 lost everything
		t.Fatal(err)
	}
	f.Close()
	if err := mem.Remove("/data/t-0/" + markerName); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(mem, "/data/t-0", checkpointName, checkpoint{logStart: 11}.encode()); err != nil {
		t.Fatal(err)
	}
	l2 := mustOpen(t, mem, cfg, Options{})
	defer l2.Close()
	if got := bases(l2); !slices.Equal(got, []int64{11}) || l2.LogStartOffset() != 11 || l2.LogEndOffset() != 11 {
		t.Fatalf("segments %v, log %d..%d; want [11], 11..11", got, l2.LogStartOffset(), l2.LogEndOffset())
	}
	if got := l2.ProducerStates(); len(got) != 0 {
		t.Fatalf("producer state of deleted data survived: %+v", got)
	}
	names, _ := mem.ReadDir("/data/t-0")
	for _, n := range names {
		if _, ok := parseSnapshotName(n); ok {
			t.Fatalf("snapshot %s survived", n)
		}
	}
}

// TestAppendAllocs: an append allocates only the reader view it publishes
// (no allocation per record).
func TestAppendAllocs(t *testing.T) {
	fs := vfs.NewMem()
	cfg := smallConfig()
	cfg.SegmentBytes = 64 << 20
	cfg.SegmentIndexBytes = 1 << 20
	l := mustOpen(t, fs, cfg, Options{})
	defer l.Close()
	b := makeBatch(plain(100, 0, 100, 1))
	mustAppend(t, l, b)
	if n := testing.AllocsPerRun(200, func() {
		if _, err := l.Append(b, false); err != nil {
			t.Fatal(err)
		}
	}); n != 1 {
		t.Fatalf("%v allocations per append of 100 records, want 1", n)
	}
}

// TestRetentionDoesNotWaitForFlush: retention and DeleteRecords run while
// a flush holds flushMu (sealing many rolled segments under overload), and
// the flush's checkpoint written afterwards keeps their log start offset.
func TestRetentionDoesNotWaitForFlush(t *testing.T) {
	mem := vfs.NewMem()
	cfg := rollEvery3(t)
	l := mustOpen(t, mem, cfg, Options{})
	defer l.Close()
	B := tenIn4(t, l, func(int) int64 { return 0 })
	cfg.RetentionBytes = 5 * B
	l.SetConfig(cfg)

	l.flushMu.Lock() // a flush round in progress
	done := make(chan error, 1)
	go func() {
		n, err := l.ApplyRetention()
		if err == nil && n != 1 {
			err = fmt.Errorf("deleted %d segments, want 1", n)
		}
		if err == nil {
			var lw int64
			lw, err = l.DeleteRecords(5)
			if err == nil && lw != 5 {
				err = fmt.Errorf("low watermark %d, want 5", lw)
			}
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		l.flushMu.Unlock()
		t.Fatal("retention waited for the flush")
	}
	l.flushMu.Unlock()
	if got := bases(l); !slices.Equal(got, []int64{3, 6, 9}) || l.LogStartOffset() != 5 {
		t.Fatalf("segments %v start %d", got, l.LogStartOffset())
	}
	// The flush's checkpoint carries the log start offset retention set.
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	b, err := vfs.ReadFile(mem, "/data/t-0/"+checkpointName, 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := decodeCheckpoint(b)
	if err != nil {
		t.Fatal(err)
	}
	if ck.logStart != 5 || ck.recoveryPoint != 10 {
		t.Fatalf("checkpoint %+v, want log start 5, recovery point 10", ck)
	}
}
