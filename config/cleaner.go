package config

import (
	"math"
	"strconv"
	"strings"
)

// Cleaner holds the log cleaner's broker properties: Kafka's CleanerConfig,
// with its names, types, ranges and defaults. The topic-level settings
// (min.cleanable.dirty.ratio, min.compaction.lag.ms, max.compaction.lag.ms,
// delete.retention.ms and their log.cleaner.* synonyms) are topic configs:
// see CleanerTopicConfig.
type Cleaner struct {
	Enable              bool    // log.cleaner.enable: true
	Threads             int     // log.cleaner.threads: 1
	DedupeBufferSize    int64   // log.cleaner.dedupe.buffer.size: 134217728 (across every thread)
	IOBufferSize        int     // log.cleaner.io.buffer.size: 524288
	IOBufferLoadFactor  float64 // log.cleaner.io.buffer.load.factor: 0.9 (the dedupe buffer's load factor)
	IOMaxBytesPerSecond float64 // log.cleaner.io.max.bytes.per.second: Double.MAX_VALUE
	BackoffMs           int64   // log.cleaner.backoff.ms: 15000
}

// DefaultCleaner is Kafka's CleanerConfig defaults.
func DefaultCleaner() Cleaner {
	return Cleaner{
		Enable:              true,
		Threads:             1,
		DedupeBufferSize:    128 << 20,
		IOBufferSize:        512 << 10,
		IOBufferLoadFactor:  0.9,
		IOMaxBytesPerSecond: math.MaxFloat64,
		BackoffMs:           15000,
	}
}

func f64(v string) float64 { f, _ := strconv.ParseFloat(v, 64); return f }

// cleanerProps are CleanerConfig.CONFIG_DEF's broker-only properties.
func cleanerProps() []*brokerProp {
	anyDouble := double(math.Inf(-1), math.Inf(1))
	return []*brokerProp{
		{name: "log.cleaner.enable", spec: boolean(), dflt: "true",
			get: func(b *Broker) (string, bool) { return btoa(b.Cleaner.Enable) },
			set: func(b *Broker, v string) { b.Cleaner.Enable = v == "true" }},
		{name: "log.cleaner.threads", spec: intAtLeast(0), dflt: "1",
			get: func(b *Broker) (string, bool) { return itoa(b.Cleaner.Threads) },
			set: func(b *Broker, v string) { b.Cleaner.Threads = atoi(v) }},
		{name: "log.cleaner.dedupe.buffer.size", spec: long(), dflt: "134217728",
			get: func(b *Broker) (string, bool) { return itoa(b.Cleaner.DedupeBufferSize) },
			set: func(b *Broker, v string) { b.Cleaner.DedupeBufferSize = i64(v) }},
		{name: "log.cleaner.io.buffer.size", spec: intAtLeast(0), dflt: "524288",
			get: func(b *Broker) (string, bool) { return itoa(b.Cleaner.IOBufferSize) },
			set: func(b *Broker, v string) { b.Cleaner.IOBufferSize = atoi(v) }},
		{name: "log.cleaner.io.buffer.load.factor", spec: anyDouble, dflt: "0.9",
			get: func(b *Broker) (string, bool) { return javaDouble(b.Cleaner.IOBufferLoadFactor), true },
			set: func(b *Broker, v string) { b.Cleaner.IOBufferLoadFactor = f64(v) }},
		{name: "log.cleaner.io.max.bytes.per.second", spec: anyDouble, dflt: javaDouble(math.MaxFloat64),
			get: func(b *Broker) (string, bool) { return javaDouble(b.Cleaner.IOMaxBytesPerSecond), true },
			set: func(b *Broker, v string) { b.Cleaner.IOMaxBytesPerSecond = f64(v) }},
		{name: "log.cleaner.backoff.ms", spec: longAtLeast(0), dflt: "15000",
			get: func(b *Broker) (string, bool) { return itoa(b.Cleaner.BackoffMs) },
			set: func(b *Broker, v string) { b.Cleaner.BackoffMs = i64(v) }},
	}
}

// cleanerDynamic is Kafka's LogCleaner.ReconfigurableConfigs (besides
// message.max.bytes, dynamic already as a topic config's synonym):
// changing one restarts the cleaner with the new settings.
var cleanerDynamic = []string{
	"log.cleaner.threads", "log.cleaner.dedupe.buffer.size", "log.cleaner.io.buffer.load.factor",
	"log.cleaner.io.buffer.size", "log.cleaner.io.max.bytes.per.second", "log.cleaner.backoff.ms",
}

// validateCleaner is KafkaConfig's requirement on the dedupe buffer
// (Scala's require: "requirement failed: ..."); with no threads Kafka's
// division fails, and so does its start.
func (b *Broker) validateCleaner() *Error {
	c := b.Cleaner
	if c.Threads == 0 {
		return invalid("log.cleaner.threads", "/ by zero")
	}
	if c.DedupeBufferSize/int64(c.Threads) <= 1024*1024 {
		return invalid("log.cleaner.dedupe.buffer.size", "requirement failed: log.cleaner.dedupe.buffer.size must be at least 1MB per cleaner thread.")
	}
	return nil
}

// CheckCleanerChange is Kafka's LogCleaner.validateReconfiguration: when
// the cleaner's settings change at run time (next over b, the
// configuration in force), the thread count must stay at least 1 and
// within half and double of the current one. Kafka answers a refusal with
// INVALID_REQUEST and this message.
func (b *Broker) CheckCleanerChange(next *Broker) error {
	if b.Cleaner == next.Cleaner {
		return nil
	}
	n, cur := next.Cleaner.Threads, b.Cleaner.Threads
	switch {
	case n < 1:
		return invalid("log.cleaner.threads", "Log cleaner threads should be at least 1")
	case n < cur/2:
		return invalid("log.cleaner.threads", "Log cleaner threads cannot be reduced to less than half the current value "+strconv.Itoa(cur))
	case n > cur*2:
		return invalid("log.cleaner.threads", "Log cleaner threads cannot be increased to more than double the current value "+strconv.Itoa(cur))
	}
	return nil
}

// CleanerTopic is what the log cleaner reads of one topic's configs: the
// override, else the broker's value (its log.cleaner.* synonym, dynamic or
// static, else Kafka's default).
type CleanerTopic struct {
	Compact            bool // cleanup.policy holds compact
	Delete             bool // cleanup.policy holds delete
	MinCleanableRatio  float64
	MinCompactionLagMs int64
	MaxCompactionLagMs int64
	DeleteRetentionMs  int64
}

// CleanerTopicConfig resolves a topic's compaction settings. Overrides are
// validated when set (TopicConfig); a stored value that no longer parses
// counts as Kafka's default.
func (b *Broker) CleanerTopicConfig(overrides map[string]string) CleanerTopic {
	get := func(name string) string {
		d := topicDefByName[name]
		if raw, ok := overrides[name]; ok {
			if v, err := d.spec.canon(name, raw); err == nil {
				return v
			}
			return d.Default
		}
		return b.brokerTopicValue(d)
	}
	policy := splitList(get("cleanup.policy"))
	return CleanerTopic{
		Compact:            contains(policy, "compact"),
		Delete:             contains(policy, "delete"),
		MinCleanableRatio:  f64(get("min.cleanable.dirty.ratio")),
		MinCompactionLagMs: i64(get("min.compaction.lag.ms")),
		MaxCompactionLagMs: i64(get("max.compaction.lag.ms")),
		DeleteRetentionMs:  i64(get("delete.retention.ms")),
	}
}

// IsCompacted reports whether a topic with these overrides is compacted:
// its cleanup.policy (or the broker's log.cleanup.policy) holds compact.
func (b *Broker) IsCompacted(overrides map[string]string) bool {
	d := topicDefByName["cleanup.policy"]
	v, ok := overrides[d.Name]
	if !ok {
		v = b.brokerTopicValue(d)
	}
	for _, it := range strings.Split(v, ",") {
		if strings.TrimSpace(it) == "compact" {
			return true
		}
	}
	return false
}
