package acl

import (
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/internal/vfs"
)

const (
	topic   = kmsg.ACLResourceTypeTopic
	group   = kmsg.ACLResourceTypeGroup
	cluster = kmsg.ACLResourceTypeCluster
	lit     = kmsg.ACLResourcePatternTypeLiteral
	pre     = kmsg.ACLResourcePatternTypePrefixed
	allow   = kmsg.ACLPermissionTypeAllow
	deny    = kmsg.ACLPermissionTypeDeny
)

func bind(rt kmsg.ACLResourceType, name string, pt kmsg.ACLResourcePatternType, principal, host string, op kmsg.ACLOperation, perm kmsg.ACLPermissionType) Binding {
	return Binding{rt, name, pt, principal, host, op, perm}
}

func open(t *testing.T, cfg Config, bs ...Binding) (*Authorizer, vfs.FS, string) {
	t.Helper()
	fsys := vfs.OS
	dir := t.TempDir()
	a, err := Open(fsys, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	errs, err := a.Create(bs)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range errs {
		if e != nil {
			t.Fatalf("binding %d: %v", i, e)
		}
	}
	return a, fsys, dir
}

type check struct {
	principal, host string
	op              kmsg.ACLOperation
	rt              kmsg.ACLResourceType
	name            string
	want            bool
}

func run(t *testing.T, a *Authorizer, cs []check) {
	t.Helper()
	for _, c := range cs {
		if got := a.Authorize(c.principal, c.host, c.op, c.rt, c.name); got != c.want {
			t.Errorf("Authorize(%s, %s, %s, %s, %q) = %v, want %v", c.principal, c.host, c.op, c.rt, c.name, got, c.want)
		}
	}
}

func TestAuthorizeLiteralPrefixWildcard(t *testing.T) {
	a, _, _ := open(t, Config{},
		bind(topic, "t", lit, "User:alice", "*", kmsg.ACLOperationWrite, allow),
		bind(topic, "logs-", pre, "User:bob", "*", kmsg.ACLOperationRead, allow),
		bind(topic, "*", lit, "User:carol", "*", kmsg.ACLOperationDescribe, allow),
		bind(group, "g", lit, "User:*", "10.0.0.1", kmsg.ACLOperationRead, allow),
	)
	run(t, a, []check{
		{"User:alice", "127.0.0.1", kmsg.ACLOperationWrite, topic, "t", true},
		{"User:alice", "127.0.0.1", kmsg.ACLOperationWrite, topic, "u", false},
		{"User:alice", "127.0.0.1", kmsg.ACLOperationRead, topic, "t", false},
		{"User:alice", "127.0.0.1", kmsg.ACLOperationDescribe, topic, "t", true}, // WRITE implies DESCRIBE
		{"User:bob", "127.0.0.1", kmsg.ACLOperationRead, topic, "logs-a", true},
		{"User:bob", "127.0.0.1", kmsg.ACLOperationRead, topic, "logs-", true},
		{"User:bob", "127.0.0.1", kmsg.ACLOperationRead, topic, "logs", false},
		{"User:bob", "127.0.0.1", kmsg.ACLOperationRead, topic, "t", false},
		{"User:carol", "127.0.0.1", kmsg.ACLOperationDescribe, topic, "anything", true},
		{"User:carol", "127.0.0.1", kmsg.ACLOperationRead, topic, "anything", false},
		{"User:dave", "10.0.0.1", kmsg.ACLOperationRead, group, "g", true},
		{"User:dave", "10.0.0.2", kmsg.ACLOperationRead, group, "g", false},
		{"User:dave", "10.0.0.1", kmsg.ACLOperationRead, topic, "g", false},
	})
}

func TestAuthorizeDenyWins(t *testing.T) {
	a, _, _ := open(t, Config{},
		bind(topic, "*", lit, "User:alice", "*", kmsg.ACLOperationAll, allow),
		bind(topic, "secret-", pre, "User:alice", "*", kmsg.ACLOperationRead, deny),
		bind(topic, "x", lit, "User:*", "*", kmsg.ACLOperationAll, deny),
	)
	run(t, a, []check{
		{"User:alice", "h", kmsg.ACLOperationRead, topic, "public", true},
		{"User:alice", "h", kmsg.ACLOperationRead, topic, "secret-1", false},
		{"User:alice", "h", kmsg.ACLOperationWrite, topic, "secret-1", true},
		{"User:alice", "h", kmsg.ACLOperationDescribe, topic, "secret-1", true}, // a DENY READ does not deny DESCRIBE
		{"User:alice", "h", kmsg.ACLOperationDescribe, topic, "x", false},
	})
}

func TestAuthorizeImplications(t *testing.T) {
	a, _, _ := open(t, Config{},
		bind(topic, "r", lit, "User:u", "*", kmsg.ACLOperationRead, allow),
		bind(topic, "d", lit, "User:u", "*", kmsg.ACLOperationDelete, allow),
		bind(topic, "a", lit, "User:u", "*", kmsg.ACLOperationAlter, allow),
		bind(topic, "c", lit, "User:u", "*", kmsg.ACLOperationAlterConfigs, allow),
		bind(topic, "k", lit, "User:u", "*", kmsg.ACLOperationCreate, allow),
	)
	run(t, a, []check{
		{"User:u", "h", kmsg.ACLOperationDescribe, topic, "r", true},
		{"User:u", "h", kmsg.ACLOperationDescribe, topic, "d", true},
		{"User:u", "h", kmsg.ACLOperationDescribe, topic, "a", true},
		{"User:u", "h", kmsg.ACLOperationDescribeConfigs, topic, "c", true},
		{"User:u", "h", kmsg.ACLOperationDescribe, topic, "c", false},
		{"User:u", "h", kmsg.ACLOperationDescribe, topic, "k", false}, // CREATE implies nothing
		{"User:u", "h", kmsg.ACLOperationDescribeConfigs, topic, "a", false},
	})
	if got, want := a.Operations("User:u", "h", topic, "r"), int32(1<<3|1<<8); got != want {
		t.Errorf("Operations(r) = %b, want %b", got, want)
	}
}

func TestAuthorizeSuperUsersAndNoACL(t *testing.T) {
	cfg, on, err := ConfigFromProps(func(k string) (string, bool) {
		v, ok := map[string]string{"authorizer.class.name": StandardAuthorizer, "super.users": "User:admin;User:ops"}[k]
		return v, ok
	})
	if err != nil || !on {
		t.Fatal(on, err)
	}
	a, _, _ := open(t, cfg, bind(topic, "t", lit, "User:admin", "*", kmsg.ACLOperationAll, deny))
	run(t, a, []check{
		{"User:admin", "h", kmsg.ACLOperationWrite, topic, "t", true}, // super users skip even DENY
		{"User:ops", "h", kmsg.ACLOperationAlter, cluster, ClusterName, true},
		{"User:x", "h", kmsg.ACLOperationRead, topic, "none", false}, // allow.everyone.if.no.acl.found=false
	})
	b, _, _ := open(t, Config{AllowEveryoneIfNoACLFound: true}, bind(topic, "t", lit, "User:alice", "*", kmsg.ACLOperationWrite, allow))
	run(t, b, []check{
		{"User:x", "h", kmsg.ACLOperationRead, topic, "none", true},
		{"User:x", "h", kmsg.ACLOperationRead, topic, "t", false}, // t has ACLs, none for x
	})
	for _, class := range []string{"", AclAuthorizer, "com.example.Other"} {
		_, on, err := ConfigFromProps(func(k string) (string, bool) { return class, k == "authorizer.class.name" })
		if want := class == AclAuthorizer; on != want || (err != nil) != (class == "com.example.Other") {
			t.Errorf("class %q: enabled %v err %v", class, on, err)
		}
	}
}

func TestAuthorizeAnyTopicWrite(t *testing.T) {
	a, _, _ := open(t, Config{},
		bind(topic, "t", lit, "User:alice", "*", kmsg.ACLOperationWrite, allow),
		bind(topic, "p-", pre, "User:bob", "*", kmsg.ACLOperationWrite, allow),
		bind(topic, "*", lit, "User:bob", "*", kmsg.ACLOperationWrite, deny),
	)
	if !a.AuthorizeAny("User:alice", "h", kmsg.ACLOperationWrite, topic) {
		t.Error("alice: want WRITE on some topic")
	}
	if a.AuthorizeAny("User:bob", "h", kmsg.ACLOperationWrite, topic) {
		t.Error("bob: the wildcard DENY covers his prefix")
	}
	if a.AuthorizeAny("User:carol", "h", kmsg.ACLOperationWrite, topic) {
		t.Error("carol: no binding")
	}
}

func TestCreateDeleteDescribeDurable(t *testing.T) {
	a, fsys, dir := open(t, Config{},
		bind(topic, "t", lit, "User:alice", "*", kmsg.ACLOperationWrite, allow),
		bind(topic, "t", pre, "User:alice", "*", kmsg.ACLOperationRead, allow),
		bind(group, "g", lit, "User:bob", "*", kmsg.ACLOperationRead, allow),
	)
	errs, err := a.Create([]Binding{
		bind(topic, "t", lit, "User:alice", "*", kmsg.ACLOperationWrite, allow), // duplicate: kept once
		bind(cluster, "other", lit, "User:x", "*", kmsg.ACLOperationAlter, allow),
		bind(topic, "*", pre, "User:x", "*", kmsg.ACLOperationAlter, allow),
		bind(topic, "t", lit, "alice", "*", kmsg.ACLOperationAlter, allow),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"<nil>", "The only valid name for the CLUSTER resource is kafka-cluster", "Invalid pattern type for wildcard resource: PREFIXED",
		"expected a string in format principalType:principalName but got alice"}
	for i, e := range errs {
		if fmt.Sprint(e) != want[i] {
			t.Errorf("create %d: %v, want %s", i, e, want[i])
		}
	}
	name := "tx"
	match := a.Describe(Filter{ResourceType: topic, ResourceName: &name, PatternType: kmsg.ACLResourcePatternTypeMatch, Operation: kmsg.ACLOperationAny, Permission: kmsg.ACLPermissionTypeAny})
	if len(match) != 1 || match[0].PatternType != pre {
		t.Fatalf("MATCH tx = %+v", match)
	}
	if n := len(a.Describe(Filter{ResourceType: kmsg.ACLResourceTypeAny, PatternType: kmsg.ACLResourcePatternTypeAny, Operation: kmsg.ACLOperationAny, Permission: kmsg.ACLPermissionTypeAny})); n != 3 {
		t.Fatalf("describe all: %d, want 3", n)
	}
	gone, err := a.Delete([]Filter{{ResourceType: topic, PatternType: kmsg.ACLResourcePatternTypeAny, Operation: kmsg.ACLOperationAny, Permission: kmsg.ACLPermissionTypeAny}})
	if err != nil || len(gone[0]) != 2 {
		t.Fatalf("delete: %v %v", gone, err)
	}
	b, err := Open(fsys, dir, Config{})
	if err != nil {
		t.Fatal(err)
	}
	got := b.Describe(Filter{ResourceType: kmsg.ACLResourceTypeAny, PatternType: kmsg.ACLResourcePatternTypeAny, Operation: kmsg.ACLOperationAny, Permission: kmsg.ACLPermissionTypeAny})
	if len(got) != 1 || got[0] != bind(group, "g", lit, "User:bob", "*", kmsg.ACLOperationRead, allow) {
		t.Fatalf("reopened: %+v", got)
	}
}

// BenchmarkAuthorize10k measures one check against 10,000 bindings (the
// index: a map lookup and a trie walk along the name).
func BenchmarkAuthorize10k(b *testing.B) {
	a, err := Open(vfs.OS, b.TempDir(), Config{})
	if err != nil {
		b.Fatal(err)
	}
	var bs []Binding
	for i := range 10000 {
		pt := lit
		if i%4 == 0 {
			pt = pre
		}
		bs = append(bs, bind(topic, fmt.Sprintf("topic-%05d", i), pt, fmt.Sprintf("User:u%d", i%100), "*", kmsg.ACLOperationWrite, allow))
	}
	if _, err := a.Create(bs); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if !a.Authorize("User:u1", "127.0.0.1", kmsg.ACLOperationWrite, topic, "topic-00001") {
			b.Fatal("denied")
		}
	}
}

// TestCrashDurable: what Create and Delete answered survives a machine
// crash (vfs.MemFS.CrashClone keeps only what was synced), torn tails and
// all.
func TestCrashDurable(t *testing.T) {
	mem := vfs.NewMem()
	if err := mem.MkdirAll("/data", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := mem.SyncDir("/"); err != nil {
		t.Fatal(err)
	}
	a, err := Open(mem, "/data", Config{})
	if err != nil {
		t.Fatal(err)
	}
	keep := bind(topic, "t", lit, "User:alice", "*", kmsg.ACLOperationWrite, allow)
	gone := bind(group, "g", lit, "User:bob", "*", kmsg.ACLOperationRead, allow)
	if _, err := a.Create([]Binding{keep, gone}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Delete([]Filter{{ResourceType: group, PatternType: kmsg.ACLResourcePatternTypeAny, Operation: kmsg.ACLOperationAny, Permission: kmsg.ACLPermissionTypeAny}}); err != nil {
		t.Fatal(err)
	}
	crashed := mem.CrashClone(vfs.CrashOptions{TearUnsynced: true, Garble: true})
	b, err := Open(crashed, "/data", Config{})
	if err != nil {
		t.Fatal(err)
	}
	all := b.Describe(Filter{ResourceType: kmsg.ACLResourceTypeAny, PatternType: kmsg.ACLResourcePatternTypeAny, Operation: kmsg.ACLOperationAny, Permission: kmsg.ACLPermissionTypeAny})
	if len(all) != 1 || all[0] != keep {
		t.Fatalf("after the crash: %+v", all)
	}
}
