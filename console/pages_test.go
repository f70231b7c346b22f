package console

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stratabroker/strata/tools/tooltest"
)

// records produces n records "k<i>"/"v<i>" to topic's partition p.
func (s *site) records(topic string, p int32, n int) {
	s.t.Helper()
	var recs []*kgo.Record
	for i := range n {
		recs = append(recs, &kgo.Record{Topic: topic, Partition: p, Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, "v%d", i)})
	}
	s.produce(recs...)
}

func TestTopicsPage(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		s := startSite(t, tg)
		s.createTopic("orders", 3, map[string]*string{"retention.ms": str("3600000"), "cleanup.policy": str("compact")})
		s.createTopic("audit", 1, nil)
		s.createTopic("zeta", 2, map[string]*string{"retention.ms": str("-1")})
		s.records("orders", 0, 5)
		s.records("orders", 2, 2)
		s.records("zeta", 1, 10)
		// A group makes __consumer_offsets exist on Strata.
		os := kadm.Offsets{}
		os.AddOffset("orders", 0, 3, -1)
		if err := s.adm.CommitAllOffsets(tooltest.Ctx(t), "g1", os); err != nil {
			t.Fatal(err)
		}

		body := s.ok("/topics")
		rows := table(t, body, "topics")
		// Name | Partitions | Replication | Size | Records | Retention | Cleanup (size checked apart)
		var got []string
		for _, r := range rows[1:] {
			c := strings.Split(r, " | ")
			got = append(got, strings.Join(append(c[:3:3], c[4:]...), " | "))
		}
		equalRows(t, "topics", got, []string{
			"audit | 1 | 1 | 0 | 7d | delete",
			"orders | 3 | 1 | 7 | 1h | compact",
			"zeta | 2 | 1 | 10 | forever | delete",
		})
		if tg.Name == "strata" {
			if size := strings.Split(rows[2], " | ")[3]; size == "-" || size == "0 B" {
				t.Errorf("orders size not reported: %s", rows[2])
			}
		}
		if !strings.Contains(body, "internal hidden") && tg.Name == "strata" {
			t.Errorf("no note of hidden internal topics:\n%s", body)
		}

		// Sorted by records, descending; filtered by name.
		rows = table(t, s.ok("/topics?sort=records&desc=1"), "topics")
		if rows[0] != "Name | Partitions | Replication | Size | Records ▼ | Retention | Cleanup" || !strings.HasPrefix(rows[1], "zeta |") || !strings.HasPrefix(rows[2], "orders |") || !strings.HasPrefix(rows[3], "audit |") {
			t.Errorf("sort=records&desc=1:\n%s", strings.Join(rows, "\n"))
		}
		rows = table(t, s.ok("/topics?q=RDE"), "topics")
		if len(rows) != 2 || !strings.HasPrefix(rows[1], "orders |") {
			t.Errorf("q=RDE:\n%s", strings.Join(rows, "\n"))
		}
		if tg.Name == "strata" {
			rows = table(t, s.ok("/topics?internal=1"), "topics")
			if len(rows) != 5 || !strings.HasPrefix(rows[1], "__consumer_offsets internal | 50 | 1 |") {
				t.Errorf("internal=1:\n%s", strings.Join(rows, "\n"))
			}
		}
	})
}

func TestTopicPage(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		s := startSite(t, tg)
		s.createTopic("orders", 3, map[string]*string{"retention.ms": str("3600000")})
		s.records("orders", 0, 5)
		s.records("orders", 2, 2)
		ctx := tooltest.Ctx(t)
		if _, err := s.adm.DeleteRecords(ctx, kadm.Offsets{"orders": {0: {Topic: "orders", Partition: 0, At: 1, LeaderEpoch: -1}}}); err != nil {
			t.Fatal(err)
		}
		for g, at := range map[string]int64{"g1": 3, "g2": 5} {
			os := kadm.Offsets{}
			os.AddOffset("orders", 0, at, -1)
			os.AddOffset("orders", 2, 1, -1)
			if err := s.adm.CommitAllOffsets(ctx, g, os); err != nil {
				t.Fatal(err)
			}
		}
		body := s.ok("/topics/orders")
		var parts []string
		for _, r := range table(t, body, "parts")[1:] {
			c := strings.Split(r, " | ")
			parts = append(parts, strings.Join(append(c[:7:7], c[8:]...), " | ")) // without size
		}
		// Partition | Leader | Replicas | ISR | Log start | End | Records | (purge)
		n := "1" // the broker's node id
		if tg.Name == "kfake" {
			n = "0"
		}
		equalRows(t, "partitions", parts, []string{
			"0 | " + n + " | " + n + " | " + n + " | 1 | 5 | 4 | purge",
			"1 | " + n + " | " + n + " | " + n + " | 0 | 0 | 0 | purge",
			"2 | " + n + " | " + n + " | " + n + " | 0 | 2 | 2 | purge",
		})
		equalRows(t, "consumers", table(t, body, "consumers-table"), []string{
			"Group | State | Partitions committed | Lag",
			"g1 | Empty | 2 | 3",
			"g2 | Empty | 2 | 1",
		})
		var cfg string
		for _, r := range table(t, body, "configs-table") {
			if strings.HasPrefix(r, "retention.ms |") {
				cfg = r
			}
		}
		if cfg != "retention.ms | 3600000 | dynamic (topic)" {
			t.Errorf("retention.ms row: %q", cfg)
		}
		if !strings.Contains(body, "Segments: the Kafka protocol reports a partition's size (DescribeLogDirs) but not its segment count.") {
			t.Error("no note on segments")
		}
		if code, body := s.get("/topics/nope"); code != http.StatusNotFound || !strings.Contains(body, `no topic &#34;nope&#34;`) {
			t.Errorf("unknown topic: %d\n%s", code, body)
		}
	})
}

func TestOverview(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		s := startSite(t, tg)
		s.createTopic("a", 3, nil)
		s.createTopic("b", 1, nil)
		md, err := s.adm.BrokerMetadata(tooltest.Ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		body := s.ok("/")
		for _, want := range []string{
			`<dd id="cluster-id">` + md.Cluster + `</dd>`,
			`<dd id="topic-count">2</dd>`,
			`<dd id="partition-count">4</dd>`,
			`<dd id="group-count">0</dd>`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("no %s in\n%s", want, body)
			}
		}
		if !regexp.MustCompile(`<dt>Console uptime</dt><dd>1m\d+s</dd>`).MatchString(body) {
			t.Errorf("no uptime of about a minute in\n%s", body)
		}
		if tg.Name == "strata" {
			rows := table(t, body, "logdirs")
			if len(rows) != 2 || !strings.HasPrefix(rows[1], "1 | "+tg.Dir+" | 0 B | ") || !strings.HasSuffix(rows[1], "%") || strings.Contains(rows[1], "not reported") {
				t.Errorf("log dirs:\n%s", strings.Join(rows, "\n"))
			}
		}
	})
}

func TestNotFound(t *testing.T) {
	s := startSite(t, tooltest.StartStrata(t))
	s.createTopic("t", 2, nil)
	for path, want := range map[string]string{
		"/nowhere":                          "no page at /nowhere",
		"/topics/nope/messages":             "no topic &#34;nope&#34;",
		"/topics/t/messages?partition=7":    "no partition 7 in topic &#34;t&#34;",
		"/topics/t/partitions/9/purge":      "no partition 9 in topic &#34;t&#34;",
		"/groups/none":                      "no group &#34;none&#34;",
		"/topics/nope/tail?pos=0:0":         "no topic &#34;nope&#34;",
		"/topics/t/messages?partition=x":    "", // 400, below
		"/topics/t/messages?mode=offset":    "",
		"/topics/t/messages?format=ebcdic":  "",
		"/topics/t/messages?mode=timestamp": "",
	} {
		code, body := s.get(path)
		if want == "" {
			if code != http.StatusBadRequest {
				t.Errorf("%s: %d, want 400", path, code)
			}
			continue
		}
		if code != http.StatusNotFound || !strings.Contains(body, want) {
			t.Errorf("%s: %d, want 404 with %q\n%s", path, code, want, body)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	s := startSite(t, tooltest.StartKfake(t))
	for _, path := range []string{"/", "/topics", "/nowhere", "/static/style.css"} {
		resp, err := s.hc.Get(s.web.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "same-origin" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", path, h)
		}
	}
	// No inline script or style anywhere the console renders.
	body := s.ok("/")
	if strings.Contains(body, "<script>") || strings.Contains(body, "style=") || strings.Contains(body, "<style") {
		t.Errorf("inline script or style:\n%s", body)
	}
}

// TestExpensiveCap: with every slot taken, an expensive page answers 503
// after its wait, and a cheap one is served.
func TestExpensiveCap(t *testing.T) {
	s := startSite(t, tooltest.StartKfake(t), func(o *Options) { o.MaxExpensive = 2 })
	s.srv.slotWait = 50 * time.Millisecond
	s.srv.slots <- struct{}{}
	s.srv.slots <- struct{}{}
	if code, body := s.get("/topics"); code != http.StatusServiceUnavailable || !strings.Contains(body, "the console is busy with other expensive pages") {
		t.Errorf("/topics with no slot: %d", code)
	}
	if code, _ := s.get("/groups"); code != http.StatusOK {
		t.Errorf("/groups with no slot: %d", code)
	}
	<-s.srv.slots
	if code, _ := s.get("/topics"); code != http.StatusOK {
		t.Errorf("/topics with a slot: %d", code)
	}
}
