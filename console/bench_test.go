package console

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stratabroker/strata/config"
	"github.com/stratabroker/strata/server"
)

// benchSite is a Strata broker in-process and a console of it, for
// benchmarks (tooltest takes a *testing.T).
func benchSite(b *testing.B) (*Server, *httptest.Server, *kgo.Client) {
	b.Helper()
	cfg := config.Defaults()
	for _, kv := range [][2]string{{"listeners", "PLAINTEXT://127.0.0.1:0"}, {"log.dirs", b.TempDir()}} {
		if err := cfg.Set(kv[0], kv[1]); err != nil {
			b.Fatal(err)
		}
	}
	srv, err := server.Start(cfg, server.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	c, err := New(Options{Seeds: []string{srv.Addr().String()}, Info: Info{Version: "bench"}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	web := httptest.NewServer(c)
	b.Cleanup(web.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(srv.Addr().String()), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(cl.Close)
	return c, web, cl
}

func benchGet(b *testing.B, url string) {
	resp, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || n == 0 {
		b.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
}

// BenchmarkTopicPage1000Partitions: the page of a topic with 1,000
// partitions, each with a record (metadata, offsets, sizes, configs,
// groups, rendering) over HTTP. The bound: < 200 ms.
func BenchmarkTopicPage1000Partitions(b *testing.B) {
	_, web, cl := benchSite(b)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(ctx, 1000, 1, nil, "wide"); err != nil {
		b.Fatal(err)
	}
	var recs []*kgo.Record
	for p := range int32(1000) {
		recs = append(recs, &kgo.Record{Topic: "wide", Partition: p, Value: []byte("v")})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		b.Fatal(err)
	}
	benchGet(b, web.URL+"/topics/wide")
	for b.Loop() {
		benchGet(b, web.URL+"/topics/wide")
	}
}

// BenchmarkMessagesPage100: a page of the newest 100 records of a
// partition (JSON values, keys and a header each), over HTTP. The bound:
// < 50 ms.
func BenchmarkMessagesPage100(b *testing.B) {
	_, web, cl := benchSite(b)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "msgs"); err != nil {
		b.Fatal(err)
	}
	var recs []*kgo.Record
	for i := range 1000 {
		recs = append(recs, &kgo.Record{Topic: "msgs", Key: fmt.Appendf(nil, "key-%d", i),
			Value:   fmt.Appendf(nil, `{"id":%d,"name":"record %d","tags":["a","b"],"ok":true}`, i, i),
			Headers: []kgo.RecordHeader{{Key: "trace", Value: []byte("abc")}}})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		b.Fatal(err)
	}
	url := web.URL + "/topics/msgs/messages?partition=0&n=100"
	benchGet(b, url)
	for b.Loop() {
		benchGet(b, url)
	}
}
