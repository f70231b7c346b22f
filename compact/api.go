package compact

import (
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
