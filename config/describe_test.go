package config

import (
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/stratabroker/strata/partition"
)

func TestTopicConfigDefs(t *testing.T) {
	want := []string{
		"cleanup.policy", "compression.gzip.level", "compression.lz4.level", "compression.type",
		"compression.zstd.level", "delete.retention.ms", "file.delete.delay.ms", "flush.messages", "flush.ms",
		"follower.replication.throttled.replicas", "index.interval.bytes", "leader.replication.throttled.replicas",
		"local.retention.bytes", "local.retention.ms", "max.compaction.lag.ms", "max.message.bytes",
		"message.downconversion.enable", "message.format.version", "message.timestamp.after.max.ms",
		"message.timestamp.before.max.ms", "message.timestamp.difference.max.ms", "message.timestamp.type",
		"min.cleanable.dirty.ratio", "min.compaction.lag.ms", "min.insync.replicas", "preallocate",
		"remote.log.copy.disable", "remote.log.delete.on.disable", "remote.storage.enable", "retention.bytes",
		"retention.ms", "segment.bytes", "segment.index.bytes", "segment.jitter.ms", "segment.ms",
		"unclean.leader.election.enable", "internal.segment.bytes",
	}
	defs := TopicConfigDefs()
	var names []string
	for _, d := range defs {
		names = append(names, d.Name)
	}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("names %q", names)
	}
	byName := map[string]TopicConfigDef{}
	for _, d := range defs {
		byName[d.Name] = d
	}
	checks := []TopicConfigDef{
		{Name: "retention.ms", BrokerSynonym: "log.retention.ms", Type: "long", Default: "604800000", Applied: true},
		{Name: "segment.ms", BrokerSynonym: "log.roll.ms", Type: "long", Default: "604800000", Applied: true},
		{Name: "segment.bytes", BrokerSynonym: "log.segment.bytes", Type: "int", Default: "1073741824", Applied: true},
		{Name: "max.message.bytes", BrokerSynonym: "message.max.bytes", Type: "int", Default: "1048588", Applied: true},
		{Name: "cleanup.policy", BrokerSynonym: "log.cleanup.policy", Type: "list", Default: "delete", Applied: true},
		{Name: "min.cleanable.dirty.ratio", BrokerSynonym: "log.cleaner.min.cleanable.ratio", Type: "double", Default: "0.5", Applied: true},
		{Name: "file.delete.delay.ms", BrokerSynonym: "log.segment.delete.delay.ms", Type: "long", Default: "60000"},
		{Name: "flush.ms", BrokerSynonym: "log.flush.interval.ms", Type: "long", Default: "9223372036854775807", Applied: true},
		{Name: "message.timestamp.after.max.ms", BrokerSynonym: "log.message.timestamp.after.max.ms", Type: "long", Default: "3600000", Applied: true},
		{Name: "message.downconversion.enable", BrokerSynonym: "log.message.downconversion.enable", Type: "boolean", Default: "true", Deprecated: true},
		{Name: "remote.storage.enable", Type: "boolean", Default: "false"},
		{Name: "leader.replication.throttled.replicas", Type: "list", Default: ""},
		{Name: "internal.segment.bytes", Type: "int", Applied: true, Internal: true},
	}
	for _, c := range checks {
		got := byName[c.Name]
		got.Doc = ""
		if got != c {
			t.Errorf("%s: %+v\nwant %+v", c.Name, got, c)
		}
		if byName[c.Name].Doc == "" {
			t.Errorf("%s: no Doc", c.Name)
		}
	}
}

func TestTypeCode(t *testing.T) {
	want := map[string]int8{"boolean": 1, "string": 2, "int": 3, "short": 4, "long": 5, "double": 6, "list": 7, "class": 8, "password": 9, "": 0, "map": 0}
	for typ, code := range want {
		if got := TypeCode(typ); got != code {
			t.Errorf("TypeCode(%q) = %d, want %d", typ, got, code)
		}
	}
}

func TestTopicConfig(t *testing.T) {
	b := Defaults()
	cfg, err := b.TopicConfig(map[string]string{
		"retention.ms":           "1000",
		"retention.bytes":        "5000000",
		"segment.bytes":          "2097152",
		"segment.ms":             "60000",
		"segment.index.bytes":    "4096",
		"index.interval.bytes":   "100",
		"max.message.bytes":      "500",
		"message.timestamp.type": "LogAppendTime",
		"flush.messages":         "1",
		"flush.ms":               "10",
		"cleanup.policy":         "compact",
		"compression.type":       "zstd",
		"min.insync.replicas":    "2",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := partition.Config{
		SegmentBytes: 2097152, SegmentMs: 60000, SegmentIndexBytes: 4096, IndexIntervalBytes: 100,
		RetentionMs: 1000, RetentionBytes: 5000000, FlushMessages: 1, FlushMs: 10, MaxMessageBytes: 500, LogAppendTime: true,
		ProducerIDExpirationMs: 86400000, TimestampBeforeMaxMs: math.MaxInt64, TimestampAfterMaxMs: 3600000,
	}
	if cfg != want {
		t.Fatalf("cfg %+v\nwant %+v", cfg, want)
	}
	cfg, err = b.TopicConfig(map[string]string{"segment.bytes": "2097152", "internal.segment.bytes": "4096"})
	if err != nil || cfg.SegmentBytes != 4096 {
		t.Fatalf("internal.segment.bytes: %d, %v", cfg.SegmentBytes, err)
	}
	// Broker-level defaults reach topics without overrides; overrides win.
	_ = b.Set("log.retention.hours", "1")
	_ = b.Set("log.message.timestamp.type", "LogAppendTime")
	cfg, _ = b.TopicConfig(nil)
	if cfg.RetentionMs != 3600000 || !cfg.LogAppendTime || cfg.SegmentBytes != 1073741824 {
		t.Fatalf("broker defaults: %+v", cfg)
	}
	cfg, _ = b.TopicConfig(map[string]string{"retention.ms": "-1", "message.timestamp.type": "CreateTime"})
	if cfg.RetentionMs != -1 || cfg.LogAppendTime {
		t.Fatalf("overrides: %+v", cfg)
	}
}

func TestTopicConfigErrors(t *testing.T) {
	tests := []struct {
		overrides map[string]string
		unknown   bool
		msg       string
	}{
		{map[string]string{"retention.mss": "1"}, true, "Unknown topic config name: retention.mss"},
		{map[string]string{"log.retention.ms": "1"}, true, "Unknown topic config name: log.retention.ms"},
		{map[string]string{"retention.ms": "abc"}, false, "Invalid value abc for configuration retention.ms: Not a number of type LONG"},
		{map[string]string{"retention.ms": "-2"}, false, "Invalid value -2 for configuration retention.ms: Value must be at least -1"},
		{map[string]string{"segment.bytes": "1000"}, false, "Invalid value 1000 for configuration segment.bytes: Value must be at least 1048576"},
		{map[string]string{"segment.bytes": "3000000000"}, false, "Invalid value 3000000000 for configuration segment.bytes: Not a number of type INT"},
		{map[string]string{"cleanup.policy": "compact,foo"}, false, "Invalid value compact,foo for configuration cleanup.policy: String must be one of: compact, delete"},
		{map[string]string{"min.cleanable.dirty.ratio": "2"}, false, "Invalid value 2.0 for configuration min.cleanable.dirty.ratio: Value must be no more than 1"},
		{map[string]string{"min.cleanable.dirty.ratio": "NaN"}, false, "Invalid value NaN for configuration min.cleanable.dirty.ratio: Not a number of type DOUBLE"},
		{map[string]string{"compression.gzip.level": "0"}, false, "Invalid value 0 for configuration compression.gzip.level: Value must be between 1 and 9"},
		{map[string]string{"compression.zstd.level": "23"}, false, "Invalid value 23 for configuration compression.zstd.level: Value must be no more than 22"},
		{map[string]string{"unclean.leader.election.enable": "1"}, false, "Invalid value 1 for configuration unclean.leader.election.enable: Expected value to be either true or false"},
		{map[string]string{"leader.replication.throttled.replicas": "0:1,x"}, false,
			"Invalid value 0:1,x for configuration leader.replication.throttled.replicas: must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],..."},
		{map[string]string{"min.compaction.lag.ms": "10", "max.compaction.lag.ms": "5"}, false,
			"conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)"},
		{map[string]string{"remote.storage.enable": "true"}, false,
			"Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage."},
		{map[string]string{"message.format.version": "abc"}, false, "Invalid value abc for configuration message.format.version: Version `abc` is not a valid version"},
		{map[string]string{"segment.index.bytes": "8"}, false, "invalid config: segment.index.bytes 8, want at least 12"},
		// names are checked in order: the first bad one is reported
		{map[string]string{"zzz": "1", "retention.ms": "x"}, false, "Invalid value x for configuration retention.ms: Not a number of type LONG"},
	}
	b := Defaults()
	for _, tt := range tests {
		_, err := b.TopicConfig(tt.overrides)
		var ce *Error
		if !errors.As(err, &ce) || !errors.Is(err, ErrInvalidConfig) || errors.Is(err, ErrUnknownConfig) != tt.unknown {
			t.Fatalf("%v: err %v", tt.overrides, err)
		}
		if ce.Msg != tt.msg {
			t.Errorf("%v:\n got %q\nwant %q", tt.overrides, ce.Msg, tt.msg)
		}
	}
	for _, ok := range []map[string]string{
		{"leader.replication.throttled.replicas": "*"},
		{"follower.replication.throttled.replicas": "0:1, 1:1"},
		{"compression.gzip.level": "-1"},
		{"message.format.version": "2.8"},
		{"message.format.version": "3.0-IV1"},
		{"remote.storage.enable": "false"},
		{"cleanup.policy": ""},
		{"min.compaction.lag.ms": "5", "max.compaction.lag.ms": "5"},
	} {
		if _, err := b.TopicConfig(ok); err != nil {
			t.Errorf("%v: %v", ok, err)
		}
	}
}

func TestTopicConfigValue(t *testing.T) {
	type want struct {
		value  string
		source ConfigSource
		ok     bool
	}
	check := func(b *Broker, name string, overrides map[string]string, w want) {
		t.Helper()
		v, src, ok := b.TopicConfigValue(name, overrides)
		if v != w.value || src != w.source || ok != w.ok {
			t.Errorf("%s %v: %q %v %v, want %q %v %v", name, overrides, v, src, ok, w.value, w.source, w.ok)
		}
	}
	b := Defaults()
	check(b, "retention.ms", nil, want{"604800000", DefaultConfig, true})
	check(b, "segment.bytes", nil, want{"1073741824", DefaultConfig, true})
	check(b, "segment.ms", nil, want{"604800000", DefaultConfig, true})
	check(b, "cleanup.policy", nil, want{"delete", DefaultConfig, true})
	check(b, "min.cleanable.dirty.ratio", nil, want{"0.5", DefaultConfig, true})
	check(b, "flush.messages", nil, want{"9223372036854775807", DefaultConfig, true})
	check(b, "message.timestamp.type", nil, want{"CreateTime", DefaultConfig, true})
	check(b, "remote.storage.enable", nil, want{"false", DefaultConfig, true})
	check(b, "leader.replication.throttled.replicas", nil, want{"", DefaultConfig, true})
	check(b, "local.retention.ms", nil, want{"-2", DefaultConfig, true})
	check(b, "no.such.config", nil, want{"", UnknownConfigSource, false})
	check(b, "internal.segment.bytes", nil, want{"", UnknownConfigSource, false})

	// overrides, printed as Kafka prints the parsed value
	check(b, "retention.ms", map[string]string{"retention.ms": " 1000 "}, want{"1000", DynamicTopicConfig, true})
	check(b, "cleanup.policy", map[string]string{"cleanup.policy": "compact, delete"}, want{"compact,delete", DynamicTopicConfig, true})
	check(b, "min.cleanable.dirty.ratio", map[string]string{"min.cleanable.dirty.ratio": "0.50"}, want{"0.5", DynamicTopicConfig, true})
	check(b, "unclean.leader.election.enable", map[string]string{"unclean.leader.election.enable": "TRUE"}, want{"true", DynamicTopicConfig, true})
	check(b, "internal.segment.bytes", map[string]string{"internal.segment.bytes": "4096"}, want{"4096", DynamicTopicConfig, true})

	// broker properties
	_ = b.Set("log.segment.bytes", "2097152")
	_ = b.Set("log.cleanup.policy", "compact")
	_ = b.Set("log.roll.hours", "2")
	check(b, "segment.bytes", nil, want{"2097152", StaticBrokerConfig, true})
	check(b, "cleanup.policy", nil, want{"compact", StaticBrokerConfig, true})
	check(b, "segment.bytes", map[string]string{"segment.bytes": "3145728"}, want{"3145728", DynamicTopicConfig, true})
	// Kafka's quirk: a synonym after the first is not listed, so the source
	// is DEFAULT_CONFIG although the value is the broker's.
	check(b, "segment.ms", nil, want{"7200000", DefaultConfig, true})
	_ = b.Set("log.retention.hours", "1")
	check(b, "retention.ms", nil, want{"3600000", DefaultConfig, true})
	_ = b.Set("log.retention.ms", "5000")
	check(b, "retention.ms", nil, want{"5000", StaticBrokerConfig, true})
}

func TestTopicConfigSynonyms(t *testing.T) {
	b := Defaults()
	tests := []struct {
		name      string
		overrides map[string]string
		want      []ConfigSynonym
	}{
		{"segment.bytes", nil, []ConfigSynonym{{"log.segment.bytes", "1073741824", DefaultConfig}}},
		{"retention.ms", nil, nil},
		{"segment.ms", nil, nil},
		{"remote.storage.enable", nil, nil},
		{"remote.storage.enable", map[string]string{"remote.storage.enable": "false"}, []ConfigSynonym{{"remote.storage.enable", "false", DynamicTopicConfig}}},
		{"max.message.bytes", map[string]string{"max.message.bytes": "100"}, []ConfigSynonym{
			{"max.message.bytes", "100", DynamicTopicConfig}, {"message.max.bytes", "1048588", DefaultConfig}}},
		{"no.such", nil, nil},
	}
	for _, tt := range tests {
		if got := b.TopicConfigSynonyms(tt.name, tt.overrides); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s %v: %v, want %v", tt.name, tt.overrides, got, tt.want)
		}
	}
	_ = b.Set("log.retention.hours", "2")
	_ = b.Set("log.retention.ms", "5000")
	got := b.TopicConfigSynonyms("retention.ms", map[string]string{"retention.ms": "10"})
	want := []ConfigSynonym{
		{"retention.ms", "10", DynamicTopicConfig},
		{"log.retention.ms", "5000", StaticBrokerConfig},
		{"log.retention.hours", "2", StaticBrokerConfig},
		{"log.retention.hours", "168", DefaultConfig},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("retention.ms synonyms %v", got)
	}
}

func TestTopicConfigEntries(t *testing.T) {
	b := Defaults()
	entries := b.TopicConfigEntries(map[string]string{"retention.ms": "1000", "message.downconversion.enable": "false"})
	var names []string
	byName := map[string]ConfigEntry{}
	for _, e := range entries {
		names = append(names, e.Name)
		byName[e.Name] = e
	}
	// Kafka 4's list (33), plus the deprecated config this topic overrides.
	if len(entries) != 34 || byName["message.format.version"].Name != "" || byName["internal.segment.bytes"].Name != "" {
		t.Fatalf("entries %q", names)
	}
	for i := 1; i < len(names); i++ {
		if names[i-1] >= names[i] {
			t.Fatalf("not sorted: %q", names)
		}
	}
	r := byName["retention.ms"]
	if *r.Value != "1000" || r.Source != DynamicTopicConfig || r.Type != "long" || r.ReadOnly || r.Sensitive || r.Doc == "" ||
		!reflect.DeepEqual(r.Synonyms, []ConfigSynonym{{"retention.ms", "1000", DynamicTopicConfig}}) {
		t.Fatalf("retention.ms %+v", r)
	}
	d := byName["message.downconversion.enable"]
	if *d.Value != "false" || d.Source != DynamicTopicConfig {
		t.Fatalf("message.downconversion.enable %+v", d)
	}
	s := byName["segment.bytes"]
	if *s.Value != "1073741824" || s.Source != DefaultConfig || len(s.Synonyms) != 1 {
		t.Fatalf("segment.bytes %+v", s)
	}
}

func TestBrokerConfigEntries(t *testing.T) {
	b := Defaults()
	_ = b.Set("num.partitions", "3")
	_ = b.Set("log.retention.hours", "2")
	_ = b.Set("process.roles", "broker")
	entries := b.BrokerConfigEntries()
	byName := map[string]ConfigEntry{}
	for i, e := range entries {
		if i > 0 && entries[i-1].Name >= e.Name {
			t.Fatalf("not sorted at %s", e.Name)
		}
		byName[e.Name] = e
	}
	value := func(e ConfigEntry) string {
		if e.Value == nil {
			return "<nil>"
		}
		return *e.Value
	}
	// Dynamic properties are not read-only; a property Strata does not
	// know is sensitive (Kafka: a name whose type it cannot tell), so
	// neither its value nor its synonym's is given.
	tests := []struct {
		name, value string
		source      ConfigSource
		typ         string
		readOnly    bool
		sensitive   bool
	}{
		{"num.partitions", "3", StaticBrokerConfig, "int", true, false},
		{"log.retention.hours", "2", StaticBrokerConfig, "int", true, false},
		{"log.retention.ms", "<nil>", DefaultConfig, "long", false, false},
		{"log.segment.bytes", "1073741824", DefaultConfig, "int", false, false},
		{"message.max.bytes", "1048588", DefaultConfig, "int", false, false},
		{"listeners", "PLAINTEXT://127.0.0.1:9092", DefaultConfig, "string", true, false},
		{"advertised.listeners", "<nil>", DefaultConfig, "string", true, false},
		{"log.dir", "./data", DefaultConfig, "list", true, false},
		{"process.roles", "<nil>", StaticBrokerConfig, "", true, true},
		{"max.connections", "2147483647", DefaultConfig, "int", true, false},
	}
	for _, tt := range tests {
		e, ok := byName[tt.name]
		if !ok || value(e) != tt.value || e.Source != tt.source || e.Type != tt.typ || e.ReadOnly != tt.readOnly || e.Sensitive != tt.sensitive {
			t.Errorf("%s: %q %v %q ro=%v sensitive=%v; want %q %v %q %v %v", tt.name, value(e), e.Source, e.Type, e.ReadOnly, e.Sensitive,
				tt.value, tt.source, tt.typ, tt.readOnly, tt.sensitive)
		}
	}
	if got := byName["process.roles"].Synonyms; !reflect.DeepEqual(got, []ConfigSynonym{{"process.roles", "", StaticBrokerConfig}}) {
		t.Errorf("process.roles synonyms %v", got)
	}
	if got := byName["log.retention.hours"].Synonyms; !reflect.DeepEqual(got, []ConfigSynonym{
		{"log.retention.hours", "2", StaticBrokerConfig}, {"log.retention.hours", "168", DefaultConfig}}) {
		t.Errorf("log.retention.hours synonyms %v", got)
	}
	if want := len(brokerProps) + 1; len(entries) != want {
		t.Errorf("%d entries, want %d", len(entries), want)
	}
}

func TestJavaDouble(t *testing.T) {
	tests := map[float64]string{
		0: "0.0", 0.5: "0.5", 1: "1.0", 1e-5: "1.0E-5", 1.5e7: "1.5E7", 0.001: "0.001", 123.25: "123.25",
		-2.5: "-2.5", 1e7 - 1: "9999999.0", math.Inf(1): "Infinity",
	}
	for f, want := range tests {
		if got := javaDouble(f); got != want {
			t.Errorf("javaDouble(%v) = %q, want %q", f, got, want)
		}
	}
}
