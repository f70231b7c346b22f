package server

// CreatePartitions: v0-3
//
// Count is the new total. A topic twice in one request: INVALID_REQUEST
// for each. An explicit assignment must have one entry per new partition,
// each naming only this broker (INVALID_REPLICA_ASSIGNMENT otherwise).
// The registry refuses a count not above the current one
// (INVALID_PARTITIONS).
//
// Version notes:
//   - v1: ThrottleMillis semantics
//   - v2: flexible

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (s *Server) handleCreatePartitions(r *request) (reply, error) {
	req := r.kreq.(*kmsg.CreatePartitionsRequest)
	resp := req.ResponseKind().(*kmsg.CreatePartitionsResponse)
	seen := make(map[string]int, len(req.Topics))
	for _, rt := range req.Topics {
		seen[rt.Topic]++
	}
	q := s.mutationQuota(r, req.Version >= 3)
	defer r.c.endMutation(q)
	for _, rt := range req.Topics {
		st := kmsg.NewCreatePartitionsResponseTopic()
		st.Topic = rt.Topic
		var err error
		if seen[rt.Topic] > 1 {
			err = kerrf(kerr.InvalidRequest, "Duplicate topic in request.")
		} else if !s.authorize(r.c, opAlter, rtTopic, rt.Topic) {
			err = kerrf(kerr.TopicAuthorizationFailed, "The topic authorization is failed.")
		} else if t, ok := s.topics.Get(rt.Topic); ok && q != nil && !req.ValidateOnly && rt.Count > t.NumPartitions() && !q.Record(float64(rt.Count-t.NumPartitions())) {
			err = errThrottlingQuota
		} else {
			err = s.createPartitions(rt, req.ValidateOnly)
		}
		st.ErrorCode, st.ErrorMessage = errCode(err), errMessage(err)
		resp.Topics = append(resp.Topics, st)
	}
	return msgReply{resp}, nil
}

func (s *Server) createPartitions(rt kmsg.CreatePartitionsRequestTopic, validateOnly bool) error {
	t, ok := s.topics.Get(rt.Topic)
	if !ok {
		return kerrf(kerr.UnknownTopicOrPartition, "The topic '%s' does not exist.", rt.Topic)
	}
	if rt.Assignment != nil && rt.Count > t.NumPartitions() {
		if int32(len(rt.Assignment)) != rt.Count-t.NumPartitions() {
			return kerrf(kerr.InvalidReplicaAssignment, "Increasing the number of partitions by %d but %d assignments provided.", rt.Count-t.NumPartitions(), len(rt.Assignment))
		}
		for _, a := range rt.Assignment {
			if len(a.Replicas) != 1 || a.Replicas[0] != s.cfg.NodeID {
				return kerrf(kerr.InvalidReplicaAssignment, "Replica assignment %v names brokers other than the only one, %d.", a.Replicas, s.cfg.NodeID)
			}
		}
	}
	if err := s.topics.AddPartitions(rt.Topic, rt.Count, validateOnly); err != nil {
		return err
	}
	if !validateOnly {
		s.log.Info("added partitions", "topic", rt.Topic, "partitions", rt.Count)
	}
	return nil
}
