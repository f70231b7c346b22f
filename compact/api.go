package compact

import (
	"errors"
	"log/slog"
	"time"

	"github.com/stratabroker/strata/partition"
)

// Config is one topic's effective cleaner settings, read at each pass.
type Config struct {
	MinCleanableRatio  float64 // min.cleanable.dirty.ratio
	MinCompactionLagMs int64   // min.compaction.lag.ms
	MaxCompactionLagMs int64   // max.compaction.lag.ms
	DeleteRetentionMs  int64   // delete.retention.ms
	SegmentBytes       int64   // segment.bytes: merge limit
	MaxIndexBytes      int     // segment.index.bytes: merge limit
	Delete             bool    // cleanup.policy also has delete
}

// Options are the broker-wide log.cleaner.* settings.
type Options struct {
	Threads             int     // log.cleaner.threads
	DedupeBufferSize    int64   // log.cleaner.dedupe.buffer.size
	IOBufferSize        int     // log.cleaner.io.buffer.size
	IOMaxBytesPerSecond float64 // log.cleaner.io.max.bytes.per.second
	BackoffMs           int64   // log.cleaner.backoff.ms
	Logger              *slog.Logger
	Now                 func() time.Time
}

// ErrUncleanable marks a partition the cleaner gave up on (a corrupt batch).
var ErrUncleanable = errors.New("compact: partition is uncleanable")

// Manager is Kafka's LogCleaner and LogCleanerManager.
type Manager struct{}

// NewManager returns a stopped manager.
func NewManager(o Options) *Manager { return &Manager{} }

// Add registers a compacted partition; cfg is read at each pass.
func (m *Manager) Add(name string, l *partition.Log, cfg func() Config) {}

// Remove unregisters a partition, waiting for a pass in progress on it.
func (m *Manager) Remove(name string) {}

// Wake asks for a check of the partition soon.
func (m *Manager) Wake(name string) {}

// Start starts the cleaner threads.
func (m *Manager) Start() {}

// Close stops the cleaner threads, waiting for passes in progress.
func (m *Manager) Close() error { return nil }

// ManagerStats are the cleaner's counters for metrics.
type ManagerStats struct {
	BytesRead, BytesWritten int64
	Passes                  int64
	LastPassDuration        time.Duration
	MaxDirtyRatio           float64
	Uncleanable             int
	Partitions              []PartitionStats
}

// PartitionStats is one partition's cleaner state.
type PartitionStats struct {
	Name        string
	DirtyRatio  float64
	LastPass    time.Time
	BytesSaved  int64
	Uncleanable bool
}

// Stats returns a snapshot of the counters.
func (m *Manager) Stats() ManagerStats { return ManagerStats{} }

// PassStats describes one cleaning pass.
type PassStats struct {
	BytesRead, BytesWritten int64
	Keys                    int64
	Duration                time.Duration
	DirtyBefore, DirtyAfter float64
}

// Throttle bounds the cleaner's IO rate.
type Throttle struct{}

// NewThrottle returns a throttle at bytesPerSecond (<= 0: unbounded).
func NewThrottle(bytesPerSecond float64) *Throttle { return &Throttle{} }

// Cleaner cleans one log at a time with a fixed-size offset map.
type Cleaner struct{}

// NewCleaner returns a cleaner with an offset map of dedupeBytes.
func NewCleaner(dedupeBytes int64, ioBuf int, throttle *Throttle) *Cleaner { return &Cleaner{} }

// Clean runs one pass on l.
func (c *Cleaner) Clean(l *partition.Log, cfg Config, now time.Time) (PassStats, error) {
	return PassStats{}, nil
}
