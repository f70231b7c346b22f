package server

// DescribeClientQuotas: v0-1, AlterClientQuotas: v0-1 (KIP-546, package
// quota).
//
// Describe filters by entity type with match types EXACT (0), DEFAULT (1)
// and ANY (2); strict excludes entities with other types. An unknown
// entity type, a type twice, or ip with user/client-id: INVALID_REQUEST at
// the top level. Alter validates each entity as Kafka's
// ClientQuotaControlManager: an empty entity, an unknown or duplicate
// type, an empty name, ip with user/client-id, an unknown key for the
// entity, a value <= 0 or fractional for a LONG/INT key: INVALID_REQUEST
// for that entity, whose changes are all dropped. Removals are not
// validated. validate_only changes nothing.
//
// Version notes:
//   - v1: flexible

import (
	"maps"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/quota"
)

func (s *Server) handleDescribeClientQuotas(r *request) (reply, error) {
	req := r.kreq.(*kmsg.DescribeClientQuotasRequest)
	resp := req.ResponseKind().(*kmsg.DescribeClientQuotasResponse)
	if !s.authorizeCluster(r.c, opDescribeConfigs) { // Kafka's handleDescribeClientQuotas
		resp.ErrorCode = kerr.ClusterAuthorizationFailed.Code
		return msgReply{resp}, nil
	}
	filters := make([]quota.Filter, 0, len(req.Components))
	for _, c := range req.Components {
		f := quota.Filter{Type: c.EntityType, Match: int8(c.MatchType)}
		if c.Match != nil {
			f.Name = *c.Match
		}
		filters = append(filters, f)
	}
	es, qs, err := s.quota.store.Describe(filters, req.Strict)
	if err != nil {
		resp.ErrorCode = errCode(err)
		msg := err.Error()
		resp.ErrorMessage = &msg
		resp.Entries = nil
		return msgReply{resp}, nil
	}
	for i, e := range es {
		entry := kmsg.NewDescribeClientQuotasResponseEntry()
		for _, p := range e.Parts() {
			ep := kmsg.NewDescribeClientQuotasResponseEntryEntity()
			ep.Type, ep.Name = p.Type, p.Name
			entry.Entity = append(entry.Entity, ep)
		}
		for _, k := range slices.Sorted(maps.Keys(qs[i])) {
			v := kmsg.NewDescribeClientQuotasResponseEntryValue()
			v.Key, v.Value = k, qs[i][k]
			entry.Values = append(entry.Values, v)
		}
		resp.Entries = append(resp.Entries, entry)
	}
	return msgReply{resp}, nil
}

func (s *Server) handleAlterClientQuotas(r *request) (reply, error) {
	req := r.kreq.(*kmsg.AlterClientQuotasRequest)
	resp := req.ResponseKind().(*kmsg.AlterClientQuotasResponse)
	denied := !s.authorizeCluster(r.c, opAlterConfigs) // Kafka's handleAlterClientQuotas
	var changes []quota.Change
	for _, in := range req.Entries {
		out := kmsg.NewAlterClientQuotasResponseEntry()
		parts := make([]quota.Part, 0, len(in.Entity))
		for _, p := range in.Entity {
			ep := kmsg.NewAlterClientQuotasResponseEntryEntity()
			ep.Type, ep.Name = p.Type, p.Name
			out.Entity = append(out.Entity, ep)
			parts = append(parts, quota.Part{Type: p.Type, Name: p.Name})
		}
		e, err := quota.ParseEntity(parts)
		if denied {
			out.ErrorCode = kerr.ClusterAuthorizationFailed.Code
			resp.Entries = append(resp.Entries, out)
			continue
		}
		ch := quota.Change{Entity: e, Set: map[string]float64{}}
		for _, op := range in.Ops {
			if err != nil {
				break
			}
			if op.Remove {
				ch.Remove = append(ch.Remove, op.Key)
				delete(ch.Set, op.Key)
				continue
			}
			err = e.ValidateValue(op.Key, op.Value)
			ch.Set[op.Key] = op.Value
		}
		if err != nil {
			out.ErrorCode = errCode(err)
			msg := err.Error()
			out.ErrorMessage = &msg
		} else {
			changes = append(changes, ch)
		}
		resp.Entries = append(resp.Entries, out)
	}
	if !req.ValidateOnly && len(changes) > 0 {
		if err := s.quota.store.Alter(changes); err != nil {
			s.log.Error("alter client quotas", "err", err)
			for i := range resp.Entries {
				if resp.Entries[i].ErrorCode == 0 {
					resp.Entries[i].ErrorCode = errCode(err)
				}
			}
		}
	}
	return msgReply{resp}, nil
}
