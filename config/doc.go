// Package config is the broker's configuration, with Kafka's property
// names and semantics, so that a Kafka server.properties file and the
// KAFKA_* environment of the apache/kafka image configure Strata unchanged.
//
// A broker starts from Defaults, applies a properties file (Load: Java's
// Properties.load syntax), then the environment (ApplyEnv: KAFKA_LOG_DIRS
// sets log.dirs), then flags (Set), and checks the result (Validate).
// Every value is parsed as Kafka's ConfigDef parses it (trimmed, typed,
// range-checked); properties Strata does not use are kept (Unknown) so
// that DescribeConfigs can show them. Synonyms resolve as in Kafka:
// log.retention.ms beats log.retention.minutes beats log.retention.hours,
// log.roll.ms beats log.roll.hours, log.dirs beats log.dir, and node.id
// beats broker.id (Validate reports a mismatch).
//
// The topic-level configs are one table (TopicConfigDefs): every config
// Kafka 4.x defines, with its type, default and broker synonym, plus the
// three that Kafka 4.0 removed (message.format.version,
// message.downconversion.enable, message.timestamp.difference.max.ms).
// TopicConfig validates a topic's overrides and resolves them over the
// broker's defaults into a partition.Config; configs the log does not act on
// (cleanup.policy, min.insync.replicas, ...) are validated, stored by the
// caller and described, as in Kafka, and the server reads some of them
// (compression.type and the compression.*.level settings) with
// TopicConfigValue.
// TopicConfigValue, TopicConfigSynonyms, TopicConfigEntries and
// BrokerConfigEntries build DescribeConfigs answers with Kafka's values,
// sources and synonyms.
//
// Errors are *Error values matching ErrInvalidConfig (and
// ErrUnknownConfig for an unknown topic config name) under errors.Is; their
// Msg is Kafka's wording, fit to send to a client.
//
// Only cmd and server import this package.
package config
