package server

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"google.golang.org/protobuf/proto"

	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/telemetry"
)

// telemetryClock is a Server's Now that a test moves.
type telemetryClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *telemetryClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *telemetryClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func otlpGauge(t *testing.T, name string, v float64) []byte {
	t.Helper()
	md := &metricspb.MetricsData{ResourceMetrics: []*metricspb.ResourceMetrics{{ScopeMetrics: []*metricspb.ScopeMetrics{{
		Metrics: []*metricspb.Metric{{Name: name, Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{
			DataPoints: []*metricspb.NumberDataPoint{{
				Attributes:   []*commonpb.KeyValue{{Key: "node.id", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "1"}}}},
				TimeUnixNano: 5_000_000, Value: &metricspb.NumberDataPoint_AsDouble{AsDouble: v},
			}},
		}}}},
	}}}}}
	b, err := proto.Marshal(md)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTelemetryOverTheWire: a client speaking KIP-714 with kmsg requests:
// ApiVersions v3 names its software, GetTelemetrySubscriptions assigns an
// instance id and answers the subscription it matches, PushTelemetry
// (zstd-compressed OTLP) lands in the Store, and every refusal has Kafka's
// error code.
func TestTelemetryOverTheWire(t *testing.T) {
	clk := &telemetryClock{t: time.Unix(1700000000, 0)}
	s := startServerIn(t, t.TempDir(), Options{Now: clk.now}, "telemetry.max.bytes", "300")
	rc := dialRaw(t, s)
	if code, _ := cmAlter(t, rc, "java", false, op("metrics", opSet, strp("org.apache.kafka.producer.")),
		op("interval.ms", opSet, strp("1000")), op("match", opSet, strp("client_software_name=apache-kafka-java,client_id=raw"))); code != 0 {
		t.Fatalf("create subscription: %v", kerr.ErrorForCode(code))
	}
	av := kmsg.NewPtrApiVersionsRequest()
	av.Version = 3
	av.ClientSoftwareName, av.ClientSoftwareVersion = "apache-kafka-java", "4.1.0"
	if r := rc.roundTrip(av).(*kmsg.ApiVersionsResponse); r.ErrorCode != 0 {
		t.Fatalf("ApiVersions: %v", kerr.ErrorForCode(r.ErrorCode))
	}
	get := func(id [16]byte) *kmsg.GetTelemetrySubscriptionsResponse {
		req := kmsg.NewPtrGetTelemetrySubscriptionsRequest()
		req.ClientInstanceID = id
		return rc.roundTrip(req).(*kmsg.GetTelemetrySubscriptionsResponse)
	}
	sub := get([16]byte{})
	if sub.ErrorCode != 0 || sub.ClientInstanceID == ([16]byte{}) {
		t.Fatalf("get: %v %x", kerr.ErrorForCode(sub.ErrorCode), sub.ClientInstanceID)
	}
	if !slices.Equal(sub.RequestedMetrics, []string{"org.apache.kafka.producer."}) || sub.PushIntervalMillis != 1000 ||
		sub.TelemetryMaxBytes != 300 || !sub.DeltaTemporality || !slices.Equal(sub.AcceptedCompressionTypes, []int8{4, 3, 1, 2}) {
		t.Fatalf("subscription %+v", sub)
	}
	id := sub.ClientInstanceID
	if r := get(id); r.ErrorCode != kerr.ThrottlingQuotaExceeded.Code || r.ClientInstanceID != ([16]byte{}) {
		t.Fatalf("early get: %v %x", kerr.ErrorForCode(r.ErrorCode), r.ClientInstanceID)
	}
	push := func(subID int32, codec int8, metrics []byte, terminating bool) int16 {
		req := kmsg.NewPtrPushTelemetryRequest()
		req.ClientInstanceID, req.SubscriptionID, req.CompressionType, req.Metrics, req.Terminating = id, subID, codec, metrics, terminating
		return rc.roundTrip(req).(*kmsg.PushTelemetryResponse).ErrorCode
	}
	raw := otlpGauge(t, "org.apache.kafka.producer.node.request.latency.avg", 2.5)
	zstd, err := recordbatch.Compress(nil, recordbatch.CodecZstd, raw)
	if err != nil {
		t.Fatal(err)
	}
	if code := push(sub.SubscriptionID, int8(recordbatch.CodecZstd), zstd, false); code != 0 {
		t.Fatalf("push: %v", kerr.ErrorForCode(code))
	}
	snap := s.Telemetry().Store().Snapshot()
	if len(snap) != 1 {
		t.Fatalf("store holds %+v", snap)
	}
	got := snap[0]
	if got.Metric != "org.apache.kafka.producer.node.request.latency.avg" || got.Value != 2.5 || got.Kind != telemetry.KindGauge ||
		got.ClientID != "raw" || got.SoftwareName != "apache-kafka-java" || got.SoftwareVersion != "4.1.0" ||
		!slices.Equal(got.Attributes, []telemetry.Attribute{{Key: "node.id", Value: "1"}}) || !got.Received.Equal(clk.now()) {
		t.Fatalf("stored %+v", got)
	}

	for _, c := range []struct {
		what    string
		advance time.Duration
		subID   int32
		codec   int8
		metrics []byte
		want    *kerr.Error
	}{
		{"too early", 500 * time.Millisecond, sub.SubscriptionID, 0, raw, kerr.ThrottlingQuotaExceeded},
		{"stale subscription id", 500 * time.Millisecond, sub.SubscriptionID + 1, 0, raw, kerr.UnknownSubscriptionID},
		{"unknown compression", time.Second, sub.SubscriptionID, 9, raw, kerr.UnsupportedCompressionType},
		{"too large", time.Second, sub.SubscriptionID, 0, make([]byte, 301), kerr.TelemetryTooLarge},
		{"not OTLP", time.Second, sub.SubscriptionID, 0, []byte{0xff, 0xff}, kerr.InvalidRecord},
		{"bad lz4", time.Second, sub.SubscriptionID, int8(recordbatch.CodecLZ4), []byte("nope"), kerr.InvalidRecord},
	} {
		clk.advance(c.advance)
		if code := push(c.subID, c.codec, c.metrics, false); code != c.want.Code {
			t.Errorf("%s: %v, want %v", c.what, kerr.ErrorForCode(code), c.want)
		}
	}
	clk.advance(time.Second)
	if code := push(sub.SubscriptionID, 0, raw, true); code != 0 {
		t.Fatalf("terminating push: %v", kerr.ErrorForCode(code))
	}
	clk.advance(time.Second)
	if code := push(sub.SubscriptionID, 0, raw, false); code != kerr.InvalidRequest.Code {
		t.Fatalf("push after terminating: %v", kerr.ErrorForCode(code))
	}
	id = [16]byte{}
	if code := push(sub.SubscriptionID, 0, raw, false); code != kerr.InvalidRequest.Code {
		t.Fatalf("zero instance id: %v", kerr.ErrorForCode(code))
	}
}

// TestLibrdkafkaPushesTelemetry: a confluent-kafka producer (librdkafka
// 2.5 or later pushes KIP-714 metrics by default) matched by a
// subscription with a short interval; the Store must receive the metrics
// librdkafka sends (rdkafka_telemetry_decode.c names them).
func TestLibrdkafkaPushesTelemetry(t *testing.T) {
	needPython(t, "confluent_kafka")
	ver := strings.TrimSpace(runTool(t, "", python, "-c", "import confluent_kafka; print(confluent_kafka.libversion()[1])"))
	var n int
	if _, err := fmt.Sscan(ver, &n); err != nil {
		t.Fatalf("librdkafka version %q: %v", ver, err)
	}
	if n < 0x020500ff {
		t.Skipf("librdkafka %d.%d.%d predates KIP-714 (client metrics push came in 2.5.0)", n>>24, n>>16&0xff, n>>8&0xff)
	}
	s := startServer(t)
	rc := dialRaw(t, s)
	if code, _ := cmAlter(t, rc, "rdkafka", false, op("metrics", opSet, strp("org.apache.kafka.producer.")),
		op("interval.ms", opSet, strp("500")), op("match", opSet, strp("client_software_name=.*librdkafka.*"))); code != 0 {
		t.Fatalf("create subscription: %v", kerr.ErrorForCode(code))
	}
	script := `
import sys, time
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': sys.argv[1], 'enable.metrics.push': True, 'client.id': 'rdk-telemetry'})
deadline = time.time() + float(sys.argv[3])
marker = sys.argv[2]
import os
while time.time() < deadline and not os.path.exists(marker):
    p.produce('telemetry-test', b'v')
    p.poll(0.1)
p.flush(10)
print('done')
`
	marker := filepath.Join(t.TempDir(), "seen")
	done := make(chan string, 1)
	go func() {
		out, err := exec.Command(python, "-c", script, s.Addr().String(), marker, "60").CombinedOutput()
		done <- fmt.Sprintf("%s %v", out, err)
	}()
	want := []string{"org.apache.kafka.producer.connection.creation.total", "org.apache.kafka.producer.node.request.latency.avg"}
	var seen []string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
		seen = seen[:0]
		for _, smp := range s.Telemetry().Store().Snapshot() {
			if smp.ClientID == "rdk-telemetry" {
				seen = append(seen, smp.Metric)
			}
		}
		if all(want, seen) {
			break
		}
		select {
		case out := <-done:
			t.Fatalf("producer ended before its metrics arrived: %s (seen %v)", out, seen)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out := <-done
	if !all(want, seen) {
		t.Fatalf("store has %v from librdkafka, want %v; producer: %s", seen, want, out)
	}
}

func all(want, have []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
