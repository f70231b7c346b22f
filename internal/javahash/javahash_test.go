package javahash

import (
	"math"
	"strings"
	"testing"
)

// TestStringHash: values of String.hashCode as a JVM printed them (OpenJDK,
// "...".hashCode()), two with a character outside
// the Basic Multilingual Plane (a surrogate pair in Java's UTF-16).
func TestStringHash(t *testing.T) {
	for _, c := range []struct {
		s    string
		want int32
	}{
		{"", 0},
		{"a", 97},
		{"metadata.version", 1098778905},
		{"\U0001F600", 0xD83D*31 + 0xDE00},
		{"x\U0001F600", (120*31+0xD83D)*31 + 0xDE00},
	} {
		if got := StringHash(c.s); got != c.want {
			t.Errorf("StringHash(%q) = %d, want %d", c.s, got, c.want)
		}
	}
}

// TestJavaHashMapOrder: the order java.util.HashMap iterates feature names
// (what jshell printed for new HashMap<>() with these puts in this order,
// then keySet()).
func TestJavaHashMapOrder(t *testing.T) {
	got := Order([]string{"metadata.version", "transaction.version", "group.version", "kraft.version", "eligible.leader.replicas.version", "share.version", "streams.version"})
	want := "group.version kraft.version metadata.version share.version streams.version transaction.version eligible.leader.replicas.version"
	if strings.Join(got, " ") != want {
		t.Fatalf("order %q\nwant  %s", got, want)
	}
}

// TestJavaHashOrder: the order a JVM's HashMap iterated these paths in,
// put in sorted order (OpenJDK, printed by HashMap.keySet().toString()).
func TestJavaHashOrder(t *testing.T) {
	got := Order([]string{"/tmp/a", "/tmp/b", "/tmp/kafka-logs", "/tmp/kraft-combined-logs", "/x/data1", "/x/data2", "/x/data3"})
	want := "/tmp/kafka-logs /tmp/b /tmp/a /tmp/kraft-combined-logs /x/data1 /x/data3 /x/data2"
	if strings.Join(got, " ") != want {
		t.Fatalf("%v\nwant %s", got, want)
	}
}

// TestJavaHashSetOrder: java.util.HashSet's toString for sets built by
// adding these items in this order (values Java printed; the telemetry
// subscription-id test hashes the same texts). The last set has 14 items,
// so its table grew to 32 buckets.
func TestJavaHashSetOrder(t *testing.T) {
	for _, c := range []struct {
		items   []string
		javaSet string
	}{
		{nil, "[]"},
		{[]string{"*"}, "[*]"},
		{[]string{"org.apache.kafka.producer.", "org.apache.kafka.consumer."},
			"[org.apache.kafka.producer., org.apache.kafka.consumer.]"},
		{[]string{"org.apache.kafka.producer.node.request.latency.avg", "org.apache.kafka.consumer.fetch.manager.",
			"org.apache.kafka.producer.record.queue.time.max", "a", "bb", "ccc", "org.apache.kafka.client.", "x.y.z",
			"metric.one", "metric.two", "metric.three", "metric.four", "metric.five", "metric.six"},
			"[bb, a, ccc, metric.one, metric.two, org.apache.kafka.consumer.fetch.manager., org.apache.kafka.client., " +
				"metric.five, metric.six, org.apache.kafka.producer.record.queue.time.max, metric.three, " +
				"org.apache.kafka.producer.node.request.latency.avg, metric.four, x.y.z]"},
	} {
		if got := "[" + strings.Join(Order(c.items), ", ") + "]"; got != c.javaSet {
			t.Errorf("Order(%q) = %s, Java's HashSet: %s", c.items, got, c.javaSet)
		}
	}
	if got := Order([]string{"a", "b", "a"}); strings.Join(got, ",") != "a,b" {
		t.Errorf("duplicates: %q", got)
	}
}

// TestPartition: Kafka's partitionFor for a few ids, with the values
// abs(hashCode) % 50 gives on a JVM ("": 0; "polygenelubricants" hashes to
// math.MinInt32, which Utils.abs maps to 0).
func TestPartition(t *testing.T) {
	for _, c := range []struct {
		key  string
		want int32
	}{{"", 0}, {"polygenelubricants", 0}, {"my-group", int32(abs(StringHash("my-group")) % 50)}} {
		if got := Partition(c.key, 50); got != c.want {
			t.Errorf("Partition(%q, 50) = %d, want %d", c.key, got, c.want)
		}
	}
	if StringHash("polygenelubricants") != math.MinInt32 {
		t.Fatalf("StringHash(polygenelubricants) = %d", StringHash("polygenelubricants"))
	}
}

func abs(h int32) int32 {
	if h < 0 {
		return -h
	}
	return h
}
