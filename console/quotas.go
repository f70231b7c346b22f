package console

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The quotas page: every client quota of the cluster (DescribeClientQuotas
// with no filter component, KIP-546), one row per entity (user, client id,
// IP; "default" for a default entity) with each quota config, as
// `strata configs --describe` shows them; and the users with SCRAM
// credentials (DescribeUserScramCredentials), their mechanisms and
// iterations (never a salt or key).

type quotaRow struct {
	User, Client, IP string // "" when the entity has no such part
	Values           []quotaValue
}

type quotaValue struct{ Key, Value string }

type scramUser struct {
	User  string
	Creds []string // "SCRAM-SHA-256 (8192 iterations)"
}

type quotasData struct {
	Quotas []quotaRow
	Users  []scramUser
	// UsersErr is why the users could not be listed ("" when they were).
	UsersErr string
}

func (s *Server) quotas(w http.ResponseWriter, r *http.Request) error {
	req := kmsg.NewPtrDescribeClientQuotasRequest()
	resp, err := req.RequestWith(r.Context(), s.cl)
	if err != nil {
		return err
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return err
	}
	var rows []quotaRow
	for _, e := range resp.Entries {
		var row quotaRow
		for _, p := range e.Entity {
			name := "default"
			if p.Name != nil {
				name = *p.Name
			}
			switch p.Type {
			case "user":
				row.User = name
			case "client-id":
				row.Client = name
			case "ip":
				row.IP = name
			}
		}
		for _, v := range e.Values {
			row.Values = append(row.Values, quotaValue{v.Key, strconv.FormatFloat(v.Value, 'f', -1, 64)})
		}
		rows = append(rows, row)
	}
	d := quotasData{Quotas: rows}
	described, err := s.adm.DescribeUserSCRAMs(r.Context())
	if err != nil {
		d.UsersErr = err.Error()
	}
	for _, u := range described.Sorted() {
		if u.Err != nil {
			continue
		}
		su := scramUser{User: u.User}
		for _, c := range u.CredInfos {
			su.Creds = append(su.Creds, fmt.Sprintf("%s (%d iterations)", c.Mechanism, c.Iterations))
		}
		d.Users = append(d.Users, su)
	}
	return s.render(w, r, http.StatusOK, "quotas.html", "Quotas & users", "quotas", d)
}
