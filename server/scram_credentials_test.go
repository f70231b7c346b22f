package server

import (
	"sort"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

type scramResult struct {
	user string
	code int16
	msg  string
}

func alterScram(t *testing.T, rc *rawClient, req *kmsg.AlterUserSCRAMCredentialsRequest) []scramResult {
	t.Helper()
	resp := rc.roundTrip(req).(*kmsg.AlterUserSCRAMCredentialsResponse)
	var out []scramResult
	for _, r := range resp.Results {
		m := ""
		if r.ErrorMessage != nil {
			m = *r.ErrorMessage
		}
		out = append(out, scramResult{r.User, r.ErrorCode, m})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].user < out[j].user })
	return out
}

func upsert(name string, mech int8, iters int32) kmsg.AlterUserSCRAMCredentialsRequestUpsertion {
	u := kmsg.NewAlterUserSCRAMCredentialsRequestUpsertion()
	u.Name, u.Mechanism, u.Iterations = name, mech, iters
	u.Salt, u.SaltedPassword = []byte("salt"), make([]byte, 32)
	return u
}

func deletion(name string, mech int8) kmsg.AlterUserSCRAMCredentialsRequestDeletion {
	d := kmsg.NewAlterUserSCRAMCredentialsRequestDeletion()
	d.Name, d.Mechanism = name, mech
	return d
}

// TestScramCredentialsValidation: Kafka's ScramControlManager and
// ScramImage answers, durable across a restart.
func TestScramCredentialsValidation(t *testing.T) {
	dir := t.TempDir()
	s := startServerIn(t, dir, Options{})
	rc := dialRaw(t, s)
	req := kmsg.NewPtrAlterUserSCRAMCredentialsRequest()
	req.Upsertions = append(req.Upsertions,
		upsert("alice", 1, 8192), upsert("bob", 2, 4096), upsert("low", 1, 4095), upsert("high", 1, 16385),
		upsert("", 1, 4096), upsert("odd", 3, 4096), upsert("twice", 1, 4096), upsert("twice", 2, 4096))
	req.Deletions = append(req.Deletions, deletion("ghost", 1))
	got := alterScram(t, rc, req)
	want := []scramResult{
		{"", kerr.UnacceptableCredential.Code, "Username must not be empty"},
		{"alice", 0, ""},
		{"bob", 0, ""},
		{"ghost", kerr.ResourceNotFound.Code, "Attempt to delete a user credential that does not exist"},
		{"high", kerr.UnacceptableCredential.Code, "Too many iterations"},
		{"low", kerr.UnacceptableCredential.Code, "Too few iterations"},
		{"odd", kerr.UnsupportedSaslMechanism.Code, "Unknown SCRAM mechanism"},
		{"twice", kerr.DuplicateResource.Code, "A user credential cannot be altered twice in the same request"},
	}
	if len(got) != len(want) {
		t.Fatalf("results %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("result %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	s.Close()
	s2 := startServerIn(t, dir, Options{})
	rc2 := dialRaw(t, s2)
	d := kmsg.NewPtrDescribeUserSCRAMCredentialsRequest()
	for _, n := range []string{"alice", "nobody", "bob", "bob"} {
		u := kmsg.NewDescribeUserSCRAMCredentialsRequestUser()
		u.Name = n
		d.Users = append(d.Users, u)
	}
	resp := rc2.roundTrip(d).(*kmsg.DescribeUserSCRAMCredentialsResponse)
	type row struct {
		user  string
		code  int16
		msg   string
		mech  int8
		iters int32
	}
	var rows []row
	for _, r := range resp.Results {
		x := row{user: r.User, code: r.ErrorCode}
		if r.ErrorMessage != nil {
			x.msg = *r.ErrorMessage
		}
		for _, ci := range r.CredentialInfos {
			x.mech, x.iters = ci.Mechanism, ci.Iterations
		}
		rows = append(rows, x)
	}
	wantRows := []row{
		{user: "alice", mech: 1, iters: 8192},
		{user: "nobody", code: kerr.ResourceNotFound.Code, msg: "Attempt to describe a user credential that does not exist: nobody"},
		{user: "bob", code: kerr.DuplicateResource.Code, msg: "Cannot describe SCRAM credentials for the same user twice in a single request: bob"},
	}
	if len(rows) != len(wantRows) {
		t.Fatalf("describe: %+v", rows)
	}
	for i := range wantRows {
		if rows[i] != wantRows[i] {
			t.Errorf("describe %d = %+v, want %+v", i, rows[i], wantRows[i])
		}
	}
	// Deleting bob's SCRAM-SHA-512 leaves alice alone in an all-users describe.
	del := kmsg.NewPtrAlterUserSCRAMCredentialsRequest()
	del.Deletions = append(del.Deletions, deletion("bob", 2))
	if r := alterScram(t, rc2, del); len(r) != 1 || r[0] != (scramResult{"bob", 0, ""}) {
		t.Fatalf("delete bob: %+v", r)
	}
	all := rc2.roundTrip(kmsg.NewPtrDescribeUserSCRAMCredentialsRequest()).(*kmsg.DescribeUserSCRAMCredentialsResponse)
	if len(all.Results) != 1 || all.Results[0].User != "alice" {
		t.Fatalf("describe all: %+v", all.Results)
	}
}
