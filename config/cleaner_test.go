package config

import (
	"errors"
	"math"
	"testing"
)

// TestCleanerProps: the log cleaner's broker properties parse with Kafka's
// types and ranges into Broker.Cleaner, refuse bad values with Kafka's
// messages, and KafkaConfig's dedupe-buffer requirement holds.
func TestCleanerProps(t *testing.T) {
	b := Defaults()
	for k, v := range map[string]string{
		"log.cleaner.enable":                  "false",
		"log.cleaner.threads":                 "4",
		"log.cleaner.dedupe.buffer.size":      "67108864",
		"log.cleaner.io.buffer.size":          "1048576",
		"log.cleaner.io.buffer.load.factor":   "0.75",
		"log.cleaner.io.max.bytes.per.second": "1e6",
		"log.cleaner.backoff.ms":              "100",
	} {
		if err := b.Set(k, v); err != nil {
			t.Fatalf("%s=%s: %v", k, v, err)
		}
	}
	want := Cleaner{Enable: false, Threads: 4, DedupeBufferSize: 64 << 20, IOBufferSize: 1 << 20,
		IOBufferLoadFactor: 0.75, IOMaxBytesPerSecond: 1e6, BackoffMs: 100}
	if b.Cleaner != want {
		t.Fatalf("Cleaner = %+v, want %+v", b.Cleaner, want)
	}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ k, v, msg string }{
		{"log.cleaner.threads", "-1", "Invalid value -1 for configuration log.cleaner.threads: Value must be at least 0"},
		{"log.cleaner.io.buffer.size", "-1", "Invalid value -1 for configuration log.cleaner.io.buffer.size: Value must be at least 0"},
		{"log.cleaner.backoff.ms", "-5", "Invalid value -5 for configuration log.cleaner.backoff.ms: Value must be at least 0"},
		{"log.cleaner.io.buffer.load.factor", "x", "Invalid value x for configuration log.cleaner.io.buffer.load.factor: Not a number of type DOUBLE"},
		{"log.cleaner.enable", "yes", "Invalid value yes for configuration log.cleaner.enable: Expected value to be either true or false"},
		{"log.cleaner.dedupe.buffer.size", "1.5", "Invalid value 1.5 for configuration log.cleaner.dedupe.buffer.size: Not a number of type LONG"},
	} {
		err := Defaults().Set(tc.k, tc.v)
		var ce *Error
		if !errors.As(err, &ce) || ce.Msg != tc.msg || ce.Name != tc.k {
			t.Errorf("%s=%s: %v, want %q", tc.k, tc.v, err, tc.msg)
		}
	}
	for _, tc := range []struct {
		threads, dedupe, name, msg string
	}{
		{"4", "4194304", "log.cleaner.dedupe.buffer.size", "requirement failed: log.cleaner.dedupe.buffer.size must be at least 1MB per cleaner thread."},
		{"1", "1048576", "log.cleaner.dedupe.buffer.size", "requirement failed: log.cleaner.dedupe.buffer.size must be at least 1MB per cleaner thread."},
		{"0", "134217728", "log.cleaner.threads", "/ by zero"},
	} {
		b := Defaults()
		_ = b.Set("log.cleaner.threads", tc.threads)
		_ = b.Set("log.cleaner.dedupe.buffer.size", tc.dedupe)
		err := b.Validate()
		var ce *Error
		if !errors.As(err, &ce) || ce.Msg != tc.msg || ce.Name != tc.name {
			t.Errorf("threads %s dedupe %s: %v, want %q", tc.threads, tc.dedupe, err, tc.msg)
		}
	}
}

// TestCleanerDescribed: DescribeConfigs of the broker lists the cleaner's
// properties with Kafka's defaults as Kafka prints them, dynamic where
// Kafka's LogCleaner reconfigures (log.cleaner.enable is read-only).
func TestCleanerDescribed(t *testing.T) {
	b := Defaults()
	_ = b.Set("log.cleaner.threads", "2")
	got := map[string]ConfigEntry{}
	for _, e := range b.BrokerConfigEntries() {
		got[e.Name] = e
	}
	for _, w := range []struct {
		name, value string
		src         ConfigSource
		readOnly    bool
		typ         string
	}{
		{"log.cleaner.enable", "true", DefaultConfig, true, "boolean"},
		{"log.cleaner.threads", "2", StaticBrokerConfig, false, "int"},
		{"log.cleaner.dedupe.buffer.size", "134217728", DefaultConfig, false, "long"},
		{"log.cleaner.io.buffer.size", "524288", DefaultConfig, false, "int"},
		{"log.cleaner.io.buffer.load.factor", "0.9", DefaultConfig, false, "double"},
		{"log.cleaner.io.max.bytes.per.second", "1.7976931348623157E308", DefaultConfig, false, "double"},
		{"log.cleaner.backoff.ms", "15000", DefaultConfig, false, "long"},
		{"log.cleaner.min.cleanable.ratio", "0.5", DefaultConfig, false, "double"},
		{"log.cleaner.delete.retention.ms", "86400000", DefaultConfig, false, "long"},
		{"log.cleaner.min.compaction.lag.ms", "0", DefaultConfig, false, "long"},
		{"log.cleaner.max.compaction.lag.ms", "9223372036854775807", DefaultConfig, false, "long"},
		{"log.cleanup.policy", "delete", DefaultConfig, false, "list"},
	} {
		e, ok := got[w.name]
		if !ok || e.Value == nil || *e.Value != w.value || e.Source != w.src || e.ReadOnly != w.readOnly || e.Type != w.typ {
			t.Errorf("%s: %+v (value %v), want %q %v read-only %v %s", w.name, e, deref(e.Value), w.value, w.src, w.readOnly, w.typ)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// TestCleanerDynamic: the cleaner's reconfigurable properties change at run
// time; the thread count only within Kafka's bounds.
func TestCleanerDynamic(t *testing.T) {
	b := Defaults()
	next, err := b.WithDynamic(map[string]string{"log.cleaner.threads": "2", "log.cleaner.backoff.ms": "50"},
		map[string]string{"log.cleaner.io.max.bytes.per.second": "1048576"})
	if err != nil {
		t.Fatal(err)
	}
	if c := next.Cleaner; c.Threads != 2 || c.BackoffMs != 50 || c.IOMaxBytesPerSecond != 1048576 {
		t.Fatalf("Cleaner %+v", c)
	}
	if err := b.CheckCleanerChange(next); err != nil {
		t.Fatal(err)
	}
	if _, err := CheckDynamic(map[string]string{"log.cleaner.enable": "false"}); !errors.Is(err, ErrNotDynamic) {
		t.Fatalf("log.cleaner.enable dynamic: %v", err)
	}
	cur := Defaults()
	_ = cur.Set("log.cleaner.threads", "4")
	_ = cur.Set("log.cleaner.dedupe.buffer.size", "1073741824")
	for _, tc := range []struct{ threads, msg string }{
		{"1", "Log cleaner threads cannot be reduced to less than half the current value 4"},
		{"9", "Log cleaner threads cannot be increased to more than double the current value 4"},
		{"2", ""},
		{"8", ""},
	} {
		next, err := cur.WithDynamic(map[string]string{"log.cleaner.threads": tc.threads}, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = cur.CheckCleanerChange(next)
		var ce *Error
		if (tc.msg == "" && err != nil) || (tc.msg != "" && (!errors.As(err, &ce) || ce.Msg != tc.msg)) {
			t.Errorf("4 -> %s threads: %v, want %q", tc.threads, err, tc.msg)
		}
	}
	_, err = Defaults().WithDynamic(map[string]string{"log.cleaner.dedupe.buffer.size": "1000"}, nil)
	var ce *Error
	if !errors.As(err, &ce) || ce.Msg != "requirement failed: log.cleaner.dedupe.buffer.size must be at least 1MB per cleaner thread." {
		t.Fatalf("dynamic dedupe of 1000 bytes: %v", err)
	}
}

// TestCleanerTopicConfig: a topic's compaction settings come from its
// overrides, else the log.cleaner.* synonyms (static or dynamic), else
// Kafka's defaults; min.compaction.lag.ms above max.compaction.lag.ms and
// out-of-range values are INVALID_CONFIG naming the property.
func TestCleanerTopicConfig(t *testing.T) {
	b := Defaults()
	if got, want := b.CleanerTopicConfig(nil), (CleanerTopic{Delete: true, MinCleanableRatio: 0.5,
		MaxCompactionLagMs: math.MaxInt64, DeleteRetentionMs: 86400000}); got != want {
		t.Fatalf("defaults: %+v, want %+v", got, want)
	}
	_ = b.Set("log.cleaner.min.cleanable.ratio", "0.2")
	_ = b.Set("log.cleaner.delete.retention.ms", "1000")
	_ = b.Set("log.cleanup.policy", "compact")
	d, err := b.WithDynamic(nil, map[string]string{"log.cleaner.min.compaction.lag.ms": "7"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.CleanerTopicConfig(map[string]string{"delete.retention.ms": "5", "max.compaction.lag.ms": "100"}),
		(CleanerTopic{Compact: true, MinCleanableRatio: 0.2, MinCompactionLagMs: 7, MaxCompactionLagMs: 100, DeleteRetentionMs: 5}); got != want {
		t.Fatalf("overrides over broker: %+v, want %+v", got, want)
	}
	if !d.IsCompacted(nil) || d.IsCompacted(map[string]string{"cleanup.policy": "delete"}) || !b.IsCompacted(map[string]string{"cleanup.policy": "delete, compact"}) {
		t.Fatal("IsCompacted")
	}
	if got := Defaults().CleanerTopicConfig(map[string]string{"cleanup.policy": "compact,delete", "min.cleanable.dirty.ratio": "0.01"}); !got.Compact || !got.Delete || got.MinCleanableRatio != 0.01 {
		t.Fatalf("compact,delete: %+v", got)
	}
	for _, tc := range []struct {
		overrides map[string]string
		name, msg string
	}{
		{map[string]string{"cleanup.policy": "compact", "min.cleanable.dirty.ratio": "1.5"}, "min.cleanable.dirty.ratio",
			"Invalid value 1.5 for configuration min.cleanable.dirty.ratio: Value must be no more than 1"},
		{map[string]string{"min.cleanable.dirty.ratio": "-0.1"}, "min.cleanable.dirty.ratio",
			"Invalid value -0.1 for configuration min.cleanable.dirty.ratio: Value must be at least 0"},
		{map[string]string{"min.compaction.lag.ms": "-1"}, "min.compaction.lag.ms",
			"Invalid value -1 for configuration min.compaction.lag.ms: Value must be at least 0"},
		{map[string]string{"max.compaction.lag.ms": "0"}, "max.compaction.lag.ms",
			"Invalid value 0 for configuration max.compaction.lag.ms: Value must be at least 1"},
		{map[string]string{"delete.retention.ms": "-1"}, "delete.retention.ms",
			"Invalid value -1 for configuration delete.retention.ms: Value must be at least 0"},
		{map[string]string{"min.compaction.lag.ms": "10", "max.compaction.lag.ms": "5"}, "min.compaction.lag.ms",
			"conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)"},
		{map[string]string{"max.compaction.lag.ms": "5"}, "min.compaction.lag.ms",
			"conflict topic config setting min.compaction.lag.ms (7) > max.compaction.lag.ms (5)"},
	} {
		_, err := d.TopicConfig(tc.overrides)
		var ce *Error
		if !errors.Is(err, ErrInvalidConfig) || !errors.As(err, &ce) || ce.Name != tc.name || ce.Msg != tc.msg {
			t.Errorf("%v: %v, want %s %q", tc.overrides, err, tc.name, tc.msg)
		}
	}
}

// TestOffsetsTopicProps: offsets.topic.segment.bytes and
// offsets.topic.compression.codec, with Kafka's check of the codec id
// (CompressionType.forId).
func TestOffsetsTopicProps(t *testing.T) {
	b := Defaults()
	if b.OffsetsTopicSegmentBytes != 104857600 || b.OffsetsTopicCompressionCodec != 0 {
		t.Fatalf("defaults %d %d", b.OffsetsTopicSegmentBytes, b.OffsetsTopicCompressionCodec)
	}
	_ = b.Set("offsets.topic.segment.bytes", "1048576")
	_ = b.Set("offsets.topic.compression.codec", "4")
	if err := b.Validate(); err != nil || b.OffsetsTopicSegmentBytes != 1048576 || b.OffsetsTopicCompressionCodec != 4 {
		t.Fatalf("%v %d %d", err, b.OffsetsTopicSegmentBytes, b.OffsetsTopicCompressionCodec)
	}
	_ = b.Set("offsets.topic.compression.codec", "5")
	var ce *Error
	if err := b.Validate(); !errors.As(err, &ce) || ce.Msg != "Unknown compression type id: 5" || ce.Name != "offsets.topic.compression.codec" {
		t.Fatalf("codec 5: %v", err)
	}
	if err := Defaults().Set("offsets.topic.segment.bytes", "0"); err == nil {
		t.Fatal("offsets.topic.segment.bytes 0 accepted")
	}
}
