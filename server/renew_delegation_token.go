package server

// RenewDelegationToken: v0-2 (delegation_tokens.go)
//
// Version notes:
//   - v1: ThrottleMillis semantics
//   - v2: flexible

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (s *Server) handleRenewDelegationToken(r *request) (reply, error) {
	req := r.kreq.(*kmsg.RenewDelegationTokenRequest)
	resp := req.ResponseKind().(*kmsg.RenewDelegationTokenResponse)
	if !allowTokenRequests(r.c) {
		resp.ErrorCode = kerr.DelegationTokenRequestNotAllowed.Code
		return msgReply{resp}, nil
	}
	exp, err := s.tokens.Renew(r.c.principal, req.HMAC, req.RenewTimeMillis)
	resp.ErrorCode, resp.ExpiryTimestamp = errCode(err), exp
	return msgReply{resp}, nil
}
