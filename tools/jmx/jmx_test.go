package jmx

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/stratabroker/strata/config"
	"github.com/stratabroker/strata/metrics"
	"github.com/stratabroker/strata/server"
	"github.com/stratabroker/strata/tools/cli"
	"github.com/stratabroker/strata/tools/tooltest"
)

var dispatch tooltest.Dispatch = cli.Dispatcher(Commands)

// startBroker runs a broker in-process with its metrics on an HTTP server
// of the test (127.0.0.1, a free port) and returns the broker and the
// /metrics URL.
func startBroker(t *testing.T) (tooltest.Target, string) {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Defaults()
	for _, kv := range [][2]string{{"listeners", "PLAINTEXT://127.0.0.1:0"}, {"log.dirs", dir}} {
		if err := cfg.Set(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	srv, err := server.Start(cfg, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	mux := http.NewServeMux()
	metrics.Routes(mux, srv, metrics.NewRegistry(srv, metrics.Options{}), false)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return tooltest.Target{Name: "strata", Addr: srv.Addr().String(), Dir: dir}, hs.URL + "/metrics"
}

// TestMetricsGolden: the tool's output against a broker with a topic (5
// records in partition 0, 2 in partition 1) and a group committed at 3 on
// partition 0, in every report format, and its refusals.
func TestMetricsGolden(t *testing.T) {
	tg, url := startBroker(t)
	adm := kadm.NewClient(tooltest.Client(t, tg.Addr))
	if _, err := adm.CreateTopic(tooltest.Ctx(t), 2, 1, nil, "t1"); err != nil {
		t.Fatal(err)
	}
	tooltest.Produce(t, tg.Addr, "t1", 0, [3]string{"a"}, [3]string{"b"}, [3]string{"c"}, [3]string{"d"}, [3]string{"e"})
	tooltest.Produce(t, tg.Addr, "t1", 1, [3]string{"f"}, [3]string{"g"})
	offs := kadm.Offsets{}
	offs.Add(kadm.Offset{Topic: "t1", Partition: 0, At: 3, LeaderEpoch: -1})
	if r, err := adm.CommitOffsets(tooltest.Ctx(t), "g1", offs); err != nil || r.Error() != nil {
		t.Fatal(err, r.Error())
	}

	tr := tooltest.NewTranscript(t, tg, dispatch)
	tr.Offline["metrics"], tr.Offline["jmx"] = true, true
	tr.Normalize(regexp.QuoteMeta(strings.TrimSuffix(url, "/metrics")), "http://<host:port>")
	tr.Normalize(`(?m)^1[0-9]{12}\b`, "<time>")
	tr.Normalize(`(?m)^time([,=\t]"?)1[0-9]{12}`, "time$1<time>")
	tr.Normalize(`(?m)^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{3}\b`, "<date>")
	offsets := `kafka_topic_partition_(current|oldest)_offset\{.*topic="t1"`
	tr.Run("", "metrics", "--url", url, "--name", offsets, "--one-time")
	tr.Run("", "metrics", "--url", url, "--name", `kafka_consumergroup_(lag|current_offset)\{`, "--name", `^kafka_brokers$`, "--reporting-interval", "-1")
	tr.Run("", "jmx", "--jmx-url", url, "--object-name", `kafka_topic_partitions\{`, "--one-time", "--report-format", "properties")
	tr.Run("", "metrics", "--url", url, "--name", `kafka_consumergroup_lag_sum`, "--one-time", "--report-format", "csv")
	tr.Run("", "metrics", "--url", url, "--name", `strata_topic_records_in_total`, "--one-time", "--report-format", "TSV")
	tr.Run("", "metrics", "--url", url, "--name", `^strata_topic_records_in_total`, "--one-time", "--report-format", "json", "--date-format", "yyyy-MM-dd'T'HH:mm:ss.SSS")
	tr.Run("", "metrics", "--url", url, "--name", `strata_request_total_time_seconds_(count|sum|bucket)\{.*le="\+Inf".*request="CreateTopics"|strata_request_total_time_seconds_count\{request="CreateTopics"`, "--one-time")
	tr.Run("", "metrics", "--url", url, "--name", `^no_such_metric`, "--one-time")
	tr.Run("", "metrics", "--url", url, "--name", `(`, "--one-time")
	tr.Run("", "metrics", "--url", url, "--bogus")
	tr.Run("", "metrics", "--url", url, "--date-format", "yyyy-qq", "--one-time")
	tr.Run("", "jmx", "--jmx-url", "service:jmx:rmi:///jndi/rmi://:9999/jmxrmi")
	tr.Run("", "metrics", "--url", strings.TrimSuffix(url, "/metrics")+"/nothing-here", "--one-time")
	tr.Check("metrics")
}

// TestMetricsUnreachable: no server at the URL: one line, exit 1.
func TestMetricsUnreachable(t *testing.T) {
	ln := httptest.NewServer(http.NotFoundHandler())
	addr := ln.URL
	ln.Close() // the port is now closed
	r := tooltest.Run(t, dispatch, &cli.Env{}, "metrics", "--url", addr+"/metrics", "--one-time")
	if r.Code != cli.ExitError || r.Stdout != "" || strings.Count(r.Stderr, "\n") != 1 ||
		!strings.HasPrefix(r.Stderr, "strata metrics: cannot scrape "+addr+"/metrics: ") || !strings.Contains(r.Stderr, "connection refused") {
		t.Errorf("exit %d stdout %q stderr %q", r.Code, r.Stdout, r.Stderr)
	}
}

// TestMetricsInterval: without --one-time a line per interval, the values
// of each scrape, until a signal (exit 0).
func TestMetricsInterval(t *testing.T) {
	tg, url := startBroker(t)
	adm := kadm.NewClient(tooltest.Client(t, tg.Addr))
	if _, err := adm.CreateTopic(tooltest.Ctx(t), 1, 1, nil, "t2"); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	sig := make(chan os.Signal, 1)
	e := &cli.Env{Stdout: pw, Stderr: io.Discard, Signals: sig}
	done := make(chan int, 1)
	go func() {
		done <- dispatch([]string{"metrics", "--url", url, "--name", `kafka_topic_partition_current_offset\{partition="0",topic="t2"`, "--reporting-interval", "20"}, e)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var lines []string
	for len(lines) < 4 && sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) == 2 { // the header and the first line: produce, later lines show it
			tooltest.Produce(t, tg.Addr, "t2", 0, [3]string{"x"}, [3]string{"y"})
		}
	}
	sig <- syscall.SIGINT
	go io.Copy(io.Discard, pr)
	select {
	case code := <-done:
		if code != cli.ExitOK {
			t.Errorf("exit %d after a signal, want 0", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit after a signal")
	}
	if len(lines) != 4 || lines[0] != `"time","kafka_topic_partition_current_offset{partition=""0"",topic=""t2""}"` {
		t.Fatalf("lines %q", lines)
	}
	row := regexp.MustCompile(`^1[0-9]{12},(\d+)$`)
	var values []string
	for _, l := range lines[1:] {
		m := row.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("line %q", l)
		}
		values = append(values, m[1])
	}
	// The produce happened between the first and the second line's
	// reading, so the offset went from 0 to 2 by the third line at the
	// latest, and never back.
	if values[0] != "0" || values[2] != "2" || (values[1] != "0" && values[1] != "2") {
		t.Errorf("values %v, want 0, then 2 from the third line on", values)
	}
}

// TestJavaDate: SimpleDateFormat's letters.
func TestJavaDate(t *testing.T) {
	at := time.Date(2026, 3, 1, 0, 5, 9, 42_000_000, time.UTC)
	for pattern, want := range map[string]string{
		"yyyy-MM-dd HH:mm:ss.SSS":     "2026-03-01 00:05:09.042",
		"yy/M/d h:m:s a":              "26/3/1 12:5:9 AM",
		"EEE, d MMM yyyy HH:mm:ss Z":  "Sun, 1 Mar 2026 00:05:09 +0000",
		"EEEE MMMM D 'week' w u k K":  "Sunday March 60 week 9 7 24 0",
		"'it''s' HH 'o''clock' XXX G": "it's 00 o'clock Z AD",
	} {
		if err := checkJavaDate(pattern); err != nil {
			t.Errorf("%q: %v", pattern, err)
		}
		if got := javaDate(pattern, at); got != want {
			t.Errorf("%q: %q, want %q", pattern, got, want)
		}
	}
	for pattern, want := range map[string]string{"yyyy-qq": "Illegal pattern character 'q'", "HH 'x": "Unterminated quote"} {
		if err := checkJavaDate(pattern); err == nil || err.Error() != want {
			t.Errorf("%q: %v, want %s", pattern, err, want)
		}
	}
}
