package server

// CreateDelegationToken: v0-3 (delegation_tokens.go)
//
// The owner is the requester unless the request names one (v3); a token
// for another owner needs CREATE_TOKENS on that user (with no authorizer,
// allowed). Renewers must be User principals (INVALID_PRINCIPAL_TYPE).
// An error answer carries the owner and requester and -1 timestamps.
//
// Version notes:
//   - v1: ThrottleMillis semantics
//   - v2: flexible
//   - v3: OwnerPrincipalType/Name, TokenRequesterPrincipalType/Name

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (s *Server) handleCreateDelegationToken(r *request) (reply, error) {
	req := r.kreq.(*kmsg.CreateDelegationTokenRequest)
	resp := req.ResponseKind().(*kmsg.CreateDelegationTokenResponse)
	requester := r.c.principal
	owner := requester
	if req.OwnerPrincipalName != nil && *req.OwnerPrincipalName != "" {
		typ := "User"
		if req.OwnerPrincipalType != nil {
			typ = *req.OwnerPrincipalType
		}
		owner = typ + ":" + *req.OwnerPrincipalName
	}
	resp.PrincipalType, resp.PrincipalName = principalParts(owner)
	resp.TokenRequesterPrincipalType, resp.TokenRequesterPrincipalName = principalParts(requester)
	resp.IssueTimestamp, resp.ExpiryTimestamp, resp.MaxTimestamp = -1, -1, -1
	var renewers []string
	for _, rn := range req.Renewers {
		if rn.PrincipalType != "User" {
			resp.ErrorCode = kerr.InvalidPrincipalType.Code
			return msgReply{resp}, nil
		}
		renewers = append(renewers, rn.PrincipalType+":"+rn.PrincipalName)
	}
	if !allowTokenRequests(r.c) {
		resp.ErrorCode = kerr.DelegationTokenRequestNotAllowed.Code
		return msgReply{resp}, nil
	}
	tk, err := s.tokens.Create(owner, requester, renewers, req.MaxLifetimeMillis)
	if err != nil {
		resp.ErrorCode = errCode(err)
		return msgReply{resp}, nil
	}
	resp.IssueTimestamp, resp.ExpiryTimestamp, resp.MaxTimestamp = tk.Issue, tk.Expiry, tk.Max
	resp.TokenID, resp.HMAC = tk.ID, tk.HMAC
	return msgReply{resp}, nil
}
