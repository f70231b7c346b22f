package server

// DeleteGroups: v0-3
//
// Only empty groups can be deleted (NON_EMPTY_GROUP otherwise); their
// offsets and metadata get tombstones in __consumer_offsets.
//
// Version notes:
//   - v1: same as v0
//   - v2: flexible
//   - v3: per-group ErrorMessage (Kafka 4.4): the error's description

import (
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/group"
)

func (s *Server) handleDeleteGroups(r *request) (reply, error) {
	req := r.kreq.(*kmsg.DeleteGroupsRequest)
	denied := s.filterDeleteGroups(r, req)
	return s.serveGroup(r, func(g *group.Coordinator) kmsg.Response {
		resp := g.DeleteGroups(req)
		resp.Groups = append(resp.Groups, denied...)
		if resp.Version >= 3 {
			for i := range resp.Groups {
				var ke *kerr.Error
				if rg := &resp.Groups[i]; rg.ErrorCode != 0 && rg.ErrorMessage == nil && errors.As(kerr.ErrorForCode(rg.ErrorCode), &ke) {
					rg.ErrorMessage = kmsg.StringPtr(ke.Description)
				}
			}
		}
		return resp
	})
}
