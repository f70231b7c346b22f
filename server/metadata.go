package server

// Metadata: v0-13
//
// One broker (node.id) leads every partition, with leader epoch 0 and
// itself as the only replica. The broker's host and port are the advertised
// endpoint of the listener the client connected through.
//
// Auto-creation: v0-v3 requests always allow it (those versions have no
// flag and Kafka treats them as allowing it: kafka-python sends v1); v4+
// allow it when AllowAutoTopicCreation is set. Either way the broker's
// auto.create.topics.enable must be on. Strata creates the topic before
// answering, so the answer already describes it (Kafka answers
// LEADER_NOT_AVAILABLE first while its controller catches up).
//
// A request for all topics (v0: an empty list; v1+: null) lists every
// topic, internal ones (__consumer_offsets, ...) included and flagged
// IsInternal (v1+), as Kafka does: clients filter them themselves (kadm's
// ListTopics, Kafka's Admin listTopics), and franz-go's regex consumer
// expects to see them in order to skip them.
//
// Authorization (Kafka's KafkaApis.handleTopicMetadataRequest): a request
// for all topics lists only those the principal may DESCRIBE; a named
// topic it may not DESCRIBE gets TOPIC_AUTHORIZATION_FAILED (by ID: the ID
// and no name), whether it exists or not; auto-creation needs CREATE on
// the cluster or the topic, else TOPIC_AUTHORIZATION_FAILED. The
// authorized-operations fields are filled when asked (the cluster's only
// with DESCRIBE on it, else 0).
//
// Version notes:
//   - v1: IsInternal, ControllerID, Rack; null topics = all
//   - v2: ClusterID
//   - v4: AllowAutoTopicCreation
//   - v5: OfflineReplicas
//   - v7: LeaderEpoch
//   - v8-10: cluster authorized operations (v8+: topic authorized operations)
//   - v9: flexible
//   - v10: topic IDs; v12: topics may be named by ID alone
//   - v13: top-level ErrorCode

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/acl"
	"github.com/stratabroker/strata/topic"
)

func (s *Server) handleMetadata(r *request) (reply, error) {
	req := r.kreq.(*kmsg.MetadataRequest)
	resp := req.ResponseKind().(*kmsg.MetadataResponse)

	host, port := s.advertised(r.c.listenerName, r.c.nc.LocalAddr())
	b := kmsg.NewMetadataResponseBroker()
	b.NodeID, b.Host, b.Port = s.cfg.NodeID, host, port
	resp.Brokers = []kmsg.MetadataResponseBroker{b}
	id := s.clusterID
	resp.ClusterID = &id
	resp.ControllerID = s.cfg.NodeID

	if req.Version >= 8 && req.Version <= 10 && req.IncludeClusterAuthorizedOperations {
		resp.AuthorizedOperations = 0
		if s.authorizeCluster(r.c, opDescribe) {
			resp.AuthorizedOperations = s.authorizedOps(r.c, true, rtCluster, acl.ClusterName)
		}
	}
	withOps := func(mt kmsg.MetadataResponseTopic) kmsg.MetadataResponseTopic {
		mt.AuthorizedOperations = s.authorizedOps(r.c, req.Version >= 8 && req.IncludeTopicAuthorizedOperations, rtTopic, *mt.Topic)
		return mt
	}
	denied := func(name *string, id [16]byte) {
		mt := kmsg.NewMetadataResponseTopic()
		mt.Topic, mt.TopicID = name, id
		mt.ErrorCode = kerr.TopicAuthorizationFailed.Code
		resp.Topics = append(resp.Topics, mt)
	}

	all := req.Topics == nil || (req.Version == 0 && len(req.Topics) == 0)
	if all {
		for _, t := range s.topics.List() {
			if s.acl != nil && !s.acl.Authorize(r.c.principal, r.c.host(), opDescribe, rtTopic, t.Name) {
				continue // not disclosed, and not counted as a denial (Kafka does not log these)
			}
			resp.Topics = append(resp.Topics, withOps(s.metadataTopic(t)))
		}
		return msgReply{resp}, nil
	}
	autoCreate := s.cfg.AutoCreateTopicsEnable && (req.Version < 4 || req.AllowAutoTopicCreation)
	for _, rt := range req.Topics {
		var (
			t  *topic.Topic
			ok bool
		)
		switch {
		case rt.Topic == nil:
			if t, ok = s.topics.GetByID(rt.TopicID); !ok {
				mt := kmsg.NewMetadataResponseTopic()
				mt.TopicID = rt.TopicID
				mt.ErrorCode = kerr.UnknownTopicID.Code
				resp.Topics = append(resp.Topics, mt)
				continue
			}
			if !s.authorize(r.c, opDescribe, rtTopic, t.Name) {
				denied(nil, rt.TopicID)
				continue
			}
		default:
			name := *rt.Topic
			if !s.authorize(r.c, opDescribe, rtTopic, name) {
				denied(&name, [16]byte{})
				continue
			}
			t, ok = s.topics.Get(name)
			if !ok && autoCreate && !s.allowed(r.c, opCreate, rtCluster, acl.ClusterName) && !s.authorize(r.c, opCreate, rtTopic, name) {
				denied(&name, [16]byte{})
				continue
			}
			if !ok && autoCreate {
				var err error
				t, err = s.autoCreate(name)
				if err != nil {
					mt := kmsg.NewMetadataResponseTopic()
					mt.Topic = &name
					mt.ErrorCode = errCode(err)
					resp.Topics = append(resp.Topics, mt)
					continue
				}
				ok = true
			}
			if !ok {
				mt := kmsg.NewMetadataResponseTopic()
				mt.Topic = &name
				mt.ErrorCode = kerr.UnknownTopicOrPartition.Code
				resp.Topics = append(resp.Topics, mt)
				continue
			}
		}
		resp.Topics = append(resp.Topics, withOps(s.metadataTopic(t)))
	}
	return msgReply{resp}, nil
}

// autoCreate creates a topic with the broker's defaults for a Metadata or
// Produce request. A topic created concurrently by another request counts
// as success.
func (s *Server) autoCreate(name string) (*topic.Topic, error) {
	t, err := s.topics.Create(name, s.cfg.NumPartitions, nil, false)
	if err != nil {
		if errCode(err) == kerr.TopicAlreadyExists.Code {
			if t, ok := s.topics.Get(name); ok {
				return t, nil
			}
		}
		return nil, err
	}
	s.log.Info("auto-created topic", "topic", name, "partitions", s.cfg.NumPartitions)
	return t, nil
}

func (s *Server) metadataTopic(t *topic.Topic) kmsg.MetadataResponseTopic {
	mt := kmsg.NewMetadataResponseTopic()
	name := t.Name
	mt.Topic = &name
	mt.TopicID = t.ID
	mt.IsInternal = t.Internal
	mt.Partitions = make([]kmsg.MetadataResponseTopicPartition, len(t.Partitions))
	for i := range t.Partitions {
		p := kmsg.NewMetadataResponseTopicPartition()
		p.Partition = int32(i)
		p.Leader = s.cfg.NodeID
		p.LeaderEpoch = 0
		p.Replicas = []int32{s.cfg.NodeID}
		p.ISR = []int32{s.cfg.NodeID}
		p.OfflineReplicas = []int32{}
		mt.Partitions[i] = p
	}
	return mt
}
