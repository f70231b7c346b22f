package config

import (
	"regexp"
	"strconv"

	"github.com/stratabroker/strata/partition"
)

// TopicConfigDef describes one topic-level config as Kafka defines it
// (LogConfig and ServerTopicConfigSynonyms, Kafka 4.x, plus the three
// configs Kafka 4.0 removed, which 3.x clients may still send).
type TopicConfigDef struct {
	Name string
	// BrokerSynonym is the broker property that supplies the default, the
	// first of its synonyms (log.retention.ms before log.retention.minutes
	// and log.retention.hours); "" when the config has none.
	BrokerSynonym string
	// Type is Kafka's ConfigDef type: "long", "int", "string", "boolean",
	// "double", "list", "class" or "password". TypeCode maps it to
	// DescribeConfigs' ConfigType.
	Type      string
	Doc       string
	Sensitive bool
	// Default is Kafka's default, printed as DescribeConfigs prints it; a
	// broker whose properties set the synonym uses that value instead.
	Default string
	// Applied: Strata acts on the value. Configs that are not applied are
	// still validated, stored and described.
	Applied bool
	// Internal configs (internal.segment.bytes, for tests) are accepted but
	// never listed by DescribeConfigs.
	Internal bool
	// Deprecated configs were removed in Kafka 4.0 and exist here so that
	// 3.x clients and tools that send them keep working. DescribeConfigs
	// lists them only when a topic overrides them.
	Deprecated bool
}

// synonym is one broker property that supplies a topic config's default.
type synonym struct {
	name string
	spec spec
	dflt string
	null bool  // Kafka's default is null: unset unless configured
	mult int64 // converts the broker unit to the topic unit (hours to ms)
}

// field maps a topic config onto partition.Config.
type field struct {
	// get prints the broker-level value from partition.Config; nil when the
	// value cannot be printed back from it (cleanup.policy keeps its order
	// and its items only in the property as set).
	get func(*partition.Config) string
	set func(*partition.Config, string) // the value is canonical: parsing cannot fail
}

type topicDef struct {
	TopicConfigDef
	spec  spec
	syn   []synonym
	field *field
}

func int64Field(p func(*partition.Config) *int64) *field {
	return &field{
		get: func(c *partition.Config) string { return strconv.FormatInt(*p(c), 10) },
		set: func(c *partition.Config, v string) { *p(c), _ = strconv.ParseInt(v, 10, 64) },
	}
}

func intField(p func(*partition.Config) *int) *field {
	return &field{
		get: func(c *partition.Config) string { return strconv.Itoa(*p(c)) },
		set: func(c *partition.Config, v string) { *p(c), _ = strconv.Atoi(v) },
	}
}

var timestampTypeField = &field{
	get: func(c *partition.Config) string {
		if c.LogAppendTime {
			return "LogAppendTime"
		}
		return "CreateTime"
	},
	set: func(c *partition.Config, v string) { c.LogAppendTime = v == "LogAppendTime" },
}

// cleanupPolicyField sets CleanupDelete: whether the policy holds delete.
// compact alone turns retention by time and size off; Kafka's LogConfig.delete.
var cleanupPolicyField = &field{
	set: func(c *partition.Config, v string) { c.CleanupDelete = contains(splitList(v), "delete") },
}

const (
	maxLong    = "9223372036854775807"
	hoursMs    = 3600000
	minutesMs  = 60000
	mib        = 1024 * 1024
	throttleOK = "must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],..."
)

var replicaPattern = regexp.MustCompile(`^[0-9]+:[0-9]+$`)

// throttledReplicas is Kafka's ThrottledReplicaListValidator.
func throttledReplicas() spec {
	s := list()
	s.check = func(name, v string) *Error {
		items := splitList(v)
		if len(items) == 1 && items[0] == "*" {
			return nil
		}
		for _, it := range items {
			if !replicaPattern.MatchString(it) {
				return invalidValue(name, v, throttleOK)
			}
		}
		return nil
	}
	return s
}

// gzipLevel is Kafka's gzip level validator: 1..9, or -1 for the default.
func gzipLevel() spec {
	s := integer()
	s.check = func(name, v string) *Error {
		n, _ := strconv.Atoi(v)
		if n > 9 || (n < 1 && n != -1) {
			return invalidValue(name, v, "Value must be between 1 and 9")
		}
		return nil
	}
	return s
}

var versionPattern = regexp.MustCompile(`^[0-9]+\.[0-9]+(\.[0-9]+)?(-IV[0-9]+)?$`)

// messageFormatVersion accepts Kafka's MetadataVersion strings (0.10.0,
// 2.8, 3.0-IV1, ...).
func messageFormatVersion() spec {
	s := str()
	s.check = func(name, v string) *Error {
		if !versionPattern.MatchString(v) {
			return invalidValue(name, v, "Version `"+v+"` is not a valid version")
		}
		return nil
	}
	return s
}

func syn(name string, sp spec, dflt string) synonym {
	return synonym{name: name, spec: sp, dflt: dflt, mult: 1}
}

func nullSyn(name string, sp spec) synonym {
	return synonym{name: name, spec: sp, null: true, mult: 1}
}

// same: the broker property shares the topic config's type and default.
func same(name string, d *topicDef) synonym { return syn(name, d.spec, d.Default) }

func def(name string, sp spec, dflt, doc string) *topicDef {
	return &topicDef{TopicConfigDef: TopicConfigDef{Name: name, Type: sp.kind.String(), Default: dflt, Doc: doc}, spec: sp}
}

// withSyn attaches broker synonyms in priority order.
func (d *topicDef) withSyn(s ...synonym) *topicDef {
	d.syn = s
	d.BrokerSynonym = s[0].name
	return d
}

func (d *topicDef) sameSyn(name string) *topicDef { return d.withSyn(same(name, d)) }

func (d *topicDef) applied(f *field) *topicDef {
	d.field, d.Applied = f, true
	return d
}

// cleaner marks a config the log cleaner acts on (CleanerTopicConfig):
// applied, with no partition.Config field.
func (d *topicDef) cleaner() *topicDef { d.Applied = true; return d }

func (d *topicDef) deprecated() *topicDef { d.Deprecated = true; return d }

// topicDefs is every topic config, sorted by name except that
// internal.segment.bytes comes last so that it overrides segment.bytes.
// Built once; never modified.
var topicDefs = buildTopicDefs()

var topicDefByName = func() map[string]*topicDef {
	m := make(map[string]*topicDef, len(topicDefs))
	for _, d := range topicDefs {
		m[d.Name] = d
	}
	return m
}()

func buildTopicDefs() []*topicDef {
	cfg := func(f func(*partition.Config) *int64) *field { return int64Field(f) }
	compressionTypes := []string{"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"}
	defs := []*topicDef{
		def("cleanup.policy", list("compact", "delete"), "delete",
			`"delete" discards old segments by time or size; "compact" keeps the last record of every key (the log cleaner), and alone turns retention by time and size off.`).
			sameSyn("log.cleanup.policy").applied(cleanupPolicyField),
		def("compression.gzip.level", gzipLevel(), "-1",
			"The gzip level used when compression.type is gzip.").sameSyn("compression.gzip.level"),
		def("compression.lz4.level", intBetween(1, 17), "9",
			"The lz4 level used when compression.type is lz4.").sameSyn("compression.lz4.level"),
		def("compression.type", str(compressionTypes...), "producer",
			"The topic's final compression codec: batches with another codec are recompressed; producer keeps the producer's codec.").
			sameSyn("compression.type"),
		def("compression.zstd.level", intBetween(-131072, 22), "3",
			"The zstd level used when compression.type is zstd.").sameSyn("compression.zstd.level"),
		def("delete.retention.ms", longAtLeast(0), "86400000",
			"How long tombstones are kept on compacted topics.").sameSyn("log.cleaner.delete.retention.ms").cleaner(),
		def("file.delete.delay.ms", longAtLeast(0), "60000",
			"How long to wait before deleting a file from the filesystem.").sameSyn("log.segment.delete.delay.ms"),
		def("flush.messages", longAtLeast(1), maxLong,
			"Fsync the log after this many messages.").sameSyn("log.flush.interval.messages").
			applied(cfg(func(c *partition.Config) *int64 { return &c.FlushMessages })),
		def("flush.ms", longAtLeast(0), maxLong,
			"Fsync the log when its oldest unflushed message is this old.").
			withSyn(nullSyn("log.flush.interval.ms", long()), syn("log.flush.scheduler.interval.ms", long(), maxLong)).
			applied(cfg(func(c *partition.Config) *int64 { return &c.FlushMs })),
		def("follower.replication.throttled.replicas", throttledReplicas(), "",
			"Replicas whose follower replication is throttled (no replication in Strata)."),
		def("index.interval.bytes", intAtLeast(0), "4096",
			"Add an offset index entry once this many bytes were appended since the last.").
			sameSyn("log.index.interval.bytes").
			applied(intField(func(c *partition.Config) *int { return &c.IndexIntervalBytes })),
		def("leader.replication.throttled.replicas", throttledReplicas(), "",
			"Replicas whose leader replication is throttled (no replication in Strata)."),
		def("local.retention.bytes", longAtLeast(-2), "-2",
			"Local retention size with tiered storage; -2 uses retention.bytes.").sameSyn("log.local.retention.bytes"),
		def("local.retention.ms", longAtLeast(-2), "-2",
			"Local retention time with tiered storage; -2 uses retention.ms.").sameSyn("log.local.retention.ms"),
		def("max.compaction.lag.ms", longAtLeast(1), maxLong,
			"The longest time a record stays ineligible for compaction.").sameSyn("log.cleaner.max.compaction.lag.ms").cleaner(),
		def("max.message.bytes", intAtLeast(0), "1048588",
			"The largest record batch the topic accepts, after compression.").sameSyn("message.max.bytes").
			applied(intField(func(c *partition.Config) *int { return &c.MaxMessageBytes })),
		def("message.downconversion.enable", boolean(), "true",
			"Down-convert batches for old consumers (Kafka 3.x).").sameSyn("log.message.downconversion.enable").deprecated(),
		def("message.format.version", messageFormatVersion(), "3.0-IV1",
			"The message format version (Kafka 3.x; ignored).").sameSyn("log.message.format.version").deprecated(),
		def("message.timestamp.after.max.ms", longAtLeast(0), "3600000",
			"How far a CreateTime timestamp may lie in the future.").sameSyn("log.message.timestamp.after.max.ms").
			applied(cfg(func(c *partition.Config) *int64 { return &c.TimestampAfterMaxMs })),
		def("message.timestamp.before.max.ms", longAtLeast(0), maxLong,
			"How far a CreateTime timestamp may lie in the past.").sameSyn("log.message.timestamp.before.max.ms").
			applied(cfg(func(c *partition.Config) *int64 { return &c.TimestampBeforeMaxMs })),
		def("message.timestamp.difference.max.ms", longAtLeast(0), maxLong,
			"How far a CreateTime timestamp may be from the broker's clock (Kafka 3.x).").
			sameSyn("log.message.timestamp.difference.max.ms").deprecated(),
		def("message.timestamp.type", str("CreateTime", "LogAppendTime"), "CreateTime",
			"CreateTime keeps the producer's timestamps; LogAppendTime stamps batches with the broker's clock.").
			sameSyn("log.message.timestamp.type").applied(timestampTypeField),
		def("min.cleanable.dirty.ratio", double(0, 1), "0.5",
			"How dirty a log must be before it is compacted.").sameSyn("log.cleaner.min.cleanable.ratio").cleaner(),
		def("min.compaction.lag.ms", longAtLeast(0), "0",
			"The shortest time a record stays uncompacted.").sameSyn("log.cleaner.min.compaction.lag.ms").cleaner(),
		def("min.insync.replicas", intAtLeast(1), "1",
			"Replicas that must acknowledge an acks=all write.").sameSyn("min.insync.replicas"),
		def("preallocate", boolean(), "false",
			"Preallocate segment files on creation.").sameSyn("log.preallocate"),
		def("remote.log.copy.disable", boolean(), "false",
			"Stop copying segments to tiered storage."),
		def("remote.log.delete.on.disable", boolean(), "false",
			"Delete tiered data when tiered storage is turned off."),
		def("remote.storage.enable", boolean(), "false",
			"Tiered storage for the topic (disabled in Strata: only false is accepted)."),
		def("retention.bytes", long(), "-1",
			"Delete old segments once a partition is larger than this; -1 is no limit.").sameSyn("log.retention.bytes").
			applied(cfg(func(c *partition.Config) *int64 { return &c.RetentionBytes })),
		def("retention.ms", longAtLeast(-1), "604800000",
			"Delete segments whose records are all older than this; -1 keeps them forever.").
			withSyn(
				nullSyn("log.retention.ms", long()),
				synonym{name: "log.retention.minutes", spec: integer(), null: true, mult: minutesMs},
				synonym{name: "log.retention.hours", spec: integer(), dflt: "168", mult: hoursMs}).
			applied(cfg(func(c *partition.Config) *int64 { return &c.RetentionMs })),
		def("segment.bytes", intAtLeast(mib), "1073741824",
			"Roll a new segment file at this size.").sameSyn("log.segment.bytes").
			applied(cfg(func(c *partition.Config) *int64 { return &c.SegmentBytes })),
		def("segment.index.bytes", intAtLeast(4), "10485760",
			"The size of each segment's offset and time index files.").sameSyn("log.index.size.max.bytes").
			applied(intField(func(c *partition.Config) *int { return &c.SegmentIndexBytes })),
		def("segment.jitter.ms", longAtLeast(0), "0",
			"The largest random jitter subtracted from segment.ms.").
			withSyn(nullSyn("log.roll.jitter.ms", long()),
				synonym{name: "log.roll.jitter.hours", spec: intAtLeast(0), dflt: "0", mult: hoursMs}),
		def("segment.ms", longAtLeast(1), "604800000",
			"Roll a new segment when the active one is this old.").
			withSyn(nullSyn("log.roll.ms", long()),
				synonym{name: "log.roll.hours", spec: intAtLeast(1), dflt: "168", mult: hoursMs}).
			applied(cfg(func(c *partition.Config) *int64 { return &c.SegmentMs })),
		def("unclean.leader.election.enable", boolean(), "false",
			"Elect an out-of-sync replica as a last resort (single node: no effect).").
			sameSyn("unclean.leader.election.enable"),
	}
	internal := def("internal.segment.bytes", intAtLeast(1), "",
		"The segment size, without segment.bytes' 1 MiB floor; for tests.").
		applied(cfg(func(c *partition.Config) *int64 { return &c.SegmentBytes }))
	internal.Internal = true
	return append(defs, internal)
}

// TopicConfigDefs returns every topic config Kafka defines, sorted by name,
// followed by the internal ones. The slice is the caller's.
func TopicConfigDefs() []TopicConfigDef {
	out := make([]TopicConfigDef, len(topicDefs))
	for i, d := range topicDefs {
		out[i] = d.TopicConfigDef
	}
	return out
}

// toTopicValue converts a broker synonym's canonical value to the topic
// config's unit. Kafka turns any negative broker retention into -1.
func (d *topicDef) toTopicValue(s synonym, v string) string {
	if s.mult == 1 && d.Name != "retention.ms" {
		return v
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	n *= s.mult // an int of hours or minutes: no overflow
	if d.Name == "retention.ms" && n < 0 {
		n = -1
	}
	return strconv.FormatInt(n, 10)
}
