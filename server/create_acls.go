package server

// CreateACLs: v0-3 (Kafka's AclApis.handleCreateAcls)
//
// ALTER on the cluster is needed (CLUSTER_AUTHORIZATION_FAILED in every
// result); without an authorizer every result is SECURITY_DISABLED. Each
// creation is validated as Kafka's AclControlManager does (INVALID_REQUEST
// with its message); the valid ones are written to acls.json in one
// atomic replace before the response.
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

func (s *Server) handleCreateACLs(r *request) (reply, error) {
	req := r.kreq.(*kmsg.CreateACLsRequest)
	resp := req.ResponseKind().(*kmsg.CreateACLsResponse)
	failAll := func(code int16, msg string) (reply, error) {
		for range req.Creations {
			res := kmsg.NewCreateACLsResponseResult()
			res.ErrorCode, res.ErrorMessage = code, &msg
			resp.Results = append(resp.Results, res)
		}
		return msgReply{resp}, nil
	}
	if !s.authorizeCluster(r.c, opAlter) {
		return failAll(kerr.ClusterAuthorizationFailed.Code, kerr.ClusterAuthorizationFailed.Message)
	}
	if s.acl == nil {
		return failAll(kerr.SecurityDisabled.Code, "No Authorizer is configured.")
	}
	bs := make([]acl.Binding, len(req.Creations))
	for i, c := range req.Creations {
		pt := c.ResourcePatternType
		if req.Version == 0 {
			pt = kmsg.ACLResourcePatternTypeLiteral
		}
		bs[i] = acl.Binding{ResourceType: c.ResourceType, ResourceName: c.ResourceName, PatternType: pt,
			Principal: c.Principal, Host: c.Host, Operation: c.Operation, Permission: c.PermissionType}
	}
	errs, err := s.acl.Create(bs)
	if err != nil {
		s.log.Error("create ACLs", "err", err)
		return failAll(kerr.UnknownServerError.Code, err.Error())
	}
	for _, e := range errs {
		res := kmsg.NewCreateACLsResponseResult()
		if e != nil {
			msg := e.Error()
			res.ErrorCode, res.ErrorMessage = errCode(e), &msg
		}
		resp.Results = append(resp.Results, res)
	}
	return msgReply{resp}, nil
}
