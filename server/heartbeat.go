package server

// Heartbeat: v0-4
//
// REBALANCE_IN_PROGRESS while the group prepares a rebalance (the member
// must rejoin); UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION and
// FENCED_INSTANCE_ID as Kafka answers them.
//
// Version notes:
//   - v1: ThrottleMillis
//   - v3: InstanceID
//   - v4: flexible

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/group"
)

func (s *Server) handleHeartbeat(r *request) (reply, error) {
	return s.serveGroup(r, func(g *group.Coordinator) kmsg.Response { return g.Heartbeat(r.kreq.(*kmsg.HeartbeatRequest)) })
}
