package server

// OffsetDelete: v0
//
// Removes committed offsets of an empty group, or of topics a consumer
// group's members do not subscribe to (GROUP_SUBSCRIBED_TO_TOPIC for the
// others), by writing tombstones to __consumer_offsets.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/group"
)

func (s *Server) handleOffsetDelete(r *request) (reply, error) {
	req := r.kreq.(*kmsg.OffsetDeleteRequest)
	if !s.authorize(r.c, opDel, rtGroup, req.Group) {
		return groupError(r, kerr.GroupAuthorizationFailed.Code), nil
	}
	denied := s.filterOffsetDeleteTopics(r, req)
	return s.serveGroup(r, func(g *group.Coordinator) kmsg.Response {
		resp := g.OffsetDelete(req)
		if resp.ErrorCode == 0 {
			resp.Topics = append(resp.Topics, denied...)
		}
		return resp
	})
}
