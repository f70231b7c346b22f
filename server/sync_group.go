package server

// SyncGroup: v0-5
//
// Members wait until the leader's assignment is stored in
// __consumer_offsets; the answer is each member's assignment bytes as the
// leader sent them.
//
// Version notes:
//   - v1: ThrottleMillis
//   - v3: InstanceID
//   - v4: flexible
//   - v5: ProtocolType and Protocol, checked against the group's

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/group"
)

func (s *Server) handleSyncGroup(r *request) (reply, error) {
	return s.serveGroup(r, func(g *group.Coordinator) kmsg.Response { return g.SyncGroup(r.kreq.(*kmsg.SyncGroupRequest)) })
}
