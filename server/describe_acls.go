package server

// DescribeACLs: v0-3 (Kafka's AclApis.handleDescribeAcls)
//
// Without an authorizer SECURITY_DISABLED (Kafdrop and kafka-acls.sh
// expect it; a key that is not advertised makes them fail instead). With
// one, DESCRIBE on the cluster is needed (CLUSTER_AUTHORIZATION_FAILED);
// a filter with UNKNOWN elements gets INVALID_REQUEST.
//
// Version notes:
//   - v0: no pattern type: LITERAL
//   - v1: PatternType (KIP-290)
//   - v2: flexible
//   - v3: USER_GROUP resource type

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/acl"
)

func (s *Server) handleDescribeACLs(r *request) (reply, error) {
	req := r.kreq.(*kmsg.DescribeACLsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeACLsResponse)
	fail := func(code int16, msg string) (reply, error) {
		resp.ErrorCode = code
		resp.ErrorMessage = &msg
		return msgReply{resp}, nil
	}
	if !s.authorizeCluster(r.c, opDescribe) {
		return fail(kerr.ClusterAuthorizationFailed.Code, kerr.ClusterAuthorizationFailed.Message)
	}
	if s.acl == nil {
		return fail(kerr.SecurityDisabled.Code, "No Authorizer is configured on the broker")
	}
	pt := req.ResourcePatternType
	if req.Version == 0 {
		pt = kmsg.ACLResourcePatternTypeLiteral
	}
	f := acl.Filter{ResourceType: req.ResourceType, ResourceName: req.ResourceName, PatternType: pt,
		Principal: req.Principal, Host: req.Host, Operation: req.Operation, Permission: req.PermissionType}
	if err := f.Validate(); err != nil {
		return fail(kerr.InvalidRequest.Code, err.Error())
	}
	var cur *kmsg.DescribeACLsResponseResource
	for _, b := range s.acl.Describe(f) {
		if cur == nil || cur.ResourceType != b.ResourceType || cur.ResourceName != b.ResourceName || cur.ResourcePatternType != b.PatternType {
			res := kmsg.NewDescribeACLsResponseResource()
			res.ResourceType, res.ResourceName, res.ResourcePatternType = b.ResourceType, b.ResourceName, b.PatternType
			resp.Resources = append(resp.Resources, res)
			cur = &resp.Resources[len(resp.Resources)-1]
		}
		a := kmsg.NewDescribeACLsResponseResourceACL()
		a.Principal, a.Host, a.Operation, a.PermissionType = b.Principal, b.Host, b.Operation, b.Permission
		cur.ACLs = append(cur.ACLs, a)
	}
	return msgReply{resp}, nil
}
