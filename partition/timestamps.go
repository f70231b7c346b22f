package partition

import (
	"encoding/binary"
	"fmt"
	"math"
	"sync"

	"github.com/stratabroker/strata/recordbatch"
)

// maxCheckedRecordBytes bounds the decompressed records of a batch whose
// timestamps are checked (Kafka's default socket.request.max.bytes); a
// batch that decompresses to more is refused as corrupt.
const maxCheckedRecordBytes = 100 << 20

// pooledBufferMax is the largest decompression buffer kept for the next
// check.
const pooledBufferMax = 1 << 20

var recordBuffers = sync.Pool{New: func() any { return new([]byte) }}

// checkTimestamps is Kafka's LogValidator.validateTimestamp over every
// record of the batch h, for a topic with config cfg, at nowMs.
//
// In a CreateTime batch a record's timestamp is BaseTimestamp plus its own
// delta, which may be negative, and MaxTimestamp is only what the producer
// computed (Kafka recomputes it from the records): the header bounds no
// record, so every record of an uncompressed batch is read. A compressed
// batch is decompressed for it only when message.timestamp.before.max.ms
// is set: with only the upper bound (Kafka's defaults) its MaxTimestamp is
// checked instead, so compressed produce stays free of decompression.
// Nothing is checked when both limits are unlimited (math.MaxInt64: no
// timestamp can fail them). A timestamp of -1 (none) passes. In a batch the producer marked
// LogAppendTime every record's timestamp is MaxTimestamp: only it is
// checked, and such a batch is refused outright on a LogAppendTime topic
// or without a timestamp, as Kafka refuses it. A LogAppendTime topic
// checks nothing else: the broker stamps its batches.
func checkTimestamps(h recordbatch.Header, cfg *Config, nowMs int64) error {
	before, after := cfg.TimestampBeforeMaxMs, cfg.TimestampAfterMaxMs
	if h.LogAppendTime() {
		ts := h.MaxTimestamp()
		if cfg.LogAppendTime || ts == -1 {
			return fmt.Errorf("%w: the producer set the timestamp type to LogAppendTime", ErrInvalidTimestamp)
		}
		return checkTimestamp(0, ts, nowMs, before, after)
	}
	if cfg.LogAppendTime || (before == math.MaxInt64 && after == math.MaxInt64) {
		return nil
	}
	recs := h.Records()
	if c := h.Codec(); c != recordbatch.CodecNone && before == math.MaxInt64 {
		// Only the upper bound is set (the default): the batch's
		// MaxTimestamp, which is what time rolls, retention and the
		// time index use, is checked without decompressing. A producer
		// that understates it is not caught, where Kafka, which
		// recomputes it, would; the log stays bounded all the same.
		return checkTimestamp(0, h.MaxTimestamp(), nowMs, before, after)
	} else if c != recordbatch.CodecNone {
		buf := recordBuffers.Get().(*[]byte)
		defer func() {
			if cap(*buf) <= pooledBufferMax {
				recordBuffers.Put(buf)
			}
		}()
		var err error
		if *buf, err = recordbatch.Decompress((*buf)[:0], c, recs, maxCheckedRecordBytes); err != nil {
			return fmt.Errorf("%w: records of a %v batch: %w", recordbatch.ErrCorrupt, c, err)
		}
		recs = *buf
	}
	return walkTimestamps(recs, h.RecordCount(), h.BaseTimestamp(), nowMs, before, after)
}

// walkTimestamps checks the timestamp of each of the n records in recs
// (uncompressed), reading only each record's length, attributes and
// timestamp delta: a record is "length varint, attributes int8,
// timestampDelta varlong, ..." and its timestamp base + timestampDelta.
func walkTimestamps(recs []byte, n int32, base, nowMs, before, after int64) error {
	for i := range int(n) {
		length, k := binary.Varint(recs)
		if k <= 0 || length < 2 || length > int64(len(recs)-k) {
			return fmt.Errorf("%w: record %d: bad length", recordbatch.ErrCorrupt, i)
		}
		body := recs[k : k+int(length)]
		delta, m := binary.Varint(body[1:]) // after the attributes
		if m <= 0 {
			return fmt.Errorf("%w: record %d: bad timestamp delta", recordbatch.ErrCorrupt, i)
		}
		if ts := base + delta; ts != -1 {
			if err := checkTimestamp(i, ts, nowMs, before, after); err != nil {
				return err
			}
		}
		recs = recs[k+int(length):]
	}
	return nil
}

// checkTimestamp is Kafka's recordHasInvalidTimestamp, with the same
// wrapping arithmetic.
func checkTimestamp(i int, ts, nowMs, before, after int64) error {
	diff := nowMs - ts
	if diff > before || -diff > after {
		return fmt.Errorf("%w: timestamp %d of record %d is out of range; the timestamp should be within [%d, %d]",
			ErrInvalidTimestamp, ts, i, nowMs-before, nowMs+after)
	}
	return nil
}
