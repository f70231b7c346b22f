package telemetry

import (
	"container/list"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"google.golang.org/protobuf/proto"
)

// Metric kinds, as OTLP names its data.
const (
	KindGauge                = "gauge"
	KindSum                  = "sum"
	KindHistogram            = "histogram"
	KindExponentialHistogram = "exponential_histogram"
	KindSummary              = "summary"
)

// Attribute is one attribute of a data point, its value in text.
type Attribute struct{ Key, Value string }

// Sample is the latest state of one series of one client instance: a
// metric name and a set of attributes.
type Sample struct {
	ClientInstanceID string // Kafka's text form (base64)
	ClientID         string
	SoftwareName     string
	SoftwareVersion  string
	Metric           string
	Kind             string
	Monotonic        bool // a Sum that only grows
	Attributes       []Attribute
	// Value: a gauge's last value; a sum's total (delta points, which
	// Strata asks clients for, are added up; a cumulative point replaces
	// it); a histogram's or summary's sum of observations, likewise.
	Value float64
	// Count: a histogram's or summary's number of observations (added up
	// over delta points); 0 for gauges and sums.
	Count    uint64
	Time     time.Time // the data point's time
	Received time.Time // when the push carrying it arrived
}

// Store keeps the latest pushed values, per client instance and series, in
// memory: at most maxClients instances (the one that pushed least recently
// goes first) and maxSeries series per instance (the least recently
// updated goes first).
type Store struct {
	maxClients, maxSeries int

	mu      sync.Mutex
	clients map[[16]byte]*list.Element // of *clientSeries; front: latest push
	lru     list.List
}

type clientSeries struct {
	id     [16]byte
	client Client
	series map[string]*list.Element // of *Sample; front: latest update
	order  list.List
}

// NewStore returns an empty Store; 0 bounds take 1024 clients and 2000
// series per client.
func NewStore(maxClients, maxSeries int) *Store {
	if maxClients <= 0 {
		maxClients = 1024
	}
	if maxSeries <= 0 {
		maxSeries = 2000
	}
	return &Store{maxClients: maxClients, maxSeries: maxSeries, clients: map[[16]byte]*list.Element{}}
}

// Snapshot returns a copy of every kept series, ordered by client
// instance, metric name and attributes.
func (st *Store) Snapshot() []Sample {
	st.mu.Lock()
	var out []Sample
	for e := st.lru.Front(); e != nil; e = e.Next() {
		cs := e.Value.(*clientSeries)
		for s := cs.order.Front(); s != nil; s = s.Next() {
			smp := *s.Value.(*Sample)
			smp.Attributes = slices.Clone(smp.Attributes)
			out = append(out, smp)
		}
	}
	st.mu.Unlock()
	slices.SortFunc(out, func(a, b Sample) int {
		if c := strings.Compare(a.ClientInstanceID, b.ClientInstanceID); c != 0 {
			return c
		}
		if c := strings.Compare(a.Metric, b.Metric); c != 0 {
			return c
		}
		return strings.Compare(attrKey(a.Attributes), attrKey(b.Attributes))
	})
	return out
}

// Clients returns how many client instances the Store holds.
func (st *Store) Clients() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.clients)
}

// add decodes an OTLP MetricsData payload pushed by in and keeps its data
// points. A payload that does not decode changes nothing.
func (st *Store) add(in *instance, payload []byte, now time.Time) error {
	var md metricspb.MetricsData
	if err := proto.Unmarshal(payload, &md); err != nil {
		return fmt.Errorf("OTLP MetricsData: %w", err)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	cs := st.client(in)
	for _, rm := range md.GetResourceMetrics() {
		for _, sm := range rm.GetScopeMetrics() {
			for _, m := range sm.GetMetrics() {
				st.addMetric(cs, in, m, now)
			}
		}
	}
	return nil
}

// client returns in's series, made if new, at the front. st.mu is held.
func (st *Store) client(in *instance) *clientSeries {
	if e, ok := st.clients[in.id]; ok {
		st.lru.MoveToFront(e)
		cs := e.Value.(*clientSeries)
		cs.client = in.client
		return cs
	}
	cs := &clientSeries{id: in.id, client: in.client, series: map[string]*list.Element{}}
	st.clients[in.id] = st.lru.PushFront(cs)
	for st.lru.Len() > st.maxClients {
		old := st.lru.Back()
		st.lru.Remove(old)
		delete(st.clients, old.Value.(*clientSeries).id)
	}
	return cs
}

const temporalityDelta = metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA

func (st *Store) addMetric(cs *clientSeries, in *instance, m *metricspb.Metric, now time.Time) {
	name := m.GetName()
	switch d := m.GetData().(type) {
	case *metricspb.Metric_Gauge:
		for _, p := range d.Gauge.GetDataPoints() {
			s := st.series(cs, in, name, KindGauge, p.GetAttributes())
			s.Value, s.Time, s.Received = numberValue(p), nanos(p.GetTimeUnixNano()), now
		}
	case *metricspb.Metric_Sum:
		delta := d.Sum.GetAggregationTemporality() == temporalityDelta
		for _, p := range d.Sum.GetDataPoints() {
			s := st.series(cs, in, name, KindSum, p.GetAttributes())
			s.Monotonic = d.Sum.GetIsMonotonic()
			v := numberValue(p)
			if delta {
				v += s.Value
			}
			s.Value, s.Time, s.Received = v, nanos(p.GetTimeUnixNano()), now
		}
	case *metricspb.Metric_Histogram:
		delta := d.Histogram.GetAggregationTemporality() == temporalityDelta
		for _, p := range d.Histogram.GetDataPoints() {
			s := st.series(cs, in, name, KindHistogram, p.GetAttributes())
			accumulate(s, delta, p.GetSum(), p.GetCount())
			s.Time, s.Received = nanos(p.GetTimeUnixNano()), now
		}
	case *metricspb.Metric_ExponentialHistogram:
		delta := d.ExponentialHistogram.GetAggregationTemporality() == temporalityDelta
		for _, p := range d.ExponentialHistogram.GetDataPoints() {
			s := st.series(cs, in, name, KindExponentialHistogram, p.GetAttributes())
			accumulate(s, delta, p.GetSum(), p.GetCount())
			s.Time, s.Received = nanos(p.GetTimeUnixNano()), now
		}
	case *metricspb.Metric_Summary:
		for _, p := range d.Summary.GetDataPoints() {
			s := st.series(cs, in, name, KindSummary, p.GetAttributes())
			accumulate(s, false, p.GetSum(), p.GetCount())
			s.Time, s.Received = nanos(p.GetTimeUnixNano()), now
		}
	}
}

func accumulate(s *Sample, delta bool, sum float64, count uint64) {
	if delta {
		sum += s.Value
		count += s.Count
	}
	s.Value, s.Count = sum, count
}

// series returns the sample of one series of cs, made if new, at the
// front. st.mu is held.
func (st *Store) series(cs *clientSeries, in *instance, metric, kind string, kvs []*commonpb.KeyValue) *Sample {
	attrs := make([]Attribute, 0, len(kvs))
	for _, kv := range kvs {
		attrs = append(attrs, Attribute{Key: kv.GetKey(), Value: anyString(kv.GetValue())})
	}
	slices.SortFunc(attrs, func(a, b Attribute) int { return strings.Compare(a.Key, b.Key) })
	key := metric + "\x00" + attrKey(attrs)
	if e, ok := cs.series[key]; ok {
		cs.order.MoveToFront(e)
		s := e.Value.(*Sample)
		if s.Kind != kind {
			*s = Sample{Metric: metric, Attributes: attrs}
		}
		s.Kind = kind
		s.ClientID, s.SoftwareName, s.SoftwareVersion = in.client.ClientID, in.client.SoftwareName, in.client.SoftwareVersion
		s.ClientInstanceID = uuidString(in.id)
		return s
	}
	s := &Sample{
		ClientInstanceID: uuidString(in.id), ClientID: in.client.ClientID,
		SoftwareName: in.client.SoftwareName, SoftwareVersion: in.client.SoftwareVersion,
		Metric: metric, Kind: kind, Attributes: attrs,
	}
	cs.series[key] = cs.order.PushFront(s)
	for cs.order.Len() > st.maxSeries {
		old := cs.order.Back()
		cs.order.Remove(old)
		o := old.Value.(*Sample)
		delete(cs.series, o.Metric+"\x00"+attrKey(o.Attributes))
	}
	return s
}

func attrKey(attrs []Attribute) string {
	var b strings.Builder
	for _, a := range attrs {
		b.WriteString(a.Key)
		b.WriteByte('=')
		b.WriteString(a.Value)
		b.WriteByte(0)
	}
	return b.String()
}

func numberValue(p *metricspb.NumberDataPoint) float64 {
	if v, ok := p.GetValue().(*metricspb.NumberDataPoint_AsInt); ok {
		return float64(v.AsInt)
	}
	return p.GetAsDouble()
}

func nanos(n uint64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(n))
}

// anyString is an OTLP attribute value in text.
func anyString(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return strconv.FormatInt(x.IntValue, 10)
	case *commonpb.AnyValue_DoubleValue:
		return strconv.FormatFloat(x.DoubleValue, 'g', -1, 64)
	case *commonpb.AnyValue_BoolValue:
		return strconv.FormatBool(x.BoolValue)
	case *commonpb.AnyValue_BytesValue:
		return fmt.Sprintf("%x", x.BytesValue)
	case *commonpb.AnyValue_ArrayValue:
		var parts []string
		for _, e := range x.ArrayValue.GetValues() {
			parts = append(parts, anyString(e))
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return ""
}
