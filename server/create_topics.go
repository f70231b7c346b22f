package server

// CreateTopics: v0-7
//
// Topics are created synchronously; TimeoutMillis is not needed. Checks,
// in Kafka's order: duplicate names in one request (INVALID_REQUEST for
// each), an explicit replica assignment together with a partition count or
// replication factor (INVALID_REQUEST), the partition count (-1 = the
// broker's num.partitions; otherwise at least 1), the replication factor
// (-1 = default.replication.factor; more than the one broker:
// INVALID_REPLICATION_FACTOR), then the registry's checks (name, existence,
// collision, configs).
//
// Version notes:
//   - v1: ValidateOnly; ErrorMessage
//   - v2: ThrottleMillis
//   - v4: -1 partitions and replication factor mean the broker defaults
//   - v5: flexible; the answer carries NumPartitions, ReplicationFactor and
//     the topic's configs
//   - v7: TopicID

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/acl"
)

func (s *Server) handleCreateTopics(r *request) (reply, error) {
	req := r.kreq.(*kmsg.CreateTopicsRequest)
	resp := req.ResponseKind().(*kmsg.CreateTopicsResponse)

	seen := make(map[string]int, len(req.Topics))
	for _, rt := range req.Topics {
		seen[rt.Topic]++
	}
	clusterCreate := s.allowed(r.c, opCreate, rtCluster, acl.ClusterName)
	q := s.mutationQuota(r, req.Version >= 6)
	defer r.c.endMutation(q)
	for _, rt := range req.Topics {
		st := kmsg.NewCreateTopicsResponseTopic()
		st.Topic = rt.Topic
		if !clusterCreate && !s.authorize(r.c, opCreate, rtTopic, rt.Topic) {
			// CREATE on the cluster or the topic (Kafka's handleCreateTopicsRequest).
			st.ErrorCode = kerr.TopicAuthorizationFailed.Code
			st.ErrorMessage = kmsg.StringPtr("Authorization failed.")
			st.NumPartitions, st.ReplicationFactor, st.Configs = -1, -1, nil
			resp.Topics = append(resp.Topics, st)
			continue
		}
		if seen[rt.Topic] > 1 {
			st.ErrorCode = kerr.InvalidRequest.Code
			msg := fmt.Sprintf("Create topics request from client `%s` contains multiple entries for the following topics: %s", r.hdr.clientID, rt.Topic)
			st.ErrorMessage = &msg
			resp.Topics = append(resp.Topics, st)
			continue
		}
		var err error
		if q != nil && !req.ValidateOnly {
			permits := rt.NumPartitions
			if len(rt.ReplicaAssignment) > 0 {
				permits = int32(len(rt.ReplicaAssignment))
			} else if permits < 0 {
				permits = int32(s.config().NumPartitions)
			}
			if !q.Record(float64(permits)) {
				err = errThrottlingQuota
			}
		}
		if err == nil {
			err = s.createTopic(&rt, &st, req.ValidateOnly)
		}
		st.ErrorCode = errCode(err)
		st.ErrorMessage = errMessage(err)
		if err != nil || req.Version < 5 {
			st.NumPartitions, st.ReplicationFactor, st.Configs = -1, -1, nil
		} else if !s.authorize(r.c, opDescribeConfigs, rtTopic, rt.Topic) {
			st.Configs, st.ConfigErrorCode = nil, kerr.TopicAuthorizationFailed.Code
		}
		resp.Topics = append(resp.Topics, st)
	}
	return msgReply{resp}, nil
}

func (s *Server) createTopic(rt *kmsg.CreateTopicsRequestTopic, st *kmsg.CreateTopicsResponseTopic, validateOnly bool) error {
	partitions, rf := rt.NumPartitions, rt.ReplicationFactor
	if len(rt.ReplicaAssignment) > 0 {
		if partitions != -1 || rf != -1 {
			return kerrf(kerr.InvalidRequest, "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.")
		}
		partitions = int32(len(rt.ReplicaAssignment))
		for i, a := range rt.ReplicaAssignment {
			if a.Partition != int32(i) {
				return kerrf(kerr.InvalidReplicaAssignment, "Partitions should be a consecutive 0-based integer sequence")
			}
			if len(a.Replicas) != 1 || a.Replicas[0] != s.cfg.NodeID {
				return kerrf(kerr.InvalidReplicaAssignment, "Replica assignment %v for partition %d names brokers other than the only one, %d.", a.Replicas, a.Partition, s.cfg.NodeID)
			}
		}
		rf = 1
	}
	if partitions == -1 {
		partitions = s.cfg.NumPartitions
	}
	if rf == -1 {
		rf = s.cfg.DefaultReplicationFactor
	}
	if partitions <= 0 {
		return kerrf(kerr.InvalidPartitions, "Number of partitions was set to an invalid non-positive value.")
	}
	if rf <= 0 {
		return kerrf(kerr.InvalidReplicationFactor, "Replication factor must be larger than 0, or -1 to use the default value.")
	}
	if rf > 1 {
		return kerrf(kerr.InvalidReplicationFactor, "Unable to replicate the partition %d time(s): The target replication factor of %d cannot be reached because only 1 broker(s) are registered.", rf, rf)
	}
	configs := make(map[string]string, len(rt.Configs))
	for _, c := range rt.Configs {
		if c.Value == nil {
			return kerrf(kerr.InvalidConfig, "Null value not supported for topic configs: %s", c.Name)
		}
		configs[c.Name] = *c.Value
	}
	t, err := s.topics.Create(rt.Topic, partitions, configs, validateOnly)
	if err != nil {
		return err
	}
	st.TopicID = t.ID
	st.NumPartitions = partitions
	st.ReplicationFactor = rf
	for _, e := range s.config().TopicConfigEntries(t.Configs) {
		c := kmsg.NewCreateTopicsResponseTopicConfig()
		c.Name = e.Name
		c.Value = e.Value
		c.ReadOnly = e.ReadOnly
		c.Source = int8(e.Source)
		c.IsSensitive = e.Sensitive
		if e.Sensitive {
			c.Value = nil
		}
		st.Configs = append(st.Configs, c)
	}
	return nil
}

// kerrf returns a Kafka error decided by the server, with a message for
// the response's ErrorMessage.
func kerrf(code *kerr.Error, format string, args ...any) error {
	return &serverError{code: code, msg: fmt.Sprintf(format, args...)}
}

// serverError is an error code the server chose, with Kafka's message.
type serverError struct {
	code *kerr.Error
	msg  string
}

func (e *serverError) Error() string        { return "server: " + e.code.Message + ": " + e.msg }
func (e *serverError) Unwrap() error        { return e.code }
func (e *serverError) KafkaMessage() string { return e.msg }
