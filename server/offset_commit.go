package server

// OffsetCommit: v0-10
//
// The answer comes after the commit's records are appended to
// __consumer_offsets. Group-less consumers commit with generation -1 (v0:
// always). Partitions that do not exist get UNKNOWN_TOPIC_OR_PARTITION.
//
// Version notes:
//   - v1: Generation, MemberID, per-partition Timestamp (ignored)
//   - v2-4: RetentionTimeMillis (ignored: offsets.retention.minutes rules, as since Kafka 2.1)
//   - v3: ThrottleMillis
//   - v6: LeaderEpoch
//   - v7: InstanceID
//   - v8: flexible
//   - v10: topics by ID (Kafka 4.2): served as v9 with the names, answered
//     by ID; an unknown ID gets UNKNOWN_TOPIC_ID

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/group"
)

func (s *Server) handleOffsetCommit(r *request) (reply, error) {
	req := r.kreq.(*kmsg.OffsetCommitRequest)
	if !s.authorize(r.c, opRead, rtGroup, req.Group) {
		return groupError(r, kerr.GroupAuthorizationFailed.Code), nil
	}
	denied := s.filterCommitTopics(r, req)
	rep, err := s.serveOffsetCommit(r, req)
	if m, ok := rep.(msgReply); ok && len(denied) > 0 {
		resp := m.resp.(*kmsg.OffsetCommitResponse)
		resp.Topics = append(resp.Topics, denied...)
	}
	return rep, err
}

func (s *Server) serveOffsetCommit(r *request, req *kmsg.OffsetCommitRequest) (reply, error) {
	if req.Version < 10 {
		return s.serveGroup(r, func(g *group.Coordinator) kmsg.Response { return g.OffsetCommit(req) })
	}
	version := req.Version
	ids := map[string][16]byte{}
	var unknown []kmsg.OffsetCommitRequestTopic
	byName := *req
	byName.Version, byName.Topics = 9, nil
	for _, t := range req.Topics {
		if tp, ok := s.topics.GetByID(t.TopicID); ok {
			t.Topic = tp.Name
			ids[tp.Name] = t.TopicID
			byName.Topics = append(byName.Topics, t)
		} else {
			unknown = append(unknown, t)
		}
	}
	return s.serveGroup(r, func(g *group.Coordinator) kmsg.Response {
		resp := g.OffsetCommit(&byName)
		resp.Version = version
		for i := range resp.Topics {
			resp.Topics[i].TopicID = ids[resp.Topics[i].Topic]
		}
		for _, t := range unknown {
			rt := kmsg.NewOffsetCommitResponseTopic()
			rt.TopicID = t.TopicID
			for _, p := range t.Partitions {
				rp := kmsg.NewOffsetCommitResponseTopicPartition()
				rp.Partition, rp.ErrorCode = p.Partition, kerr.UnknownTopicID.Code
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		return resp
	})
}
