package jmx

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/stratabroker/strata/tools/cli"
)

// Commands are the family's tools: metrics, and jmx (kafka-jmx.sh) for
// the same tool under Kafka's name.
var Commands = []cli.Command{
	{Name: "metrics", Summary: "print series of a Prometheus endpoint (a broker's /metrics) over time, as kafka-jmx.sh prints MBeans", Run: runMetrics},
	{Name: "jmx", Summary: "the metrics tool under Kafka's name (kafka-jmx.sh)", Run: runJmx},
}

const usage = `Usage: strata %[1]s [--url URL] [--name REGEX ...] [--reporting-interval MS] [--one-time]
                     [--date-format FORMAT] [--report-format original|properties|csv|tsv] [--wait]

Dump Prometheus metrics to standard output, as Kafka's kafka-jmx.sh dumps JMX
values: a CSV header of "time" and the chosen series, then a line of their
values every interval, until interrupted.

  --url URL                  the endpoint to scrape (also --jmx-url); default
                             http://127.0.0.1:8080/metrics (a broker's console.listeners)
  --name REGEX               choose the series matching REGEX anywhere in
                             name{label="value",...} (labels sorted); repeatable
                             (also --object-name); none: every series
  --reporting-interval MS    interval between scrapes; default 2000; negative: once
  --one-time                 scrape once
  --date-format FORMAT       java.text.SimpleDateFormat pattern of the time column;
                             default: milliseconds since the epoch
  --report-format FORMAT     original (default), properties, csv or tsv
  --wait                     wait up to 10 s for every --name to match a series
  --help                     this text
`

func runMetrics(args []string, e *cli.Env) int { return run("metrics", args, e) }
func runJmx(args []string, e *cli.Env) int     { return run("jmx", args, e) }

// waitTimeout is JmxTool's wait for the requested objects.
const waitTimeout = 10 * time.Second

type options struct {
	url        string
	names      []*regexp.Regexp
	interval   time.Duration
	oneTime    bool
	dateFormat string
	format     string
	wait       bool
}

func run(cmd string, args []string, e *cli.Env) int {
	f := cli.NewFlags(cmd, fmt.Sprintf(usage, cmd))
	rawURL := f.String("url", "http://127.0.0.1:8080/metrics", "the endpoint")
	f.Alias("jmx-url", "url")
	names := new(cli.Strs)
	f.Var(names, "name", "a regular expression over series")
	f.Alias("object-name", "name")
	interval := f.Int("reporting-interval", 2000, "ms between scrapes")
	oneTime := f.Bool("one-time", false, "scrape once")
	dateFormat := f.String("date-format", "", "SimpleDateFormat of the time column")
	format := f.String("report-format", "original", "original, properties, csv or tsv")
	wait := f.Bool("wait", false, "wait for the named series")
	if ok, code := f.Parse(args, e); !ok {
		return code
	}
	o := options{url: *rawURL, interval: time.Duration(*interval) * time.Millisecond, oneTime: *oneTime || *interval < 0,
		dateFormat: *dateFormat, wait: *wait}
	u, err := url.Parse(o.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		flag := "--url"
		if isGiven(f, "jmx-url") {
			flag = "--jmx-url"
		}
		return f.UsageError(e, "%s %q: want http://HOST:PORT/metrics (Strata serves Prometheus metrics over HTTP, not JMX)", flag, o.url)
	}
	for _, n := range *names {
		re, err := regexp.Compile(n)
		if err != nil {
			return f.UsageError(e, "--name %q: %v", n, err)
		}
		o.names = append(o.names, re)
	}
	// As JmxTool: an unknown format is the original one.
	switch o.format = strings.ToLower(*format); o.format {
	case "properties", "csv", "tsv":
	default:
		o.format = "original"
	}
	if o.dateFormat != "" {
		if err := checkJavaDate(o.dateFormat); err != nil {
			return f.UsageError(e, "--date-format %q: %v", o.dateFormat, err)
		}
	}
	ctx, cancel := e.Context()
	defer cancel()
	if err := dump(ctx, e, o); err != nil {
		if ctx.Err() != nil {
			return cli.ExitOK // interrupted
		}
		return cli.Fail(e, cmd, err)
	}
	return cli.ExitOK
}

// dump scrapes and prints until ctx ends (nil) or a scrape fails.
func dump(ctx context.Context, e *cli.Env, o options) error {
	client := &http.Client{Timeout: e.OpTimeout}
	start := e.Now()
	var values map[string]string
	for {
		var err error
		if values, err = scrape(ctx, client, o.url, o.names); err != nil {
			return err
		}
		if !o.wait || o.names == nil || allMatched(values, o.names) {
			break
		}
		if e.Now().Sub(start) >= waitTimeout {
			var missing []string
			for _, re := range o.names {
				if !matchesAny(values, re) {
					missing = append(missing, re.String())
				}
			}
			return fmt.Errorf("Could not find all requested series after %d ms. Missing %s", waitTimeout.Milliseconds(), strings.Join(missing, ","))
		}
		if !sleep(ctx, 100*time.Millisecond) {
			return ctx.Err()
		}
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		var qs []string
		for _, re := range o.names {
			qs = append(qs, re.String())
		}
		return fmt.Errorf("No matched series for the queries [%s] at %s.", strings.Join(qs, ", "), o.url)
	}
	slices.Sort(keys)
	if o.format == "original" {
		cols := make([]string, 0, len(keys)+1)
		cols = append(cols, `"time"`)
		for _, k := range keys {
			cols = append(cols, `"`+strings.ReplaceAll(k, `"`, `""`)+`"`)
		}
		fmt.Fprintln(e.Stdout, strings.Join(cols, ","))
	}
	for {
		began := e.Now()
		printRow(e.Stdout, o, keys, values, timeColumn(o, began))
		if o.oneTime {
			return nil
		}
		if !sleep(ctx, o.interval-e.Now().Sub(began)) {
			return ctx.Err()
		}
		var err error
		if values, err = scrape(ctx, client, o.url, o.names); err != nil {
			return err
		}
	}
}

// isGiven reports whether the flag was given by that name (not through
// an alias).
func isGiven(f *cli.Flags, name string) bool {
	found := false
	f.Visit(func(fl *flag.Flag) { found = found || fl.Name == name })
	return found
}

func timeColumn(o options, t time.Time) string {
	if o.dateFormat != "" {
		return javaDate(o.dateFormat, t)
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

// printRow prints one interval's values, as JmxTool's maybePrintDataRows:
// nothing when a column is missing from the scrape.
func printRow(w io.Writer, o options, keys []string, values map[string]string, now string) {
	for _, k := range keys {
		if _, ok := values[k]; !ok {
			return
		}
	}
	var b strings.Builder
	switch o.format {
	case "properties":
		fmt.Fprintf(&b, "time=%s\n", now)
		for _, k := range keys {
			fmt.Fprintf(&b, "%s=%s\n", k, values[k])
		}
	case "csv":
		fmt.Fprintf(&b, "time,\"%s\"\n", now)
		for _, k := range keys {
			fmt.Fprintf(&b, "%s,\"%s\"\n", k, values[k])
		}
	case "tsv":
		fmt.Fprintf(&b, "time\t%s\n", now)
		for _, k := range keys {
			fmt.Fprintf(&b, "%s\t%s\n", k, values[k])
		}
	default:
		b.WriteString(now)
		for _, k := range keys {
			b.WriteString(",")
			b.WriteString(values[k])
		}
		b.WriteString("\n")
	}
	io.WriteString(w, b.String())
}

// sleep waits d or until ctx ends (false).
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func allMatched(values map[string]string, names []*regexp.Regexp) bool {
	for _, re := range names {
		if !matchesAny(values, re) {
			return false
		}
	}
	return true
}

func matchesAny(values map[string]string, re *regexp.Regexp) bool {
	for k := range values {
		if re.MatchString(k) {
			return true
		}
	}
	return false
}

// errNotMetrics: the endpoint did not answer 200.
var errNotMetrics = errors.New("not a metrics endpoint")

// scrape reads the endpoint and returns the value of every series one of
// names matches (every series when names is empty), by series.
func scrape(ctx context.Context, client *http.Client, u string, names []*regexp.Regexp) (map[string]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1")
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("cannot scrape %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s answered %s", errNotMetrics, u, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	out := map[string]string{}
	add := func(name string, labels []*dto.LabelPair, extra *dto.LabelPair, v float64) {
		s := seriesName(name, labels, extra)
		if len(names) > 0 && !slices.ContainsFunc(names, func(re *regexp.Regexp) bool { return re.MatchString(s) }) {
			return
		}
		out[s] = formatValue(v)
	}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			l := m.GetLabel()
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				add(name, l, nil, m.GetCounter().GetValue())
			case dto.MetricType_GAUGE:
				add(name, l, nil, m.GetGauge().GetValue())
			case dto.MetricType_UNTYPED:
				add(name, l, nil, m.GetUntyped().GetValue())
			case dto.MetricType_SUMMARY:
				s := m.GetSummary()
				for _, q := range s.GetQuantile() {
					add(name, l, label("quantile", formatValue(q.GetQuantile())), q.GetValue())
				}
				add(name+"_sum", l, nil, s.GetSampleSum())
				add(name+"_count", l, nil, float64(s.GetSampleCount()))
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				for _, b := range h.GetBucket() {
					add(name+"_bucket", l, label("le", formatValue(b.GetUpperBound())), float64(b.GetCumulativeCount()))
				}
				add(name+"_bucket", l, label("le", "+Inf"), float64(h.GetSampleCount()))
				add(name+"_sum", l, nil, h.GetSampleSum())
				add(name+"_count", l, nil, float64(h.GetSampleCount()))
			}
		}
	}
	return out, nil
}

func label(k, v string) *dto.LabelPair { return &dto.LabelPair{Name: &k, Value: &v} }

// seriesName writes name{label="value",...}, labels sorted by name, values
// quoted as the text format quotes them.
func seriesName(name string, labels []*dto.LabelPair, extra *dto.LabelPair) string {
	all := slices.Clone(labels)
	if extra != nil {
		all = append(all, extra)
	}
	if len(all) == 0 {
		return name
	}
	slices.SortFunc(all, func(a, b *dto.LabelPair) int { return strings.Compare(a.GetName(), b.GetName()) })
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('{')
	for i, l := range all {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l.GetName())
		b.WriteString(`="`)
		b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(l.GetValue()))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// formatValue writes v as the text format does, integers without an
// exponent.
func formatValue(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
