package server

// DeleteTopics: v0-6
//
// Deletion is synchronous: the topic is gone from topics.json and its logs
// closed before the answer, and every group's committed offsets of it are
// tombstoned in __consumer_offsets (Kafka's onPartitionsDeleted), so a
// topic recreated with the name starts without them. delete.topic.enable=false
// answers TOPIC_DELETION_DISABLED.
//
// Version notes:
//   - v1: ThrottleMillis
//   - v4: flexible
//   - v5: ErrorMessage
//   - v6: topics named by name or by ID (Topics replaces TopicNames)

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/topic"
)

func (s *Server) handleDeleteTopics(r *request) (reply, error) {
	req := r.kreq.(*kmsg.DeleteTopicsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteTopicsResponse)

	type target struct {
		name *string
		id   [16]byte
	}
	var targets []target
	if req.Version < 6 {
		for _, n := range req.TopicNames {
			targets = append(targets, target{name: &n})
		}
	} else {
		for _, t := range req.Topics {
			targets = append(targets, target{name: t.Topic, id: t.TopicID})
		}
	}
	q := s.mutationQuota(r, req.Version >= 5)
	defer r.c.endMutation(q)
	var deleted []string
	for _, tg := range targets {
		st := kmsg.NewDeleteTopicsResponseTopic()
		st.Topic, st.TopicID = tg.name, tg.id
		var err error
		switch {
		case !s.cfg.DeleteTopicEnable:
			err = kerrf(kerr.TopicDeletionDisabled, "Topic deletion is disabled.")
		case q != nil && !q.Record(float64(s.partitionsOf(tg.name, tg.id))):
			err = errThrottlingQuota
		case tg.name == nil:
			t, ok := s.topics.GetByID(tg.id)
			if !ok {
				err = kerrf(kerr.UnknownTopicID, "This server does not host this topic ID.")
				break
			}
			name := t.Name
			if !s.authorize(r.c, opDescribe, rtTopic, name) {
				err = kerr.TopicAuthorizationFailed
				break
			}
			st.Topic = &name
			if !s.authorize(r.c, opDel, rtTopic, name) {
				err = kerr.TopicAuthorizationFailed
				break
			}
			err = s.topics.Delete(name)
		case !s.authorize(r.c, opDel, rtTopic, *tg.name):
			err = kerr.TopicAuthorizationFailed
		default:
			if t, ok := s.topics.Get(*tg.name); ok {
				st.TopicID = t.ID
			}
			err = s.topics.Delete(*tg.name)
		}
		if err == nil {
			s.log.Info("deleted topic", "topic", *st.Topic, "id", topic.FormatID(st.TopicID))
			deleted = append(deleted, *st.Topic)
		}
		st.ErrorCode = errCode(err)
		st.ErrorMessage = errMessage(err)
		resp.Topics = append(resp.Topics, st)
	}
	s.dropTopicOffsets(deleted)
	return msgReply{resp}, nil
}

// partitionsOf is the partition count of the topic named name (or, name
// nil, with id); 0 when there is none.
func (s *Server) partitionsOf(name *string, id [16]byte) int32 {
	var t *topic.Topic
	var ok bool
	if name != nil {
		t, ok = s.topics.Get(*name)
	} else {
		t, ok = s.topics.GetByID(id)
	}
	if !ok {
		return 0
	}
	return t.NumPartitions()
}
