package server

// DescribeGroups: v0-6
//
// Version notes:
//   - v1: ThrottleMillis
//   - v3: IncludeAuthorizedOperations (no authorizer: left unset)
//   - v4: InstanceID
//   - v5: flexible
//   - v6: GROUP_ID_NOT_FOUND and ErrorMessage for unknown groups (KIP-1043)

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/group"
)

func (s *Server) handleDescribeGroups(r *request) (reply, error) {
	return s.serveGroup(r, func(g *group.Coordinator) kmsg.Response {
		return g.DescribeGroups(r.kreq.(*kmsg.DescribeGroupsRequest))
	})
}
