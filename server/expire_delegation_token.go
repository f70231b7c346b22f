package server

// ExpireDelegationToken: v0-2 (delegation_tokens.go)
//
// A negative period removes the token at once.
//
// Version notes:
//   - v1: ThrottleMillis semantics
//   - v2: flexible

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (s *Server) handleExpireDelegationToken(r *request) (reply, error) {
	req := r.kreq.(*kmsg.ExpireDelegationTokenRequest)
	resp := req.ResponseKind().(*kmsg.ExpireDelegationTokenResponse)
	if !allowTokenRequests(r.c) {
		resp.ErrorCode = kerr.DelegationTokenRequestNotAllowed.Code
		return msgReply{resp}, nil
	}
	exp, err := s.tokens.Expire(r.c.principal, req.HMAC, req.ExpiryPeriodMillis)
	resp.ErrorCode, resp.ExpiryTimestamp = errCode(err), exp
	return msgReply{resp}, nil
}
