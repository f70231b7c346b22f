package server

// OffsetDelete: v0
//
// Removes committed offsets of an empty group, or of topics a consumer
// group's members do not subscribe to (GROUP_SUBSCRIBED_TO_TOPIC for the
// others), by writing tombstones to __consumer_offsets.

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/group"
)

func (s *Server) handleOffsetDelete(r *request) (reply, error) {
	return s.serveGroup(r, func(g *group.Coordinator) kmsg.Response { return g.OffsetDelete(r.kreq.(*kmsg.OffsetDeleteRequest)) })
}
