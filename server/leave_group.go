package server

// LeaveGroup: v0-5
//
// Version notes:
//   - v1: ThrottleMillis
//   - v3: a batch of members (by member ID or instance ID), per-member errors
//   - v4: flexible
//   - v5: Reason

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/group"
)

func (s *Server) handleLeaveGroup(r *request) (reply, error) {
	return s.serveGroup(r, func(g *group.Coordinator) kmsg.Response { return g.LeaveGroup(r.kreq.(*kmsg.LeaveGroupRequest)) })
}
