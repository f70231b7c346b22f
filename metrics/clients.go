package metrics

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stratabroker/strata/telemetry"
)

// ClientMetricsSource is where the metrics clients push (KIP-714,
// PushTelemetry) come from: the broker's telemetry store. /metrics shows
// each sample as a series named after its OTLP metric (dots and other
// characters Prometheus does not allow become underscores), labelled with
// client_instance_id, client_id, client_software_name,
// client_software_version and the sample's own attributes.
type ClientMetricsSource interface {
	// ClientSamples returns the latest value of every series of every
	// client instance.
	ClientSamples() []ClientSample
}

// ClientMetricsFunc adapts a function to ClientMetricsSource.
type ClientMetricsFunc func() []ClientSample

// ClientSamples calls f.
func (f ClientMetricsFunc) ClientSamples() []ClientSample { return f() }

// ClientSample is one series a client pushed, as the telemetry store
// keeps it.
type ClientSample struct {
	ClientInstanceID string // Kafka's text form of the instance UUID
	ClientID         string
	SoftwareName     string
	SoftwareVersion  string
	Metric           string      // the OTLP metric name, e.g. org.apache.kafka.producer.record.queue.time.avg
	Kind             string      // gauge, sum, histogram, exponential_histogram or summary
	Monotonic        bool        // a sum that only grows: a Prometheus counter
	Attributes       [][2]string // the data point's attributes, key and value
	Value            float64     // a gauge's value, a sum's total, a histogram's or summary's sum of observations
	Count            uint64      // a histogram's or summary's number of observations
}

// TelemetrySource is the ClientMetricsSource of a telemetry store (the
// broker's: server.Server.Telemetry().Store()).
func TelemetrySource(st *telemetry.Store) ClientMetricsSource {
	return ClientMetricsFunc(func() []ClientSample {
		snap := st.Snapshot()
		out := make([]ClientSample, len(snap))
		for i, s := range snap {
			attrs := make([][2]string, len(s.Attributes))
			for j, a := range s.Attributes {
				attrs[j] = [2]string{a.Key, a.Value}
			}
			out[i] = ClientSample{
				ClientInstanceID: s.ClientInstanceID, ClientID: s.ClientID,
				SoftwareName: s.SoftwareName, SoftwareVersion: s.SoftwareVersion,
				Metric: s.Metric, Kind: s.Kind, Monotonic: s.Monotonic,
				Attributes: attrs, Value: s.Value, Count: s.Count,
			}
		}
		return out
	})
}

// clientCollector exposes a ClientMetricsSource. It describes nothing
// (an unchecked collector): the series are whatever clients push.
type clientCollector struct{ src ClientMetricsSource }

func (clientCollector) Describe(chan<- *prometheus.Desc) {}

var clientLabels = []string{"client_instance_id", "client_id", "client_software_name", "client_software_version"}

func (c clientCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.src.ClientSamples() {
		name := promName(s.Metric)
		if name == "" || stateFamily[name] || stateFamily[strings.TrimSuffix(strings.TrimSuffix(name, "_sum"), "_count")] {
			continue // a client may not shadow the broker's families
		}
		labels := append([]string(nil), clientLabels...)
		values := []string{s.ClientInstanceID, s.ClientID, s.SoftwareName, s.SoftwareVersion}
		for _, a := range s.Attributes {
			k := promName(a[0])
			if k == "" || k[0] == '_' || containsStr(labels, k) {
				continue
			}
			labels = append(labels, k)
			values = append(values, a[1])
		}
		help := "Pushed by clients (KIP-714): " + s.Metric + "."
		emit := func(name string, t prometheus.ValueType, v float64) {
			m, err := prometheus.NewConstMetric(prometheus.NewDesc(name, help, labels, nil), t, v, values...)
			if err == nil {
				ch <- m
			}
		}
		switch s.Kind {
		case "histogram", "exponential_histogram", "summary":
			emit(name+"_sum", prometheus.UntypedValue, s.Value)
			emit(name+"_count", prometheus.UntypedValue, float64(s.Count))
		case "sum":
			if s.Monotonic {
				emit(name, prometheus.CounterValue, s.Value)
			} else {
				emit(name, prometheus.GaugeValue, s.Value)
			}
		default:
			emit(name, prometheus.GaugeValue, s.Value)
		}
	}
}

// stateFamily are the names state.go writes (the registry refuses
// duplicates of its own families by itself).
var stateFamily = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range append(stateFamilies, cleanerFamilies...) {
		m[f.name] = true
	}
	return m
}()

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// promName turns an OTLP name into a Prometheus metric or label name:
// [a-zA-Z_][a-zA-Z0-9_]*, every other character an underscore.
func promName(s string) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_', r >= '0' && r <= '9' && i > 0:
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}
