package server

// OffsetFetch: v0-9
//
// Partitions without a committed offset answer -1. v10 (topic IDs,
// Kafka 4.2) is not served yet.
//
// Version notes:
//   - v2: null topics = every committed partition; top-level ErrorCode
//   - v3: ThrottleMillis
//   - v5: LeaderEpoch
//   - v6: flexible
//   - v7: RequireStable (no transactions, so always stable)
//   - v8: several groups per request (KIP-709)
//   - v9: MemberID, MemberEpoch (KIP-848 groups; ignored for classic groups)

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/group"
)

func (s *Server) handleOffsetFetch(r *request) (reply, error) {
	return s.serveGroup(r, func(g *group.Coordinator) kmsg.Response { return g.OffsetFetch(r.kreq.(*kmsg.OffsetFetchRequest)) })
}
