package server

// DeleteACLs: v0-3 (Kafka's AclApis.handleDeleteAcls)
//
// ALTER on the cluster is needed (CLUSTER_AUTHORIZATION_FAILED in every
// filter result); without an authorizer every filter result is
// SECURITY_DISABLED. A filter with UNKNOWN elements gets INVALID_REQUEST;
// the others remove what they match, written to acls.json in one atomic
// replace, and list it.
//
// Version notes:
//   - v0: no pattern type: LITERAL
//   - v1: ResourcePatternType (KIP-290)
//   - v2: flexible
//   - v3: USER_GROUP resource type

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/acl"
)

func (s *Server) handleDeleteACLs(r *request) (reply, error) {
	req := r.kreq.(*kmsg.DeleteACLsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteACLsResponse)
	resp.Results = make([]kmsg.DeleteACLsResponseResult, len(req.Filters))
	for i := range resp.Results {
		resp.Results[i] = kmsg.NewDeleteACLsResponseResult()
	}
	failAll := func(code int16, msg string) (reply, error) {
		for i := range resp.Results {
			resp.Results[i].ErrorCode, resp.Results[i].ErrorMessage = code, &msg
		}
		return msgReply{resp}, nil
	}
	if !s.authorizeCluster(r.c, opAlter) {
		return failAll(kerr.ClusterAuthorizationFailed.Code, kerr.ClusterAuthorizationFailed.Message)
	}
	if s.acl == nil {
		return failAll(kerr.SecurityDisabled.Code, "No Authorizer is configured.")
	}
	var fs []acl.Filter
	var at []int // index in resp of fs[i]
	for i, f := range req.Filters {
		pt := f.ResourcePatternType
		if req.Version == 0 {
			pt = kmsg.ACLResourcePatternTypeLiteral
		}
		af := acl.Filter{ResourceType: f.ResourceType, ResourceName: f.ResourceName, PatternType: pt,
			Principal: f.Principal, Host: f.Host, Operation: f.Operation, Permission: f.PermissionType}
		if err := af.Validate(); err != nil {
			msg := err.Error()
			resp.Results[i].ErrorCode, resp.Results[i].ErrorMessage = errCode(err), &msg
			continue
		}
		fs = append(fs, af)
		at = append(at, i)
	}
	gone, err := s.acl.Delete(fs)
	if err != nil {
		s.log.Error("delete ACLs", "err", err)
		return failAll(kerr.UnknownServerError.Code, err.Error())
	}
	for j, bs := range gone {
		res := &resp.Results[at[j]]
		for _, b := range bs {
			m := kmsg.NewDeleteACLsResponseResultMatchingACL()
			m.ResourceType, m.ResourceName, m.ResourcePatternType = b.ResourceType, b.ResourceName, b.PatternType
			m.Principal, m.Host, m.Operation, m.PermissionType = b.Principal, b.Host, b.Operation, b.Permission
			res.MatchingACLs = append(res.MatchingACLs, m)
		}
	}
	return msgReply{resp}, nil
}
