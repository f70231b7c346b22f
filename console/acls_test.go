package console

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stratabroker/strata/tools/tooltest"
)

// TestAclPage: list, add and delete ACLs through the console against
// Strata with the StandardAuthorizer (the console acts as User:ANONYMOUS,
// a super user here).
func TestAclPage(t *testing.T) {
	tg := tooltest.StartStrata(t,
		"authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
		"super.users", "User:ANONYMOUS")
	s := startSite(t, tg)
	if body := s.ok("/"); !strings.Contains(body, `<a href="/acls"`) {
		t.Fatalf("nav has no live ACLs link:\n%s", body)
	}
	if rows := table(t, s.ok("/acls"), "acls"); len(rows) != 2 || rows[1] != "No ACLs." {
		t.Fatalf("empty: %q", rows)
	}
	tok := s.token("/acls")
	add := func(typ, name, pattern, principal, op, perm string) {
		t.Helper()
		code, loc, body := s.post("/acls/add", url.Values{"csrf": {tok}, "type": {typ}, "name": {name}, "pattern": {pattern},
			"principal": {principal}, "host": {"*"}, "operation": {op}, "permission": {perm}})
		if code != http.StatusSeeOther || loc != "/acls?done=added" {
			t.Fatalf("add: %d %s\n%s", code, loc, text(body))
		}
	}
	add("TOPIC", "t", "LITERAL", "User:alice", "WRITE", "ALLOW")
	add("TOPIC", "logs-", "PREFIXED", "User:bob", "READ", "ALLOW")
	add("GROUP", "g", "LITERAL", "User:bob", "ALL", "DENY")
	want := []string{
		"Resource type | Name | Pattern | Principal | Host | Operation | Permission |",
		"TOPIC | logs- | PREFIXED | User:bob | * | READ | ALLOW | delete",
		"TOPIC | t | LITERAL | User:alice | * | WRITE | ALLOW | delete",
		"GROUP | g | LITERAL | User:bob | * | ALL | DENY | delete",
	}
	if rows := table(t, s.ok("/acls"), "acls"); strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Fatalf("ACLs:\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	// Filters: principal; resource name as a MATCH (the prefix binding of logs-a).
	if rows := table(t, s.ok("/acls?principal=User:bob&type=TOPIC"), "acls"); len(rows) != 2 || rows[1] != want[1] {
		t.Errorf("bob's topic ACLs: %q", rows)
	}
	if rows := table(t, s.ok("/acls?name=logs-a"), "acls"); len(rows) != 2 || rows[1] != want[1] {
		t.Errorf("ACLs matching logs-a: %q", rows)
	}
	// A refused add says why.
	code, _, body := s.post("/acls/add", url.Values{"csrf": {tok}, "type": {"CLUSTER"}, "name": {"other"}, "pattern": {"LITERAL"},
		"principal": {"User:x"}, "operation": {"ALTER"}, "permission": {"ALLOW"}})
	if code != http.StatusBadRequest || !strings.Contains(text(body), "the cluster refused: INVALID_REQUEST") || !strings.Contains(text(body), "The only valid name for the CLUSTER resource is kafka-cluster") {
		t.Errorf("bad add: %d\n%s", code, text(body))
	}
	code, loc, _ := s.post("/acls/delete", url.Values{"csrf": {tok}, "type": {"TOPIC"}, "name": {"t"}, "pattern": {"LITERAL"},
		"principal": {"User:alice"}, "host": {"*"}, "operation": {"WRITE"}, "permission": {"ALLOW"}})
	if code != http.StatusSeeOther || loc != "/acls?done=deleted" {
		t.Fatalf("delete: %d %s", code, loc)
	}
	if rows := table(t, s.ok("/acls"), "acls"); len(rows) != 3 || rows[1] != want[1] || rows[2] != want[3] {
		t.Fatalf("after delete: %q", rows)
	}
	// Without the CSRF token nothing changes.
	if code, _, _ := s.post("/acls/delete", url.Values{"type": {"GROUP"}, "name": {"g"}, "pattern": {"LITERAL"},
		"principal": {"User:bob"}, "host": {"*"}, "operation": {"ALL"}, "permission": {"DENY"}}); code != http.StatusForbidden {
		t.Errorf("delete without CSRF: %d", code)
	}
	if rows := table(t, s.ok("/acls"), "acls"); len(rows) != 3 {
		t.Fatalf("after refused delete: %q", rows)
	}
}

// TestAclPageReadOnlyAndDisabled: read-only shows no form and refuses the
// writes; a broker without an authorizer gets its message.
func TestAclPageReadOnlyAndDisabled(t *testing.T) {
	tg := tooltest.StartStrata(t,
		"authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
		"super.users", "User:ANONYMOUS")
	s := startSite(t, tg, func(o *Options) { o.ReadOnly = true })
	body := s.ok("/acls")
	for _, w := range []string{`method="post"`, `name="csrf"`, "Add an ACL"} {
		if strings.Contains(body, w) {
			t.Errorf("/acls shows %s in read-only mode", w)
		}
	}
	for _, path := range []string{"/acls/add", "/acls/delete"} {
		if code, _, body := s.post(path, url.Values{"type": {"TOPIC"}, "name": {"t"}, "pattern": {"LITERAL"}, "principal": {"User:a"}, "operation": {"READ"}, "permission": {"ALLOW"}}); code != http.StatusForbidden || !strings.Contains(body, "the console is read-only") {
			t.Errorf("POST %s: %d", path, code)
		}
	}
	off := startSite(t, tooltest.StartStrata(t))
	if b := text(off.ok("/acls")); !strings.Contains(b, "No Authorizer is configured on the broker (authorizer.class.name).") {
		t.Errorf("without an authorizer:\n%s", b)
	}
}
