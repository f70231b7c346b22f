package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stratabroker/strata/config"
	"github.com/stratabroker/strata/server"
)

var cleanerRowRE = regexp.MustCompile(`(?s)<table id="cleaner-table">.*?<tbody>\s*<tr>(.*?)</tr>`)

// TestConsoleCleanerState: the embedded console's topic page shows the
// broker's log cleaner state of a compacted partition: ten same-sized
// batches (keys k0-k4 twice) rolled by segment.ms on the server's clock
// are cleaned once at that clock's time, saving five batches' bytes;
// the next five batches rolled leave it half dirty (under
// min.cleanable.dirty.ratio 0.6) from offset 10.
func TestConsoleCleanerState(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var ns atomic.Int64
	ns.Store(time.Date(2026, 12, 8, 1, 2, 3, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, ns.Load()) }
	advance := func(d time.Duration) { ns.Add(int64(d)) }

	cfg := config.Defaults()
	for _, kv := range [][2]string{{"listeners", "PLAINTEXT://127.0.0.1:0"}, {"log.dirs", t.TempDir()}, {"log.cleaner.backoff.ms", "3600000"},
		{"console.listeners", "http://127.0.0.1:0"}} {
		if err := cfg.Set(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	srv, err := server.Start(cfg, server.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	h := &httpEnv{cfg: cfg, srv: srv, log: slog.New(slog.DiscardHandler)}
	mux := http.NewServeMux()
	if err := consoleRoutes(mux, h); err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, fn := range h.closers {
			fn()
		}
	}()
	web := httptest.NewServer(mux)
	defer web.Close()

	cl, err := kgo.NewClient(kgo.SeedBrokers(srv.Addr().String()), kgo.DisableIdempotentWrite(),
		kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	sp := func(s string) *string { return &s }
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, map[string]*string{"cleanup.policy": sp("compact"),
		"segment.ms": sp("100"), "min.cleanable.dirty.ratio": sp("0.6")}, "kv"); err != nil {
		t.Fatal(err)
	}
	produce := func(from, n int) {
		t.Helper()
		for i := from; i < from+n; i++ {
			r := &kgo.Record{Topic: "kv", Key: fmt.Appendf(nil, "k%d", i%5), Value: fmt.Appendf(nil, "value-%03d", i), Timestamp: now()}
			if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	tp, _ := srv.Registry().Get("kv")
	wait := func(what string, cond func() bool) {
		t.Helper()
		for i := 0; !cond(); i++ {
			if i == 1000 {
				t.Fatalf("waited 10 s for %s: %+v", what, srv.Registry().CleanerStats())
			}
			time.Sleep(10 * time.Millisecond) // pacing; the condition is the sync
		}
	}
	produce(0, 10)
	batch := tp.Partitions[0].Size() / 10
	advance(200 * time.Millisecond)
	passAt := now()
	produce(10, 1) // rolls: offsets 0-9 are cleaned
	wait("a pass", func() bool { return srv.Registry().CleanerStats().Passes == 1 })
	advance(100 * time.Millisecond)
	produce(11, 4)
	advance(200 * time.Millisecond)
	produce(15, 1) // rolls: offsets 10-14 dirty
	wait("the second roll assessed", func() bool {
		ps := srv.Registry().CleanerStats().Partitions
		return len(ps) == 1 && ps[0].DirtyRatio != 0
	})

	resp, err := http.Get(web.URL + "/topics/kv")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := cleanerRowRE.FindStringSubmatch(string(body))
	if m == nil {
		t.Fatalf("no cleaner table on kv's page:\n%s", body)
	}
	got := strings.Join(strings.Fields(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(m[1], " ")), " ")
	want := fmt.Sprintf("0 50.0 %% 10 %s UTC %d B ok", passAt.UTC().Format("2006-01-02 15:04:05.000"), 5*batch)
	if got != want {
		t.Fatalf("kv's cleaner row %q, want %q", got, want)
	}
}
