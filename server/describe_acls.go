package server

// DescribeACLs: v0-3
//
// No authorizer runs, so every request gets SECURITY_DISABLED, Kafka's
// answer in that case (Kafdrop and kafka-acls.sh expect it; a key that is
// not advertised makes them fail instead).
//
// Version notes:
//   - v1: PatternType (KIP-290)
//   - v2: flexible
//   - v3: USER_GROUP resource type

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (s *Server) handleDescribeACLs(r *request) (reply, error) {
	req := r.kreq.(*kmsg.DescribeACLsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeACLsResponse)
	resp.ErrorCode = kerr.SecurityDisabled.Code
	msg := "No Authorizer is configured on the broker"
	resp.ErrorMessage = &msg
	return msgReply{resp}, nil
}
