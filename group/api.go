package group

import (
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The request methods below are safe for concurrent use. Each returns the
// response to its request at the request's version; JoinGroup, SyncGroup,
// OffsetCommit, OffsetDelete and DeleteGroups block until the rebalance
// step or the append they wait for is done. After Close every method
// answers NOT_COORDINATOR.

// JoinGroup serves a JoinGroup request (v0-9) from client cl.
func (c *Coordinator) JoinGroup(req *kmsg.JoinGroupRequest, cl Client) *kmsg.JoinGroupResponse {
	resp := req.ResponseKind().(*kmsg.JoinGroupResponse)
	if !c.call(func(done func()) { c.join(req, cl, resp, done) }) {
		resp.ErrorCode = notCoordinator
	}
	return resp
}

// SyncGroup serves a SyncGroup request (v0-5).
func (c *Coordinator) SyncGroup(req *kmsg.SyncGroupRequest) *kmsg.SyncGroupResponse {
	resp := req.ResponseKind().(*kmsg.SyncGroupResponse)
	if !c.call(func(done func()) { c.syncGroup(req, resp, done) }) {
		resp.ErrorCode = notCoordinator
	}
	return resp
}

// Heartbeat serves a Heartbeat request (v0-4).
func (c *Coordinator) Heartbeat(req *kmsg.HeartbeatRequest) *kmsg.HeartbeatResponse {
	resp := req.ResponseKind().(*kmsg.HeartbeatResponse)
	if !c.call(func(done func()) { resp.ErrorCode = c.heartbeat(req); done() }) {
		resp.ErrorCode = notCoordinator
	}
	return resp
}

// LeaveGroup serves a LeaveGroup request (v0-5; v3+ leave in batches).
func (c *Coordinator) LeaveGroup(req *kmsg.LeaveGroupRequest) *kmsg.LeaveGroupResponse {
	resp := req.ResponseKind().(*kmsg.LeaveGroupResponse)
	if !c.call(func(done func()) { c.leave(req, resp); done() }) {
		resp.Members = nil
		resp.ErrorCode = notCoordinator
	}
	return resp
}

// OffsetCommit serves an OffsetCommit request (v0-9, topics by name). It
// returns once the commit is appended to __consumer_offsets (and fsynced
// if that topic's flush policy asks for it).
func (c *Coordinator) OffsetCommit(req *kmsg.OffsetCommitRequest) *kmsg.OffsetCommitResponse {
	resp := req.ResponseKind().(*kmsg.OffsetCommitResponse)
	if !c.call(func(done func()) { c.commit(req, resp, done) }) {
		resp.Topics = nil
		for _, t := range req.Topics {
			rt := kmsg.NewOffsetCommitResponseTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewOffsetCommitResponseTopicPartition()
				rp.Partition, rp.ErrorCode = p.Partition, notCoordinator
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
	}
	return resp
}

// OffsetFetch serves an OffsetFetch request (v0-9, including the
// multi-group form of v8+).
func (c *Coordinator) OffsetFetch(req *kmsg.OffsetFetchRequest) *kmsg.OffsetFetchResponse {
	resp := req.ResponseKind().(*kmsg.OffsetFetchResponse)
	if !c.call(func(done func()) { c.fetch(req, resp); done() }) {
		resp.Topics, resp.Groups = nil, nil
		resp.ErrorCode = notCoordinator
		for _, g := range req.Groups {
			rg := kmsg.NewOffsetFetchResponseGroup()
			rg.Group, rg.ErrorCode = g.Group, notCoordinator
			resp.Groups = append(resp.Groups, rg)
		}
	}
	return resp
}

// OffsetDelete serves an OffsetDelete request (v0).
func (c *Coordinator) OffsetDelete(req *kmsg.OffsetDeleteRequest) *kmsg.OffsetDeleteResponse {
	resp := req.ResponseKind().(*kmsg.OffsetDeleteResponse)
	if !c.call(func(done func()) { c.offsetDelete(req, resp, done) }) {
		resp.Topics = nil
		resp.ErrorCode = notCoordinator
	}
	return resp
}

// DeleteGroups serves a DeleteGroups request (v0-2).
func (c *Coordinator) DeleteGroups(req *kmsg.DeleteGroupsRequest) *kmsg.DeleteGroupsResponse {
	resp := req.ResponseKind().(*kmsg.DeleteGroupsResponse)
	if !c.call(func(done func()) { c.deleteGroups(req, resp, done) }) {
		resp.Groups = nil
		for _, id := range req.Groups {
			rg := kmsg.NewDeleteGroupsResponseGroup()
			rg.Group, rg.ErrorCode = id, notCoordinator
			resp.Groups = append(resp.Groups, rg)
		}
	}
	return resp
}

// ListGroups serves a ListGroups request (v0-5): every group, filtered by
// state (v4+, case-insensitive) and type (v5+: these are all "classic").
func (c *Coordinator) ListGroups(req *kmsg.ListGroupsRequest) *kmsg.ListGroupsResponse {
	resp := req.ResponseKind().(*kmsg.ListGroupsResponse)
	match := func(filter []string, v string) bool {
		return len(filter) == 0 || slices.ContainsFunc(filter, func(f string) bool { return strings.EqualFold(f, v) })
	}
	if !c.call(func(done func()) {
		for _, id := range c.sortedIDs() {
			g := c.groups[id]
			if !match(req.StatesFilter, g.state.String()) || !match(req.TypesFilter, "classic") {
				continue
			}
			lg := kmsg.NewListGroupsResponseGroup()
			lg.Group, lg.ProtocolType, lg.GroupState, lg.GroupType = id, g.protocolType, g.state.String(), "classic"
			resp.Groups = append(resp.Groups, lg)
		}
		done()
	}) {
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
	}
	return resp
}

func (c *Coordinator) sortedIDs() []string {
	ids := make([]string, 0, len(c.groups))
	for id := range c.groups {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// DescribeGroups serves a DescribeGroups request (v0-6). Members'
// metadata and assignments are the bytes they sent, shown once the group
// is Stable (as Kafka does); a group that does not exist is Dead, with
// GROUP_ID_NOT_FOUND from v6 on (KIP-1043).
func (c *Coordinator) DescribeGroups(req *kmsg.DescribeGroupsRequest) *kmsg.DescribeGroupsResponse {
	resp := req.ResponseKind().(*kmsg.DescribeGroupsResponse)
	if !c.call(func(done func()) {
		for _, id := range req.Groups {
			resp.Groups = append(resp.Groups, c.describe(id, req.Version))
		}
		done()
	}) {
		resp.Groups = nil
		for _, id := range req.Groups {
			dg := kmsg.NewDescribeGroupsResponseGroup()
			dg.Group, dg.ErrorCode = id, notCoordinator
			resp.Groups = append(resp.Groups, dg)
		}
	}
	return resp
}

func (c *Coordinator) describe(id string, version int16) kmsg.DescribeGroupsResponseGroup {
	dg := kmsg.NewDescribeGroupsResponseGroup()
	dg.Group = id
	g := c.groups[id]
	if g == nil {
		dg.State = stateDead.String()
		if version >= 6 {
			dg.ErrorCode = kerr.GroupIDNotFound.Code
			dg.ErrorMessage = kmsg.StringPtr("Group " + id + " not found.")
		}
		return dg
	}
	dg.State = g.state.String()
	dg.ProtocolType = g.protocolType
	stable := g.state == stateStable
	if stable {
		dg.Protocol = g.protocol
	}
	for _, m := range g.ordered() {
		dm := kmsg.NewDescribeGroupsResponseGroupMember()
		dm.MemberID, dm.InstanceID, dm.ClientID, dm.ClientHost = m.id, m.instanceID, m.clientID, m.clientHost
		dm.ProtocolMetadata, dm.MemberAssignment = []byte{}, []byte{}
		if stable {
			if md := m.metadata(g.protocol); md != nil {
				dm.ProtocolMetadata = md
			}
			if m.assignment != nil {
				dm.MemberAssignment = m.assignment
			}
		}
		dg.Members = append(dg.Members, dm)
	}
	return dg
}
