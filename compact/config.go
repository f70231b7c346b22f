package compact

import (
	"log/slog"
	"time"

	"github.com/stratabroker/strata/internal/vfs"
)

// Config is one topic's effective cleaner settings, read by the manager at
// each pass (dynamic configs apply from the next pass).
type Config struct {
	MinCleanableRatio  float64 // min.cleanable.dirty.ratio (0.5)
	MinCompactionLagMs int64   // min.compaction.lag.ms (0)
	MaxCompactionLagMs int64   // max.compaction.lag.ms (math.MaxInt64)
	DeleteRetentionMs  int64   // delete.retention.ms (86400000): how long tombstones stay once cleaned
	SegmentBytes       int64   // segment.bytes: the most one cleaned segment holds (groups)
	MaxIndexBytes      int     // segment.index.bytes: the most a cleaned segment's index holds (groups)
	Delete             bool    // cleanup.policy also has delete: retention stays the partition's job
}

// Defaults of Options, Kafka's (CleanerConfig).
const (
	DefaultThreads          = 1
	DefaultDedupeBufferSize = 128 << 20 // log.cleaner.dedupe.buffer.size
	DefaultIOBufferSize     = 512 << 10 // log.cleaner.io.buffer.size
	DefaultBackoffMs        = 15_000    // log.cleaner.backoff.ms
)

// Options are the broker-wide log.cleaner.* settings. Zero values mean
// Kafka's defaults; IOMaxBytesPerSecond <= 0 means no bound (Kafka's
// default, Double.MAX_VALUE).
type Options struct {
	Threads             int     // log.cleaner.threads
	DedupeBufferSize    int64   // log.cleaner.dedupe.buffer.size, shared by the threads
	IOBufferSize        int     // log.cleaner.io.buffer.size, shared by the threads
	IOMaxBytesPerSecond float64 // log.cleaner.io.max.bytes.per.second
	BackoffMs           int64   // log.cleaner.backoff.ms: the check interval when nothing woke it
	Logger              *slog.Logger
	Now                 func() time.Time
	// FS is where the cleaner checkpoints are written (vfs.OS if nil).
	FS vfs.FS
}

func (o Options) withDefaults() Options {
	if o.Threads <= 0 {
		o.Threads = DefaultThreads
	}
	if o.DedupeBufferSize <= 0 {
		o.DedupeBufferSize = DefaultDedupeBufferSize
	}
	if o.IOBufferSize <= 0 {
		o.IOBufferSize = DefaultIOBufferSize
	}
	if o.BackoffMs <= 0 {
		o.BackoffMs = DefaultBackoffMs
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.FS == nil {
		o.FS = vfs.OS
	}
	return o
}

// perThread is each thread's share of the dedupe buffer (Kafka caps it at
// 2 GiB) and of the I/O buffer (halved: Kafka splits it between a read
// and a write buffer).
func (o Options) perThread() (dedupe int64, io int) {
	dedupe = min(o.DedupeBufferSize/int64(o.Threads), 1<<31-1)
	io = o.IOBufferSize / o.Threads / 2
	return dedupe, io
}
