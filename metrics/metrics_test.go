package metrics

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// logBytes is the size of the batches in a partition's .log files, read
// without the broker: each batch is its 12-byte prefix (base offset,
// length) and its length; the file may be preallocated past the last.
func logBytes(t *testing.T, dir, topic string, p int) int64 {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, topic+"-"+strconv.Itoa(p), "*.log"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .log files for %s-%d: %v", topic, p, err)
	}
	var n int64
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for len(b) >= 12 {
			size := int(binary.BigEndian.Uint32(b[8:12]))
			if size == 0 || 12+size > len(b) {
				break
			}
			n += int64(12 + size)
			b = b[12+size:]
		}
	}
	return n
}

func produce(t *testing.T, cl *kgo.Client, topic string, partition int32, n int) {
	t.Helper()
	var recs []*kgo.Record
	for i := range n {
		recs = append(recs, &kgo.Record{Topic: topic, Partition: partition, Value: []byte("value-" + strconv.Itoa(i))})
	}
	if err := cl.ProduceSync(ctx(t), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// TestLagAndTraffic: a group consumes a topic of three partitions (10 and
// 5 records, one empty) and commits; then 3 more records go to partition 0
// and 2 to partition 2. The scrape shows kafka_exporter's offsets and lag
// exactly, and the topic's byte and record counters match what is on disk.
func TestLagAndTraffic(t *testing.T) {
	b := startBroker(t, false)
	const topic = "lagged"
	adm := kadm.NewClient(b.client(t))
	if _, err := adm.CreateTopic(ctx(t), 3, 1, nil, topic); err != nil {
		t.Fatal(err)
	}
	prod := b.client(t, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0))
	produce(t, prod, topic, 0, 10)
	produce(t, prod, topic, 1, 5)
	consumed := logBytes(t, b.dir, topic, 0) + logBytes(t, b.dir, topic, 1)

	conns := b.scrape(t)[`strata_connections{listener="PLAINTEXT"}`] // the admin's and producer's
	cons, err := kgo.NewClient(kgo.SeedBrokers(b.addr), kgo.ConsumerGroup("g1"), kgo.ConsumeTopics(topic),
		kgo.DisableAutoCommit(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	got := 0
	for got < 15 {
		fs := cons.PollFetches(ctx(t))
		if err := fs.Err0(); err != nil {
			t.Fatal(err)
		}
		got += fs.NumRecords()
	}
	if got != 15 {
		t.Fatalf("consumed %d records, want 15", got)
	}
	if err := cons.CommitUncommittedOffsets(ctx(t)); err != nil {
		t.Fatal(err)
	}
	check(t, b.scrape(t), map[string]float64{
		`kafka_consumergroup_members{consumergroup="g1"}`: 1,
		`strata_groups{state="Stable"}`:                   1,
		`strata_group_members`:                            1,
	})
	// The consumer leaves; once its connections are closed no fetch of
	// its can count the records produced next.
	cons.Close()
	b.waitFor(t, "the consumer's connections to close", func(s samples) bool {
		return s[`strata_connections{listener="PLAINTEXT"}`] == conns && s[`strata_fetch_long_polls_waiting`] == 0
	})
	produce(t, prod, topic, 0, 3)
	produce(t, prod, topic, 2, 2)

	s := b.scrape(t)
	var onDisk int64
	for p := range 3 {
		onDisk += logBytes(t, b.dir, topic, p)
	}
	check(t, s, map[string]float64{
		`kafka_brokers`:                          1,
		`kafka_topic_partitions{topic="lagged"}`: 3,
		`kafka_topic_partition_current_offset{partition="0",topic="lagged"}`:                  13,
		`kafka_topic_partition_current_offset{partition="1",topic="lagged"}`:                  5,
		`kafka_topic_partition_current_offset{partition="2",topic="lagged"}`:                  2,
		`kafka_topic_partition_oldest_offset{partition="0",topic="lagged"}`:                   0,
		`kafka_consumergroup_members{consumergroup="g1"}`:                                     0,
		`kafka_consumergroup_current_offset{consumergroup="g1",partition="0",topic="lagged"}`: 10,
		`kafka_consumergroup_current_offset{consumergroup="g1",partition="1",topic="lagged"}`: 5,
		// Nothing committed on partition 2: kafka_exporter's -1, in its
		// current-offset sum too, but not in the lag sum.
		`kafka_consumergroup_current_offset{consumergroup="g1",partition="2",topic="lagged"}`: -1,
		`kafka_consumergroup_lag{consumergroup="g1",partition="0",topic="lagged"}`:            3,
		`kafka_consumergroup_lag{consumergroup="g1",partition="1",topic="lagged"}`:            0,
		`kafka_consumergroup_lag{consumergroup="g1",partition="2",topic="lagged"}`:            -1,
		`kafka_consumergroup_lag_sum{consumergroup="g1",topic="lagged"}`:                      3,
		`kafka_consumergroup_current_offset_sum{consumergroup="g1",topic="lagged"}`:           14,

		`strata_topic_records_in_total{topic="lagged"}`:       20,
		`strata_topic_bytes_in_total{topic="lagged"}`:         float64(onDisk),
		`strata_topic_records_out_total{topic="lagged"}`:      15,
		`strata_topic_bytes_out_total{topic="lagged"}`:        float64(consumed),
		`strata_log_size_bytes{partition="0",topic="lagged"}`: float64(logBytes(t, b.dir, topic, 0)),
		`strata_log_segments{partition="2",topic="lagged"}`:   1,
		`strata_groups{state="Stable"}`:                       0,
		`strata_groups{state="Empty"}`:                        1,
		`strata_group_members`:                                0,
		`strata_group_offset_commits_total`:                   2, // partitions 0 and 1
		`strata_connections{listener="PLAINTEXT"}`:            conns,
	})
	if acc := s[`strata_connections_accepted_total{listener="PLAINTEXT"}`]; acc <= conns {
		t.Errorf("strata_connections_accepted_total = %v, want more than the %v open (the consumer's closed)", acc, conns)
	}
	if s[`strata_log_dir_free_bytes{dir="`+filepath.Clean(b.dir)+`"}`] <= 0 {
		t.Errorf("no free bytes for the log dir: %v", s.with("strata_log_dir_free_bytes"))
	}
}

// rawConn speaks to the broker with kmsg-encoded frames, one request at a
// time, so a test knows exactly which requests it sent.
type rawConn struct {
	t    *testing.T
	nc   net.Conn
	br   *bufio.Reader
	fmt  *kmsg.RequestFormatter
	corr int32
}

func dialRaw(t *testing.T, addr string) *rawConn {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc, br: bufio.NewReader(nc), fmt: kmsg.NewRequestFormatter(kmsg.FormatterClientID("metrics-test"))}
}

// do sends req and returns the response's bytes after the correlation ID.
func (c *rawConn) do(req kmsg.Request) []byte {
	c.t.Helper()
	c.corr++
	if _, err := c.nc.Write(c.fmt.AppendRequest(nil, req, c.corr)); err != nil {
		c.t.Fatal(err)
	}
	var size [4]byte
	if _, err := io.ReadFull(c.br, size[:]); err != nil {
		c.t.Fatal(err)
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(c.br, body); err != nil {
		c.t.Fatal(err)
	}
	if got := int32(binary.BigEndian.Uint32(body)); got != c.corr {
		c.t.Fatalf("correlation ID %d, want %d", got, c.corr)
	}
	return body[4:]
}

// roundTrip sends req and decodes its response.
func (c *rawConn) roundTrip(req kmsg.Request) kmsg.Response {
	c.t.Helper()
	body := c.do(req)
	if req.IsFlexible() && req.Key() != int16(kmsg.ApiVersions) {
		body = body[1:] // the response header's empty tagged fields
	}
	resp := req.ResponseKind()
	if err := resp.ReadFrom(body); err != nil {
		c.t.Fatalf("%s response: %v", kmsg.NameForKey(req.Key()), err)
	}
	return resp
}

// TestRequestCounters: the request counters per API key and version grow
// by exactly the requests sent, the error counter by the error codes
// answered (one per partition), and each phase histogram by one
// observation per request.
func TestRequestCounters(t *testing.T) {
	b := startBroker(t, false)
	c := dialRaw(t, b.addr)
	c.do(kmsg.NewPtrApiVersionsRequest()) // the connection's first request, before the first scrape
	before := b.scrape(t)

	for range 3 {
		m := kmsg.NewPtrMetadataRequest()
		m.SetVersion(12)
		c.do(m)
	}
	for range 2 {
		lo := kmsg.NewPtrListOffsetsRequest()
		lo.SetVersion(7)
		lo.ReplicaID = -1
		rt := kmsg.NewListOffsetsRequestTopic()
		rt.Topic = "no-such-topic"
		for p := range int32(2) {
			rp := kmsg.NewListOffsetsRequestTopicPartition()
			rp.Partition, rp.Timestamp = p, -1
			rt.Partitions = append(rt.Partitions, rp)
		}
		lo.Topics = append(lo.Topics, rt)
		c.do(lo)
	}
	// A last request on the same connection: the read loop has observed
	// every earlier one (their replies were written) before it reads it.
	av := kmsg.NewPtrApiVersionsRequest()
	av.SetVersion(3)
	av.ClientSoftwareName, av.ClientSoftwareVersion = "metrics-test", "1"
	c.do(av)
	after := b.scrape(t)

	delta := func(k string) float64 { return after[k] - before[k] }
	want := map[string]float64{
		`strata_requests_total{request="Metadata",version="12"}`:                                            3,
		`strata_requests_total{request="ListOffsets",version="7"}`:                                          2,
		`strata_request_errors_total{error="UNKNOWN_TOPIC_OR_PARTITION",request="ListOffsets",version="7"}`: 4,
		`strata_request_total_time_seconds_count{request="Metadata"}`:                                       3,
		`strata_request_queue_time_seconds_count{request="Metadata"}`:                                       3,
		`strata_request_local_time_seconds_count{request="ListOffsets"}`:                                    2,
		`strata_request_remote_time_seconds_count{request="ListOffsets"}`:                                   2,
		`strata_response_queue_time_seconds_count{request="ListOffsets"}`:                                   2,
		`strata_response_send_time_seconds_count{request="ListOffsets"}`:                                    2,
		`strata_request_remote_time_seconds_sum{request="ListOffsets"}`:                                     0,
	}
	for k, v := range want {
		if _, ok := after[k]; !ok {
			t.Errorf("%s: missing from the scrape", k)
			continue
		}
		if got := delta(k); got != v {
			t.Errorf("%s grew by %v, want %v", k, got, v)
		}
	}
	if n := len(after.with("strata_request_errors_total")); n != 1 {
		t.Errorf("error series: %v, want only ListOffsets' UNKNOWN_TOPIC_OR_PARTITION", after.with("strata_request_errors_total"))
	}
	if got := delta(`strata_requests_total{request="ApiVersions",version="3"}`); got != 1 {
		t.Errorf("ApiVersions v3 grew by %v, want 1", got)
	}
}

// TestHTTP: the health checks, pprof off and on, and /metrics with query
// parameters it does not know.
func TestHTTP(t *testing.T) {
	b := startBroker(t, false)
	for _, c := range []struct {
		path string
		code int
		body string
	}{
		{"/healthz", 200, "ok\n"},
		{"/readyz", 200, "ready\n"},
		{"/debug/pprof/", 404, "404 page not found: /debug/pprof needs console.pprof.enable=true\n"},
		{"/debug/pprof/heap", 404, "404 page not found: /debug/pprof needs console.pprof.enable=true\n"},
	} {
		if code, body := get(t, b.url+c.path); code != c.code || body != c.body {
			t.Errorf("GET %s: %d %q, want %d %q", c.path, code, body, c.code, c.body)
		}
	}
	code, body := get(t, b.url+"/metrics?unknown=1&debug=%ff&x")
	if code != 200 || !strings.Contains(body, "\nkafka_brokers 1\n") || !strings.Contains(body, "\ngo_goroutines ") {
		t.Errorf("/metrics with unknown parameters: %d\n%.300s", code, body)
	}
	// promhttp's name[] selects families.
	code, body = get(t, b.url+"/metrics?name[]=kafka_brokers")
	if want := "# HELP kafka_brokers Number of Brokers in the Kafka Cluster.\n# TYPE kafka_brokers gauge\nkafka_brokers 1\n"; code != 200 || body != want {
		t.Errorf("/metrics?name[]=kafka_brokers: %d %q, want %q", code, body, want)
	}
	resp, err := http.Post(b.url+"/metrics", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics: %d, want 405", resp.StatusCode)
	}

	b.srv.Close()
	if code, body := get(t, b.url+"/readyz"); code != 503 || body != "not ready: shutting down\n" {
		t.Errorf("/readyz after Close: %d %q", code, body)
	}
	if code, body := get(t, b.url+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz after Close: %d %q", code, body)
	}

	on := startBroker(t, true)
	if code, body := get(t, on.url+"/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("/debug/pprof/ with pprof on: %d %.200q", code, body)
	}
	if code, body := get(t, on.url+"/debug/pprof/goroutine?debug=1"); code != 200 || !strings.Contains(body, "goroutine profile") {
		t.Errorf("/debug/pprof/goroutine with pprof on: %d %.200q", code, body)
	}
}

// TestTextEscaping: label values and help texts written by state.go's
// writer come back unchanged through expfmt's parser.
func TestTextEscaping(t *testing.T) {
	odd := "g \"quoted\" back\\slash\nnewline ü"
	w := textWriter{}
	w.start(family{"x_total", "help with \\ and\nnewline", "counter"})
	w.sample1("x_total", "consumergroup", odd, 7)
	w.groupSample("x_total", odd, 12, "topic.a_b-c", -1)
	s := parse(t, string(w.b))
	q := strconv.Quote(odd)
	check(t, s, map[string]float64{
		`x_total{consumergroup=` + q + `}`:                                    7,
		`x_total{consumergroup=` + q + `,partition="12",topic="topic.a_b-c"}`: -1,
	})
	if len(s) != 2 {
		t.Errorf("series: %v", s)
	}
}
