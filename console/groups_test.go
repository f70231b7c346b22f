package console

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stratabroker/strata/tools/tooltest"
)

func (s *site) commit(group string, at map[int32]int64) {
	s.t.Helper()
	os := kadm.Offsets{}
	for p, o := range at {
		os.AddOffset("orders", p, o, -1)
	}
	if err := s.adm.CommitAllOffsets(tooltest.Ctx(s.t), group, os); err != nil {
		s.t.Fatal(err)
	}
}

// stable joins a consumer of orders to group and waits (bounded) until the
// group is Stable.
func (s *site) stable(group string) *kgo.Client {
	s.t.Helper()
	cl := tooltest.Client(s.t, s.tg.Addr, kgo.ConsumerGroup(group), kgo.ConsumeTopics("orders"), kgo.ClientID("member-client"),
		kgo.DisableAutoCommit())
	ctx := tooltest.Ctx(s.t)
	for range 200 {
		cl.PollRecords(ctxTimeout(ctx, 100*time.Millisecond), 100)
		d, err := s.adm.DescribeGroups(ctx, group)
		if err == nil && d[group].State == "Stable" && len(d[group].Members) == 1 {
			if ca, ok := d[group].Members[0].Assigned.AsConsumer(); ok && len(ca.Topics) == 1 {
				return cl
			}
		}
	}
	s.t.Fatalf("group %s not Stable", group)
	return nil
}

func TestGroupPages(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		s := startSite(t, tg)
		s.createTopic("orders", 3, nil)
		s.records("orders", 0, 10)
		s.records("orders", 1, 4)
		s.commit("idle", map[int32]int64{0: 7, 1: 4, 2: 0})
		s.commit("live", map[int32]int64{0: 2})
		s.stable("live")

		equalRows(t, "groups", table(t, s.ok("/groups"), "groups"), []string{
			"Group | State | Protocol type | Coordinator",
			"idle | Empty |  | " + map[string]string{"strata": "1", "kfake": "0"}[tg.Name],
			"live | Stable | consumer | " + map[string]string{"strata": "1", "kfake": "0"}[tg.Name],
		})

		body := s.ok("/groups/idle")
		equalRows(t, "idle offsets", table(t, body, "offsets"), []string{
			"Topic | Partition | Committed | End | Lag | Member",
			"orders | 0 | 7 | 10 | 3 |",
			"orders | 1 | 4 | 4 | 0 |",
			"orders | 2 | 0 | 0 | 0 |",
		})
		if !strings.Contains(body, `<dd id="total-lag">3</dd>`) || !strings.Contains(body, `<dd id="state">Empty</dd>`) ||
			!strings.Contains(body, `href="/groups/idle/reset"`) {
			t.Errorf("idle group page:\n%s", body)
		}

		body = s.ok("/groups/live")
		members := table(t, body, "members")
		if len(members) != 2 || !strings.Contains(members[1], "member-client") || !strings.HasSuffix(members[1], "| orders: 0,1,2") {
			t.Errorf("members:\n%s", strings.Join(members, "\n"))
		}
		member := strings.Split(members[1], " | ")[0]
		equalRows(t, "live offsets", table(t, body, "offsets"), []string{
			"Topic | Partition | Committed | End | Lag | Member",
			"orders | 0 | 2 | 10 | 8 | " + member,
			"orders | 1 | - | 4 | - | " + member,
			"orders | 2 | - | 0 | - | " + member,
		})
		if !strings.Contains(body, `<dd id="total-lag">8</dd>`) || strings.Contains(body, `/groups/live/reset`) ||
			!strings.Contains(body, "Offsets can be reset and the group deleted only while it has no members (Empty).") {
			t.Errorf("live group page:\n%s", body)
		}
		// A reset of a group with members is refused.
		tok := s.token("/groups/idle/reset")
		code, _, rbody := s.post("/groups/live/reset", url.Values{"csrf": {tok}, "step": {"apply"}, "strategy": {"earliest"}})
		if code != http.StatusConflict || !strings.Contains(rbody, "but its state is Stable: stop its consumers first. Nothing was changed.") {
			t.Errorf("reset of a Stable group: %d\n%s", code, text(rbody))
		}
		if o, _ := s.adm.FetchOffsets(tooltest.Ctx(t), "live"); o["orders"][0].At != 2 {
			t.Errorf("live's offset moved to %d", o["orders"][0].At)
		}
	})
}

func TestResetAndDeleteGroup(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		s := startSite(t, tg)
		s.createTopic("orders", 2, nil)
		s.records("orders", 0, 10)
		s.records("orders", 1, 6)
		if _, err := s.adm.DeleteRecords(tooltest.Ctx(t), kadm.Offsets{"orders": {0: {Topic: "orders", Partition: 0, At: 3, LeaderEpoch: -1}}}); err != nil {
			t.Fatal(err)
		}
		s.commit("g", map[int32]int64{0: 9, 1: 6})
		tok := s.token("/groups/g/reset")
		// Preview: nothing committed yet.
		code, _, body := s.post("/groups/g/reset", url.Values{"csrf": {tok}, "step": {"preview"}, "strategy": {"offset"}, "value": {"1"}})
		if code != http.StatusOK {
			t.Fatalf("preview: %d\n%s", code, text(body))
		}
		equalRows(t, "plan", table(t, body, "plan"), []string{
			"Topic | Partition | Current | New",
			"orders | 0 | 9 | 3", // clamped to the log start
			"orders | 1 | 6 | 1",
		})
		if o, _ := s.adm.FetchOffsets(tooltest.Ctx(t), "g"); o["orders"][0].At != 9 {
			t.Fatalf("the preview committed: %v", o)
		}
		// Apply.
		code, loc, body := s.post("/groups/g/reset", url.Values{"csrf": {tok}, "step": {"apply"}, "strategy": {"offset"}, "value": {"1"}})
		if code != http.StatusSeeOther || loc != "/groups/g?done=reset" {
			t.Fatalf("apply: %d %s\n%s", code, loc, text(body))
		}
		o, _ := s.adm.FetchOffsets(tooltest.Ctx(t), "g")
		if o["orders"][0].At != 3 || o["orders"][1].At != 1 {
			t.Fatalf("after the reset: %v", o)
		}
		if !strings.Contains(s.ok(loc), "Offsets reset.") {
			t.Error("no notice after the reset")
		}
		// Earliest, and timestamps before and after every record.
		for _, c := range []struct {
			strategy, value string
			p0, p1          int64
		}{
			{"earliest", "", 3, 0},
			{"timestamp", "2100-01-01T00:00:00", 10, 6},
			{"timestamp", "0", 3, 0},
		} {
			if code, _, body := s.post("/groups/g/reset", url.Values{"csrf": {tok}, "step": {"apply"}, "strategy": {c.strategy}, "value": {c.value}}); code != http.StatusSeeOther {
				t.Fatalf("%s %s: %d\n%s", c.strategy, c.value, code, text(body))
			}
			if o, _ := s.adm.FetchOffsets(tooltest.Ctx(t), "g"); o["orders"][0].At != c.p0 || o["orders"][1].At != c.p1 {
				t.Errorf("after %s %s: %d %d, want %d %d", c.strategy, c.value, o["orders"][0].At, o["orders"][1].At, c.p0, c.p1)
			}
		}
		// Latest, one topic.
		s.post("/groups/g/reset", url.Values{"csrf": {tok}, "step": {"apply"}, "strategy": {"latest"}, "topic": {"orders"}})
		if o, _ := s.adm.FetchOffsets(tooltest.Ctx(t), "g"); o["orders"][0].At != 10 || o["orders"][1].At != 6 {
			t.Fatalf("after latest: %v", o)
		}
		// Delete.
		if code, loc, _ := s.post("/groups/g/delete", url.Values{"csrf": {tok}}); code != http.StatusSeeOther || loc != "/groups?done=group-deleted" {
			t.Fatalf("delete: %d %s", code, loc)
		}
		if l, _ := s.adm.ListGroups(tooltest.Ctx(t)); len(l) != 0 {
			t.Errorf("groups after delete: %v", l.Groups())
		}
		if code, _ := s.get("/groups/g"); code != http.StatusNotFound {
			t.Errorf("deleted group's page: %d", code)
		}
	})
}

// TestGroupNames: a group id is any string; its links keep it one path
// segment.
func TestGroupNames(t *testing.T) {
	s := startSite(t, tooltest.StartStrata(t))
	s.createTopic("orders", 1, nil)
	s.records("orders", 0, 3)
	const name = "team/a b?x=1#frag"
	s.commit(name, map[int32]int64{0: 1})
	body := s.ok("/groups")
	want := `href="/groups/team%2Fa%20b%3Fx=1%23frag"`
	if !strings.Contains(body, want) {
		t.Fatalf("no %s in\n%s", want, body)
	}
	body = s.ok("/groups/team%2Fa%20b%3Fx=1%23frag")
	if !strings.Contains(body, "<h1>Group team/a b?x=1#frag</h1>") || !strings.Contains(body, `href="/groups/team%2Fa%20b%3Fx=1%23frag/reset"`) {
		t.Errorf("group page:\n%s", body)
	}
	equalRows(t, "offsets", table(t, body, "offsets")[1:], []string{"orders | 0 | 1 | 3 | 2 |"})
	tok := s.token("/groups/team%2Fa%20b%3Fx=1%23frag/reset")
	if code, loc, _ := s.post("/groups/team%2Fa%20b%3Fx=1%23frag/delete", url.Values{"csrf": {tok}}); code != http.StatusSeeOther {
		t.Errorf("delete: %d %s", code, loc)
	}
	if l, _ := s.adm.ListGroups(tooltest.Ctx(t)); len(l) != 0 {
		t.Errorf("groups left: %v", l.Groups())
	}
}
