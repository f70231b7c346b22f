package server

// Authorization of the group APIs (Kafka's KafkaApis): JoinGroup,
// SyncGroup, Heartbeat, LeaveGroup and OffsetCommit need READ on the group
// (GROUP_AUTHORIZATION_FAILED); OffsetCommit and OffsetDelete READ on each
// topic (TOPIC_AUTHORIZATION_FAILED per partition); OffsetFetch and
// DescribeGroups DESCRIBE on the group, OffsetFetch DESCRIBE on each topic
// (a listing of every committed topic leaves the others out); ListGroups
// lists every group with DESCRIBE on the cluster, else those the
// principal may DESCRIBE; DeleteGroups and OffsetDelete need DELETE on the
// group.

import (
	"reflect"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// groupPreAuth answers a group request the principal may not make, before
// the coordinator sees it; nil lets it through. (OffsetCommit, OffsetDelete
// and DeleteGroups check in their handlers: they remove the denied
// resources from the request and add their answers to the response.)
func (s *Server) groupPreAuth(r *request) reply {
	var id string
	switch req := r.kreq.(type) {
	case *kmsg.JoinGroupRequest:
		id = req.Group
	case *kmsg.SyncGroupRequest:
		id = req.Group
	case *kmsg.HeartbeatRequest:
		id = req.Group
	case *kmsg.LeaveGroupRequest:
		id = req.Group
	case *kmsg.OffsetFetchRequest:
		if req.Version < 8 && !s.authorize(r.c, opDescribe, rtGroup, req.Group) {
			resp := req.ResponseKind().(*kmsg.OffsetFetchResponse)
			resp.ErrorCode = kerr.GroupAuthorizationFailed.Code
			return msgReply{resp}
		}
		return nil
	default:
		return nil
	}
	if s.authorize(r.c, opRead, rtGroup, id) {
		return nil
	}
	rep := groupError(r, kerr.GroupAuthorizationFailed.Code)
	if jr, ok := rep.(msgReply).resp.(*kmsg.JoinGroupResponse); ok {
		jr.Generation = -1
	}
	return rep
}

// groupError answers a group request with code in its top-level error
// code, or per partition for OffsetCommit.
func groupError(r *request, code int16) reply {
	if req, ok := r.kreq.(*kmsg.OffsetCommitRequest); ok {
		resp := req.ResponseKind().(*kmsg.OffsetCommitResponse)
		for _, t := range req.Topics {
			resp.Topics = append(resp.Topics, commitTopicError(t, code))
		}
		return msgReply{resp}
	}
	resp := r.kreq.ResponseKind()
	if f := reflect.ValueOf(resp).Elem().FieldByName("ErrorCode"); f.IsValid() && f.Kind() == reflect.Int16 {
		f.SetInt(int64(code))
	}
	return msgReply{resp}
}

func commitTopicError(t kmsg.OffsetCommitRequestTopic, code int16) kmsg.OffsetCommitResponseTopic {
	rt := kmsg.NewOffsetCommitResponseTopic()
	rt.Topic, rt.TopicID = t.Topic, t.TopicID
	for _, p := range t.Partitions {
		rp := kmsg.NewOffsetCommitResponseTopicPartition()
		rp.Partition, rp.ErrorCode = p.Partition, code
		rt.Partitions = append(rt.Partitions, rp)
	}
	return rt
}

// topicName is the name of a topic named by name or (when name is empty)
// by ID; "" when the ID is unknown.
func (s *Server) topicName(name string, id [16]byte) string {
	if name != "" {
		return name
	}
	if t, ok := s.topics.GetByID(id); ok {
		return t.Name
	}
	return ""
}

// filterCommitTopics removes from an OffsetCommit the topics the
// principal may not READ and returns their answers.
func (s *Server) filterCommitTopics(r *request, req *kmsg.OffsetCommitRequest) []kmsg.OffsetCommitResponseTopic {
	if s.acl == nil {
		return nil
	}
	var denied []kmsg.OffsetCommitResponseTopic
	kept := req.Topics[:0:0]
	for _, t := range req.Topics {
		if name := s.topicName(t.Topic, t.TopicID); name != "" && !s.authorize(r.c, opRead, rtTopic, name) {
			denied = append(denied, commitTopicError(t, kerr.TopicAuthorizationFailed.Code))
			continue
		}
		kept = append(kept, t)
	}
	req.Topics = kept
	return denied
}

// filterOffsetDeleteTopics is filterCommitTopics for OffsetDelete.
func (s *Server) filterOffsetDeleteTopics(r *request, req *kmsg.OffsetDeleteRequest) []kmsg.OffsetDeleteResponseTopic {
	if s.acl == nil {
		return nil
	}
	var denied []kmsg.OffsetDeleteResponseTopic
	kept := req.Topics[:0:0]
	for _, t := range req.Topics {
		if !s.authorize(r.c, opRead, rtTopic, t.Topic) {
			rt := kmsg.NewOffsetDeleteResponseTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewOffsetDeleteResponseTopicPartition()
				rp.Partition, rp.ErrorCode = p.Partition, kerr.TopicAuthorizationFailed.Code
				rt.Partitions = append(rt.Partitions, rp)
			}
			denied = append(denied, rt)
			continue
		}
		kept = append(kept, t)
	}
	req.Topics = kept
	return denied
}

// filterDeleteGroups removes from a DeleteGroups the groups the principal
// may not DELETE and returns their answers.
func (s *Server) filterDeleteGroups(r *request, req *kmsg.DeleteGroupsRequest) []kmsg.DeleteGroupsResponseGroup {
	if s.acl == nil {
		return nil
	}
	var denied []kmsg.DeleteGroupsResponseGroup
	kept := req.Groups[:0:0]
	for _, g := range req.Groups {
		if !s.authorize(r.c, opDel, rtGroup, g) {
			rg := kmsg.NewDeleteGroupsResponseGroup()
			rg.Group, rg.ErrorCode = g, kerr.GroupAuthorizationFailed.Code
			if req.Version >= 3 {
				rg.ErrorMessage = kmsg.StringPtr(kerr.GroupAuthorizationFailed.Description)
			}
			denied = append(denied, rg)
			continue
		}
		kept = append(kept, g)
	}
	req.Groups = kept
	return denied
}

// groupPostAuth filters what the coordinator answered: OffsetFetch's
// groups and topics, DescribeGroups' groups (and their authorized
// operations), ListGroups' groups.
func (s *Server) groupPostAuth(r *request, resp kmsg.Response) {
	switch resp := resp.(type) {
	case *kmsg.OffsetFetchResponse:
		if s.acl == nil {
			return
		}
		req := r.kreq.(*kmsg.OffsetFetchRequest)
		if req.Version < 8 {
			resp.Topics = s.offsetFetchTopics(r, resp.Topics, req.Topics == nil)
			return
		}
		for i := range resp.Groups {
			g := &resp.Groups[i]
			if !s.authorize(r.c, opDescribe, rtGroup, g.Group) {
				*g = kmsg.NewOffsetFetchResponseGroup()
				g.Group, g.ErrorCode = req.Groups[i].Group, kerr.GroupAuthorizationFailed.Code
				continue
			}
			g.Topics = s.offsetFetchGroupTopics(r, g.Topics, i < len(req.Groups) && req.Groups[i].Topics == nil)
		}
	case *kmsg.DescribeGroupsResponse:
		req := r.kreq.(*kmsg.DescribeGroupsRequest)
		for i := range resp.Groups {
			g := &resp.Groups[i]
			if !s.authorize(r.c, opDescribe, rtGroup, g.Group) {
				*g = kmsg.NewDescribeGroupsResponseGroup()
				g.Group, g.ErrorCode = req.Groups[i], kerr.GroupAuthorizationFailed.Code
				continue
			}
			if req.Version >= 3 && req.IncludeAuthorizedOperations {
				g.AuthorizedOperations = s.authorizedOps(r.c, true, rtGroup, g.Group)
			}
		}
	case *kmsg.ListGroupsResponse:
		if s.acl == nil || s.acl.Authorize(r.c.principal, r.c.host(), opDescribe, rtCluster, "kafka-cluster") {
			return
		}
		kept := resp.Groups[:0]
		for _, g := range resp.Groups {
			if s.acl.Authorize(r.c.principal, r.c.host(), opDescribe, rtGroup, g.Group) {
				kept = append(kept, g)
			}
		}
		resp.Groups = kept
	}
}

// offsetFetchTopics drops (all topics asked) or fails the topics the
// principal may not DESCRIBE, v0-7.
func (s *Server) offsetFetchTopics(r *request, ts []kmsg.OffsetFetchResponseTopic, all bool) []kmsg.OffsetFetchResponseTopic {
	kept := ts[:0]
	for _, t := range ts {
		if !s.acl.Authorize(r.c.principal, r.c.host(), opDescribe, rtTopic, t.Topic) {
			if all {
				continue
			}
			s.aclDenied[rtTopic][opDescribe].Add(1)
			for j := range t.Partitions {
				p := &t.Partitions[j]
				p.Offset, p.LeaderEpoch, p.Metadata, p.ErrorCode = -1, -1, kmsg.StringPtr(""), kerr.TopicAuthorizationFailed.Code
			}
		}
		kept = append(kept, t)
	}
	return kept
}

// offsetFetchGroupTopics is offsetFetchTopics for v8+.
func (s *Server) offsetFetchGroupTopics(r *request, ts []kmsg.OffsetFetchResponseGroupTopic, all bool) []kmsg.OffsetFetchResponseGroupTopic {
	kept := ts[:0]
	for _, t := range ts {
		name := s.topicName(t.Topic, t.TopicID)
		if name != "" && !s.acl.Authorize(r.c.principal, r.c.host(), opDescribe, rtTopic, name) {
			if all {
				continue
			}
			s.aclDenied[rtTopic][opDescribe].Add(1)
			for j := range t.Partitions {
				p := &t.Partitions[j]
				p.Offset, p.LeaderEpoch, p.Metadata, p.ErrorCode = -1, -1, kmsg.StringPtr(""), kerr.TopicAuthorizationFailed.Code
			}
		}
		kept = append(kept, t)
	}
	return kept
}
