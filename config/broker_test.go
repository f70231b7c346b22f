package config

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stratabroker/strata/partition"
)

func TestDefaults(t *testing.T) {
	b := Defaults()
	want := &Broker{
		NodeID:                               1,
		Listeners:                            "PLAINTEXT://127.0.0.1:9092",
		ListenerSecurityProtocolMap:          "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL",
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
		FetchMemoryMaxBytes:                  67108864,
		MaxIncrementalFetchSessionCacheSlots: 1000,
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

		ProduceDecompressionMemoryMaxBytes: 67108864,
		TelemetryMaxBytes:                  1048576,
		HTTP:                               HTTP{ConsoleEnable: true, ConsoleListeners: "http://127.0.0.1:8080"},
		Cleaner: Cleaner{Enable: true, Threads: 1, DedupeBufferSize: 134217728, IOBufferSize: 524288,
			IOBufferLoadFactor: 0.9, IOMaxBytesPerSecond: math.MaxFloat64, BackoffMs: 15000},
	}
	if !reflect.DeepEqual(b, want) {
		t.Fatalf("Defaults() = %+v\nwant %+v", b, want)
	}
	if err := b.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	// The property table's defaults describe the same values.
	for name, p := range brokerProps {
		if p.get == nil || p.null || name == "broker.id" {
			continue
		}
		if v, _ := p.get(b); v != p.dflt {
			t.Errorf("%s: Defaults() has %q, the table says %q", name, v, p.dflt)
		}
	}
}

// The broker-level log defaults are Kafka's: every applied topic config
// reads back as Kafka's default.
func TestDefaultsLogMatchesKafka(t *testing.T) {
	b := Defaults()
	for _, d := range topicDefs {
		if d.field == nil || d.Internal {
			continue
		}
		if d.field.get == nil { // not printable: Kafka's default must change nothing
			c := b.Log
			d.field.set(&c, d.Default)
			if c != b.Log {
				t.Errorf("%s: Kafka's default %s changes partition.DefaultConfig() to %+v", d.Name, d.Default, c)
			}
			continue
		}
		if got := d.field.get(&b.Log); got != d.Default {
			t.Errorf("%s: partition.DefaultConfig() gives %s, Kafka's default is %s", d.Name, got, d.Default)
		}
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoad(t *testing.T) {
	path := writeFile(t, "server.properties", `# a KRaft combined-mode file
process.roles=broker,controller
node.id=7
controller.quorum.voters=7@localhost:9093
listeners=PLAINTEXT://:9092,CONTROLLER://:9093
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs = /var/lib/kafka/a , /var/lib/kafka/b
num.partitions: 3
log.retention.hours=48
log.segment.bytes=2097152
log.message.timestamp.type=LogAppendTime
auto.create.topics.enable  FALSE
message.max.bytes=2000000
log.cleanup.policy=compact
`)
	b, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	if b.NodeID != 7 || b.NumPartitions != 3 || b.AutoCreateTopicsEnable || b.MessageMaxBytes != 2000000 {
		t.Fatalf("node %d partitions %d autocreate %v max %d", b.NodeID, b.NumPartitions, b.AutoCreateTopicsEnable, b.MessageMaxBytes)
	}
	if want := []string{"/var/lib/kafka/a", "/var/lib/kafka/b"}; !reflect.DeepEqual(b.LogDirs, want) {
		t.Fatalf("LogDirs %q", b.LogDirs)
	}
	want := partition.DefaultConfig()
	want.RetentionMs = 48 * 3600000
	want.SegmentBytes = 2097152
	want.LogAppendTime = true
	want.MaxMessageBytes = 2000000
	want.CleanupDelete = false // log.cleanup.policy=compact
	if b.Log != want {
		t.Fatalf("Log %+v\nwant %+v", b.Log, want)
	}
	wantUnknown := map[string]string{"process.roles": "broker,controller", "controller.quorum.voters": "7@localhost:9093"}
	if !reflect.DeepEqual(b.Unknown, wantUnknown) {
		t.Fatalf("Unknown %v", b.Unknown)
	}
	if addr, err := b.ListenAddr(); err != nil || addr != ":9092" {
		t.Fatalf("ListenAddr %q, %v", addr, err)
	}
	if v, src, _ := b.TopicConfigValue("cleanup.policy", nil); v != "compact" || src != StaticBrokerConfig {
		t.Fatalf("cleanup.policy %q %v", v, src)
	}
}

func TestLoadErrors(t *testing.T) {
	path := writeFile(t, "server.properties", "node.id=1\n\nnum.partitions=abc\nlog.segment.bytes=1000\n")
	_, err := Load(path)
	if !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("err %v", err)
	}
	want := "config: " + path + ":3: Invalid value abc for configuration num.partitions: Not a number of type INT\n" +
		"config: " + path + ":4: Invalid value 1000 for configuration log.segment.bytes: Value must be at least 1048576"
	if err.Error() != want {
		t.Fatalf("err\n%v\nwant\n%v", err, want)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestSetInvalid(t *testing.T) {
	tests := []struct{ key, value, msg string }{
		{"num.partitions", "0", "Invalid value 0 for configuration num.partitions: Value must be at least 1"},
		{"num.partitions", "1.5", "Invalid value 1.5 for configuration num.partitions: Not a number of type INT"},
		{"node.id", "2147483648", "Invalid value 2147483648 for configuration node.id: Not a number of type INT"},
		{"log.retention.ms", "", "Invalid value  for configuration log.retention.ms: Not a number of type LONG"},
		{"log.segment.bytes", "1048575", "Invalid value 1048575 for configuration log.segment.bytes: Value must be at least 1048576"},
		{"log.roll.hours", "0", "Invalid value 0 for configuration log.roll.hours: Value must be at least 1"},
		{"log.index.size.max.bytes", "3", "Invalid value 3 for configuration log.index.size.max.bytes: Value must be at least 4"},
		{"auto.create.topics.enable", "yes", "Invalid value yes for configuration auto.create.topics.enable: Expected value to be either true or false"},
		{"log.message.timestamp.type", "createtime", "Invalid value createtime for configuration log.message.timestamp.type: String must be one of: CreateTime, LogAppendTime"},
		{"log.cleanup.policy", "delete,forever", "Invalid value delete,forever for configuration log.cleanup.policy: String must be one of: compact, delete"},
		{"log.cleaner.min.cleanable.ratio", "1.5", "Invalid value 1.5 for configuration log.cleaner.min.cleanable.ratio: Value must be no more than 1"},
		{"compression.type", "brotli", "Invalid value brotli for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer"},
		{"default.replication.factor", "40000", "Invalid value 40000 for configuration default.replication.factor: Value must be no more than 32767"},
		{"log.dirs", " ", "Invalid value  for configuration log.dirs: Empty list"},
		{"producer.id.expiration.ms", "0", "Invalid value 0 for configuration producer.id.expiration.ms: Value must be at least 1"},
		{"strata.fetch.memory.max.bytes", "0", "Invalid value 0 for configuration strata.fetch.memory.max.bytes: Value must be at least 1"},
		{"max.incremental.fetch.session.cache.slots", "-1", "Invalid value -1 for configuration max.incremental.fetch.session.cache.slots: Value must be at least 0"},
		{"log.dirs", "/a,/a", "Invalid value /a,/a for configuration log.dirs: Configuration 'log.dirs' values must not be duplicated."},
		{"listener.security.protocol.map", "PLAINTEXT:TLS", "Invalid value PLAINTEXT:TLS for configuration listener.security.protocol.map: No enum constant for security protocol TLS"},
		{"transaction.max.timeout.ms", "0", "Invalid value 0 for configuration transaction.max.timeout.ms: Value must be at least 1"},
		{"transaction.state.log.num.partitions", "0", "Invalid value 0 for configuration transaction.state.log.num.partitions: Value must be at least 1"},
		{"transactional.id.expiration.ms", "2147483648", "Invalid value 2147483648 for configuration transactional.id.expiration.ms: Not a number of type INT"},
		{"transaction.partition.verification.enable", "1", "Invalid value 1 for configuration transaction.partition.verification.enable: Expected value to be either true or false"},
		{"", "x", "empty property name"},
	}
	for _, tt := range tests {
		b := Defaults()
		err := b.Set(tt.key, tt.value)
		var ce *Error
		if !errors.As(err, &ce) || !errors.Is(err, ErrInvalidConfig) || errors.Is(err, ErrUnknownConfig) {
			t.Fatalf("Set(%q, %q) = %v", tt.key, tt.value, err)
		}
		if ce.Msg != tt.msg || err.Error() != "config: "+tt.msg {
			t.Errorf("Set(%q, %q):\n got %q\nwant %q", tt.key, tt.value, ce.Msg, tt.msg)
		}
		if !reflect.DeepEqual(b, Defaults()) {
			t.Errorf("Set(%q, %q) changed the broker", tt.key, tt.value)
		}
	}
}

func TestSetTrimsAndCanonicalises(t *testing.T) {
	b := Defaults()
	for _, kv := range [][2]string{
		{" auto.create.topics.enable ", " FALSE "},
		{"num.partitions", "\t+12 "},
		{"log.retention.bytes", " -1 "},
		{"some.plugin.setting", "  kept  "},
	} {
		if err := b.Set(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	if b.AutoCreateTopicsEnable || b.NumPartitions != 12 || b.Log.RetentionBytes != -1 {
		t.Fatalf("autocreate %v partitions %d retention.bytes %d", b.AutoCreateTopicsEnable, b.NumPartitions, b.Log.RetentionBytes)
	}
	if got := b.Unknown["some.plugin.setting"]; got != "kept" {
		t.Fatalf("Unknown %q", got)
	}
	if !b.IsSet("num.partitions") || b.IsSet("log.retention.ms") || b.IsSet("some.plugin.setting") {
		t.Fatal("IsSet")
	}
}

func TestSynonymPrecedence(t *testing.T) {
	tests := []struct {
		name string
		sets [][2]string
		want func(b *Broker) int64
		val  int64
	}{
		{"hours", [][2]string{{"log.retention.hours", "1"}}, retention, 3600000},
		{"minutes beat hours", [][2]string{{"log.retention.hours", "1"}, {"log.retention.minutes", "5"}}, retention, 300000},
		{"minutes beat later hours", [][2]string{{"log.retention.minutes", "5"}, {"log.retention.hours", "1"}}, retention, 300000},
		{"ms beats hours", [][2]string{{"log.retention.ms", "1000"}, {"log.retention.hours", "1"}}, retention, 1000},
		{"ms beats all", [][2]string{{"log.retention.hours", "2"}, {"log.retention.ms", "1000"}, {"log.retention.minutes", "3"}}, retention, 1000},
		{"negative ms is forever", [][2]string{{"log.retention.ms", "-5"}}, retention, -1},
		{"negative hours is forever", [][2]string{{"log.retention.hours", "-1"}}, retention, -1},
		{"roll hours", [][2]string{{"log.roll.hours", "2"}}, roll, 7200000},
		{"roll ms beats hours", [][2]string{{"log.roll.ms", "500"}, {"log.roll.hours", "2"}}, roll, 500},
		{"roll ms beats earlier hours", [][2]string{{"log.roll.hours", "2"}, {"log.roll.ms", "500"}}, roll, 500},
		{"flush scheduler", [][2]string{{"log.flush.scheduler.interval.ms", "3000"}}, flush, 3000},
		{"flush interval beats scheduler", [][2]string{{"log.flush.scheduler.interval.ms", "3000"}, {"log.flush.interval.ms", "100"}}, flush, 100},
		{"broker.id alone", [][2]string{{"broker.id", "5"}}, nodeID, 5},
		{"node.id beats broker.id", [][2]string{{"node.id", "3"}, {"broker.id", "5"}}, nodeID, 3},
		{"node.id beats earlier broker.id", [][2]string{{"broker.id", "5"}, {"node.id", "3"}}, nodeID, 3},
		{"message.max.bytes", [][2]string{{"message.max.bytes", "2000"}}, maxBytes, 2000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Defaults()
			for _, kv := range tt.sets {
				if err := b.Set(kv[0], kv[1]); err != nil {
					t.Fatal(err)
				}
			}
			if got := tt.want(b); got != tt.val {
				t.Fatalf("got %d, want %d", got, tt.val)
			}
		})
	}
}

func retention(b *Broker) int64 { return b.Log.RetentionMs }
func roll(b *Broker) int64      { return b.Log.SegmentMs }
func flush(b *Broker) int64     { return b.Log.FlushMs }
func nodeID(b *Broker) int64    { return int64(b.NodeID) }
func maxBytes(b *Broker) int64 {
	if b.MessageMaxBytes != b.Log.MaxMessageBytes {
		return -1
	}
	return int64(b.MessageMaxBytes)
}

func TestLogDirSynonyms(t *testing.T) {
	tests := []struct {
		sets [][2]string
		want []string
	}{
		{[][2]string{{"log.dir", "/a"}}, []string{"/a"}},
		{[][2]string{{"log.dirs", "/b,/c"}, {"log.dir", "/a"}}, []string{"/b", "/c"}},
		{[][2]string{{"log.dir", "/a"}, {"log.dirs", "/b"}}, []string{"/b"}},
	}
	for _, tt := range tests {
		b := Defaults()
		for _, kv := range tt.sets {
			if err := b.Set(kv[0], kv[1]); err != nil {
				t.Fatal(err)
			}
		}
		if !reflect.DeepEqual(b.LogDirs, tt.want) {
			t.Fatalf("%v: LogDirs %q, want %q", tt.sets, b.LogDirs, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(b *Broker)
		msgs []string
	}{
		{"broker.id mismatch", func(b *Broker) { _ = b.Set("broker.id", "5"); _ = b.Set("node.id", "3") },
			[]string{"broker.id (5) must match node.id (3)"}},
		{"negative node.id", func(b *Broker) { _ = b.Set("node.id", "-1") },
			[]string{"Invalid value -1 for configuration node.id: Value must be at least 0"}},
		{"only controller listeners", func(b *Broker) { b.Listeners = "CONTROLLER://:9093"; b.ControllerListenerNames = "CONTROLLER" },
			[]string{"Invalid value CONTROLLER://:9093 for configuration listeners: no broker listener is configured (every one is a controller listener)"}},
		{"session timeouts", func(b *Broker) { b.GroupMinSessionTimeoutMs = 10; b.GroupMaxSessionTimeoutMs = 5 },
			[]string{"group.max.session.timeout.ms (5) must not be less than group.min.session.timeout.ms (10)"}},
		{"log dirs", func(b *Broker) { b.LogDirs = []string{"/a", "/a"} },
			[]string{"Invalid value /a,/a for configuration log.dirs: Configuration 'log.dirs' values must not be duplicated."}},
		{"fields set directly", func(b *Broker) { b.NumPartitions = 0; b.Log.SegmentBytes = 0 },
			[]string{"Invalid value 0 for configuration num.partitions: Value must be at least 1",
				"Invalid value 0 for configuration log.segment.bytes: Value must be at least 1",
				"log defaults: invalid config: segment.bytes 0, want 61..2147483647"}},
		{"compaction lags", func(b *Broker) {
			_ = b.Set("log.cleaner.min.compaction.lag.ms", "10")
			_ = b.Set("log.cleaner.max.compaction.lag.ms", "5")
		}, []string{"conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Defaults()
			tt.mod(b)
			err := b.Validate()
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("err %v", err)
			}
			var want []string
			for _, m := range tt.msgs {
				want = append(want, "config: "+m)
			}
			if err.Error() != strings.Join(want, "\n") {
				t.Fatalf("err\n%v\nwant\n%s", err, strings.Join(want, "\n"))
			}
		})
	}
}

func TestClone(t *testing.T) {
	b := Defaults()
	_ = b.Set("x.y", "1")
	_ = b.Set("num.partitions", "2")
	c := b.Clone()
	_ = c.Set("x.y", "2")
	_ = c.Set("num.partitions", "4")
	c.LogDirs[0] = "/other"
	if b.Unknown["x.y"] != "1" || b.static["num.partitions"] != "2" || b.NumPartitions != 2 || b.LogDirs[0] != "./data" {
		t.Fatalf("the clone shares state: %+v", b)
	}
}

// TestFetchMemoryMaxBytes: Strata's strata.fetch.memory.max.bytes sets
// FetchMemoryMaxBytes, and Validate refuses a budget under one byte.
func TestFetchMemoryMaxBytes(t *testing.T) {
	b := Defaults()
	if err := b.Set("strata.fetch.memory.max.bytes", "1048576"); err != nil {
		t.Fatal(err)
	}
	if b.FetchMemoryMaxBytes != 1<<20 {
		t.Fatalf("FetchMemoryMaxBytes = %d, want %d", b.FetchMemoryMaxBytes, 1<<20)
	}
	b.FetchMemoryMaxBytes = 0
	err := b.Validate()
	var ce *Error
	if !errors.As(err, &ce) || !errors.Is(err, ErrInvalidConfig) || ce.Msg != "Invalid value 0 for configuration strata.fetch.memory.max.bytes: Value must be at least 1" {
		t.Fatalf("Validate with a 0 budget = %v", err)
	}
}

// TestBadListenerReportedOnce: a listener that does not parse is one
// error, not one for listeners and another for the advertised.listeners
// that default to it.
func TestBadListenerReportedOnce(t *testing.T) {
	b := Defaults()
	if err := b.Set("listeners", "FOO://bad"); err != nil {
		t.Fatal(err)
	}
	err := b.Validate()
	const want = "Invalid value FOO://bad for configuration listeners: Unable to parse FOO://bad to a broker endpoint"
	if err == nil || err.Error() != "config: "+want {
		t.Fatalf("Validate: %v, want exactly %q", err, "config: "+want)
	}
}

// TestQueuedMaxRequestBytes: queued.max.request.bytes is -1 (no bound) by
// default, and Validate refuses a bound above 0 but under
// socket.request.max.bytes, with Kafka's message; 0 is no bound too.
func TestQueuedMaxRequestBytes(t *testing.T) {
	for _, c := range []struct {
		value string
		ok    bool
	}{{"-1", true}, {"0", true}, {"104857600", true}, {"209715200", true}, {"104857599", false}, {"1", false}} {
		b := Defaults()
		if err := b.Set("queued.max.request.bytes", c.value); err != nil {
			t.Fatal(err)
		}
		err := b.Validate()
		var ce *Error
		switch {
		case c.ok && err != nil:
			t.Errorf("%s: Validate = %v", c.value, err)
		case !c.ok && (!errors.As(err, &ce) || !errors.Is(err, ErrInvalidConfig) ||
			ce.Msg != "queued.max.request.bytes must be larger or equal to socket.request.max.bytes"):
			t.Errorf("%s: Validate = %v", c.value, err)
		}
	}
}

// TestProduceDecompressionMemoryMaxBytes: Strata's
// strata.produce.decompression.memory.max.bytes (64 MiB by default) sets
// ProduceDecompressionMemoryMaxBytes, and Validate refuses a budget under
// one byte.
func TestProduceDecompressionMemoryMaxBytes(t *testing.T) {
	b := Defaults()
	if b.ProduceDecompressionMemoryMaxBytes != 64<<20 {
		t.Fatalf("default %d, want %d", b.ProduceDecompressionMemoryMaxBytes, 64<<20)
	}
	if err := b.Set("strata.produce.decompression.memory.max.bytes", "1048576"); err != nil {
		t.Fatal(err)
	}
	if b.ProduceDecompressionMemoryMaxBytes != 1<<20 {
		t.Fatalf("ProduceDecompressionMemoryMaxBytes = %d, want %d", b.ProduceDecompressionMemoryMaxBytes, 1<<20)
	}
	if err := b.Set("strata.produce.decompression.memory.max.bytes", "0"); err == nil {
		t.Fatal("Set accepted 0")
	}
	b.ProduceDecompressionMemoryMaxBytes = 0
	err := b.Validate()
	var ce *Error
	if !errors.As(err, &ce) || ce.Msg != "Invalid value 0 for configuration strata.produce.decompression.memory.max.bytes: Value must be at least 1" {
		t.Fatalf("Validate with a 0 budget = %v", err)
	}
}
