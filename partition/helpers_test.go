package partition

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/recordbatch"
)

// spec describes a batch for makeBatch.
type spec struct {
	pid   int64 // -1: not idempotent
	epoch int16
	seq   int32
	ts    []int64 // one timestamp per record
	value int     // bytes per record value
	fill  byte    // value byte, so batches differ
}

// plain is a non-idempotent batch of n records, all stamped ts.
func plain(n int, ts int64, value int, fill byte) spec {
	return spec{pid: -1, epoch: -1, seq: -1, ts: slices.Repeat([]int64{ts}, n), value: value, fill: fill}
}

// idem is a batch of n records of producer pid at epoch and seq.
func idem(pid int64, epoch int16, seq int32, n int, ts int64) spec {
	return spec{pid: pid, epoch: epoch, seq: seq, ts: slices.Repeat([]int64{ts}, n), value: 10, fill: byte(seq)}
}

// makeBatch encodes an uncompressed v2 batch with base offset 0 and a
// correct CRC.
func makeBatch(s spec) []byte {
	var recs []byte
	maxTs := s.ts[0]
	val := bytes.Repeat([]byte{s.fill}, s.value)
	for i, ts := range s.ts {
		maxTs = max(maxTs, ts)
		var body []byte
		body = append(body, 0) // attributes
		body = binary.AppendVarint(body, ts-s.ts[0])
		body = binary.AppendVarint(body, int64(i))
		body = binary.AppendVarint(body, -1) // no key
		body = binary.AppendVarint(body, int64(len(val)))
		body = append(body, val...)
		body = binary.AppendVarint(body, 0) // no headers
		recs = binary.AppendVarint(recs, int64(len(body)))
		recs = append(recs, body...)
	}
	b := make([]byte, recordbatch.HeaderSize, recordbatch.HeaderSize+len(recs))
	be := binary.BigEndian
	be.PutUint32(b[recordbatch.OffBatchLength:], uint32(recordbatch.HeaderSize+len(recs)-recordbatch.LogOverhead))
	be.PutUint32(b[recordbatch.OffLeaderEpoch:], 0xffffffff)
	b[recordbatch.OffMagic] = recordbatch.MagicV2
	be.PutUint32(b[recordbatch.OffLastOffsetDelta:], uint32(len(s.ts)-1))
	be.PutUint64(b[recordbatch.OffBaseTimestamp:], uint64(s.ts[0]))
	be.PutUint64(b[recordbatch.OffMaxTimestamp:], uint64(maxTs))
	be.PutUint64(b[recordbatch.OffProducerID:], uint64(s.pid))
	be.PutUint16(b[recordbatch.OffProducerEpoch:], uint16(s.epoch))
	be.PutUint32(b[recordbatch.OffBaseSequence:], uint32(s.seq))
	be.PutUint32(b[recordbatch.OffRecordCount:], uint32(len(s.ts)))
	b = append(b, recs...)
	recordbatch.Header(b).UpdateCRC()
	return b
}

// clock is a settable Options.Now.
type clock struct{ ms int64 }

func (c *clock) now() time.Time  { return time.UnixMilli(c.ms) }
func (c *clock) advance(d int64) { c.ms += d }
func newClock(ms int64) *clock   { return &clock{ms: ms} }
func (c *clock) opts(fs vfs.FS) Options {
	return Options{FS: fs, Now: c.now}
}

// smallConfig is DefaultConfig with small segments and dense indexes.
func smallConfig() Config {
	c := DefaultConfig()
	c.SegmentBytes = 4096
	c.IndexIntervalBytes = 256
	c.SegmentIndexBytes = 1024
	c.RetentionMs = -1
	c.ProducerIDExpirationMs = 0 // test timestamps are from 1970
	return c
}

func mustOpen(t testing.TB, fs vfs.FS, cfg Config, opts Options) *Log {
	t.Helper()
	opts.FS = fs
	l, err := Open("/data/t-0", cfg, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return l
}

func mustAppend(t testing.TB, l *Log, b []byte) AppendResult {
	t.Helper()
	res, err := l.Append(b, false)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	return res
}

// readAll returns the bytes of every batch from offset to the high
// watermark, reading through Read's slices with ReadAt.
func readAll(t testing.TB, l *Log, offset int64) []byte {
	t.Helper()
	var out []byte
	for offset < l.HighWatermark() {
		r, err := l.Read(offset, 1<<20)
		if err != nil {
			t.Fatalf("Read(%d): %v", offset, err)
		}
		if len(r.Slices) == 0 {
			t.Fatalf("Read(%d): no data below the high watermark %d", offset, r.HighWatermark)
		}
		for _, sl := range r.Slices {
			buf := make([]byte, sl.Len)
			if n, err := sl.File.ReadAt(buf, sl.Pos); n != len(buf) {
				t.Fatalf("ReadAt: %d of %d bytes: %v", n, len(buf), err)
			}
			out = append(out, buf...)
			offset = sl.LastOffset + 1
		}
		r.Release()
	}
	return out
}

// splitBatches cuts bytes into batches, checking each with CheckStored.
func splitBatches(t testing.TB, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(b) > 0 {
		n, err := recordbatch.BatchSize(b)
		if err != nil || n > len(b) {
			t.Fatalf("batch at byte %d: size %d of %d: %v", len(out), n, len(b), err)
		}
		if err := recordbatch.CheckStored(b[:n]); err != nil {
			t.Fatalf("stored batch %d: %v", len(out), err)
		}
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

// withOffset returns a copy of batch b as stored at base offset off.
func withOffset(b []byte, off int64) []byte {
	c := slices.Clone(b)
	recordbatch.Header(c).SetBaseOffset(off)
	recordbatch.Header(c).SetPartitionLeaderEpoch(0)
	return c
}

var _ = errors.Is
var _ = io.EOF
