package partition

import (
	"fmt"
	"math"

	"github.com/stratabroker/strata/recordbatch"
)

// Config holds the topic-level settings of one log, with Kafka's property
// names and defaults (DefaultConfig). The broker derives it from
// server.properties and the topic's overrides; SetConfig changes it on a
// running log.
type Config struct {
	SegmentBytes       int64 // segment.bytes 1073741824: roll when size + batch > this
	SegmentMs          int64 // segment.ms 604800000: roll when the segment is this old
	SegmentIndexBytes  int   // segment.index.bytes 10485760: each index's maximum size
	IndexIntervalBytes int   // index.interval.bytes 4096: bytes between offset index entries
	RetentionMs        int64 // retention.ms 604800000; -1 = forever
	RetentionBytes     int64 // retention.bytes -1 = unlimited
	FlushMessages      int64 // flush.messages math.MaxInt64 (page cache; fsync on roll and close)
	FlushMs            int64 // flush.ms math.MaxInt64
	MaxMessageBytes    int   // max.message.bytes 1048588: largest batch accepted
	LogAppendTime      bool  // message.timestamp.type=LogAppendTime

	// TimestampBeforeMaxMs and TimestampAfterMaxMs are
	// message.timestamp.before.max.ms (Kafka's default math.MaxInt64) and
	// message.timestamp.after.max.ms (3600000 since Kafka 4.0): on a
	// CreateTime topic, Append refuses a batch with a record stamped more
	// than this before or after the broker's clock (ErrInvalidTimestamp).
	TimestampBeforeMaxMs int64
	TimestampAfterMaxMs  int64

	// CleanupDelete is whether cleanup.policy holds "delete" (Kafka's
	// default is "delete"). Without it (cleanup.policy=compact) retention.ms
	// and retention.bytes delete nothing, as in Kafka's deleteOldSegments:
	// only the segments below the log start offset (DeleteRecords) go.
	CleanupDelete bool

	// ProducerIDExpirationMs is producer.id.expiration.ms (Kafka's default
	// 86400000): ApplyRetention forgets an idempotent producer whose last
	// batch timestamp is older than this. Zero or negative: never.
	ProducerIDExpirationMs int64
}

// DefaultConfig returns Kafka's defaults.
func DefaultConfig() Config {
	return Config{
		SegmentBytes:           1 << 30,
		SegmentMs:              7 * 24 * 60 * 60 * 1000,
		SegmentIndexBytes:      10 << 20,
		IndexIntervalBytes:     4096,
		RetentionMs:            7 * 24 * 60 * 60 * 1000,
		RetentionBytes:         -1,
		CleanupDelete:          true,
		TimestampBeforeMaxMs:   math.MaxInt64,
		TimestampAfterMaxMs:    60 * 60 * 1000,
		FlushMessages:          math.MaxInt64,
		FlushMs:                math.MaxInt64,
		MaxMessageBytes:        1048588,
		ProducerIDExpirationMs: 24 * 60 * 60 * 1000,
	}
}

// minIndexBytes is the smallest segment.index.bytes that holds one entry of
// each index (a time index entry is 12 bytes).
const minIndexBytes = 12

// Validate reports the first setting out of range, wrapping ErrInvalidConfig.
// RetentionMs and RetentionBytes accept any negative value as "unlimited".
func (c Config) Validate() error {
	switch {
	case c.SegmentBytes < recordbatch.HeaderSize || c.SegmentBytes > math.MaxInt32:
		return fmt.Errorf("%w: segment.bytes %d, want %d..%d", ErrInvalidConfig, c.SegmentBytes, recordbatch.HeaderSize, math.MaxInt32)
	case c.SegmentMs < 1:
		return fmt.Errorf("%w: segment.ms %d, want at least 1", ErrInvalidConfig, c.SegmentMs)
	case c.SegmentIndexBytes < minIndexBytes:
		return fmt.Errorf("%w: segment.index.bytes %d, want at least %d", ErrInvalidConfig, c.SegmentIndexBytes, minIndexBytes)
	case c.IndexIntervalBytes < 0:
		return fmt.Errorf("%w: index.interval.bytes %d is negative", ErrInvalidConfig, c.IndexIntervalBytes)
	case c.FlushMessages < 1:
		return fmt.Errorf("%w: flush.messages %d, want at least 1", ErrInvalidConfig, c.FlushMessages)
	case c.FlushMs < 0:
		return fmt.Errorf("%w: flush.ms %d is negative", ErrInvalidConfig, c.FlushMs)
	case c.MaxMessageBytes < 0:
		return fmt.Errorf("%w: max.message.bytes %d is negative", ErrInvalidConfig, c.MaxMessageBytes)
	case c.TimestampBeforeMaxMs < 0:
		return fmt.Errorf("%w: message.timestamp.before.max.ms %d is negative", ErrInvalidConfig, c.TimestampBeforeMaxMs)
	case c.TimestampAfterMaxMs < 0:
		return fmt.Errorf("%w: message.timestamp.after.max.ms %d is negative", ErrInvalidConfig, c.TimestampAfterMaxMs)
	}
	return nil
}
