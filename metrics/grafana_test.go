package metrics

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// dashboardQueries returns every PromQL expression of a Grafana dashboard:
// its panels' targets (rows' nested panels too) and its query variables.
func dashboardQueries(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	type target struct {
		Expr string `json:"expr"`
	}
	type panel struct {
		Title   string   `json:"title"`
		Targets []target `json:"targets"`
		Panels  []panel  `json:"panels"`
	}
	var d struct {
		Panels     []panel `json:"panels"`
		Templating struct {
			List []struct {
				Type  string          `json:"type"`
				Query json.RawMessage `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []string
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			for _, tg := range p.Targets {
				if tg.Expr == "" {
					t.Errorf("panel %q has a target without an expression", p.Title)
				}
				out = append(out, tg.Expr)
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &q); err != nil {
			t.Fatalf("variable query: %v", err)
		}
		out = append(out, q.Query)
	}
	return out
}

var (
	promStrings  = regexp.MustCompile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")
	promBraces   = regexp.MustCompile(`\{[^{}]*\}|\[[^\[\]]*\]`)
	promGrouping = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)`)
	promToken    = regexp.MustCompile(`\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[a-z]*|[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?`)
	promKeywords = []string{"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan", "atan2"}
)

// metricNames returns the metric names an expression selects: identifiers
// that are not functions, aggregations, keywords, label names or numbers.
func metricNames(expr string) []string {
	// label_values(metric, label), a Grafana variable: the metric.
	if m := regexp.MustCompile(`^label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)`).FindStringSubmatch(strings.TrimSpace(expr)); m != nil {
		return []string{m[1]}
	}
	e := promStrings.ReplaceAllString(expr, `""`)
	for prev := ""; prev != e; {
		prev = e
		e = promBraces.ReplaceAllString(e, " ")
	}
	e = promGrouping.ReplaceAllString(e, " ")
	var out []string
	for _, m := range promToken.FindAllStringSubmatch(e, -1) {
		tok := m[0]
		switch {
		case tok[0] >= '0' && tok[0] <= '9', m[1] != "", slices.Contains(promKeywords, strings.ToLower(tok)):
			continue // a number or duration, a function or aggregation, a keyword
		}
		out = append(out, tok)
	}
	return out
}

func TestMetricNames(t *testing.T) {
	for expr, want := range map[string][]string{
		`histogram_quantile(0.99, sum by (le, request) (rate(strata_request_total_time_seconds_bucket{request=~"$request"}[$__rate_interval])))`: {"strata_request_total_time_seconds_bucket"},
		`strata_log_dir_free_bytes / strata_log_dir_total_bytes`:                                                                                 {"strata_log_dir_free_bytes", "strata_log_dir_total_bytes"},
		`sum without (partition) (kafka_consumergroup_lag{topic="a{b}"}) > 1e3 and on (topic) kafka_topic_partitions offset 5m`:                  {"kafka_consumergroup_lag", "kafka_topic_partitions"},
		`label_values(kafka_consumergroup_members, consumergroup)`:                                                                               {"kafka_consumergroup_members"},
	} {
		if got := metricNames(expr); !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", expr, got, want)
		}
	}
}

// TestGrafanaDashboard: every metric docs/grafana/strata.json queries is in
// a scrape of a broker with a topic, traffic, an error answered, a group
// with lag and a compacted topic.
func TestGrafanaDashboard(t *testing.T) {
	queries := dashboardQueries(t, "../docs/grafana/strata.json")
	b := startBroker(t, false)
	adm := kadm.NewClient(b.client(t))
	if _, err := adm.CreateTopic(ctx(t), 2, 1, nil, "dash"); err != nil {
		t.Fatal(err)
	}
	prod := b.client(t, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0))
	produce(t, prod, "dash", 0, 4)
	cons := b.client(t, kgo.ConsumerGroup("dash-group"), kgo.ConsumeTopics("dash"), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	for n := 0; n < 4; {
		fs := cons.PollFetches(ctx(t))
		if err := fs.Err0(); err != nil {
			t.Fatal(err)
		}
		n += fs.NumRecords()
	}
	if err := cons.CommitUncommittedOffsets(ctx(t)); err != nil {
		t.Fatal(err)
	}
	produce(t, prod, "dash", 0, 2) // lag 2
	lo := kmsg.NewPtrListOffsetsRequest()
	lo.SetVersion(7)
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = "no-such-topic"
	rt.Partitions = append(rt.Partitions, kmsg.NewListOffsetsRequestTopicPartition())
	lo.Topics = append(lo.Topics, rt)
	dialRaw(t, b.addr).do(lo) // an error answered
	if _, err := adm.CreateTopic(ctx(t), 1, 1, map[string]*string{"cleanup.policy": sp("compact")}, "dash-kv"); err != nil {
		t.Fatal(err)
	}
	if err := prod.ProduceSync(ctx(t), &kgo.Record{Topic: "dash-kv", Key: []byte("k"), Value: []byte("v")}).FirstErr(); err != nil {
		t.Fatal(err)
	}

	_, body := get(t, b.url+"/metrics")
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for name, f := range fams {
		if len(f.GetMetric()) == 0 {
			continue
		}
		have[name] = true
		switch f.GetType() {
		case dto.MetricType_HISTOGRAM:
			have[name+"_bucket"], have[name+"_sum"], have[name+"_count"] = true, true, true
		case dto.MetricType_SUMMARY:
			have[name+"_sum"], have[name+"_count"] = true, true
		}
	}
	if !have["kafka_consumergroup_lag"] || parse(t, body)[`kafka_consumergroup_lag{consumergroup="dash-group",partition="0",topic="dash"}`] != 2 {
		t.Fatalf("the broker shows no lag of 2:\n%s", strings.Join(parse(t, body).with("kafka_consumergroup_lag"), "\n"))
	}
	if _, ok := parse(t, body)[`strata_cleaner_dirty_ratio{partition="0",topic="dash-kv"}`]; !ok {
		t.Fatalf("no dirty ratio of the compacted topic:\n%s", strings.Join(parse(t, body).with("strata_cleaner_dirty_ratio"), "\n"))
	}
	checked := 0
	for _, q := range queries {
		names := metricNames(q)
		if len(names) == 0 {
			t.Errorf("no metric in query %q", q)
		}
		for _, n := range names {
			checked++
			if !have[n] {
				t.Errorf("the dashboard queries %s (in %q), which the scrape does not have", n, q)
			}
		}
	}
	if checked < 30 {
		t.Errorf("only %d metric names checked", checked)
	}
}
