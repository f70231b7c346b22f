package console

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stratabroker/strata/tools/tooltest"
)

func TestTopicWrites(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		s := startSite(t, tg)
		ctx := tooltest.Ctx(t)
		tok := s.token("/new-topic")

		code, loc, body := s.post("/new-topic", url.Values{"csrf": {tok}, "name": {"made"}, "partitions": {"3"},
			"replication": {"1"}, "configs": {"retention.ms=60000\ncleanup.policy=compact"}})
		if code != http.StatusSeeOther || loc != "/topics/made?done=created" {
			t.Fatalf("create: %d %s\n%s", code, loc, text(body))
		}
		md, _ := s.adm.Metadata(ctx, "made")
		if len(md.Topics["made"].Partitions) != 3 {
			t.Fatalf("made: %+v", md.Topics["made"])
		}
		body = s.ok(loc)
		if !strings.Contains(body, "Topic created.") || !strings.Contains(strings.Join(table(t, body, "configs-table"), "\n"), "retention.ms | 60000 | dynamic (topic)") {
			t.Errorf("after create:\n%s", text(body))
		}
		// A refused create says why.
		code, _, body = s.post("/new-topic", url.Values{"csrf": {tok}, "name": {"made"}})
		if code != http.StatusBadRequest || !strings.Contains(text(body), "the cluster refused: TOPIC_ALREADY_EXISTS") {
			t.Errorf("second create: %d\n%s", code, text(body))
		}

		// Alter a config, then delete it back to its default.
		code, loc, _ = s.post("/topics/made/configs", url.Values{"csrf": {tok}, "name": {"retention.ms"}, "value": {"120000"}})
		if code != http.StatusSeeOther || loc != "/topics/made?done=altered#configs" {
			t.Fatalf("alter: %d %s", code, loc)
		}
		if rc, _ := s.adm.DescribeTopicConfigs(ctx, "made"); configValue(rc[0].Configs, "retention.ms") != "120000" {
			t.Errorf("retention.ms after alter: %s", configValue(rc[0].Configs, "retention.ms"))
		}
		s.post("/topics/made/configs", url.Values{"csrf": {tok}, "name": {"cleanup.policy"}, "op": {"delete"}})
		if rc, _ := s.adm.DescribeTopicConfigs(ctx, "made"); configValue(rc[0].Configs, "cleanup.policy") != "delete" {
			t.Errorf("cleanup.policy after delete: %s", configValue(rc[0].Configs, "cleanup.policy"))
		}

		// Produce a record with a key, headers and a partition.
		code, loc, _ = s.post("/topics/made/produce", url.Values{"csrf": {tok}, "partition": {"2"}, "key": {"the-key"},
			"value": {`{"n":1}`}, "headers": {"trace=abc\r\nempty="}})
		if code != http.StatusSeeOther || loc != "/topics/made/messages?partition=2&mode=offset&offset=0&n=1&done=produced" {
			t.Fatalf("produce: %d %s", code, loc)
		}
		rows := table(t, s.ok(loc), "messages")
		if len(rows) != 2 || !strings.HasPrefix(rows[1], "2 | 0 | ") || !strings.HasSuffix(rows[1], `| the-key | { "n": 1 } json · 7 bytes | trace : abc empty :`) {
			t.Errorf("produced record:\n%s", strings.Join(rows, "\n"))
		}
		// Without a partition a keyed record goes where Kafka's partitioner puts it.
		s.post("/topics/made/produce", url.Values{"csrf": {tok}, "key": {"k1"}, "value": {"v"}})
		cl := tooltest.Client(t, tg.Addr, kgo.ConsumeTopics("made"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		want := int32(murmur2([]byte("k1"))&0x7fffffff) % 3
		var got []*kgo.Record
		for len(got) < 2 && ctx.Err() == nil {
			got = append(got, cl.PollFetches(ctx).Records()...)
		}
		for _, r := range got {
			if string(r.Key) == "k1" && r.Partition != want {
				t.Errorf("k1 went to %d, Kafka's partitioner says %d", r.Partition, want)
			}
		}

		// Purge partition 2.
		code, loc, _ = s.post("/topics/made/partitions/2/purge", url.Values{"csrf": {tok}})
		if code != http.StatusSeeOther || loc != "/topics/made?done=purged" {
			t.Fatalf("purge: %d %s", code, loc)
		}
		end := int64(1) // the record produced to 2, and k1 if it went there
		if want == 2 {
			end = 2
		}
		if st, _ := s.adm.ListStartOffsets(ctx, "made"); st["made"][2].Offset != end {
			t.Errorf("log start after purge: %d", st["made"][2].Offset)
		}

		// Delete asks for the name.
		code, _, _ = s.post("/topics/made/delete", url.Values{"csrf": {tok}, "confirm": {"wrong"}})
		if code != http.StatusBadRequest {
			t.Errorf("delete with a wrong name: %d", code)
		}
		code, loc, _ = s.post("/topics/made/delete", url.Values{"csrf": {tok}, "confirm": {"made"}})
		if code != http.StatusSeeOther || loc != "/topics?done=deleted" {
			t.Fatalf("delete: %d %s", code, loc)
		}
		if code, body := s.get("/topics/made"); code != http.StatusNotFound {
			t.Errorf("deleted topic's page: %d\n%s", code, text(body))
		}
	})
}

func configValue(cs []kadmConfig, key string) string {
	for _, c := range cs {
		if c.Key == key {
			return c.MaybeValue()
		}
	}
	return ""
}

// TestCSRF: a POST without the token, with a wrong one, or from another
// origin changes nothing.
func TestCSRF(t *testing.T) {
	s := startSite(t, tooltest.StartStrata(t))
	s.createTopic("keep", 1, nil)
	tok := s.token("/topics/keep/delete")
	for name, try := range map[string]func() (*http.Response, error){
		"no token": func() (*http.Response, error) {
			return s.hc.PostForm(s.web.URL+"/topics/keep/delete", url.Values{"confirm": {"keep"}})
		},
		"a wrong token": func() (*http.Response, error) {
			return s.hc.PostForm(s.web.URL+"/topics/keep/delete", url.Values{"confirm": {"keep"}, "csrf": {tok[:len(tok)-2] + "AA"}})
		},
		"no cookie": func() (*http.Response, error) {
			return http.PostForm(s.web.URL+"/topics/keep/delete", url.Values{"confirm": {"keep"}, "csrf": {tok}})
		},
		"another origin": func() (*http.Response, error) {
			req, _ := http.NewRequest("POST", s.web.URL+"/topics/keep/delete", strings.NewReader(url.Values{"confirm": {"keep"}, "csrf": {tok}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			return s.hc.Do(req)
		},
	} {
		resp, err := try()
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, resp.StatusCode)
		}
	}
	if md, _ := s.adm.Metadata(tooltest.Ctx(t), "keep"); md.Topics["keep"].Err != nil {
		t.Fatalf("keep was deleted: %v", md.Topics["keep"].Err)
	}
	// The same request with the token goes through.
	if code, _, _ := s.post("/topics/keep/delete", url.Values{"confirm": {"keep"}, "csrf": {tok}}); code != http.StatusSeeOther {
		t.Errorf("with the token: %d", code)
	}
}

func TestReadOnly(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		s := startSite(t, tg, func(o *Options) { o.ReadOnly = true })
		ctx := tooltest.Ctx(t)
		s.createTopic("ro", 2, nil)
		s.records("ro", 0, 3)
		s.commit("g", map[int32]int64{})
		// No write action is shown.
		for _, path := range []string{"/", "/topics", "/topics/ro", "/topics/ro/messages", "/groups"} {
			body := s.ok(path)
			for _, w := range []string{"/new-topic", "/produce", "/delete", "/purge", "/reset", `method="post"`, `name="csrf"`} {
				if strings.Contains(body, w) {
					t.Errorf("%s shows %s in read-only mode", path, w)
				}
			}
			if !strings.Contains(body, `<span class="badge ro">read-only</span>`) {
				t.Errorf("%s: no read-only badge", path)
			}
		}
		// Every write and its form is refused, and nothing changes.
		for path, form := range map[string]url.Values{
			"/new-topic":                    {"name": {"new"}},
			"/topics/ro/produce":            {"value": {"x"}},
			"/topics/ro/configs":            {"name": {"retention.ms"}, "value": {"1"}},
			"/topics/ro/delete":             {"confirm": {"ro"}},
			"/topics/ro/partitions/0/purge": {},
			"/groups/g/reset":               {"step": {"apply"}, "strategy": {"latest"}, "topic": {"ro"}},
			"/groups/g/delete":              {},
		} {
			if code, _, body := s.post(path, form); code != http.StatusForbidden || !strings.Contains(body, "the console is read-only (console.read.only=true): nothing was changed") {
				t.Errorf("POST %s: %d", path, code)
			}
			if code, _ := s.get(path); code != http.StatusForbidden && !strings.HasSuffix(path, "/configs") {
				t.Errorf("GET %s: %d", path, code)
			}
		}
		md, _ := s.adm.Metadata(ctx)
		if _, ok := md.Topics["new"]; ok || len(md.Topics["ro"].Partitions) != 2 {
			t.Errorf("topics changed: %v", md.Topics.Names())
		}
		if st, _ := s.adm.ListStartOffsets(ctx, "ro"); st["ro"][0].Offset != 0 {
			t.Errorf("ro purged")
		}
		if en, _ := s.adm.ListEndOffsets(ctx, "ro"); en["ro"][0].Offset != 3 || en["ro"][1].Offset != 0 {
			t.Errorf("ro produced to")
		}
		if rc, _ := s.adm.DescribeTopicConfigs(ctx, "ro"); configValue(rc[0].Configs, "retention.ms") != "604800000" {
			t.Errorf("ro altered")
		}
	})
}
