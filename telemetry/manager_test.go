package telemetry

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sync"
	"testing"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"google.golang.org/protobuf/proto"

	"github.com/stratabroker/strata/internal/vfs"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{t: time.Unix(1700000000, 0)} }
func set(props map[string]string) func(map[string]string) (map[string]string, error) {
	return func(map[string]string) (map[string]string, error) { return props, nil }
}

func gunzip(codec int8, src []byte, max int) ([]byte, error) {
	if codec != CompressionGzip {
		return nil, errors.New("only gzip in this test")
	}
	r, err := gzip.NewReader(bytes.NewReader(src))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(r, int64(max)))
}

func openTest(t *testing.T, fs vfs.FS, c *clock) *Manager {
	t.Helper()
	if err := fs.MkdirAll("/d", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := fs.SyncDir("/"); err != nil {
		t.Fatal(err)
	}
	m, err := Open(Options{FS: fs, Dir: "/d", Now: c.now, Decompress: gunzip, MaxBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var javaClient = Client{ClientID: "producer-1", SoftwareName: "apache-kafka-java", SoftwareVersion: "4.1.0", Address: "10.0.0.7", Port: 51234}

func wantKind(t *testing.T, what string, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("%s: err = %v, want %v", what, err, kind)
	}
}

// TestGetAndPushFlow: a new client gets an id and the subscriptions it
// matches, Kafka's checks answer each bad push with its error, and the
// push interval is enforced as ClientMetricsInstance enforces it.
func TestGetAndPushFlow(t *testing.T) {
	c := newClock()
	m := openTest(t, vfs.NewMem(), c)
	if err := m.Alter("producers", set(map[string]string{"metrics": "org.apache.kafka.producer.", "interval.ms": "1000", "match": "client_software_name=apache-kafka-.*"}), false); err != nil {
		t.Fatal(err)
	}
	if err := m.Alter("other", set(map[string]string{"metrics": "x.", "interval.ms": "500", "match": "client_id=consumer-.*"}), false); err != nil {
		t.Fatal(err)
	}
	sub, err := m.Get([16]byte{}, javaClient)
	if err != nil {
		t.Fatal(err)
	}
	id := sub.InstanceID
	if id == ([16]byte{}) || id[6]>>4 != 4 || id[8]>>6 != 2 {
		t.Fatalf("instance id %x is not a v4 uuid", id)
	}
	if !reflect.DeepEqual(sub.Metrics, []string{"org.apache.kafka.producer."}) || sub.PushIntervalMs != 1000 {
		t.Fatalf("subscribed %+v", sub)
	}
	if want := subscriptionID([]string{"org.apache.kafka.producer."}, 1000, id); sub.SubscriptionID != want {
		t.Fatalf("subscription id %d, want %d", sub.SubscriptionID, want)
	}
	// Again at once: throttled.
	_, err = m.Get(id, javaClient)
	wantKind(t, "early get", err, ErrThrottled)

	good := Push{InstanceID: id, SubscriptionID: sub.SubscriptionID}
	wantKind(t, "zero id", m.Push(Push{SubscriptionID: sub.SubscriptionID}, javaClient), ErrInvalidRequest)
	wantKind(t, "reserved id", m.Push(Push{InstanceID: metadataTopicID}, javaClient), ErrInvalidRequest)

	// The first push after a get is accepted at once.
	if err := m.Push(good, javaClient); err != nil {
		t.Fatalf("first push: %v", err)
	}
	c.advance(999 * time.Millisecond)
	wantKind(t, "early push", m.Push(good, javaClient), ErrThrottled)
	c.advance(time.Millisecond)
	bad := good
	bad.SubscriptionID++
	wantKind(t, "stale subscription id", m.Push(bad, javaClient), ErrUnknownSubscriptionID)
	c.advance(time.Second)
	bad = good
	bad.Compression = 5
	wantKind(t, "compression 5", m.Push(bad, javaClient), ErrUnsupportedCompression)
	c.advance(time.Second)
	bad = good
	bad.Metrics = make([]byte, 4097)
	wantKind(t, "too large", m.Push(bad, javaClient), ErrTooLarge)
	c.advance(time.Second)
	bad = good
	bad.Metrics = []byte{0xff, 0xff, 0xff}
	wantKind(t, "not OTLP", m.Push(bad, javaClient), ErrInvalidRecord)
	c.advance(time.Second)
	bad = good
	bad.Compression, bad.Metrics = CompressionGzip, []byte("not gzip")
	wantKind(t, "bad gzip", m.Push(bad, javaClient), ErrInvalidRecord)

	// A terminating push is never throttled; any push after it is refused.
	term := good
	term.Terminating = true
	if err := m.Push(term, javaClient); err != nil {
		t.Fatalf("terminating push: %v", err)
	}
	c.advance(2 * time.Second)
	wantKind(t, "after terminating", m.Push(good, javaClient), ErrInvalidRequest)
	// Kafka's finally clause takes the flag of every push, refused or not.
	c.advance(2 * time.Second)
	if err := m.Push(good, javaClient); err != nil {
		t.Fatalf("push after a refused one cleared terminating: %v", err)
	}
	// An instance without a request for max(60 s, 3 intervals) is
	// forgotten: it starts afresh.
	c.advance(61 * time.Second)
	if _, err := m.Get(id, javaClient); err != nil {
		t.Fatalf("get after expiry: %v", err)
	}
}

// TestSubscriptionChange: a change of subscriptions re-evaluates an
// instance at its next request (no throttle), a push with the old id gets
// UNKNOWN_SUBSCRIPTION_ID, "*" subsumes other prefixes, and a client that
// matches nothing gets no metrics at the default interval.
func TestSubscriptionChange(t *testing.T) {
	c := newClock()
	m := openTest(t, vfs.NewMem(), c)
	sub, err := m.Get([16]byte{}, javaClient)
	if err != nil {
		t.Fatal(err)
	}
	if len(sub.Metrics) != 0 || sub.PushIntervalMs != DefaultIntervalMs {
		t.Fatalf("no subscription: %+v", sub)
	}
	if err := m.Alter("a", set(map[string]string{"metrics": "p.", "interval.ms": "2000"}), false); err != nil {
		t.Fatal(err)
	}
	if err := m.Alter("b", set(map[string]string{"metrics": "*,q.", "interval.ms": "3000"}), false); err != nil {
		t.Fatal(err)
	}
	again, err := m.Get(sub.InstanceID, javaClient)
	if err != nil {
		t.Fatalf("get at once after a change: %v", err)
	}
	if !reflect.DeepEqual(again.Metrics, []string{"*"}) || again.PushIntervalMs != 2000 || again.InstanceID != sub.InstanceID {
		t.Fatalf("after change: %+v", again)
	}
	wantKind(t, "old subscription id", m.Push(Push{InstanceID: sub.InstanceID, SubscriptionID: sub.SubscriptionID}, javaClient), ErrUnknownSubscriptionID)
	// Kafka's validateGetRequest throttles an early get even after
	// UNKNOWN_SUBSCRIPTION_ID (its "!= A || != B" always holds).
	_, err = m.Get(sub.InstanceID, javaClient)
	wantKind(t, "get after unknown subscription id", err, ErrThrottled)
	c.advance(2 * time.Second)
	// Deleting every config deletes the subscription.
	if err := m.Alter("b", set(map[string]string{}), false); err != nil {
		t.Fatal(err)
	}
	if got := m.Names(); !reflect.DeepEqual(got, []string{"a"}) {
		t.Fatalf("names %v", got)
	}
	third, err := m.Get(sub.InstanceID, javaClient)
	if err != nil || !reflect.DeepEqual(third.Metrics, []string{"p."}) {
		t.Fatalf("after delete: %+v %v", third, err)
	}
}

// TestMatchSelectors: each selector against what the broker knows of the
// client; a pattern must match the whole value.
func TestMatchSelectors(t *testing.T) {
	for _, c := range []struct {
		match string
		hit   bool
	}{
		{"client_id=producer-1", true},
		{"client_id=producer", false},
		{"client_software_name=apache-kafka-java,client_software_version=4\\..*", true},
		{"client_software_version=3\\..*", false},
		{"client_source_address=10\\.0\\.0\\.7", true},
		{"client_source_port=5123.", true},
		{"client_source_port=1", false},
	} {
		m := openTest(t, vfs.NewMem(), newClock())
		if err := m.Alter("s", set(map[string]string{"metrics": "m.", "match": c.match}), false); err != nil {
			t.Fatal(err)
		}
		sub, err := m.Get([16]byte{}, javaClient)
		if err != nil {
			t.Fatal(err)
		}
		if hit := len(sub.Metrics) == 1; hit != c.hit {
			t.Errorf("match %q: matched %v, want %v", c.match, hit, c.hit)
		}
	}
	m := openTest(t, vfs.NewMem(), newClock())
	first, _ := m.Get([16]byte{}, javaClient)
	if err := m.Alter("s", set(map[string]string{"metrics": "m.", "match": "client_instance_id=" + uuidString(first.InstanceID)}), false); err != nil {
		t.Fatal(err)
	}
	if sub, _ := m.Get(first.InstanceID, javaClient); len(sub.Metrics) != 1 {
		t.Errorf("client_instance_id did not match: %+v", sub)
	}
	if sub, _ := m.Get([16]byte{}, javaClient); len(sub.Metrics) != 0 {
		t.Errorf("another instance matched: %+v", sub)
	}
}

// TestSubscriptionsSurviveCrash: an acknowledged Alter is durable (a crash
// clone keeps only synced bytes); validateOnly and refused alters persist
// nothing.
func TestSubscriptionsSurviveCrash(t *testing.T) {
	mem := vfs.NewMem()
	m := openTest(t, mem, newClock())
	if err := m.Alter("keep", set(map[string]string{"metrics": "a.,b.", "interval.ms": "100"}), false); err != nil {
		t.Fatal(err)
	}
	if err := m.Alter("dry", set(map[string]string{"metrics": "c."}), true); err != nil {
		t.Fatal(err)
	}
	wantKind(t, "bad", m.Alter("bad", set(map[string]string{"interval.ms": "1"}), false), ErrInvalidRequest)
	crashed := mem.CrashClone(vfs.CrashOptions{})
	m2, err := Open(Options{FS: crashed, Dir: "/d"})
	if err != nil {
		t.Fatal(err)
	}
	if got := m2.Names(); !reflect.DeepEqual(got, []string{"keep"}) {
		t.Fatalf("names after crash %v", got)
	}
	if got := m2.Configs("keep"); !reflect.DeepEqual(got, map[string]string{"metrics": "a.,b.", "interval.ms": "100"}) {
		t.Fatalf("configs after crash %v", got)
	}
}

func payload(t *testing.T, metrics ...*metricspb.Metric) []byte {
	t.Helper()
	md := &metricspb.MetricsData{ResourceMetrics: []*metricspb.ResourceMetrics{{
		ScopeMetrics: []*metricspb.ScopeMetrics{{Metrics: metrics}},
	}}}
	b, err := proto.Marshal(md)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func kv(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

func gauge(name string, v float64, ts uint64, attrs ...*commonpb.KeyValue) *metricspb.Metric {
	return &metricspb.Metric{Name: name, Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{DataPoints: []*metricspb.NumberDataPoint{
		{Attributes: attrs, TimeUnixNano: ts, Value: &metricspb.NumberDataPoint_AsDouble{AsDouble: v}},
	}}}}
}

func deltaSum(name string, v int64, ts uint64) *metricspb.Metric {
	return &metricspb.Metric{Name: name, Data: &metricspb.Metric_Sum{Sum: &metricspb.Sum{
		AggregationTemporality: metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA, IsMonotonic: true,
		DataPoints: []*metricspb.NumberDataPoint{{TimeUnixNano: ts, Value: &metricspb.NumberDataPoint_AsInt{AsInt: v}}},
	}}}
}

// TestStoreKeepsPushedMetrics: pushed OTLP (plain and gzip) lands in the
// Store: gauges keep the last value, delta sums add up, histograms keep
// count and sum; Snapshot names the client.
func TestStoreKeepsPushedMetrics(t *testing.T) {
	c := newClock()
	m := openTest(t, vfs.NewMem(), c)
	if err := m.Alter("all", set(map[string]string{"metrics": "*", "interval.ms": "100"}), false); err != nil {
		t.Fatal(err)
	}
	sub, err := m.Get([16]byte{}, javaClient)
	if err != nil {
		t.Fatal(err)
	}
	p := Push{InstanceID: sub.InstanceID, SubscriptionID: sub.SubscriptionID}
	p.Metrics = payload(t,
		gauge("org.apache.kafka.producer.node.request.latency.avg", 3.5, 1_000, kv("node.id", "1")),
		deltaSum("org.apache.kafka.producer.record.send.total", 10, 1_000),
		&metricspb.Metric{Name: "h", Data: &metricspb.Metric_Histogram{Histogram: &metricspb.Histogram{
			AggregationTemporality: metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA,
			DataPoints:             []*metricspb.HistogramDataPoint{{Count: 4, Sum: proto.Float64(8), TimeUnixNano: 1_000}},
		}}})
	if err := m.Push(p, javaClient); err != nil {
		t.Fatal(err)
	}
	c.advance(100 * time.Millisecond)
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(payload(t,
		gauge("org.apache.kafka.producer.node.request.latency.avg", 1.25, 2_000, kv("node.id", "1")),
		deltaSum("org.apache.kafka.producer.record.send.total", 5, 2_000)))
	w.Close()
	p.Compression, p.Metrics = CompressionGzip, gz.Bytes()
	if err := m.Push(p, javaClient); err != nil {
		t.Fatal(err)
	}
	id := uuidString(sub.InstanceID)
	base := Sample{ClientInstanceID: id, ClientID: "producer-1", SoftwareName: "apache-kafka-java", SoftwareVersion: "4.1.0"}
	withs := func(s Sample, f func(*Sample)) Sample { f(&s); return s }
	want := []Sample{
		withs(base, func(s *Sample) {
			s.Metric, s.Kind, s.Value, s.Count, s.Time, s.Received = "h", KindHistogram, 8, 4, time.Unix(0, 1000), c.t.Add(-100*time.Millisecond)
			s.Attributes = []Attribute{}
		}),
		withs(base, func(s *Sample) {
			s.Metric, s.Kind, s.Value, s.Time, s.Received = "org.apache.kafka.producer.node.request.latency.avg", KindGauge, 1.25, time.Unix(0, 2000), c.t
			s.Attributes = []Attribute{{"node.id", "1"}}
		}),
		withs(base, func(s *Sample) {
			s.Metric, s.Kind, s.Monotonic, s.Value, s.Time, s.Received = "org.apache.kafka.producer.record.send.total", KindSum, true, 15, time.Unix(0, 2000), c.t
			s.Attributes = []Attribute{}
		}),
	}
	if got := m.Store().Snapshot(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Snapshot =\n%+v\nwant\n%+v", got, want)
	}
}

// TestStoreBounds: the Store keeps at most its number of clients and of
// series per client, evicting the least recent.
func TestStoreBounds(t *testing.T) {
	st := NewStore(2, 2)
	now := time.Unix(1, 0)
	for i, name := range []string{"a", "b", "c"} {
		in := &instance{id: [16]byte{byte(i + 1)}, client: Client{ClientID: name}}
		if err := st.add(in, payload(t, gauge("m1", 1, 1), gauge("m2", 2, 1), gauge("m3", 3, 1)), now); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, s := range st.Snapshot() {
		got = append(got, s.ClientID+"/"+s.Metric)
	}
	if want := []string{"b/m2", "b/m3", "c/m2", "c/m3"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("kept %v, want %v", got, want)
	}
	if st.Clients() != 2 {
		t.Fatalf("clients %d", st.Clients())
	}
}

// TestConcurrentClients: instances getting and pushing at once, while
// subscriptions change and the Store is read (run with -race); every
// instance's last push is kept.
func TestConcurrentClients(t *testing.T) {
	m := openTest(t, vfs.NewMem(), newClock())
	if err := m.Alter("all", set(map[string]string{"metrics": "*", "interval.ms": "100"}), false); err != nil {
		t.Fatal(err)
	}
	const clients = 8
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	payloads := make([][]byte, clients)
	for i := range clients {
		payloads[i] = payload(t, gauge("g", float64(i), 1))
	}
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := javaClient
			c.ClientID = fmt.Sprint("client-", i)
			sub, err := m.Get([16]byte{}, c)
			if err != nil {
				errs <- err
				return
			}
			err = m.Push(Push{InstanceID: sub.InstanceID, SubscriptionID: sub.SubscriptionID, Metrics: payloads[i]}, c)
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 20 {
			_ = m.Store().Snapshot()
			_ = m.Names()
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, s := range m.Store().Snapshot() {
		got[s.ClientID] = s.Value
	}
	if len(got) != clients {
		t.Fatalf("store has %d clients: %v", len(got), got)
	}
	for i := range clients {
		if v := got[fmt.Sprint("client-", i)]; v != float64(i) {
			t.Errorf("client-%d: %v", i, v)
		}
	}
}
