package metrics

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stratabroker/strata/config"
	"github.com/stratabroker/strata/server"
)

// broker is a server started in-process with the metrics' routes on an
// HTTP server of its own (127.0.0.1, a free port).
type broker struct {
	srv  *server.Server
	dir  string
	addr string // the Kafka listener
	url  string // the HTTP server, http://127.0.0.1:PORT
}

func startBroker(t testing.TB, pprofOn bool, settings ...string) *broker {
	t.Helper()
	return startBrokerWith(t, pprofOn, server.Options{}, settings...)
}

// startBrokerWith is startBroker with the server's options (a clock).
func startBrokerWith(t testing.TB, pprofOn bool, so server.Options, settings ...string) *broker {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Defaults()
	all := append([]string{"listeners", "PLAINTEXT://127.0.0.1:0", "log.dirs", dir, "group.initial.rebalance.delay.ms", "0"}, settings...)
	for i := 0; i+1 < len(all); i += 2 {
		if err := cfg.Set(all[i], all[i+1]); err != nil {
			t.Fatalf("set %s: %v", all[i], err)
		}
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	srv, err := server.Start(cfg, so)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	mux := http.NewServeMux()
	Routes(mux, srv, NewRegistry(srv, Options{}), pprofOn)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return &broker{srv: srv, dir: dir, addr: srv.Addr().String(), url: hs.URL}
}

func (b *broker) client(t testing.TB, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(b.addr)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func get(t testing.TB, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// samples is a scrape: each sample's value by its series, written
// name{label="value",...} with labels sorted by name; histograms as
// name_count{...} and name_sum{...} (buckets left out).
type samples map[string]float64

func (b *broker) scrape(t testing.TB) samples {
	t.Helper()
	code, body := get(t, b.url+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	return parse(t, body)
}

func parse(t testing.TB, body string) samples {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse scrape: %v", err)
	}
	out := samples{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			key := func(suffix string) string { return series(name+suffix, m.GetLabel()) }
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out[key("")] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[key("")] = m.GetGauge().GetValue()
			case dto.MetricType_UNTYPED:
				out[key("")] = m.GetUntyped().GetValue()
			case dto.MetricType_HISTOGRAM:
				out[key("_count")] = float64(m.GetHistogram().GetSampleCount())
				out[key("_sum")] = m.GetHistogram().GetSampleSum()
			case dto.MetricType_SUMMARY:
				out[key("_count")] = float64(m.GetSummary().GetSampleCount())
				out[key("_sum")] = m.GetSummary().GetSampleSum()
			}
		}
	}
	return out
}

func series(name string, labels []*dto.LabelPair) string {
	if len(labels) == 0 {
		return name
	}
	parts := make([]string, 0, len(labels))
	for _, l := range labels {
		parts = append(parts, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
	}
	sort.Strings(parts)
	return name + "{" + strings.Join(parts, ",") + "}"
}

// with returns the series of s whose name (before any "{") is name.
func (s samples) with(name string) []string {
	var out []string
	for k := range s {
		if n, _, _ := strings.Cut(k, "{"); n == name {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// check compares the series of want with s, reporting each difference.
func check(t *testing.T, s samples, want map[string]float64) {
	t.Helper()
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		got, ok := s[k]
		switch {
		case !ok:
			t.Errorf("%s: missing from the scrape (series of that name: %v)", k, s.with(strings.SplitN(k, "{", 2)[0]))
		case got != want[k]:
			t.Errorf("%s = %v, want %v", k, got, want[k])
		}
	}
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

// waitFor scrapes until cond holds, for at most 10 s.
func (b *broker) waitFor(t *testing.T, what string, cond func(samples) bool) {
	t.Helper()
	for range 1000 {
		if cond(b.scrape(t)) {
			return
		}
		time.Sleep(10 * time.Millisecond) // pacing between scrapes; the condition is the sync
	}
	t.Fatalf("waited 10 s for %s", what)
}
