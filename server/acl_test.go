package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
	"github.com/twmb/franz-go/pkg/sasl/plain"
)

const aclJAAS = `org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret" user_bob="bob-secret";`

// startACLBroker starts a SASL_PLAINTEXT broker with PLAIN users admin
// (a super user), alice and bob, and the StandardAuthorizer.
func startACLBroker(t *testing.T, dir string) *Server {
	t.Helper()
	return startServerIn(t, dir, Options{},
		"listeners", "SASL_PLAINTEXT://127.0.0.1:0",
		"sasl.enabled.mechanisms", "PLAIN",
		"listener.name.sasl_plaintext.plain.sasl.jaas.config", aclJAAS,
		"connection.failed.authentication.delay.ms", "0",
		"authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
		"super.users", "User:admin;User:ops",
		"group.initial.rebalance.delay.ms", "0",
	)
}

func userClient(t *testing.T, s *Server, user string, opts ...kgo.Opt) *kgo.Client {
	return saslClient(t, s, plain.Auth{User: user, Pass: user + "-secret"}.AsMechanism(), opts...)
}

func createACL(rt kmsg.ACLResourceType, name string, pt kmsg.ACLResourcePatternType, principal string, op kmsg.ACLOperation, perm kmsg.ACLPermissionType) kmsg.CreateACLsRequestCreation {
	c := kmsg.NewCreateACLsRequestCreation()
	c.ResourceType, c.ResourceName, c.ResourcePatternType = rt, name, pt
	c.Principal, c.Host, c.Operation, c.PermissionType = principal, "*", op, perm
	return c
}

func mustCreateACLs(t *testing.T, ctx context.Context, cl *kgo.Client, cs ...kmsg.CreateACLsRequestCreation) {
	t.Helper()
	req := kmsg.NewPtrCreateACLsRequest()
	req.Creations = cs
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range resp.Results {
		if r.ErrorCode != 0 {
			t.Fatalf("creation %d: %v %v", i, kerr.ErrorForCode(r.ErrorCode), r.ErrorMessage)
		}
	}
}

func describeAllACLs(ctx context.Context, cl *kgo.Client) (*kmsg.DescribeACLsResponse, error) {
	req := kmsg.NewPtrDescribeACLsRequest()
	req.ResourceType, req.ResourcePatternType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny
	req.Operation, req.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	return req.RequestWith(ctx, cl)
}

func aclLines(resp *kmsg.DescribeACLsResponse) []string {
	var out []string
	for _, r := range resp.Resources {
		for _, a := range r.ACLs {
			out = append(out, fmt.Sprintf("%s:%s:%s %s %s %s %s", r.ResourceType, r.ResourcePatternType, r.ResourceName, a.Principal, a.Host, a.Operation, a.PermissionType))
		}
	}
	return out
}

func TestACLProduceMetadataGroup(t *testing.T) {
	dir := t.TempDir()
	s := startACLBroker(t, dir)
	ctx := testCtx(t)
	admin := userClient(t, s, "admin")
	adm := kadm.NewClient(admin)
	if _, err := adm.CreateTopics(ctx, 1, 1, nil, "t", "u", "bob-1", "bob-2"); err != nil {
		t.Fatal(err)
	}
	lit, pre := kmsg.ACLResourcePatternTypeLiteral, kmsg.ACLResourcePatternTypePrefixed
	allow := kmsg.ACLPermissionTypeAllow
	mustCreateACLs(t, ctx, admin,
		createACL(kmsg.ACLResourceTypeTopic, "t", lit, "User:alice", kmsg.ACLOperationWrite, allow),
		createACL(kmsg.ACLResourceTypeTopic, "bob-", pre, "User:bob", kmsg.ACLOperationRead, allow),
	)

	// alice writes t, not u: nothing is appended to u.
	alice := userClient(t, s, "alice", kgo.RecordRetries(1))
	if err := alice.ProduceSync(ctx, &kgo.Record{Topic: "t", Value: []byte("a")}).FirstErr(); err != nil {
		t.Fatalf("alice → t: %v", err)
	}
	err := alice.ProduceSync(ctx, &kgo.Record{Topic: "u", Value: []byte("a")}).FirstErr()
	if !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("alice → u: %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}
	ends, err := adm.ListEndOffsets(ctx, "t", "u")
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := ends.Lookup("u", 0); e.Offset != 0 {
		t.Fatalf("u end offset %d, want 0", e.Offset)
	}
	if e, _ := ends.Lookup("t", 0); e.Offset != 1 {
		t.Fatalf("t end offset %d, want 1", e.Offset)
	}

	// Produce by hand: exactly one denial, the partition's error code, no offset.
	preq := kmsg.NewPtrProduceRequest()
	preq.Version, preq.Acks, preq.TimeoutMillis = 9, -1, 5000
	pt := kmsg.NewProduceRequestTopic()
	pt.Topic = "u"
	td, err := adm.ListTopics(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	pt.TopicID = td["u"].ID // v13 names topics by ID
	pp := kmsg.NewProduceRequestTopicPartition()
	pp.Records = oneRecordBatch(t, time.Now())
	pt.Partitions = []kmsg.ProduceRequestTopicPartition{pp}
	preq.Topics = []kmsg.ProduceRequestTopic{pt}
	before := s.aclDenied[kmsg.ACLResourceTypeTopic][kmsg.ACLOperationWrite].Load()
	presp, err := preq.RequestWith(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if presp.Version < 13 {
		t.Fatalf("produce v%d, want 13", presp.Version)
	}
	if p := presp.Topics[0].Partitions[0]; p.ErrorCode != kerr.TopicAuthorizationFailed.Code || p.BaseOffset != -1 {
		t.Fatalf("produce u: code %d base %d", p.ErrorCode, p.BaseOffset)
	}
	if n := s.aclDenied[kmsg.ACLResourceTypeTopic][kmsg.ACLOperationWrite].Load() - before; n != 1 {
		t.Fatalf("TOPIC WRITE denials: %d more, want 1", n)
	}

	// bob sees only his topics; alice only t (WRITE implies DESCRIBE).
	for user, want := range map[string][]string{"bob": {"bob-1", "bob-2"}, "alice": {"t"}, "admin": {"bob-1", "bob-2", "t", "u"}} {
		md, err := kadm.NewClient(userClient(t, s, user)).ListTopics(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := md.Names(); !slices.Equal(got, want) {
			t.Fatalf("%s's topics: %v, want %v", user, got, want)
		}
	}
	// Named and denied: TOPIC_AUTHORIZATION_FAILED whether it exists or not.
	mreq := kmsg.NewPtrMetadataRequest()
	mreq.Version = 10
	mreq.IncludeTopicAuthorizedOperations, mreq.IncludeClusterAuthorizedOperations = true, true
	for _, n := range []string{"u", "nope", "bob-1"} {
		mt := kmsg.NewMetadataRequestTopic()
		mt.Topic = kmsg.StringPtr(n)
		mreq.Topics = append(mreq.Topics, mt)
	}
	v10 := kversion.Stable()
	v10.SetMaxKeyVersion(int16(kmsg.Metadata), 10) // the last with cluster operations
	mresp, err := mreq.RequestWith(ctx, userClient(t, s, "bob", kgo.MaxVersions(v10)))
	if err != nil {
		t.Fatal(err)
	}
	if mresp.Version != 10 {
		t.Fatalf("metadata v%d, want 10", mresp.Version)
	}
	wantCodes := []int16{kerr.TopicAuthorizationFailed.Code, kerr.TopicAuthorizationFailed.Code, 0}
	for i, mt := range mresp.Topics {
		if mt.ErrorCode != wantCodes[i] {
			t.Fatalf("metadata %s: code %d, want %d", *mt.Topic, mt.ErrorCode, wantCodes[i])
		}
	}
	if ops := mresp.Topics[2].AuthorizedOperations; ops != 1<<kmsg.ACLOperationRead|1<<kmsg.ACLOperationDescribe {
		t.Fatalf("bob's operations on bob-1: %b", ops)
	}
	if mresp.AuthorizedOperations != 0 {
		t.Fatalf("bob's cluster operations: %b, want 0 (no DESCRIBE on the cluster)", mresp.AuthorizedOperations)
	}

	// bob's consumer needs READ on the group.
	bob := userClient(t, s, "bob", kgo.ConsumeTopics("bob-1"), kgo.ConsumerGroup("g"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	fs := bob.PollFetches(fctx)
	cancel()
	var gerr error
	fs.EachError(func(_ string, _ int32, err error) { gerr = err })
	if !errors.Is(gerr, kerr.GroupAuthorizationFailed) {
		t.Fatalf("bob without group ACL: %v, want GROUP_AUTHORIZATION_FAILED", gerr)
	}
	bob.Close()
	mustCreateACLs(t, ctx, admin, createACL(kmsg.ACLResourceTypeGroup, "g", lit, "User:bob", kmsg.ACLOperationRead, allow))
	if err := admin.ProduceSync(ctx, &kgo.Record{Topic: "bob-1", Value: []byte("hello")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	bob = userClient(t, s, "bob", kgo.ConsumeTopics("bob-1"), kgo.ConsumerGroup("g"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	fs = bob.PollFetches(ctx)
	if err := fs.Err(); err != nil {
		t.Fatalf("bob with group ACL: %v", err)
	}
	if recs := fs.Records(); len(recs) != 1 || string(recs[0].Value) != "hello" {
		t.Fatalf("bob read %d records", len(recs))
	}

	// DescribeAcls: admin sees all, alice may not.
	dresp, err := describeAllACLs(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"TOPIC:LITERAL:t User:alice * WRITE ALLOW",
		"TOPIC:PREFIXED:bob- User:bob * READ ALLOW",
		"GROUP:LITERAL:g User:bob * READ ALLOW",
	}
	if got := aclLines(dresp); !slices.Equal(got, want) {
		t.Fatalf("ACLs:\n%q\nwant\n%q", got, want)
	}
	dresp, err = describeAllACLs(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if dresp.ErrorCode != kerr.ClusterAuthorizationFailed.Code || len(dresp.Resources) != 0 {
		t.Fatalf("alice's DescribeAcls: code %d, %d resources", dresp.ErrorCode, len(dresp.Resources))
	}
}

func TestACLAPIsDurableAndValidated(t *testing.T) {
	dir := t.TempDir()
	s := startACLBroker(t, dir)
	ctx := testCtx(t)
	admin := userClient(t, s, "admin")
	lit := kmsg.ACLResourcePatternTypeLiteral
	allow, deny := kmsg.ACLPermissionTypeAllow, kmsg.ACLPermissionTypeDeny
	req := kmsg.NewPtrCreateACLsRequest()
	req.Creations = []kmsg.CreateACLsRequestCreation{
		createACL(kmsg.ACLResourceTypeTopic, "t", lit, "User:alice", kmsg.ACLOperationRead, allow),
		createACL(kmsg.ACLResourceTypeCluster, "other", lit, "User:alice", kmsg.ACLOperationAlter, allow),
		createACL(kmsg.ACLResourceTypeTopic, "", lit, "User:alice", kmsg.ACLOperationRead, allow),
		createACL(kmsg.ACLResourceTypeTopic, "t", kmsg.ACLResourcePatternTypeMatch, "User:alice", kmsg.ACLOperationRead, allow),
		createACL(kmsg.ACLResourceTypeGroup, "g", lit, "User:bob", kmsg.ACLOperationAll, deny),
	}
	resp, err := req.RequestWith(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"0 <nil>", "42 The only valid name for the CLUSTER resource is kafka-cluster", "42 Resource name should not be empty", "42 Invalid patternType MATCH", "0 <nil>"}
	for i, r := range resp.Results {
		got := fmt.Sprintf("%d %v", r.ErrorCode, r.ErrorMessage)
		if r.ErrorMessage != nil {
			got = fmt.Sprintf("%d %s", r.ErrorCode, *r.ErrorMessage)
		}
		if got != want[i] {
			t.Errorf("creation %d: %s, want %s", i, got, want[i])
		}
	}
	// alice may not create: every result CLUSTER_AUTHORIZATION_FAILED.
	resp, err = req.RequestWith(ctx, userClient(t, s, "alice"))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range resp.Results {
		if r.ErrorCode != kerr.ClusterAuthorizationFailed.Code {
			t.Fatalf("alice's creation %d: code %d", i, r.ErrorCode)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Restarted: the ACLs are there; DeleteAcls removes and lists them.
	s = startACLBroker(t, dir)
	admin = userClient(t, s, "admin")
	d, err := describeAllACLs(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	wantLines := []string{"TOPIC:LITERAL:t User:alice * READ ALLOW", "GROUP:LITERAL:g User:bob * ALL DENY"}
	if got := aclLines(d); !slices.Equal(got, wantLines) {
		t.Fatalf("after restart: %q, want %q", got, wantLines)
	}
	dreq := kmsg.NewPtrDeleteACLsRequest()
	f := kmsg.NewDeleteACLsRequestFilter()
	f.ResourceType, f.ResourcePatternType = kmsg.ACLResourceTypeTopic, kmsg.ACLResourcePatternTypeMatch
	f.ResourceName = kmsg.StringPtr("t")
	f.Operation, f.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	dreq.Filters = []kmsg.DeleteACLsRequestFilter{f}
	dresp, err := dreq.RequestWith(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	if r := dresp.Results[0]; r.ErrorCode != 0 || len(r.MatchingACLs) != 1 || r.MatchingACLs[0].Principal != "User:alice" || r.MatchingACLs[0].Operation != kmsg.ACLOperationRead {
		t.Fatalf("delete: %+v", dresp.Results)
	}
	d, err = describeAllACLs(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	if got := aclLines(d); !slices.Equal(got, wantLines[1:]) {
		t.Fatalf("after delete: %q", got)
	}
}

func TestACLSecurityDisabled(t *testing.T) {
	s := startServer(t)
	ctx := testCtx(t)
	cl := newClient(t, s)
	d, err := describeAllACLs(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if d.ErrorCode != kerr.SecurityDisabled.Code || *d.ErrorMessage != "No Authorizer is configured on the broker" {
		t.Fatalf("describe: %d %v", d.ErrorCode, d.ErrorMessage)
	}
	req := kmsg.NewPtrCreateACLsRequest()
	req.Creations = []kmsg.CreateACLsRequestCreation{createACL(kmsg.ACLResourceTypeTopic, "t", kmsg.ACLResourcePatternTypeLiteral, "User:a", kmsg.ACLOperationRead, kmsg.ACLPermissionTypeAllow)}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if r := resp.Results[0]; r.ErrorCode != kerr.SecurityDisabled.Code || *r.ErrorMessage != "No Authorizer is configured." {
		t.Fatalf("create: %d %v", r.ErrorCode, r.ErrorMessage)
	}
	if s.ACLsEnabled() {
		t.Fatal("ACLsEnabled without authorizer.class.name")
	}
}
