package config

import (
	"errors"
	"reflect"
	"testing"
)

func TestEnvToProperty(t *testing.T) {
	tests := []struct {
		env  string
		prop string
		ok   bool
	}{
		{"KAFKA_LOG_DIRS", "log.dirs", true},
		{"KAFKA_LOG_RETENTION_MS", "log.retention.ms", true},
		{"KAFKA_NUM_PARTITIONS", "num.partitions", true},
		{"KAFKA_NODE_ID", "node.id", true},
		{"KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "listener.security.protocol.map", true},
		{"KAFKA_LISTENER_NAME_PLAINTEXT___HOST_SSL_KEYSTORE_TYPE", "listener.name.plaintext-host.ssl.keystore.type", true},
		{"KAFKA_CONFLUENT_SUPPORT__METRICS__ENABLE", "confluent.support_metrics_enable", true},
		{"KAFKA_CLUSTER_ID", "cluster.id", true},
		{"KAFKA_A___B__C_D", "a-b_c.d", true},
		{"KAFKA_OPTS", "", false},
		{"KAFKA_HEAP_OPTS", "", false},
		{"KAFKA_HEAP_OPT", "", false},
		{"KAFKA_JVM_PERFORMANCE_OPTS", "", false},
		{"KAFKA_LOG4J_OPTS", "", false},
		{"KAFKA_JMX_OPTS", "", false},
		{"KAFKA_GC_LOG_OPTS", "", false},
		{"KAFKA_VERSION", "", false},
		{"KAFKA_HOME", "", false},
		{"KAFKA_DEBUG", "", false},
		{"KAFKA_LOG4J_ROOT_LOGLEVEL", "", false},
		{"KAFKA_LOG4J_LOGGERS", "", false},
		{"KAFKA_TOOLS_LOG4J_LOGLEVEL", "", false},
		{"KAFKA_", "", false},
		{"KAFKA", "", false},
		{"KAFKAX_Y", "", false},
		{"PATH", "", false},
		{"kafka_log_dirs", "", false},
		{"KAFKA_A____B", "", false},
	}
	for _, tt := range tests {
		prop, ok := EnvToProperty(tt.env)
		if prop != tt.prop || ok != tt.ok {
			t.Errorf("EnvToProperty(%q) = %q, %v; want %q, %v", tt.env, prop, ok, tt.prop, tt.ok)
		}
	}
}

func TestApplyEnv(t *testing.T) {
	b := Defaults()
	err := b.ApplyEnv([]string{
		"PATH=/usr/bin",
		"HOME=/root",
		"KAFKA_LOG_DIRS=/x",
		"KAFKA_LOG_RETENTION_MS=1234",
		"KAFKA_NUM_PARTITIONS=3",
		"KAFKA_OPTS=-Djava.security.auth.login.config=/etc/jaas.conf",
		"KAFKA_HEAP_OPTS=-Xmx1G -Xms1G",
		"KAFKA_JVM_PERFORMANCE_OPTS=-XX:+UseG1GC",
		"KAFKA_PROCESS_ROLES=broker,controller",
		"KAFKA_LISTENER_NAME_PLAINTEXT___HOST_X=y",
		"KAFKA_AUTO_CREATE_TOPICS_ENABLE=false",
		"NOT_KAFKA_NUM_PARTITIONS=9",
		"MALFORMED",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(b.LogDirs, []string{"/x"}) || b.Log.RetentionMs != 1234 || b.NumPartitions != 3 || b.AutoCreateTopicsEnable {
		t.Fatalf("LogDirs %q retention %d partitions %d autocreate %v", b.LogDirs, b.Log.RetentionMs, b.NumPartitions, b.AutoCreateTopicsEnable)
	}
	want := map[string]string{"process.roles": "broker,controller", "listener.name.plaintext-host.x": "y"}
	if !reflect.DeepEqual(b.Unknown, want) {
		t.Fatalf("Unknown %v", b.Unknown)
	}
}

func TestApplyEnvOverridesFile(t *testing.T) {
	path := writeFile(t, "server.properties", "num.partitions=2\nlog.retention.ms=1000\nlog.dirs=/file\n")
	b, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	err = b.ApplyEnv([]string{"KAFKA_NUM_PARTITIONS=5", "KAFKA_LOG_RETENTION_HOURS=2", "KAFKA_LOG_DIR=/env"})
	if err != nil {
		t.Fatal(err)
	}
	// The environment overrides the same property; synonyms keep Kafka's
	// precedence whatever the source (ms beats hours, log.dirs beats log.dir).
	if b.NumPartitions != 5 || b.Log.RetentionMs != 1000 || !reflect.DeepEqual(b.LogDirs, []string{"/file"}) {
		t.Fatalf("partitions %d retention %d dirs %q", b.NumPartitions, b.Log.RetentionMs, b.LogDirs)
	}
}

func TestApplyEnvErrors(t *testing.T) {
	b := Defaults()
	err := b.ApplyEnv([]string{"KAFKA_NUM_PARTITIONS=abc", "KAFKA_LOG_SEGMENT_BYTES=10", "KAFKA_DELETE_TOPIC_ENABLE=false"})
	if !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("err %v", err)
	}
	want := "config: environment variable KAFKA_LOG_SEGMENT_BYTES: Invalid value 10 for configuration log.segment.bytes: Value must be at least 1048576\n" +
		"config: environment variable KAFKA_NUM_PARTITIONS: Invalid value abc for configuration num.partitions: Not a number of type INT"
	if err.Error() != want {
		t.Fatalf("err\n%v\nwant\n%s", err, want)
	}
	if b.DeleteTopicEnable || b.NumPartitions != 1 {
		t.Fatal("the valid variable was not applied, or an invalid one was")
	}
}

func TestApplyEnvDerivesListeners(t *testing.T) {
	base := []string{
		"KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://kafka:9092,PLAINTEXT_HOST://localhost:29092",
		"KAFKA_LISTENER_SECURITY_PROTOCOL_MAP=PLAINTEXT:PLAINTEXT,PLAINTEXT_HOST:PLAINTEXT",
	}
	b := Defaults()
	if err := b.ApplyEnv(base); err != nil {
		t.Fatal(err)
	}
	if b.Listeners != "PLAINTEXT://0.0.0.0:9092,PLAINTEXT_HOST://0.0.0.0:29092" {
		t.Fatalf("Listeners %q", b.Listeners)
	}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	b = Defaults()
	if err := b.ApplyEnv(append(base, "KAFKA_LISTENERS=PLAINTEXT://:9092,PLAINTEXT_HOST://:29092")); err != nil {
		t.Fatal(err)
	}
	if b.Listeners != "PLAINTEXT://:9092,PLAINTEXT_HOST://:29092" {
		t.Fatalf("Listeners %q", b.Listeners)
	}
}

func TestApplyEnvClusterID(t *testing.T) {
	b := Defaults()
	if err := b.ApplyEnv([]string{"CLUSTER_ID=5L6g3nShT-eMCtK--X86sw"}); err != nil {
		t.Fatal(err)
	}
	if b.ClusterID != "5L6g3nShT-eMCtK--X86sw" {
		t.Fatalf("ClusterID %q", b.ClusterID)
	}
	b = Defaults()
	if err := b.ApplyEnv([]string{"CLUSTER_ID=a", "KAFKA_CLUSTER_ID=b"}); err != nil {
		t.Fatal(err)
	}
	if b.ClusterID != "b" {
		t.Fatalf("ClusterID %q", b.ClusterID)
	}
}
