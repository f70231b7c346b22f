package server

// ListGroups: v0-5
//
// Every group this broker coordinates, including groups that only hold
// offsets (protocol type "").
//
// Version notes:
//   - v1: ThrottleMillis
//   - v3: flexible
//   - v4: StatesFilter, GroupState (KIP-518)
//   - v5: TypesFilter, GroupType (KIP-848; every group here is "classic")

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/group"
)

func (s *Server) handleListGroups(r *request) (reply, error) {
	return s.serveGroup(r, func(g *group.Coordinator) kmsg.Response { return g.ListGroups(r.kreq.(*kmsg.ListGroupsRequest)) })
}
