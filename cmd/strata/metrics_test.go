package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func httpGet(t *testing.T, url string) (int, string) {
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

// TestBrokerMetricsHTTP: the broker binary serves /metrics, /healthz and
// /readyz on console.listeners (no pprof unless enabled), or, with
// metrics.listeners, there.
func TestBrokerMetricsHTTP(t *testing.T) {
	b := startBroker(t, t.TempDir())
	if len(b.http) != 1 || !strings.HasSuffix(b.http[0].what, "metrics") {
		t.Fatalf("HTTP listeners %v, want one serving the metrics:\n%s", b.http, b.output())
	}
	url := b.http[0].url
	for _, c := range []struct {
		path string
		code int
		has  string
	}{
		{"/healthz", 200, "ok\n"},
		{"/readyz", 200, "ready\n"},
		{"/metrics", 200, "\nkafka_brokers 1\n"},
		{"/metrics", 200, "\nstrata_connections{listener=\"PLAINTEXT\"} "},
		{"/metrics", 200, "\ngo_goroutines "},
		{"/debug/pprof/", 404, "console.pprof.enable"},
	} {
		if code, body := httpGet(t, url+c.path); code != c.code || !strings.Contains(body, c.has) {
			t.Errorf("GET %s: %d, want %d and %q in\n%.500s", c.path, code, c.code, c.has, body)
		}
	}

	sep := startBroker(t, t.TempDir(), "--metrics.listeners", "http://127.0.0.1:0", "--console.pprof.enable", "true")
	var murl string
	for _, h := range sep.http {
		if h.what == "metrics" {
			murl = h.url
		}
	}
	if murl == "" {
		t.Fatalf("no metrics listener in %v:\n%s", sep.http, sep.output())
	}
	if code, body := httpGet(t, murl+"/metrics"); code != 200 || !strings.Contains(body, "\nkafka_brokers 1\n") {
		t.Errorf("metrics.listeners /metrics: %d %.300s", code, body)
	}
	if code, body := httpGet(t, murl+"/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("metrics.listeners /debug/pprof/ with console.pprof.enable: %d %.300s", code, body)
	}
}
