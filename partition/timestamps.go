package partition

import (
	"fmt"
	"math"
	"sync"

	"github.com/stratabroker/strata/recordbatch"
)

// maxCheckedRecordBytes bounds the decompressed records of a batch whose
// timestamps are checked (Kafka's default socket.request.max.bytes); a
// batch that decompresses to more is refused as corrupt.
const maxCheckedRecordBytes = 100 << 20

// pooledIteratorMax is the largest batch whose iterator goes back to the
// pool: a compressed batch past it may have grown the iterator's buffer
// far beyond what later batches need.
const pooledIteratorMax = 64 << 10

var iterators = sync.Pool{New: func() any { return new(recordbatch.Iterator) }}

// checkTimestamps is Kafka's LogValidator.validateTimestamp over every
// record of the batch h, for a topic with config cfg, at nowMs.
//
// In a CreateTime batch a record's timestamp is BaseTimestamp plus its own
// delta, which may be negative, and MaxTimestamp is only what the producer
// computed (Kafka recomputes it from the records): the header bounds no
// record, so every record is read, decompressing a compressed batch,
// unless both limits are unlimited (math.MaxInt64: no timestamp can fail
// them). A timestamp of -1 (none) passes. In a batch the producer marked
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
	it := iterators.Get().(*recordbatch.Iterator)
	defer func() {
		if h.Codec() == recordbatch.CodecNone || len(h) <= pooledIteratorMax {
			iterators.Put(it)
		}
	}()
	it.Reset(h, maxCheckedRecordBytes)
	for i := 0; it.Next(); i++ {
		if ts := it.Record().Timestamp; ts != -1 {
			if err := checkTimestamp(i, ts, nowMs, before, after); err != nil {
				return err
			}
		}
	}
	return it.Err()
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
