package group

import (
	"bytes"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The loop's side of JoinGroup, SyncGroup, Heartbeat and LeaveGroup; the
// rebalance steps they drive are in group.go.

// ---- JoinGroup ------------------------------------------------------------

func (c *Coordinator) join(req *kmsg.JoinGroupRequest, cl Client, resp *kmsg.JoinGroupResponse, done func()) {
	resp.MemberID = req.MemberID
	fail := func(code int16) {
		resp.ErrorCode = code
		done()
	}
	rebalanceMs := req.RebalanceTimeoutMillis
	if req.Version == 0 {
		rebalanceMs = req.SessionTimeoutMillis
	}
	session := time.Duration(req.SessionTimeoutMillis) * time.Millisecond
	switch {
	case req.Group == "":
		fail(kerr.InvalidGroupID.Code)
		return
	case session < c.opts.MinSessionTimeout || session > c.opts.MaxSessionTimeout:
		fail(kerr.InvalidSessionTimeout.Code)
		return
	}
	g := c.groups[req.Group]
	unknown := req.MemberID == ""
	if g == nil {
		if !unknown {
			fail(kerr.UnknownMemberID.Code)
			return
		}
		g = c.getOrCreate(req.Group)
	}
	defer c.maybeDropEmpty(g)
	if g.state == stateDead {
		fail(kerr.CoordinatorNotAvailable.Code)
		return
	}
	if unknown && len(g.members)+len(g.pending) >= c.opts.MaxGroupSize {
		resp.MemberID = ""
		fail(kerr.GroupMaxSizeReached.Code)
		return
	}
	if !g.supports(req.ProtocolType, req.Protocols) {
		fail(kerr.InconsistentGroupProtocol.Code)
		return
	}
	w := &joinWaiter{resp: resp, done: done}
	newMember := func(id string) *member {
		m := &member{
			id:                 id,
			instanceID:         req.InstanceID,
			clientID:           cl.ID,
			clientHost:         cl.Host,
			sessionTimeoutMs:   req.SessionTimeoutMillis,
			rebalanceTimeoutMs: rebalanceMs,
		}
		m.setProtocols(req.Protocols)
		return m
	}

	if unknown {
		prefix := cl.ID
		if req.InstanceID != nil {
			prefix = *req.InstanceID
		}
		id := newMemberID(prefix)
		if req.InstanceID != nil {
			if oldID, ok := g.static[*req.InstanceID]; ok && g.members[oldID] != nil {
				c.replaceStatic(g, g.members[oldID], id, req, rebalanceMs, cl, w)
				return
			}
		}
		if req.InstanceID == nil && req.Version >= 4 {
			// KIP-394: hand out the ID and wait for the member to come back with it.
			c.addPending(g, id, session)
			resp.MemberID = id
			fail(kerr.MemberIDRequired.Code)
			return
		}
		c.addMemberAndRebalance(g, newMember(id), req.ProtocolType, w)
		return
	}

	if _, ok := g.pending[req.MemberID]; ok {
		if req.InstanceID != nil {
			fail(kerr.FencedInstanceID.Code)
			return
		}
		c.removePending(g, req.MemberID)
		c.addMemberAndRebalance(g, newMember(req.MemberID), req.ProtocolType, w)
		return
	}
	if req.InstanceID != nil {
		if known, ok := g.static[*req.InstanceID]; ok && known != req.MemberID {
			fail(kerr.FencedInstanceID.Code)
			return
		} else if !ok {
			fail(kerr.UnknownMemberID.Code)
			return
		}
	}
	m := g.members[req.MemberID]
	if m == nil {
		fail(kerr.UnknownMemberID.Code)
		return
	}
	switch g.state {
	case statePreparingRebalance:
		c.updateMemberAndRebalance(g, m, req, rebalanceMs, w)
	case stateCompletingRebalance:
		if m.matches(req.Protocols) {
			c.fillJoin(g, m, resp, g.leader)
			done()
			return
		}
		c.updateMemberAndRebalance(g, m, req, rebalanceMs, w)
	case stateStable:
		if g.leader == m.id || !m.matches(req.Protocols) {
			c.updateMemberAndRebalance(g, m, req, rebalanceMs, w)
			return
		}
		c.fillJoin(g, m, resp, g.leader)
		c.resetSession(g, m)
		done()
	default:
		fail(kerr.UnknownMemberID.Code)
	}
}

func (c *Coordinator) addMemberAndRebalance(g *group, m *member, protocolType string, w *joinWaiter) {
	if g.state == statePreparingRebalance && g.generation == 0 {
		g.newMemberAdded = true
	}
	if len(g.members) == 0 {
		g.protocolType = protocolType
	}
	g.addMember(m)
	m.join = w
	c.resetSession(g, m)
	c.maybePrepareRebalance(g, "member "+m.id+" joined")
}

func (c *Coordinator) updateMemberAndRebalance(g *group, m *member, req *kmsg.JoinGroupRequest, rebalanceMs int32, w *joinWaiter) {
	m.setProtocols(req.Protocols)
	m.sessionTimeoutMs, m.rebalanceTimeoutMs = req.SessionTimeoutMillis, rebalanceMs
	if old := m.join; old != nil && old != w {
		// A second JoinGroup from the same member replaces the first.
		old.resp.ErrorCode = kerr.RebalanceInProgress.Code
		old.resp.MemberID = m.id
		old.done()
	}
	m.join = w
	c.maybePrepareRebalance(g, "member "+m.id+" rejoined")
}

// replaceStatic handles a static member that rejoins without its member
// ID (a restarted instance): the new ID replaces the old one, which is
// fenced. A stable group whose member's protocols did not change does not
// rebalance (KIP-345); a leader gets SkipAssignment (KIP-814, v9+) or,
// before v9, the old leader ID so that it does not assign again.
func (c *Coordinator) replaceStatic(g *group, old *member, id string, req *kmsg.JoinGroupRequest, rebalanceMs int32, cl Client, w *joinWaiter) {
	c.failWaiters(old, kerr.FencedInstanceID.Code)
	if old.timer != nil {
		old.timer.Stop()
	}
	old.timerSeq++
	oldID, oldLeader := old.id, g.leader
	wasLeader := oldLeader == oldID
	unchanged := old.matches(req.Protocols)
	m := old
	delete(g.members, oldID)
	m.id = id
	m.clientID, m.clientHost = cl.ID, cl.Host
	g.members[id] = m
	for i, x := range g.order {
		if x == oldID {
			g.order[i] = id
		}
	}
	g.static[*req.InstanceID] = id
	if _, ok := g.pendingSync[oldID]; ok {
		delete(g.pendingSync, oldID)
		g.pendingSync[id] = struct{}{}
	}
	if wasLeader {
		g.leader = id
	}
	c.resetSession(g, m)
	if g.state == stateStable && unchanged {
		m.sessionTimeoutMs, m.rebalanceTimeoutMs = req.SessionTimeoutMillis, rebalanceMs
		leader := oldLeader
		if wasLeader && w.resp.Version >= 9 {
			leader = id
		}
		c.store(g.id, []kv{{groupKey(g.id), g.value()}}, func(err error) {
			if err != nil {
				w.resp.ErrorCode = storeCode(err, false)
				w.resp.MemberID = id
				w.done()
				return
			}
			c.fillJoin(g, m, w.resp, leader)
			if wasLeader && w.resp.Version >= 9 {
				w.resp.SkipAssignment = true
			}
			w.done()
		})
		return
	}
	c.updateMemberAndRebalance(g, m, req, rebalanceMs, w)
}

// ---- SyncGroup --------------------------------------------------------------

func (c *Coordinator) syncGroup(req *kmsg.SyncGroupRequest, resp *kmsg.SyncGroupResponse, done func()) {
	fail := func(code int16) {
		resp.ErrorCode = code
		done()
	}
	if req.Group == "" {
		fail(kerr.InvalidGroupID.Code)
		return
	}
	g := c.groups[req.Group]
	if g == nil {
		fail(kerr.UnknownMemberID.Code)
		return
	}
	if code := g.checkMember(req.MemberID, req.InstanceID, req.Generation); code != 0 {
		fail(code)
		return
	}
	if (req.ProtocolType != nil && *req.ProtocolType != g.protocolType) || (req.Protocol != nil && *req.Protocol != g.protocol) {
		fail(kerr.InconsistentGroupProtocol.Code)
		return
	}
	m := g.members[req.MemberID]
	switch g.state {
	case stateEmpty:
		fail(kerr.UnknownMemberID.Code)
	case statePreparingRebalance:
		fail(kerr.RebalanceInProgress.Code)
	case stateCompletingRebalance:
		if old := m.sync; old != nil {
			// A retried SyncGroup replaces the one waiting.
			old.resp.ErrorCode = kerr.RebalanceInProgress.Code
			old.done()
		}
		m.sync = &syncWaiter{resp: resp, done: done}
		delete(g.pendingSync, m.id)
		if m.id != g.leader {
			return
		}
		for _, x := range g.members {
			x.assignment = []byte{}
		}
		for _, a := range req.GroupAssignment {
			if x := g.members[a.MemberID]; x != nil {
				x.assignment = bytes.Clone(a.MemberAssignment)
				if x.assignment == nil {
					x.assignment = []byte{}
				}
			}
		}
		gen := g.generation
		c.store(g.id, []kv{{groupKey(g.id), g.value()}}, func(err error) {
			if g.state != stateCompletingRebalance || g.generation != gen || c.groups[g.id] != g {
				return
			}
			if err != nil {
				c.log.Warn("storing group assignment", "group", g.id, "err", err)
				c.failSyncs(g, storeCode(err, false))
				c.maybePrepareRebalance(g, "storing the assignment failed")
				return
			}
			for _, x := range g.ordered() {
				if w := x.sync; w != nil {
					x.sync = nil
					c.fillSync(g, x, w.resp)
					w.done()
					c.resetSession(g, x)
				}
			}
			g.setState(stateStable)
			c.log.Info("group stable", "group", g.id, "generation", g.generation, "members", len(g.members))
		})
	case stateStable:
		delete(g.pendingSync, m.id)
		c.fillSync(g, m, resp)
		c.resetSession(g, m)
		done()
	default:
		fail(kerr.CoordinatorNotAvailable.Code)
	}
}

func (c *Coordinator) fillSync(g *group, m *member, resp *kmsg.SyncGroupResponse) {
	resp.ErrorCode = 0
	resp.ProtocolType = kmsg.StringPtr(g.protocolType)
	resp.Protocol = kmsg.StringPtr(g.protocol)
	resp.MemberAssignment = m.assignment
	if resp.MemberAssignment == nil {
		resp.MemberAssignment = []byte{}
	}
}

// checkMember is the membership check of SyncGroup, Heartbeat and
// OffsetCommit: COORDINATOR_NOT_AVAILABLE for a dead group,
// FENCED_INSTANCE_ID, UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION.
func (g *group) checkMember(id string, instanceID *string, generation int32) int16 {
	if g.state == stateDead {
		return kerr.CoordinatorNotAvailable.Code
	}
	if instanceID != nil {
		if known, ok := g.static[*instanceID]; ok && known != id {
			return kerr.FencedInstanceID.Code
		}
	}
	if g.members[id] == nil {
		return kerr.UnknownMemberID.Code
	}
	if generation != g.generation {
		return kerr.IllegalGeneration.Code
	}
	return 0
}

// ---- Heartbeat, LeaveGroup --------------------------------------------------

func (c *Coordinator) heartbeat(req *kmsg.HeartbeatRequest) int16 {
	if req.Group == "" {
		return kerr.InvalidGroupID.Code
	}
	g := c.groups[req.Group]
	if g == nil {
		return kerr.UnknownMemberID.Code
	}
	if code := g.checkMember(req.MemberID, req.InstanceID, req.Generation); code != 0 {
		return code
	}
	m := g.members[req.MemberID]
	switch g.state {
	case stateEmpty:
		return kerr.UnknownMemberID.Code
	case statePreparingRebalance:
		c.resetSession(g, m)
		return kerr.RebalanceInProgress.Code
	}
	c.resetSession(g, m)
	return 0
}

func (c *Coordinator) leave(req *kmsg.LeaveGroupRequest, resp *kmsg.LeaveGroupResponse) {
	members := req.Members
	if req.Version < 3 {
		members = []kmsg.LeaveGroupRequestMember{{MemberID: req.MemberID}}
	}
	if req.Group == "" {
		resp.ErrorCode = kerr.InvalidGroupID.Code
		return
	}
	g := c.groups[req.Group]
	if g != nil && g.state == stateDead {
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return
	}
	for _, lm := range members {
		r := kmsg.NewLeaveGroupResponseMember()
		r.MemberID, r.InstanceID = lm.MemberID, lm.InstanceID
		r.ErrorCode = c.leaveOne(g, lm.MemberID, lm.InstanceID)
		resp.Members = append(resp.Members, r)
	}
	if req.Version < 3 {
		resp.ErrorCode = resp.Members[0].ErrorCode
		resp.Members = nil
	}
}

func (c *Coordinator) leaveOne(g *group, id string, instanceID *string) int16 {
	if g == nil {
		return kerr.UnknownMemberID.Code
	}
	if instanceID != nil {
		known, ok := g.static[*instanceID]
		switch {
		case ok && id != "" && known != id:
			return kerr.FencedInstanceID.Code
		case ok:
			id = known
		}
	}
	if _, ok := g.pending[id]; ok {
		c.removePending(g, id)
		c.tryCompleteJoin(g)
		return 0
	}
	m := g.members[id]
	if m == nil {
		return kerr.UnknownMemberID.Code
	}
	c.log.Info("member left", "group", g.id, "member", id)
	c.removeMemberAndUpdate(g, m)
	return 0
}
