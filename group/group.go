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
	// recordOffset is the offset of its record in __consumer_offsets:
	// a transaction's offset replaces a committed one only if appended
	// after it (Kafka's OffsetAndMetadata.recordOffset).
	recordOffset int64
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
	commits map[topicPartition]int
	// txnOffsets are the offsets of open transactions, by producer ID:
	// invisible to OffsetFetch until the transaction's commit marker
	// (txn.go).
	txnOffsets  map[int64]map[topicPartition]*offset
	pendingSync map[string]struct{}

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
	if c.groups[g.id] == g && g.state == stateEmpty && len(g.members) == 0 && len(g.pending) == 0 && len(g.offsets) == 0 && len(g.commits) == 0 && len(g.txnOffsets) == 0 && g.generation == 0 {
		g.stopTimers()
		delete(c.groups, g.id)
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
