package server

// JoinGroup: v0-9
//
// The request waits on the coordinator until the rebalance's join phase
// ends (all members in, or the rebalance timeout), as in Kafka; the
// connection serves nothing else meanwhile, as in Kafka.
//
// Version notes:
//   - v1: RebalanceTimeoutMillis (v0: the session timeout)
//   - v2: ThrottleMillis
//   - v4: MEMBER_ID_REQUIRED for a new member (KIP-394)
//   - v5: InstanceID (static membership, KIP-345)
//   - v6: flexible
//   - v7: ProtocolType in the answer
//   - v8: Reason
//   - v9: SkipAssignment (KIP-814)

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/group"
)

func (s *Server) handleJoinGroup(r *request) (reply, error) {
	return s.serveGroup(r, func(g *group.Coordinator) kmsg.Response {
		return g.JoinGroup(r.kreq.(*kmsg.JoinGroupRequest), groupClient(r))
	})
}
