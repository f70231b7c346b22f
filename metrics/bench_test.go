package metrics

import (
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
)

// scrapeAccept is the Accept header of Prometheus 3's scrapes.
const scrapeAccept = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1"

// BenchmarkScrape: one GET /metrics of a broker with 10,000 partitions
// (10 topics of 1,000), all compacted (so the cleaner's families have
// 10,000 dirty-ratio series), and a group with an offset committed on
// every partition (so 10,000 lag series as well).
//
//	go test -run '^$' -bench Scrape -benchtime 20x ./metrics/
func BenchmarkScrape(b *testing.B) {
	br := startBroker(b, false)
	adm := kadm.NewClient(br.client(b))
	offsets := kadm.Offsets{}
	for i := range 10 {
		name := "t" + strconv.Itoa(i)
		compacted := "compact"
		if _, err := adm.CreateTopic(ctx(b), 1000, 1, map[string]*string{"cleanup.policy": &compacted}, name); err != nil {
			b.Fatal(err)
		}
		for p := range int32(1000) {
			offsets.Add(kadm.Offset{Topic: name, Partition: p, At: 0, LeaderEpoch: -1})
		}
	}
	resp, err := adm.CommitOffsets(ctx(b), "bench-group", offsets)
	if err != nil {
		b.Fatal(err)
	}
	if err := resp.Error(); err != nil {
		b.Fatal(err)
	}
	s := br.scrape(b)
	if n := len(s.with("kafka_consumergroup_lag")); n != 10000 {
		b.Fatalf("%d lag series, want 10000", n)
	}
	if n := len(s.with("strata_cleaner_dirty_ratio")); n != 10050 { // and __consumer_offsets' 50
		b.Fatalf("%d dirty ratio series, want 10050", n)
	}
	series := len(s)
	var size int64
	for b.Loop() {
		req, _ := http.NewRequest("GET", br.url+"/metrics", nil)
		// What Prometheus 3 sends.
		req.Header.Set("Accept", scrapeAccept)
		req.Header.Set("Accept-Encoding", "gzip")
		r, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, r.Body)
		r.Body.Close()
		if err != nil || r.StatusCode != 200 {
			b.Fatal(r.StatusCode, err)
		}
		size = n
	}
	b.ReportMetric(float64(size), "gzip-bytes/scrape")
	b.ReportMetric(float64(series), "series")
}
