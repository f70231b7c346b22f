package server

// DescribeDelegationToken: v0-3 (delegation_tokens.go)
//
// Owners null: every token; empty: none; else the tokens whose owner,
// requester or a renewer is one of them. With no authorizer every
// principal may describe every token, as Kafka without one.
//
// Version notes:
//   - v1: ThrottleMillis semantics
//   - v2: flexible
//   - v3: TokenRequesterPrincipalType/Name

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (s *Server) handleDescribeDelegationToken(r *request) (reply, error) {
	req := r.kreq.(*kmsg.DescribeDelegationTokenRequest)
	resp := req.ResponseKind().(*kmsg.DescribeDelegationTokenResponse)
	switch {
	case !allowTokenRequests(r.c):
		resp.ErrorCode = kerr.DelegationTokenRequestNotAllowed.Code
		return msgReply{resp}, nil
	case !s.tokens.Enabled():
		resp.ErrorCode = kerr.DelegationTokenAuthDisabled.Code
		return msgReply{resp}, nil
	case req.Owners != nil && len(req.Owners) == 0:
		return msgReply{resp}, nil
	}
	var owners []string
	if req.Owners != nil {
		owners = []string{}
		for _, o := range req.Owners {
			owners = append(owners, o.PrincipalType+":"+o.PrincipalName)
		}
	}
	for _, tk := range s.tokens.Describe(owners) {
		d := kmsg.NewDescribeDelegationTokenResponseTokenDetail()
		d.PrincipalType, d.PrincipalName = principalParts(tk.Owner)
		d.TokenRequesterPrincipalType, d.TokenRequesterPrincipalName = principalParts(tk.Requester)
		d.IssueTimestamp, d.ExpiryTimestamp, d.MaxTimestamp = tk.Issue, tk.Expiry, tk.Max
		d.TokenID, d.HMAC = tk.ID, tk.HMAC
		for _, rn := range tk.Renewers {
			x := kmsg.NewDescribeDelegationTokenResponseTokenDetailRenewer()
			x.PrincipalType, x.PrincipalName = principalParts(rn)
			d.Renewers = append(d.Renewers, x)
		}
		resp.TokenDetails = append(resp.TokenDetails, d)
	}
	return msgReply{resp}, nil
}
