package server

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/auth"
	"github.com/stratabroker/strata/internal/scramcred"
)

// handleDescribeUserScramCredentials answers from the SCRAM store as
// Kafka's ScramImage.describe: every user when none is named; a user named
// twice gets DUPLICATE_RESOURCE, an unknown one RESOURCE_NOT_FOUND.
func (s *Server) handleDescribeUserScramCredentials(r *request) (reply, error) {
	if rep := s.clusterDenied(r, opDescribe); rep != nil {
		return rep, nil
	}
	req := r.kreq.(*kmsg.DescribeUserSCRAMCredentialsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeUserSCRAMCredentialsResponse)
	users := s.scram.Users()
	var names []string
	dup := map[string]bool{}
	if len(req.Users) == 0 {
		names = users.Names()
	} else {
		for _, u := range req.Users {
			if _, seen := dup[u.Name]; seen {
				dup[u.Name] = true
				continue
			}
			dup[u.Name] = false
			names = append(names, u.Name)
		}
	}
	for _, name := range names {
		res := kmsg.NewDescribeUserSCRAMCredentialsResponseResult()
		res.User = name
		switch {
		case dup[name]:
			res.ErrorCode = kerr.DuplicateResource.Code
			msg := "Cannot describe SCRAM credentials for the same user twice in a single request: " + name
			res.ErrorMessage = &msg
		case len(users[name]) == 0:
			res.ErrorCode = kerr.ResourceNotFound.Code
			msg := "Attempt to describe a user credential that does not exist: " + name
			res.ErrorMessage = &msg
		default:
			for _, m := range scramcred.Mechanisms {
				if c, ok := users[name][m.Name]; ok {
					ci := kmsg.NewDescribeUserSCRAMCredentialsResponseResultCredentialInfo()
					ci.Mechanism, ci.Iterations = m.Type, int32(c.Iterations)
					res.CredentialInfos = append(res.CredentialInfos, ci)
				}
			}
		}
		resp.Results = append(resp.Results, res)
	}
	return msgReply{resp}, nil
}

// handleAlterUserScramCredentials validates as Kafka's ScramControlManager
// (a user altered twice: DUPLICATE_RESOURCE; empty name or too few or many
// iterations: UNACCEPTABLE_CREDENTIAL; unknown mechanism:
// UNSUPPORTED_SASL_MECHANISM; deleting what does not exist:
// RESOURCE_NOT_FOUND), then applies every accepted change at once,
// durably.
func (s *Server) handleAlterUserScramCredentials(r *request) (reply, error) {
	if rep := s.clusterDenied(r, opAlter); rep != nil {
		return rep, nil
	}
	req := r.kreq.(*kmsg.AlterUserSCRAMCredentialsRequest)
	resp := req.ResponseKind().(*kmsg.AlterUserSCRAMCredentialsResponse)
	existing := s.scram.Users()
	type apiErr struct {
		code int16
		msg  string
	}
	errs := map[string]apiErr{}
	deletions := map[string]auth.Change{}
	upserts := map[string]auth.Change{}
	var order []string
	seen := map[string]bool{}
	note := func(name string) {
		if !seen[name] {
			seen[name] = true
			order = append(order, name)
		}
	}
	dupErr := apiErr{kerr.DuplicateResource.Code, "A user credential cannot be altered twice in the same request"}
	validate := func(name string, mech int8) (scramcred.Mechanism, *apiErr) {
		if name == "" {
			return scramcred.Mechanism{}, &apiErr{kerr.UnacceptableCredential.Code, "Username must not be empty"}
		}
		m, ok := scramcred.ByType(mech)
		if !ok {
			return m, &apiErr{kerr.UnsupportedSaslMechanism.Code, "Unknown SCRAM mechanism"}
		}
		return m, nil
	}
	for _, d := range req.Deletions {
		note(d.Name)
		if _, bad := errs[d.Name]; bad {
			continue
		}
		if _, ok := deletions[d.Name]; ok {
			delete(deletions, d.Name)
			errs[d.Name] = dupErr
			continue
		}
		m, e := validate(d.Name, d.Mechanism)
		if e == nil {
			if _, ok := existing[d.Name][m.Name]; !ok {
				e = &apiErr{kerr.ResourceNotFound.Code, "Attempt to delete a user credential that does not exist"}
			}
		}
		if e != nil {
			errs[d.Name] = *e
			continue
		}
		deletions[d.Name] = auth.Change{User: d.Name, Mechanism: m.Name}
	}
	for _, u := range req.Upsertions {
		note(u.Name)
		if _, bad := errs[u.Name]; bad {
			continue
		}
		_, isDel := deletions[u.Name]
		_, isUp := upserts[u.Name]
		if isDel || isUp {
			delete(deletions, u.Name)
			delete(upserts, u.Name)
			errs[u.Name] = dupErr
			continue
		}
		m, e := validate(u.Name, u.Mechanism)
		if e == nil && u.Iterations < scramcred.MinIterations {
			e = &apiErr{kerr.UnacceptableCredential.Code, "Too few iterations"}
		} else if e == nil && u.Iterations > scramcred.MaxIterations {
			e = &apiErr{kerr.UnacceptableCredential.Code, "Too many iterations"}
		}
		if e != nil {
			errs[u.Name] = *e
			continue
		}
		c := m.FromSaltedPassword(u.SaltedPassword, u.Salt, int(u.Iterations))
		upserts[u.Name] = auth.Change{User: u.Name, Mechanism: m.Name, Credential: &c}
	}
	var changes []auth.Change
	for _, name := range order {
		if c, ok := deletions[name]; ok {
			changes = append(changes, c)
		}
		if c, ok := upserts[name]; ok {
			changes = append(changes, c)
		}
	}
	if err := s.scram.Apply(changes); err != nil {
		s.log.Error("write SCRAM credentials", "err", err)
		for _, c := range changes {
			msg := "Unable to store the credential: " + err.Error()
			errs[c.User] = apiErr{kerr.UnknownServerError.Code, msg}
		}
	}
	for _, name := range order {
		res := kmsg.NewAlterUserSCRAMCredentialsResponseResult()
		res.User = name
		if e, ok := errs[name]; ok {
			res.ErrorCode = e.code
			msg := e.msg
			res.ErrorMessage = &msg
		}
		resp.Results = append(resp.Results, res)
	}
	return msgReply{resp}, nil
}
