package server

// The log cleaner: the topic registry runs it (topic/cleaner.go) over every
// compacted partition; the server gives it the broker's log.cleaner.*
// settings (none when log.cleaner.enable is false, as Kafka then starts no
// cleaner) and resolves each topic's compaction settings over the
// configuration in force, so a dynamic log.cleaner.min.cleanable.ratio or
// log.cleanup.policy reaches every topic without an override. A dynamic
// change of the cleaner's own settings (log.cleaner.threads, ...) is
// checked as Kafka's LogCleaner.validateReconfiguration checks it and
// restarts the cleaner (alterBrokerConfigs).

import (
	"math"

	"github.com/stratabroker/strata/compact"
	"github.com/stratabroker/strata/config"
)

// cleanerOptions is the cleaner's settings under cfg; nil when
// log.cleaner.enable is false.
func (s *Server) cleanerOptions(cfg *config.Broker) *compact.Options {
	c := cfg.Cleaner
	if !c.Enable {
		return nil
	}
	rate := c.IOMaxBytesPerSecond
	if rate >= math.MaxFloat64 {
		rate = 0 // Kafka's Double.MAX_VALUE: unthrottled
	}
	return &compact.Options{
		Threads:             c.Threads,
		DedupeBufferSize:    c.DedupeBufferSize,
		IOBufferSize:        c.IOBufferSize,
		IOMaxBytesPerSecond: rate,
		BackoffMs:           c.BackoffMs,
		Logger:              s.log.With("component", "cleaner"),
		Now:                 s.now,
	}
}

// compaction is the registry's Options.Compaction: a topic's cleaner
// settings over the configuration in force, and whether it is compacted.
func (s *Server) compaction(overrides map[string]string) (compact.Config, bool) {
	c := s.config().CleanerTopicConfig(overrides)
	return compact.Config{
		MinCleanableRatio:  c.MinCleanableRatio,
		MinCompactionLagMs: c.MinCompactionLagMs,
		MaxCompactionLagMs: c.MaxCompactionLagMs,
		DeleteRetentionMs:  c.DeleteRetentionMs,
		Delete:             c.Delete,
	}, c.Compact
}

// reconfigureCleaner restarts the cleaner when the cleaner's settings
// differ between old and cfg (a dynamic broker config changed them).
func (s *Server) reconfigureCleaner(old, cfg *config.Broker) {
	if old.Cleaner == cfg.Cleaner {
		return
	}
	o := s.cleanerOptions(cfg)
	if o == nil {
		return
	}
	if err := s.topics.SetCleaner(*o); err != nil {
		s.log.Error("restarting the log cleaner", "err", err)
	}
	s.log.Info("log cleaner reconfigured", "threads", o.Threads, "dedupe_buffer_size", o.DedupeBufferSize,
		"io_buffer_size", o.IOBufferSize, "io_max_bytes_per_second", cfg.Cleaner.IOMaxBytesPerSecond, "backoff_ms", o.BackoffMs)
}

// CleanerStats returns the log cleaner's counters (zero when
// log.cleaner.enable is false).
func (s *Server) CleanerStats() compact.ManagerStats { return s.topics.CleanerStats() }
