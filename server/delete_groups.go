package server

// DeleteGroups: v0-2
//
// Only empty groups can be deleted (NON_EMPTY_GROUP otherwise); their
// offsets and metadata get tombstones in __consumer_offsets.
//
// Version notes:
//   - v1: same as v0
//   - v2: flexible

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/group"
)

func (s *Server) handleDeleteGroups(r *request) (reply, error) {
	return s.serveGroup(r, func(g *group.Coordinator) kmsg.Response { return g.DeleteGroups(r.kreq.(*kmsg.DeleteGroupsRequest)) })
}
