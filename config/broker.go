package config

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/stratabroker/strata/partition"
)

// Broker is the broker's configuration. Field comments name the Kafka
// property that sets each field and Strata's default (Kafka's, except where
// noted). Fill it with Defaults, Load and ApplyEnv, then call Validate.
//
// A Broker is not safe for concurrent use: a server that changes it at run
// time (dynamic broker configs) should Clone, Set, Validate and swap.
type Broker struct {
	NodeID                               int32    // node.id (also broker.id): 1 (Kafka: required)
	Listeners                            string   // listeners: "PLAINTEXT://127.0.0.1:9092" (Kafka: "PLAINTEXT://:9092")
	AdvertisedListeners                  string   // advertised.listeners: "" means listeners
	ListenerSecurityProtocolMap          string   // listener.security.protocol.map: "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL"
	ControllerListenerNames              string   // controller.listener.names: "" (listeners named here are not served)
	LogDirs                              []string // log.dirs, else log.dir: ["./data"] (Kafka: /tmp/kafka-logs); Strata uses the first
	ClusterID                            string   // cluster.id: "" means generated once and persisted in the data dir
	NumPartitions                        int32    // num.partitions: 1
	DefaultReplicationFactor             int16    // default.replication.factor: 1
	AutoCreateTopicsEnable               bool     // auto.create.topics.enable: true
	DeleteTopicEnable                    bool     // delete.topic.enable: true
	MessageMaxBytes                      int      // message.max.bytes: 1048588 (Set keeps Log.MaxMessageBytes equal)
	SocketRequestMaxBytes                int      // socket.request.max.bytes: 104857600
	MaxConnections                       int      // max.connections: math.MaxInt32
	MaxConnectionsPerIP                  int      // max.connections.per.ip: math.MaxInt32
	MaxConnectionsPerIPOverrides         string   // max.connections.per.ip.overrides: "" (host:count,...; MaxConnectionsPerIPOverride)
	ConnectionFailedAuthDelayMs          int      // connection.failed.authentication.delay.ms: 100 (SASL: the delay before closing after a failed authentication)
	QueuedMaxRequests                    int      // queued.max.requests: 500
	QueuedMaxRequestBytes                int64    // queued.max.request.bytes: -1 (no bound; above 0, at least socket.request.max.bytes)
	ConnectionsMaxIdleMs                 int64    // connections.max.idle.ms: 600000
	QuotaWindowNum                       int      // quota.window.num: 11 (package quota)
	QuotaWindowSizeSeconds               int      // quota.window.size.seconds: 1
	LogRetentionCheckIntervalMs          int64    // log.retention.check.interval.ms: 300000
	NumRecoveryThreadsPerDataDir         int      // num.recovery.threads.per.data.dir: 2 (Kafka 4's)
	SegmentFilesMax                      int64    // strata.segment.files.max: 0 = half of RLIMIT_NOFILE, at most half of vm.max_map_count (Strata's own)
	LogFlushOffsetCheckpointIntervalMs   int64    // log.flush.offset.checkpoint.interval.ms: 60000
	LogFlushStartOffsetCheckpointMs      int64    // log.flush.start.offset.checkpoint.interval.ms: 60000
	OffsetsRetentionMinutes              int64    // offsets.retention.minutes: 10080
	GroupInitialRebalanceDelayMs         int64    // group.initial.rebalance.delay.ms: 3000
	GroupMinSessionTimeoutMs             int32    // group.min.session.timeout.ms: 6000
	GroupMaxSessionTimeoutMs             int32    // group.max.session.timeout.ms: 1800000
	GroupMaxSize                         int32    // group.max.size: math.MaxInt32
	OffsetsTopicNumPartitions            int32    // offsets.topic.num.partitions: 50 (used when __consumer_offsets is created)
	OffsetsTopicSegmentBytes             int32    // offsets.topic.segment.bytes: 104857600 (__consumer_offsets' segment.bytes when it is created)
	OffsetsTopicCompressionCodec         int32    // offsets.topic.compression.codec: 0 (Kafka's CompressionType id the coordinator writes its batches with)
	OffsetsRetentionCheckIntervalMs      int64    // offsets.retention.check.interval.ms: 600000
	FetchMemoryMaxBytes                  int64    // strata.fetch.memory.max.bytes: 67108864 (Strata's own: Kafka has no such bound)
	MaxIncrementalFetchSessionCacheSlots int      // max.incremental.fetch.session.cache.slots: 1000
	// The transaction coordinator's (package txn), Kafka's names and defaults.
	TransactionMaxTimeoutMs                   int32 // transaction.max.timeout.ms: 900000
	TransactionStateLogNumPartitions          int32 // transaction.state.log.num.partitions: 50 (used when __transaction_state is created)
	TransactionStateLogSegmentBytes           int32 // transaction.state.log.segment.bytes: 104857600
	TransactionAbortTimedOutCleanupIntervalMs int32 // transaction.abort.timed.out.transaction.cleanup.interval.ms: 10000
	TransactionalIDExpirationMs               int32 // transactional.id.expiration.ms: 604800000
	TransactionRemoveExpiredCleanupIntervalMs int32 // transaction.remove.expired.transaction.cleanup.interval.ms: 3600000
	TransactionPartitionVerificationEnable    bool  // transaction.partition.verification.enable: true (KIP-890)
	// strata.produce.decompression.memory.max.bytes: 67108864 (Strata's
	// own): the memory produce requests may hold decompressing and
	// recompressing records, across the broker (server/produce_compress.go).
	ProduceDecompressionMemoryMaxBytes int64
	// telemetry.max.bytes: 1048576, the largest metrics payload a client
	// may push (KIP-714, package telemetry).
	TelemetryMaxBytes int32
	// HTTP is the console's and the metrics' listeners (http.go).
	HTTP HTTP
	// Cleaner is the log cleaner's properties (cleaner.go).
	Cleaner Cleaner

	// Log holds the broker-level defaults of the topic configs Strata acts
	// on, set by their broker synonyms: log.segment.bytes, log.roll.ms and
	// log.roll.hours, log.index.size.max.bytes, log.index.interval.bytes,
	// log.retention.ms, .minutes and .hours, log.retention.bytes,
	// log.flush.interval.messages, log.flush.interval.ms (and
	// log.flush.scheduler.interval.ms), message.max.bytes,
	// log.message.timestamp.type, log.cleanup.policy; and
	// producer.id.expiration.ms (a broker property in Kafka too). Where
	// Kafka has several synonyms the first set one wins (ms, then minutes,
	// then hours), whatever the order of Set.
	Log partition.Config

	// Unknown holds the properties Strata does not use (process.roles,
	// controller.quorum.voters, ssl.*, ...), trimmed, for DescribeConfigs.
	Unknown map[string]string

	// static holds the canonical value of every known property set through
	// Set: Kafka's STATIC_BROKER_CONFIG source, and the input of synonym
	// resolution.
	static map[string]string

	// dynBroker and dynDefault hold the dynamic configs in force (this
	// broker's and the cluster default's, canonical values; WithDynamic),
	// and merged the properties with both merged over static (nil: none).
	dynBroker, dynDefault, merged map[string]string
}

// Defaults returns Kafka's defaults, except the ones Strata changes so that
// a broker starts with no configuration: node.id 1, listeners on
// 127.0.0.1:9092, log.dirs ./data.
func Defaults() *Broker {
	return &Broker{
		NodeID:                               1,
		Listeners:                            "PLAINTEXT://127.0.0.1:9092",
		ListenerSecurityProtocolMap:          defaultProtocolMap,
		LogDirs:                              []string{"./data"},
		NumPartitions:                        1,
		DefaultReplicationFactor:             1,
		AutoCreateTopicsEnable:               true,
		DeleteTopicEnable:                    true,
		MessageMaxBytes:                      1048588,
		SocketRequestMaxBytes:                104857600,
		MaxConnections:                       math.MaxInt32,
		MaxConnectionsPerIP:                  math.MaxInt32,
		ConnectionFailedAuthDelayMs:          100,
		QueuedMaxRequests:                    500,
		QueuedMaxRequestBytes:                -1,
		ConnectionsMaxIdleMs:                 600000,
		QuotaWindowNum:                       11,
		QuotaWindowSizeSeconds:               1,
		LogRetentionCheckIntervalMs:          300000,
		NumRecoveryThreadsPerDataDir:         2,
		LogFlushOffsetCheckpointIntervalMs:   60000,
		LogFlushStartOffsetCheckpointMs:      60000,
		OffsetsRetentionMinutes:              10080,
		GroupInitialRebalanceDelayMs:         3000,
		GroupMinSessionTimeoutMs:             6000,
		GroupMaxSessionTimeoutMs:             1800000,
		GroupMaxSize:                         math.MaxInt32,
		OffsetsTopicNumPartitions:            50,
		OffsetsTopicSegmentBytes:             104857600,
		OffsetsRetentionCheckIntervalMs:      600000,
		FetchMemoryMaxBytes:                  64 << 20,
		MaxIncrementalFetchSessionCacheSlots: 1000,
		HTTP:                                 HTTP{ConsoleEnable: true, ConsoleListeners: "http://127.0.0.1:8080"},
		Cleaner:                              DefaultCleaner(),
		Log:                                  partition.DefaultConfig(),
		Unknown:                              map[string]string{},
		static:                               map[string]string{},

		TransactionMaxTimeoutMs:                   900000,
		TransactionStateLogNumPartitions:          50,
		TransactionStateLogSegmentBytes:           104857600,
		TransactionAbortTimedOutCleanupIntervalMs: 10000,
		TransactionalIDExpirationMs:               604800000,
		TransactionRemoveExpiredCleanupIntervalMs: 3600000,
		TransactionPartitionVerificationEnable:    true,

		ProduceDecompressionMemoryMaxBytes: 64 << 20,
		TelemetryMaxBytes:                  1048576,
	}
}

// Clone returns a deep copy of b.
func (b *Broker) Clone() *Broker {
	c := *b
	c.LogDirs = slices.Clone(b.LogDirs)
	c.Unknown = maps.Clone(b.Unknown)
	c.static = maps.Clone(b.static)
	c.dynBroker, c.dynDefault, c.merged = maps.Clone(b.dynBroker), maps.Clone(b.dynDefault), maps.Clone(b.merged)
	return &c
}

// Load reads a server.properties file (Java properties syntax, see
// ParseProperties) and applies its entries in order over Defaults. Errors
// name the file and line and wrap ErrInvalidConfig; an unreadable file
// returns the os error.
func Load(path string) (*Broker, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	b := Defaults()
	if err := b.applyProperties(string(data), path); err != nil {
		return nil, err
	}
	return b, nil
}

// applyProperties sets every entry of a properties text in order; name
// prefixes error messages.
func (b *Broker) applyProperties(src, name string) error {
	props, err := ParseProperties(src)
	if err != nil {
		return withContext(err, name)
	}
	var errs []error
	for _, p := range props {
		if err := b.Set(p.Key, p.Value); err != nil {
			errs = append(errs, withContext(err, name+":"+strconv.Itoa(p.Line)))
		}
	}
	return errors.Join(errs...)
}

// withContext prefixes err's message with where the value came from.
func withContext(err error, where string) error {
	var ce *Error
	if errors.As(err, &ce) {
		c := *ce
		c.Msg = where + ": " + ce.Msg
		return &c
	}
	return fmt.Errorf("config: %s: %w", where, err)
}

// brokerProp is one broker property Strata knows.
type brokerProp struct {
	name  string
	spec  spec
	dflt  string
	null  bool                           // Kafka's default is null
	get   func(b *Broker) (string, bool) // the current value of a typed field; nil: the set value or the default
	set   func(b *Broker, canon string)  // applies a canonical value; nil: stored only
	group []string                       // the property's synonyms in priority order (itself included)
}

func i32(v string) int32 { n, _ := strconv.ParseInt(v, 10, 32); return int32(n) }
func i64(v string) int64 { n, _ := strconv.ParseInt(v, 10, 64); return n }
func atoi(v string) int  { n, _ := strconv.Atoi(v); return n }

func itoa[T ~int | ~int8 | ~int16 | ~int32 | ~int64](n T) (string, bool) {
	return strconv.FormatInt(int64(n), 10), true
}

func btoa(v bool) (string, bool) { return strconv.FormatBool(v), true }

const defaultProtocolMap = "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL"

// brokerProps is every broker property Strata knows, by name: its own and
// the broker synonyms of the topic configs. Built once; never modified.
var brokerProps = buildBrokerProps()

func buildBrokerProps() map[string]*brokerProp {
	dirs := list()
	dirs.nonEmpty, dirs.noDupes = true, true
	protoMap := str()
	protoMap.check = func(name, v string) *Error {
		_, err := parseProtocolMap(name, v)
		return err
	}
	props := []*brokerProp{
		{name: "node.id", spec: intAtLeast(-1), dflt: "1",
			get: func(b *Broker) (string, bool) { return itoa(b.NodeID) },
			set: func(b *Broker, v string) { b.NodeID = i32(v) }},
		{name: "broker.id", spec: intAtLeast(-1), dflt: "-1",
			get: func(b *Broker) (string, bool) { return itoa(b.NodeID) },
			set: func(b *Broker, v string) {
				if _, ok := b.static["node.id"]; !ok {
					b.NodeID = i32(v)
				}
			}},
		{name: "listeners", spec: str(), dflt: "PLAINTEXT://127.0.0.1:9092",
			get: func(b *Broker) (string, bool) { return b.Listeners, true },
			set: func(b *Broker, v string) { b.Listeners = v }},
		{name: "advertised.listeners", spec: str(), null: true,
			get: func(b *Broker) (string, bool) { return b.AdvertisedListeners, b.AdvertisedListeners != "" },
			set: func(b *Broker, v string) { b.AdvertisedListeners = v }},
		{name: "listener.security.protocol.map", spec: protoMap, dflt: defaultProtocolMap,
			get: func(b *Broker) (string, bool) { return b.ListenerSecurityProtocolMap, true },
			set: func(b *Broker, v string) { b.ListenerSecurityProtocolMap = v }},
		{name: "controller.listener.names", spec: str(), null: true,
			get: func(b *Broker) (string, bool) { return b.ControllerListenerNames, b.ControllerListenerNames != "" },
			set: func(b *Broker, v string) { b.ControllerListenerNames = v }},
		{name: "log.dirs", spec: dirs, null: true, set: (*Broker).resolveLogDirs},
		{name: "log.dir", spec: dirs, dflt: "./data", set: (*Broker).resolveLogDirs},
		{name: "cluster.id", spec: str(), null: true,
			get: func(b *Broker) (string, bool) { return b.ClusterID, b.ClusterID != "" },
			set: func(b *Broker, v string) { b.ClusterID = v }},
		{name: "num.partitions", spec: intAtLeast(1), dflt: "1",
			get: func(b *Broker) (string, bool) { return itoa(b.NumPartitions) },
			set: func(b *Broker, v string) { b.NumPartitions = i32(v) }},
		{name: "default.replication.factor", spec: intBetween(1, math.MaxInt16), dflt: "1",
			get: func(b *Broker) (string, bool) { return itoa(b.DefaultReplicationFactor) },
			set: func(b *Broker, v string) { b.DefaultReplicationFactor = int16(i32(v)) }},
		{name: "auto.create.topics.enable", spec: boolean(), dflt: "true",
			get: func(b *Broker) (string, bool) { return btoa(b.AutoCreateTopicsEnable) },
			set: func(b *Broker, v string) { b.AutoCreateTopicsEnable = v == "true" }},
		{name: "delete.topic.enable", spec: boolean(), dflt: "true",
			get: func(b *Broker) (string, bool) { return btoa(b.DeleteTopicEnable) },
			set: func(b *Broker, v string) { b.DeleteTopicEnable = v == "true" }},
		{name: "socket.request.max.bytes", spec: intAtLeast(1), dflt: "104857600",
			get: func(b *Broker) (string, bool) { return itoa(b.SocketRequestMaxBytes) },
			set: func(b *Broker, v string) { b.SocketRequestMaxBytes = atoi(v) }},
		{name: "quota.window.num", spec: intAtLeast(1), dflt: "11",
			get: func(b *Broker) (string, bool) { return itoa(b.QuotaWindowNum) },
			set: func(b *Broker, v string) { b.QuotaWindowNum = atoi(v) }},
		{name: "quota.window.size.seconds", spec: intAtLeast(1), dflt: "1",
			get: func(b *Broker) (string, bool) { return itoa(b.QuotaWindowSizeSeconds) },
			set: func(b *Broker, v string) { b.QuotaWindowSizeSeconds = atoi(v) }},
		{name: "max.connections", spec: intAtLeast(0), dflt: "2147483647",
			get: func(b *Broker) (string, bool) { return itoa(b.MaxConnections) },
			set: func(b *Broker, v string) { b.MaxConnections = atoi(v) }},
		{name: "max.connections.per.ip", spec: intAtLeast(0), dflt: "2147483647",
			get: func(b *Broker) (string, bool) { return itoa(b.MaxConnectionsPerIP) },
			set: func(b *Broker, v string) { b.MaxConnectionsPerIP = atoi(v) }},
		{name: "max.connections.per.ip.overrides", spec: str(), dflt: "",
			get: func(b *Broker) (string, bool) { return b.MaxConnectionsPerIPOverrides, true },
			set: func(b *Broker, v string) { b.MaxConnectionsPerIPOverrides = v }},
		{name: "connection.failed.authentication.delay.ms", spec: intAtLeast(0), dflt: "100",
			get: func(b *Broker) (string, bool) { return itoa(b.ConnectionFailedAuthDelayMs) },
			set: func(b *Broker, v string) { b.ConnectionFailedAuthDelayMs = atoi(v) }},
		{name: "queued.max.requests", spec: intAtLeast(1), dflt: "500",
			get: func(b *Broker) (string, bool) { return itoa(b.QueuedMaxRequests) },
			set: func(b *Broker, v string) { b.QueuedMaxRequests = atoi(v) }},
		{name: "queued.max.request.bytes", spec: long(), dflt: "-1",
			get: func(b *Broker) (string, bool) { return itoa(b.QueuedMaxRequestBytes) },
			set: func(b *Broker, v string) { b.QueuedMaxRequestBytes = i64(v) }},
		{name: "max.incremental.fetch.session.cache.slots", spec: intAtLeast(0), dflt: "1000",
			get: func(b *Broker) (string, bool) { return itoa(b.MaxIncrementalFetchSessionCacheSlots) },
			set: func(b *Broker, v string) { b.MaxIncrementalFetchSessionCacheSlots = atoi(v) }},
		// The bytes Fetch responses being written hold in buffers, across
		// the broker (server/budget.go): Strata's own property.
		{name: "strata.fetch.memory.max.bytes", spec: longAtLeast(1), dflt: "67108864",
			get: func(b *Broker) (string, bool) { return itoa(b.FetchMemoryMaxBytes) },
			set: func(b *Broker, v string) { b.FetchMemoryMaxBytes = i64(v) }},
		// The memory produce requests hold decompressing and recompressing
		// records, across the broker (server/produce_compress.go).
		{name: "strata.produce.decompression.memory.max.bytes", spec: longAtLeast(1), dflt: "67108864",
			get: func(b *Broker) (string, bool) { return itoa(b.ProduceDecompressionMemoryMaxBytes) },
			set: func(b *Broker, v string) { b.ProduceDecompressionMemoryMaxBytes = i64(v) }},
		{name: "telemetry.max.bytes", spec: intAtLeast(1), dflt: "1048576",
			get: func(b *Broker) (string, bool) { return itoa(b.TelemetryMaxBytes) },
			set: func(b *Broker, v string) { b.TelemetryMaxBytes = int32(atoi(v)) }},
		{name: "connections.max.idle.ms", spec: long(), dflt: "600000",
			get: func(b *Broker) (string, bool) { return itoa(b.ConnectionsMaxIdleMs) },
			set: func(b *Broker, v string) { b.ConnectionsMaxIdleMs = i64(v) }},
		{name: "log.retention.check.interval.ms", spec: longAtLeast(1), dflt: "300000",
			get: func(b *Broker) (string, bool) { return itoa(b.LogRetentionCheckIntervalMs) },
			set: func(b *Broker, v string) { b.LogRetentionCheckIntervalMs = i64(v) }},
		// The descriptors segments may keep open at once (segment.SetFileBudget):
		// Strata's own property; 0 derives it from the process's limits.
		{name: "strata.segment.files.max", spec: longAtLeast(0), dflt: "0",
			get: func(b *Broker) (string, bool) { return itoa(b.SegmentFilesMax) },
			set: func(b *Broker, v string) { b.SegmentFilesMax = i64(v) }},
		{name: "num.recovery.threads.per.data.dir", spec: intAtLeast(1), dflt: "2",
			get: func(b *Broker) (string, bool) { return itoa(b.NumRecoveryThreadsPerDataDir) },
			set: func(b *Broker, v string) { b.NumRecoveryThreadsPerDataDir = atoi(v) }},
		{name: "log.flush.offset.checkpoint.interval.ms", spec: intAtLeast(0), dflt: "60000",
			get: func(b *Broker) (string, bool) { return itoa(b.LogFlushOffsetCheckpointIntervalMs) },
			set: func(b *Broker, v string) { b.LogFlushOffsetCheckpointIntervalMs = i64(v) }},
		{name: "log.flush.start.offset.checkpoint.interval.ms", spec: intAtLeast(0), dflt: "60000",
			get: func(b *Broker) (string, bool) { return itoa(b.LogFlushStartOffsetCheckpointMs) },
			set: func(b *Broker, v string) { b.LogFlushStartOffsetCheckpointMs = i64(v) }},
		{name: "offsets.retention.minutes", spec: intAtLeast(1), dflt: "10080",
			get: func(b *Broker) (string, bool) { return itoa(b.OffsetsRetentionMinutes) },
			set: func(b *Broker, v string) { b.OffsetsRetentionMinutes = i64(v) }},
		{name: "producer.id.expiration.ms", spec: intAtLeast(1), dflt: "86400000",
			get: func(b *Broker) (string, bool) { return itoa(b.Log.ProducerIDExpirationMs) },
			set: func(b *Broker, v string) { b.Log.ProducerIDExpirationMs = i64(v) }},
		{name: "group.initial.rebalance.delay.ms", spec: integer(), dflt: "3000",
			get: func(b *Broker) (string, bool) { return itoa(b.GroupInitialRebalanceDelayMs) },
			set: func(b *Broker, v string) { b.GroupInitialRebalanceDelayMs = i64(v) }},
		{name: "group.min.session.timeout.ms", spec: integer(), dflt: "6000",
			get: func(b *Broker) (string, bool) { return itoa(b.GroupMinSessionTimeoutMs) },
			set: func(b *Broker, v string) { b.GroupMinSessionTimeoutMs = i32(v) }},
		{name: "group.max.session.timeout.ms", spec: integer(), dflt: "1800000",
			get: func(b *Broker) (string, bool) { return itoa(b.GroupMaxSessionTimeoutMs) },
			set: func(b *Broker, v string) { b.GroupMaxSessionTimeoutMs = i32(v) }},
		{name: "group.max.size", spec: intAtLeast(1), dflt: "2147483647",
			get: func(b *Broker) (string, bool) { return itoa(b.GroupMaxSize) },
			set: func(b *Broker, v string) { b.GroupMaxSize = i32(v) }},
		{name: "offsets.topic.num.partitions", spec: intAtLeast(1), dflt: "50",
			get: func(b *Broker) (string, bool) { return itoa(b.OffsetsTopicNumPartitions) },
			set: func(b *Broker, v string) { b.OffsetsTopicNumPartitions = i32(v) }},
		{name: "offsets.topic.segment.bytes", spec: intAtLeast(1), dflt: "104857600",
			get: func(b *Broker) (string, bool) { return itoa(b.OffsetsTopicSegmentBytes) },
			set: func(b *Broker, v string) { b.OffsetsTopicSegmentBytes = i32(v) }},
		{name: "offsets.topic.compression.codec", spec: integer(), dflt: "0",
			get: func(b *Broker) (string, bool) { return itoa(b.OffsetsTopicCompressionCodec) },
			set: func(b *Broker, v string) { b.OffsetsTopicCompressionCodec = i32(v) }},
		{name: "offsets.retention.check.interval.ms", spec: longAtLeast(1), dflt: "600000",
			get: func(b *Broker) (string, bool) { return itoa(b.OffsetsRetentionCheckIntervalMs) },
			set: func(b *Broker, v string) { b.OffsetsRetentionCheckIntervalMs = i64(v) }},
		{name: "transaction.max.timeout.ms", spec: intAtLeast(1), dflt: "900000",
			get: func(b *Broker) (string, bool) { return itoa(b.TransactionMaxTimeoutMs) },
			set: func(b *Broker, v string) { b.TransactionMaxTimeoutMs = i32(v) }},
		{name: "transaction.state.log.num.partitions", spec: intAtLeast(1), dflt: "50",
			get: func(b *Broker) (string, bool) { return itoa(b.TransactionStateLogNumPartitions) },
			set: func(b *Broker, v string) { b.TransactionStateLogNumPartitions = i32(v) }},
		{name: "transaction.state.log.segment.bytes", spec: intAtLeast(1), dflt: "104857600",
			get: func(b *Broker) (string, bool) { return itoa(b.TransactionStateLogSegmentBytes) },
			set: func(b *Broker, v string) { b.TransactionStateLogSegmentBytes = i32(v) }},
		{name: "transaction.abort.timed.out.transaction.cleanup.interval.ms", spec: intAtLeast(1), dflt: "10000",
			get: func(b *Broker) (string, bool) { return itoa(b.TransactionAbortTimedOutCleanupIntervalMs) },
			set: func(b *Broker, v string) { b.TransactionAbortTimedOutCleanupIntervalMs = i32(v) }},
		{name: "transactional.id.expiration.ms", spec: intAtLeast(1), dflt: "604800000",
			get: func(b *Broker) (string, bool) { return itoa(b.TransactionalIDExpirationMs) },
			set: func(b *Broker, v string) { b.TransactionalIDExpirationMs = i32(v) }},
		{name: "transaction.remove.expired.transaction.cleanup.interval.ms", spec: intAtLeast(1), dflt: "3600000",
			get: func(b *Broker) (string, bool) { return itoa(b.TransactionRemoveExpiredCleanupIntervalMs) },
			set: func(b *Broker, v string) { b.TransactionRemoveExpiredCleanupIntervalMs = i32(v) }},
		{name: "transaction.partition.verification.enable", spec: boolean(), dflt: "true",
			get: func(b *Broker) (string, bool) { return btoa(b.TransactionPartitionVerificationEnable) },
			set: func(b *Broker, v string) { b.TransactionPartitionVerificationEnable = v == "true" }},
	}
	props = append(props, httpProps()...)
	props = append(props, cleanerProps()...)
	m := make(map[string]*brokerProp, len(props)+2*len(topicDefs))
	for _, p := range props {
		p.group = []string{p.name}
		m[p.name] = p
	}
	for _, d := range topicDefs {
		group := make([]string, len(d.syn))
		for i, s := range d.syn {
			group[i] = s.name
		}
		for _, s := range d.syn {
			p := &brokerProp{name: s.name, spec: s.spec, dflt: s.dflt, null: s.null, group: group}
			if s.name == "log.flush.scheduler.interval.ms" {
				// Kafka's brokerConfigSynonyms: the fallback of
				// log.flush.interval.ms, with no synonyms of its own.
				p.group = []string{s.name}
			}
			p.set = func(b *Broker, _ string) { b.resolveTopic(d) }
			if s.name == "message.max.bytes" {
				p.set = func(b *Broker, v string) { b.MessageMaxBytes = atoi(v); b.resolveTopic(d) }
				p.get = func(b *Broker) (string, bool) { return itoa(b.MessageMaxBytes) }
			}
			m[s.name] = p
		}
	}
	return m
}

// Set sets one Kafka property by name, as a line of server.properties, a
// KAFKA_* variable or a command-line flag would: the value is trimmed,
// parsed as the property's Kafka type and range-checked (a *Error wrapping
// ErrInvalidConfig otherwise, b unchanged). Properties Strata does not know
// are kept in Unknown. Setting one of several synonyms re-resolves them in
// Kafka's priority order.
func (b *Broker) Set(key, value string) error {
	key = trimJava(key)
	if key == "" {
		return invalid("", "empty property name")
	}
	p, ok := brokerProps[key]
	if !ok {
		if b.Unknown == nil {
			b.Unknown = map[string]string{}
		}
		b.Unknown[key] = trimJava(value)
		return nil
	}
	v, err := p.spec.canon(key, value)
	if err != nil {
		return err
	}
	if b.static == nil {
		b.static = map[string]string{}
	}
	b.static[key] = v
	if p.set != nil {
		p.set(b, v)
	}
	return nil
}

// IsSet reports whether a known property was set through Set (Load,
// ApplyEnv): DescribeConfigs' STATIC_BROKER_CONFIG.
func (b *Broker) IsSet(key string) bool {
	_, ok := b.static[key]
	return ok
}

func (b *Broker) resolveLogDirs(string) {
	v, ok := b.static["log.dirs"]
	if !ok {
		v, ok = b.static["log.dir"]
	}
	if ok {
		b.LogDirs = splitList(v)
	}
}

// resolveTopic recomputes the partition.Config field of a topic config from
// the first of its broker synonyms that was set.
func (b *Broker) resolveTopic(d *topicDef) {
	if d.field == nil {
		return
	}
	for _, s := range d.syn {
		if v, ok := b.props()[s.name]; ok {
			d.field.set(&b.Log, d.toTopicValue(s, v))
			return
		}
	}
}

// brokerTopicValue is the broker-level value of a topic config: what a topic
// without an override gets.
func (b *Broker) brokerTopicValue(d *topicDef) string {
	if d.field != nil && d.field.get != nil {
		return d.field.get(&b.Log)
	}
	for _, s := range d.syn {
		if v, ok := b.props()[s.name]; ok {
			return d.toTopicValue(s, v)
		}
	}
	return d.Default
}

// Validate checks what Set cannot check one property at a time: the
// listeners, node.id against broker.id, the log directories, cross-field
// ranges, and fields assigned directly. It returns every problem found,
// joined; each wraps ErrInvalidConfig.
func (b *Broker) Validate() error {
	var errs []error
	add := func(e *Error) {
		if e != nil {
			errs = append(errs, e)
		}
	}
	if b.NodeID < 0 {
		add(invalidValue("node.id", strconv.Itoa(int(b.NodeID)), "Value must be at least 0"))
	}
	if nid, ok := b.static["node.id"]; ok {
		if bid, ok := b.static["broker.id"]; ok && bid != nid {
			add(invalid("broker.id", "broker.id ("+bid+") must match node.id ("+nid+")"))
		}
	}
	// advertised.listeners defaults to listeners: check it only once
	// listeners parse, or a bad listener is reported twice.
	if _, err := b.ServedListeners(); err != nil {
		errs = append(errs, err)
	} else if _, err := b.AdvertisedEndpoints(); err != nil {
		errs = append(errs, err)
	}
	if len(b.LogDirs) == 0 {
		add(invalid("log.dirs", "log.dirs must name at least one directory"))
	}
	for i, d := range b.LogDirs {
		if strings.TrimSpace(d) == "" {
			add(invalidValue("log.dirs", strings.Join(b.LogDirs, ","), "empty directory name"))
		} else if slices.Contains(b.LogDirs[:i], d) {
			add(invalidValue("log.dirs", strings.Join(b.LogDirs, ","), "Configuration 'log.dirs' values must not be duplicated."))
		}
	}
	atLeast := func(name string, n, min int64) {
		if n < min {
			add(invalidValue(name, strconv.FormatInt(n, 10), "Value must be at least "+strconv.FormatInt(min, 10)))
		}
	}
	atLeast("num.partitions", int64(b.NumPartitions), 1)
	atLeast("default.replication.factor", int64(b.DefaultReplicationFactor), 1)
	atLeast("message.max.bytes", int64(b.MessageMaxBytes), 0)
	atLeast("socket.request.max.bytes", int64(b.SocketRequestMaxBytes), 1)
	atLeast("max.connections", int64(b.MaxConnections), 0)
	atLeast("max.connections.per.ip", int64(b.MaxConnectionsPerIP), 0)
	if _, err := b.MaxConnectionsPerIPOverride(); err != nil {
		add(err)
	}
	atLeast("queued.max.requests", int64(b.QueuedMaxRequests), 1)
	if b.QueuedMaxRequestBytes > 0 && b.QueuedMaxRequestBytes < int64(b.SocketRequestMaxBytes) {
		// Kafka's KafkaConfig check, with its message.
		add(invalid("queued.max.request.bytes", "queued.max.request.bytes must be larger or equal to socket.request.max.bytes"))
	}
	atLeast("max.incremental.fetch.session.cache.slots", int64(b.MaxIncrementalFetchSessionCacheSlots), 0)
	atLeast("strata.fetch.memory.max.bytes", b.FetchMemoryMaxBytes, 1)
	atLeast("strata.produce.decompression.memory.max.bytes", b.ProduceDecompressionMemoryMaxBytes, 1)
	atLeast("telemetry.max.bytes", int64(b.TelemetryMaxBytes), 1)
	atLeast("log.retention.check.interval.ms", b.LogRetentionCheckIntervalMs, 1)
	atLeast("offsets.retention.minutes", b.OffsetsRetentionMinutes, 1)
	atLeast("group.initial.rebalance.delay.ms", b.GroupInitialRebalanceDelayMs, 0)
	atLeast("group.min.session.timeout.ms", int64(b.GroupMinSessionTimeoutMs), 0)
	if b.GroupMaxSessionTimeoutMs < b.GroupMinSessionTimeoutMs {
		add(invalid("group.max.session.timeout.ms", fmt.Sprintf(
			"group.max.session.timeout.ms (%d) must not be less than group.min.session.timeout.ms (%d)",
			b.GroupMaxSessionTimeoutMs, b.GroupMinSessionTimeoutMs)))
	}
	l := &b.Log
	atLeast("log.segment.bytes", l.SegmentBytes, 1)
	atLeast("log.roll.ms", l.SegmentMs, 1)
	atLeast("log.index.size.max.bytes", int64(l.SegmentIndexBytes), 4)
	atLeast("log.index.interval.bytes", int64(l.IndexIntervalBytes), 0)
	atLeast("log.retention.ms", l.RetentionMs, -1)
	atLeast("log.flush.interval.messages", l.FlushMessages, 1)
	atLeast("log.flush.interval.ms", l.FlushMs, 0)
	atLeast("message.max.bytes", int64(l.MaxMessageBytes), 0)
	if err := b.Log.Validate(); err != nil {
		add(invalid("", "log defaults: "+strings.TrimPrefix(err.Error(), "partition: ")))
	}
	add(b.validateCleaner())
	if c := b.OffsetsTopicCompressionCodec; c < 0 || c > 4 {
		// Kafka's CompressionType.forId, when the coordinator starts.
		add(invalid("offsets.topic.compression.codec", "Unknown compression type id: "+strconv.Itoa(int(c))))
	}
	minLag := i64(b.brokerTopicValue(topicDefByName["min.compaction.lag.ms"]))
	maxLag := i64(b.brokerTopicValue(topicDefByName["max.compaction.lag.ms"]))
	if minLag > maxLag {
		add(invalid("log.cleaner.min.compaction.lag.ms", fmt.Sprintf(
			"conflict topic config setting min.compaction.lag.ms (%d) > max.compaction.lag.ms (%d)", minLag, maxLag)))
	}
	return errors.Join(errs...)
}
