// Package config is the broker's configuration, with Kafka's property
// names and semantics, so that a Kafka server.properties file and the
// KAFKA_* environment of the apache/kafka image configure Strata unchanged.
//
// A broker starts from Defaults, applies a properties file (Load: Java's
// Properties.load syntax), then the environment (ApplyEnv: KAFKA_LOG_DIRS
// sets log.dirs), then flags (Set), and checks the result (Validate).
// Every value is parsed as Kafka's ConfigDef parses it (trimmed, typed,
// range-checked); properties Strata does not use are kept (Unknown) so
// that DescribeConfigs can list them, sensitive (no value), as Kafka lists
// a property whose type it cannot tell. Synonyms resolve as in Kafka:
// log.retention.ms beats log.retention.minutes beats log.retention.hours,
// log.roll.ms beats log.roll.hours, log.dirs beats log.dir, and node.id
// beats broker.id (Validate reports a mismatch).
//
// The topic-level configs are one table (TopicConfigDefs): every config
// Kafka 4.x defines, with its type, default and broker synonym, plus the
// three that Kafka 4.0 removed (message.format.version,
// message.downconversion.enable, message.timestamp.difference.max.ms).
// TopicConfig validates a topic's overrides and resolves them over the
// broker's defaults into a partition.Config (cleanup.policy becomes
// CleanupDelete: compact alone turns retention by time and size off, while
// retention.ms and retention.bytes are still described as set); configs
// the log does not act on (min.insync.replicas, ...) are validated, stored
// by the caller and described, as in Kafka, and the server reads some of
// them (compression.type and the compression.*.level settings) with
// TopicConfigValue.
//
// Dynamic broker configs (dynamic.go; Kafka's KIP-226): the properties
// IsDynamic names (the first broker synonym of every topic config but
// log.message.format.version, producer.id.expiration.ms, and the log
// cleaner's: log.cleaner.threads, .dedupe.buffer.size, .io.buffer.size,
// .io.buffer.load.factor, .io.max.bytes.per.second, .backoff.ms) can change
// at run time at two levels, this broker's and the cluster default's.
// CheckDynamic refuses any other name (ErrNotDynamic: "Cannot update these
// configs dynamically: Set(...)") and bad values; AlterBrokerConfigs applies
// IncrementalAlterConfigs operations to one level; WithDynamic returns the
// configuration in force, merged as Kafka merges it: the default over the
// static properties, the per-broker level over that, each dynamic value
// hiding the synonyms of its name below it. So a topic config resolves:
// override > dynamic per-broker > dynamic default > static > default.
//
// The log cleaner (cleaner.go): Broker.Cleaner holds Kafka's CleanerConfig
// properties (log.cleaner.enable, threads, dedupe and I/O buffers, I/O
// rate, backoff), checked as KafkaConfig checks the dedupe buffer (at
// least 1 MiB a thread) and, on a dynamic change, as LogCleaner bounds the
// thread count (CheckCleanerChange); CleanerTopicConfig resolves a topic's
// compaction settings (cleanup.policy, min.cleanable.dirty.ratio,
// min/max.compaction.lag.ms, delete.retention.ms) over the log.cleaner.*
// synonyms.
//
// TopicConfigValue, TopicConfigSynonyms, TopicConfigEntries,
// BrokerConfigEntries and BrokerDefaultConfigEntries build DescribeConfigs
// answers with Kafka's values, sources (DYNAMIC_TOPIC_CONFIG,
// DYNAMIC_BROKER_CONFIG, DYNAMIC_DEFAULT_BROKER_CONFIG,
// STATIC_BROKER_CONFIG, DEFAULT_CONFIG) and synonyms.
//
// Errors are *Error values matching ErrInvalidConfig (and
// ErrUnknownConfig for an unknown topic config name), or ErrNotDynamic,
// under errors.Is; their Msg is Kafka's wording, fit to send to a client.
//
// Only cmd and server import this package.
package config
