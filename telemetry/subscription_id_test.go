package telemetry

import (
	"strings"
	"testing"

	"github.com/stratabroker/strata/internal/javahash"
)

// TestSubscriptionIDMatchesKafka checks subscriptionID and javahash.Order
// against values Java computed: a java.util.HashSet of the metrics, its
// toString followed by the interval, CRC32C (java.util.zip.CRC32C), XORed
// with Kafka's Uuid.hashCode of 0123456789abcdef-fedcba9876543210, as
// ClientMetricsManager.computeSubscriptionId does. The last set has 14
// items, so its table grew to 32 buckets.
func TestSubscriptionIDMatchesKafka(t *testing.T) {
	id := [16]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10}
	cases := []struct {
		metrics  []string
		interval int32
		javaSet  string
		want     int32
	}{
		{nil, 300000, "[]", -725132322},
		{[]string{"*"}, 1000, "[*]", 848016057},
		{[]string{"org.apache.kafka.producer.", "org.apache.kafka.consumer."}, 100,
			"[org.apache.kafka.producer., org.apache.kafka.consumer.]", -1486301338},
		{[]string{"org.apache.kafka.producer.node.request.latency.avg", "org.apache.kafka.consumer.fetch.manager.",
			"org.apache.kafka.producer.record.queue.time.max", "a", "bb", "ccc", "org.apache.kafka.client.", "x.y.z",
			"metric.one", "metric.two", "metric.three", "metric.four", "metric.five", "metric.six"}, 3600000,
			"[bb, a, ccc, metric.one, metric.two, org.apache.kafka.consumer.fetch.manager., org.apache.kafka.client., " +
				"metric.five, metric.six, org.apache.kafka.producer.record.queue.time.max, metric.three, " +
				"org.apache.kafka.producer.node.request.latency.avg, metric.four, x.y.z]", 1919139194},
	}
	for _, c := range cases {
		order := javahash.Order(c.metrics)
		if got := "[" + strings.Join(order, ", ") + "]"; got != c.javaSet {
			t.Errorf("javahash.Order(%q) = %s, Java's HashSet: %s", c.metrics, got, c.javaSet)
		}
		if got := subscriptionID(order, c.interval, id); got != c.want {
			t.Errorf("subscriptionID(%s, %d) = %d, Kafka's %d", c.javaSet, c.interval, got, c.want)
		}
	}
}
