package console

import (
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/tools/tooltest"
)

// TestQuotasPage: the quotas page lists each entity's quotas, defaults as
// "default", and the SCRAM users with their mechanisms and iterations;
// the nav links it.
func TestQuotasPage(t *testing.T) {
	tg := tooltest.StartStrata(t)
	s := startSite(t, tg)
	cl := tooltest.Client(t, tg.Addr)
	req := kmsg.NewPtrAlterClientQuotasRequest()
	add := func(key string, v float64, parts ...*string) {
		e := kmsg.NewAlterClientQuotasRequestEntry()
		for i := 0; i < len(parts); i += 2 {
			p := kmsg.NewAlterClientQuotasRequestEntryEntity()
			p.Type, p.Name = *parts[i], parts[i+1]
			e.Entity = append(e.Entity, p)
		}
		op := kmsg.NewAlterClientQuotasRequestEntryOp()
		op.Key, op.Value = key, v
		e.Ops = append(e.Ops, op)
		req.Entries = append(req.Entries, e)
	}
	add("producer_byte_rate", 1048576, str("user"), str("alice"), str("client-id"), nil)
	add("request_percentage", 12.5, str("client-id"), str("etl"))
	resp, err := req.RequestWith(tooltest.Ctx(t), cl)
	if err != nil || resp.Entries[0].ErrorCode != 0 || resp.Entries[1].ErrorCode != 0 {
		t.Fatalf("alter: %v %+v", err, resp)
	}
	body := s.ok("/quotas")
	if !strings.Contains(body, `<a href="/quotas" class="on" aria-current="page">Quotas &amp; users</a>`) {
		t.Errorf("nav entry missing")
	}
	equalRows(t, "quotas", table(t, body, "quotas"), []string{
		"User | Client ID | IP | Quotas",
		"| etl |  | request_percentage=12.5",
		"alice | default |  | producer_byte_rate=1048576",
	})
	if _, err := kadm.NewClient(cl).AlterUserSCRAMs(tooltest.Ctx(t), nil, []kadm.UpsertSCRAM{{User: "bob", Mechanism: kadm.ScramSha512, Iterations: 8192, Password: "x"}}); err != nil {
		t.Fatal(err)
	}
	equalRows(t, "users", table(t, s.ok("/quotas"), "scram-users"), []string{
		"User | Credentials",
		"bob | SCRAM-SHA-512 (8192 iterations)",
	})
}
