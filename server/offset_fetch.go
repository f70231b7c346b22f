package server

// OffsetFetch: v0-10
//
// Partitions without a committed offset answer -1.
//
// Version notes:
//   - v2: null topics = every committed partition; top-level ErrorCode
//   - v3: ThrottleMillis
//   - v5: LeaderEpoch
//   - v6: flexible
//   - v7: RequireStable: partitions with an offset of an open transaction
//     (TxnOffsetCommit) answer UNSTABLE_OFFSET_COMMIT
//   - v8: several groups per request (KIP-709)
//   - v9: MemberID, MemberEpoch (KIP-848 groups; ignored for classic groups)
//   - v10: topics by ID (Kafka 4.2): served as v9 with the names, answered
//     by ID; an unknown ID gets UNKNOWN_TOPIC_ID, and committed offsets of
//     topics that no longer exist are left out of an all-topics answer

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/group"
)

func (s *Server) handleOffsetFetch(r *request) (reply, error) {
	req := r.kreq.(*kmsg.OffsetFetchRequest)
	if req.Version < 10 {
		return s.serveGroup(r, func(g *group.Coordinator) kmsg.Response { return g.OffsetFetch(req) })
	}
	version := req.Version
	byName := *req
	byName.Version = 9
	byName.Groups = make([]kmsg.OffsetFetchRequestGroup, len(req.Groups))
	unknown := make([][]kmsg.OffsetFetchRequestGroupTopic, len(req.Groups))
	for i, rg := range req.Groups {
		byName.Groups[i] = rg
		if rg.Topics == nil {
			continue // every committed topic
		}
		byName.Groups[i].Topics = []kmsg.OffsetFetchRequestGroupTopic{}
		for _, t := range rg.Topics {
			if tp, ok := s.topics.GetByID(t.TopicID); ok {
				t.Topic = tp.Name
				byName.Groups[i].Topics = append(byName.Groups[i].Topics, t)
			} else {
				unknown[i] = append(unknown[i], t)
			}
		}
	}
	return s.serveGroup(r, func(g *group.Coordinator) kmsg.Response {
		resp := g.OffsetFetch(&byName)
		resp.Version = version
		for i := range resp.Groups {
			rg := &resp.Groups[i]
			kept := rg.Topics[:0]
			for _, t := range rg.Topics {
				if tp, ok := s.topics.Get(t.Topic); ok {
					t.TopicID = tp.ID
					kept = append(kept, t)
				}
			}
			rg.Topics = kept
			if i >= len(unknown) {
				continue
			}
			for _, t := range unknown[i] {
				rt := kmsg.NewOffsetFetchResponseGroupTopic()
				rt.TopicID = t.TopicID
				for _, p := range t.Partitions {
					rp := kmsg.NewOffsetFetchResponseGroupTopicPartition()
					rp.Partition, rp.Offset, rp.LeaderEpoch, rp.ErrorCode = p, -1, -1, kerr.UnknownTopicID.Code
					rt.Partitions = append(rt.Partitions, rp)
				}
				rg.Topics = append(rg.Topics, rt)
			}
		}
		return resp
	})
}
