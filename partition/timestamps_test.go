package partition

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/recordbatch"
)

// TestTimestampLimits: a CreateTime topic refuses, with ErrInvalidTimestamp
// and nothing appended, a batch with any record more than
// message.timestamp.before.max.ms before or message.timestamp.after.max.ms
// after the broker's clock (Kafka's LogValidator.validateTimestamp, per
// record; -1 is "no timestamp" and passes). Bounds are inclusive. A
// LogAppendTime topic checks nothing but refuses batches a producer marked
// LogAppendTime.
func TestTimestampLimits(t *testing.T) {
	const now = 1_000_000_000
	c := newClock(now)
	cfg := smallConfig()
	cfg.TimestampBeforeMaxMs = 1000
	cfg.TimestampAfterMaxMs = 500
	mem := vfs.NewMem()
	l := mustOpen(t, mem, cfg, c.opts(mem))
	defer l.Close()
	lat := func(b []byte, ts int64) []byte {
		h := recordbatch.Header(b)
		h.SetMaxTimestamp(ts)
		h.SetLogAppendTime(true)
		h.UpdateCRC()
		return b
	}
	tests := []struct {
		name string
		b    []byte
		ok   bool
	}{
		{"now", makeBatch(plain(1, now, 10, 1)), true},
		{"at before.max.ms", makeBatch(plain(1, now-1000, 10, 1)), true},
		{"past before.max.ms", makeBatch(plain(1, now-1001, 10, 1)), false},
		{"at after.max.ms", makeBatch(plain(1, now+500, 10, 1)), true},
		{"past after.max.ms", makeBatch(plain(1, now+501, 10, 1)), false},
		{"no timestamp", makeBatch(plain(1, -1, 10, 1)), true},
		// The third record is late; base and max timestamps are fine.
		{"one late record", makeBatch(spec{pid: -1, epoch: -1, seq: -1, ts: []int64{now, now + 10, now - 1001}, value: 5}), false},
		// A record before the base timestamp (negative delta), in range.
		{"negative delta", makeBatch(spec{pid: -1, epoch: -1, seq: -1, ts: []int64{now, now - 999}, value: 5}), true},
		// The header's MaxTimestamp says now; a record says otherwise.
		{"max timestamp understated", func() []byte {
			b := makeBatch(spec{pid: -1, epoch: -1, seq: -1, ts: []int64{now, now + 600}, value: 5})
			recordbatch.Header(b).SetMaxTimestamp(now)
			recordbatch.Header(b).UpdateCRC()
			return b
		}(), false},
		{"LogAppendTime batch in range", lat(makeBatch(plain(2, 0, 10, 1)), now+400), true},
		{"LogAppendTime batch out of range", lat(makeBatch(plain(2, now, 10, 1)), now+501), false},
		{"LogAppendTime batch without a timestamp", lat(makeBatch(plain(2, now, 10, 1)), -1), false},
	}
	for _, compressed := range []bool{false, true} {
		for _, tc := range tests {
			b := slices.Clone(tc.b)
			if compressed {
				b = compress(t, b)
			}
			before := l.LogEndOffset()
			_, err := l.Append(b, false)
			switch {
			case tc.ok && err != nil:
				t.Errorf("%s (compressed %v): %v", tc.name, compressed, err)
			case !tc.ok && !errors.Is(err, ErrInvalidTimestamp):
				t.Errorf("%s (compressed %v): err %v, want ErrInvalidTimestamp", tc.name, compressed, err)
			case !tc.ok && l.LogEndOffset() != before:
				t.Errorf("%s (compressed %v): log end offset %d after a refused batch, was %d", tc.name, compressed, l.LogEndOffset(), before)
			}
		}
	}

	// With only the upper bound set (Kafka's defaults), a compressed batch
	// is judged by its MaxTimestamp, undecompressed: an understated one
	// passes, an honest one past the bound does not.
	cfg.TimestampBeforeMaxMs = math.MaxInt64
	l.SetConfig(cfg)
	understated := makeBatch(spec{pid: -1, epoch: -1, seq: -1, ts: []int64{now, now + 600}, value: 5})
	recordbatch.Header(understated).SetMaxTimestamp(now)
	recordbatch.Header(understated).UpdateCRC()
	if _, err := l.Append(compress(t, understated), false); err != nil {
		t.Fatalf("compressed, understated MaxTimestamp, upper bound only: %v", err)
	}
	if _, err := l.Append(compress(t, makeBatch(plain(2, now+501, 10, 1))), false); !errors.Is(err, ErrInvalidTimestamp) {
		t.Fatalf("compressed, MaxTimestamp past after.max.ms: %v", err)
	}
	if _, err := l.Append(understated, false); !errors.Is(err, ErrInvalidTimestamp) {
		t.Fatalf("uncompressed, understated MaxTimestamp, upper bound only: %v", err)
	}
	cfg.TimestampBeforeMaxMs = 1000

	// LogAppendTime topics check no CreateTime timestamps...
	cfg.LogAppendTime = true
	l.SetConfig(cfg)
	if _, err := l.Append(makeBatch(plain(1, 0, 10, 1)), false); err != nil {
		t.Fatalf("LogAppendTime topic, old timestamp: %v", err)
	}
	// ...and refuse batches a producer stamped LogAppendTime.
	if _, err := l.Append(lat(makeBatch(plain(1, now, 10, 1)), now), false); !errors.Is(err, ErrInvalidTimestamp) {
		t.Fatalf("LogAppendTime topic, LogAppendTime batch: %v", err)
	}
	// Unlimited limits: nothing checked.
	cfg.LogAppendTime = false
	cfg.TimestampBeforeMaxMs, cfg.TimestampAfterMaxMs = math.MaxInt64, math.MaxInt64
	l.SetConfig(cfg)
	if _, err := l.Append(makeBatch(plain(1, math.MaxInt64-5, 10, 1)), false); err != nil {
		t.Fatalf("unlimited, far future: %v", err)
	}
	if _, err := l.Append(makeBatch(plain(1, math.MinInt64+5, 10, 1)), false); err != nil {
		t.Fatalf("unlimited, far past: %v", err)
	}
}

// TestTimestampDefaults: Kafka 4's defaults, before.max.ms unlimited and
// after.max.ms one hour.
func TestTimestampDefaults(t *testing.T) {
	c := DefaultConfig()
	if c.TimestampBeforeMaxMs != math.MaxInt64 || c.TimestampAfterMaxMs != 3600000 {
		t.Fatalf("before %d after %d", c.TimestampBeforeMaxMs, c.TimestampAfterMaxMs)
	}
	c.TimestampAfterMaxMs = -1
	if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("after.max.ms -1: %v", err)
	}
}

// compress returns b with its records compressed with zstd.
func compress(t testing.TB, b []byte) []byte {
	t.Helper()
	h := recordbatch.Header(b)
	recs, err := recordbatch.Compress(nil, recordbatch.CodecZstd, h.Records())
	if err != nil {
		t.Fatal(err)
	}
	out := append(append([]byte(nil), b[:recordbatch.HeaderSize]...), recs...)
	o := recordbatch.Header(out)
	binary := uint32(len(out) - recordbatch.LogOverhead)
	out[recordbatch.OffBatchLength] = byte(binary >> 24)
	out[recordbatch.OffBatchLength+1] = byte(binary >> 16)
	out[recordbatch.OffBatchLength+2] = byte(binary >> 8)
	out[recordbatch.OffBatchLength+3] = byte(binary)
	attrs := uint16(o.Attributes()) | uint16(recordbatch.CodecZstd)
	out[recordbatch.OffAttributes] = byte(attrs >> 8)
	out[recordbatch.OffAttributes+1] = byte(attrs)
	o.UpdateCRC()
	if err := recordbatch.Validate(out, 0); err != nil {
		t.Fatal(err)
	}
	return out
}
