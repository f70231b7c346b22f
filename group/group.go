package group

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// state is a classic group's state (Kafka's ClassicGroupState).
type state int8

const (
	stateEmpty               state = iota // no members; offsets may remain
	statePreparingRebalance               // waiting for members to (re)join
	stateCompletingRebalance              // joined; waiting for the leader's assignment
	stateStable                           // assignment handed out
	stateDead                             // deleted
)

var stateNames = [...]string{"Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead"}

func (s state) String() string { return stateNames[s] }

type topicPartition struct {
	topic     string
	partition int32
}

// offset is one committed offset.
type offset struct {
	offset      int64
	leaderEpoch int32
	metadata    string
	commitTime  int64 // ms
}

type protocol struct {
	name     string
	metadata []byte
}

// member is one member of a group.
type member struct {
	id                 string
	instanceID         *string // static membership (KIP-345)
	clientID           string
	clientHost         string
	sessionTimeoutMs   int32
	rebalanceTimeoutMs int32
	protocols          []protocol // in the member's order of preference
	assignment         []byte

	join *joinWaiter // set while a JoinGroup waits for the rebalance
	sync *syncWaiter // set while a SyncGroup waits for the leader

	timer    *time.Timer // session
	timerSeq uint64
}

type joinWaiter struct {
	resp *kmsg.JoinGroupResponse
	done func()
}

type syncWaiter struct {
	resp *kmsg.SyncGroupResponse
	done func()
}

func (m *member) metadata(proto string) []byte {
	for _, p := range m.protocols {
		if p.name == proto {
			return p.metadata
		}
	}
	return nil
}

func (m *member) matches(ps []kmsg.JoinGroupRequestProtocol) bool {
	if len(ps) != len(m.protocols) {
		return false
	}
	for i, p := range ps {
		if p.Name != m.protocols[i].name || !bytes.Equal(p.Metadata, m.protocols[i].metadata) {
			return false
		}
	}
	return true
}

func (m *member) setProtocols(ps []kmsg.JoinGroupRequestProtocol) {
	m.protocols = m.protocols[:0]
	for _, p := range ps {
		// Request bytes alias the connection's pooled buffer: keep a copy.
		m.protocols = append(m.protocols, protocol{name: p.Name, metadata: bytes.Clone(p.Metadata)})
	}
}

// group is one classic group: its membership and its committed offsets.
type group struct {
	c            *Coordinator
	id           string
	state        state
	stateTime    int64 // ms: when the group entered its state (Kafka's currentStateTimestamp)
	generation   int32
	protocolType string
	protocol     string
	leader       string
	members      map[string]*member
	order        []string          // member IDs in join order
	static       map[string]string // group.instance.id -> member ID
	pending      map[string]*time.Timer
	offsets      map[topicPartition]*offset
	// commits counts, per partition, the commits being appended (Kafka's
	// pendingOffsetCommits): their offsets are not in offsets yet, and
	// expiry and deletion must see them.
	commits     map[topicPartition]int
	pendingSync map[string]struct{}
	stored      []byte // the last group metadata value in the log (nil: none, or a tombstone)

	joinTimer      *time.Timer
	joinSeq        uint64
	initialJoin    bool // the current rebalance waits group.initial.rebalance.delay.ms
	newMemberAdded bool
	syncTimer      *time.Timer
	syncSeq        uint64
}

func (c *Coordinator) getOrCreate(id string) *group {
	if g := c.groups[id]; g != nil {
		return g
	}
	g := &group{
		c:         c,
		id:        id,
		stateTime: c.nowMs(),
		members:   map[string]*member{},
		static:    map[string]string{},
		pending:   map[string]*time.Timer{},
		offsets:   map[topicPartition]*offset{},
	}
	c.groups[id] = g
	return g
}

// maybeDropEmpty forgets a group that holds nothing at all: no members,
// no offsets, no commit in flight, never a generation.
func (c *Coordinator) maybeDropEmpty(g *group) {
	if c.groups[g.id] == g && g.state == stateEmpty && len(g.members) == 0 && len(g.pending) == 0 && len(g.offsets) == 0 && len(g.commits) == 0 && g.generation == 0 {
		g.stopTimers()
		delete(c.groups, g.id)
	}
}

// hasOffsets is Kafka's GroupMetadata.hasOffsets: stored offsets or
// commits in flight.
func (g *group) hasOffsets() bool { return len(g.offsets) > 0 || len(g.commits) > 0 }

// commitStarted and commitDone count a commit's partitions in flight.
func (g *group) commitStarted(tp topicPartition) {
	if g.commits == nil {
		g.commits = map[topicPartition]int{}
	}
	g.commits[tp]++
}

func (g *group) commitDone(tp topicPartition) {
	if g.commits[tp]--; g.commits[tp] <= 0 {
		delete(g.commits, tp)
	}
}

func (g *group) setState(s state) {
	g.state = s
	g.stateTime = g.c.nowMs()
}

func (g *group) ordered() []*member {
	ms := make([]*member, 0, len(g.order))
	for _, id := range g.order {
		ms = append(ms, g.members[id])
	}
	return ms
}

func (g *group) addMember(m *member) {
	if len(g.members) == 0 && g.protocolType == "" {
		g.leader = ""
	}
	g.members[m.id] = m
	g.order = append(g.order, m.id)
	if m.instanceID != nil {
		g.static[*m.instanceID] = m.id
	}
	if g.leader == "" {
		g.leader = m.id
	}
}

func (g *group) removeMember(m *member) {
	delete(g.members, m.id)
	for i, id := range g.order {
		if id == m.id {
			g.order = append(g.order[:i], g.order[i+1:]...)
			break
		}
	}
	if m.instanceID != nil && g.static[*m.instanceID] == m.id {
		delete(g.static, *m.instanceID)
	}
	delete(g.pendingSync, m.id)
	if m.timer != nil {
		m.timer.Stop()
		m.timer = nil
	}
	m.timerSeq++
	if g.leader == m.id {
		g.leader = ""
		if len(g.order) > 0 {
			g.leader = g.order[0]
		}
	}
}

func (g *group) stopTimers() {
	for _, m := range g.members {
		if m.timer != nil {
			m.timer.Stop()
		}
	}
	for _, t := range g.pending {
		t.Stop()
	}
	if g.joinTimer != nil {
		g.joinTimer.Stop()
	}
	if g.syncTimer != nil {
		g.syncTimer.Stop()
	}
}

// rebalanceTimeout is the largest rebalance timeout of the members.
func (g *group) rebalanceTimeout() time.Duration {
	var ms int32
	for _, m := range g.members {
		ms = max(ms, m.rebalanceTimeoutMs)
	}
	return time.Duration(ms) * time.Millisecond
}

// supports is Kafka's supportsProtocols: an empty group takes any
// non-empty protocol type and list; otherwise the type must match and one
// of the protocols must be supported by every member.
func (g *group) supports(protocolType string, ps []kmsg.JoinGroupRequestProtocol) bool {
	if len(g.members) == 0 {
		return protocolType != "" && len(ps) > 0
	}
	if protocolType != g.protocolType {
		return false
	}
	for _, p := range ps {
		if g.supportedByAll(p.Name) {
			return true
		}
	}
	return false
}

func (g *group) supportedByAll(name string) bool {
	for _, m := range g.members {
		if !m.hasProtocol(name) {
			return false
		}
	}
	return true
}

func (m *member) hasProtocol(name string) bool {
	for _, p := range m.protocols {
		if p.name == name {
			return true
		}
	}
	return false
}

// selectProtocol is Kafka's vote: among the protocols every member
// supports, each member votes for the first in its own order; most votes
// win, ties going to the earlier protocol of the longest-standing member.
func (g *group) selectProtocol() string {
	ms := g.ordered()
	var candidates []string
	for _, p := range ms[0].protocols {
		if g.supportedByAll(p.name) {
			candidates = append(candidates, p.name)
		}
	}
	votes := make(map[string]int, len(candidates))
	for _, m := range ms {
		for _, p := range m.protocols {
			if g.supportedByAll(p.name) {
				votes[p.name]++
				break
			}
		}
	}
	best := ""
	for _, name := range candidates {
		if best == "" || votes[name] > votes[best] {
			best = name
		}
	}
	return best
}

func newMemberID(prefix string) string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%s-%x-%x-%x-%x-%x", prefix, b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ---- timers -------------------------------------------------------------

// resetSession restarts a member's session timer (Kafka's
// completeAndScheduleNextHeartbeatExpiration). A member waiting in
// JoinGroup or SyncGroup is kept alive: the rebalance timeouts bound it.
func (c *Coordinator) resetSession(g *group, m *member) {
	if m.timer != nil {
		m.timer.Stop()
	}
	m.timerSeq++
	seq := m.timerSeq
	m.timer = c.after(time.Duration(m.sessionTimeoutMs)*time.Millisecond, func() {
		if c.groups[g.id] != g || g.members[m.id] != m || m.timerSeq != seq {
			return
		}
		if m.join != nil || m.sync != nil {
			c.resetSession(g, m)
			return
		}
		c.log.Info("member session expired", "group", g.id, "member", m.id, "generation", g.generation)
		c.removeMemberAndUpdate(g, m)
	})
}

func (c *Coordinator) addPending(g *group, id string, session time.Duration) {
	g.pending[id] = c.after(session, func() {
		if c.groups[g.id] != g || g.pending[id] == nil {
			return
		}
		delete(g.pending, id)
		c.tryCompleteJoin(g)
	})
}

func (c *Coordinator) removePending(g *group, id string) {
	if t := g.pending[id]; t != nil {
		t.Stop()
		delete(g.pending, id)
	}
}

// ---- rebalance ----------------------------------------------------------

// maybePrepareRebalance starts a rebalance if the group's state allows
// one (Empty, Stable, CompletingRebalance), then completes the join if
// everyone is in.
func (c *Coordinator) maybePrepareRebalance(g *group, reason string) {
	switch g.state {
	case stateEmpty, stateStable, stateCompletingRebalance:
		c.prepareRebalance(g, reason)
	}
	c.tryCompleteJoin(g)
}

func (c *Coordinator) prepareRebalance(g *group, reason string) {
	if g.state == stateCompletingRebalance {
		c.failSyncs(g, kerr.RebalanceInProgress.Code)
	}
	c.stopSyncTimer(g)
	wasEmpty := g.state == stateEmpty
	g.setState(statePreparingRebalance)
	c.log.Info("preparing to rebalance", "group", g.id, "generation", g.generation, "reason", reason)
	if wasEmpty {
		delay := c.opts.InitialRebalanceDelay
		g.initialJoin, g.newMemberAdded = true, false
		c.scheduleJoin(g, delay, max(g.rebalanceTimeout()-delay, 0))
		return
	}
	g.initialJoin = false
	c.scheduleJoin(g, g.rebalanceTimeout(), 0)
}

// scheduleJoin arms the join deadline: after d the rebalance completes
// with whoever joined (or, during the initial delay, waits once more if a
// member joined meanwhile and time remains).
func (c *Coordinator) scheduleJoin(g *group, d, remaining time.Duration) {
	if g.joinTimer != nil {
		g.joinTimer.Stop()
	}
	g.joinSeq++
	seq := g.joinSeq
	g.joinTimer = c.after(d, func() {
		if c.groups[g.id] != g || g.joinSeq != seq || g.state != statePreparingRebalance {
			return
		}
		if g.initialJoin && g.newMemberAdded && remaining > 0 {
			g.newMemberAdded = false
			next := min(c.opts.InitialRebalanceDelay, remaining)
			c.scheduleJoin(g, next, remaining-next)
			return
		}
		c.completeJoin(g)
	})
}

func (c *Coordinator) tryCompleteJoin(g *group) {
	if g.state != statePreparingRebalance || g.initialJoin {
		return
	}
	if len(g.pending) > 0 {
		return
	}
	for _, m := range g.members {
		if m.join == nil {
			return
		}
	}
	c.completeJoin(g)
}

// completeJoin ends the join phase (Kafka's onCompleteJoin): members that
// did not rejoin are removed, the generation advances, a protocol is
// chosen and every waiting JoinGroup is answered.
func (c *Coordinator) completeJoin(g *group) {
	if g.state != statePreparingRebalance {
		return
	}
	if g.joinTimer != nil {
		g.joinTimer.Stop()
		g.joinTimer = nil
	}
	g.joinSeq++
	g.initialJoin = false
	for _, m := range g.ordered() {
		if m.join == nil {
			c.log.Info("member did not rejoin in time", "group", g.id, "member", m.id)
			g.removeMember(m)
		}
	}
	if g.leader != "" && g.members[g.leader] == nil {
		g.leader = ""
	}
	if g.leader == "" && len(g.order) > 0 {
		g.leader = g.order[0]
	}
	g.generation++
	if len(g.members) == 0 {
		g.protocol, g.leader = "", ""
		g.setState(stateEmpty)
		c.log.Info("group is empty", "group", g.id, "generation", g.generation)
		c.store(g.id, []kv{{groupKey(g.id), g.value()}}, func(err error) {
			if err != nil {
				c.log.Warn("storing group metadata", "group", g.id, "err", err)
			}
		})
		return
	}
	g.protocol = g.selectProtocol()
	g.setState(stateCompletingRebalance)
	c.log.Info("rebalance: members joined", "group", g.id, "generation", g.generation, "members", len(g.members), "protocol", g.protocol, "leader", g.leader)
	g.pendingSync = make(map[string]struct{}, len(g.members))
	for _, m := range g.ordered() {
		g.pendingSync[m.id] = struct{}{}
		w := m.join
		m.join = nil
		c.fillJoin(g, m, w.resp, g.leader)
		w.done()
		c.resetSession(g, m)
	}
	c.scheduleSyncDeadline(g)
}

// scheduleSyncDeadline removes the members that did not send SyncGroup
// within the rebalance timeout, and rebalances (Kafka's pending sync).
func (c *Coordinator) scheduleSyncDeadline(g *group) {
	c.stopSyncTimer(g)
	g.syncSeq++
	seq, gen := g.syncSeq, g.generation
	g.syncTimer = c.after(g.rebalanceTimeout(), func() {
		if c.groups[g.id] != g || g.syncSeq != seq || g.generation != gen || len(g.pendingSync) == 0 {
			return
		}
		if g.state != stateCompletingRebalance && g.state != stateStable {
			return
		}
		for id := range g.pendingSync {
			if m := g.members[id]; m != nil {
				c.log.Info("member did not sync in time", "group", g.id, "member", id)
				c.failWaiters(m, kerr.UnknownMemberID.Code)
				g.removeMember(m)
			}
		}
		g.pendingSync = nil
		c.maybePrepareRebalance(g, "members did not sync in time")
	})
}

func (c *Coordinator) stopSyncTimer(g *group) {
	if g.syncTimer != nil {
		g.syncTimer.Stop()
		g.syncTimer = nil
	}
	g.syncSeq++
	g.pendingSync = nil
}

// fillJoin writes the group's current generation into a JoinGroup
// response for m; the leader also gets every member's metadata.
func (c *Coordinator) fillJoin(g *group, m *member, resp *kmsg.JoinGroupResponse, leader string) {
	resp.ErrorCode = 0
	resp.Generation = g.generation
	resp.ProtocolType = kmsg.StringPtr(g.protocolType)
	resp.Protocol = kmsg.StringPtr(g.protocol)
	resp.LeaderID = leader
	resp.MemberID = m.id
	resp.Members = nil
	if leader == m.id {
		resp.Members = g.joinMembers()
	}
}

func (g *group) joinMembers() []kmsg.JoinGroupResponseMember {
	out := make([]kmsg.JoinGroupResponseMember, 0, len(g.members))
	for _, m := range g.ordered() {
		jm := kmsg.NewJoinGroupResponseMember()
		jm.MemberID = m.id
		jm.InstanceID = m.instanceID
		jm.ProtocolMetadata = m.metadata(g.protocol)
		out = append(out, jm)
	}
	return out
}

// failSyncs answers every waiting SyncGroup with code and drops the
// assignments (Kafka's resetAndPropagateAssignmentError).
func (c *Coordinator) failSyncs(g *group, code int16) {
	for _, m := range g.ordered() {
		m.assignment = nil
		if w := m.sync; w != nil {
			m.sync = nil
			w.resp.ErrorCode = code
			w.done()
		}
	}
}

// failWaiters answers m's waiting JoinGroup or SyncGroup with code.
func (c *Coordinator) failWaiters(m *member, code int16) {
	if w := m.join; w != nil {
		m.join = nil
		w.resp.ErrorCode = code
		w.resp.MemberID = m.id
		w.done()
	}
	if w := m.sync; w != nil {
		m.sync = nil
		w.resp.ErrorCode = code
		w.done()
	}
}

// removeMemberAndUpdate removes a member that left or expired and moves
// the group on: a rebalance, or the completion of the current one.
func (c *Coordinator) removeMemberAndUpdate(g *group, m *member) {
	c.failWaiters(m, kerr.UnknownMemberID.Code)
	g.removeMember(m)
	switch g.state {
	case stateStable, stateCompletingRebalance:
		c.prepareRebalance(g, "member "+m.id+" left")
		c.tryCompleteJoin(g)
	case statePreparingRebalance:
		c.tryCompleteJoin(g)
	}
}

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
