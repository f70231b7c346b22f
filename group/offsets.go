package group

import (
	"cmp"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Committed offsets change only when their records are appended: a commit,
// an OffsetDelete, a DeleteGroups or an expiry updates memory in the loop
// step that receives the append's result. The writer of a partition
// appends in the order the loop queued, so memory follows the log's order
// and a replay rebuilds exactly what was in memory.

func (c *Coordinator) commit(req *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, done func()) {
	for _, t := range req.Topics {
		rt := kmsg.NewOffsetCommitResponseTopic()
		rt.Topic, rt.TopicID = t.Topic, t.TopicID
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetCommitResponseTopicPartition()
			rp.Partition = p.Partition
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	all := func(code int16) {
		for i := range resp.Topics {
			for j := range resp.Topics[i].Partitions {
				resp.Topics[i].Partitions[j].ErrorCode = code
			}
		}
		done()
	}
	gen, memberID := req.Generation, req.MemberID
	if req.Version == 0 {
		gen, memberID = -1, ""
	}
	g := c.groups[req.Group]
	if g == nil {
		if gen >= 0 {
			all(kerr.IllegalGeneration.Code)
			return
		}
		g = c.getOrCreate(req.Group)
	}
	defer c.maybeDropEmpty(g)
	switch {
	case g.state == stateDead:
		all(kerr.CoordinatorNotAvailable.Code)
		return
	case req.InstanceID != nil && g.static[*req.InstanceID] != "" && g.static[*req.InstanceID] != memberID:
		all(kerr.FencedInstanceID.Code)
		return
	case gen < 0 && g.state == stateEmpty:
		// A group-less consumer storing offsets only.
	case g.members[memberID] == nil:
		all(kerr.UnknownMemberID.Code)
		return
	case gen != g.generation:
		all(kerr.IllegalGeneration.Code)
		return
	case g.state == stateCompletingRebalance:
		all(kerr.RebalanceInProgress.Code)
		return
	default:
		c.resetSession(g, g.members[memberID])
	}

	now := c.nowMs()
	type pending struct {
		tp topicPartition
		o  *offset
		rp *kmsg.OffsetCommitResponseTopicPartition
	}
	var (
		recs  []kv
		items []pending
	)
	for i, t := range req.Topics {
		for j, p := range t.Partitions {
			rp := &resp.Topics[i].Partitions[j]
			o, code := c.newOffset(t.Topic, p.Partition, p.Offset, p.LeaderEpoch, p.Metadata, req.Version >= 6, now)
			if code != 0 {
				rp.ErrorCode = code
				continue
			}
			tp := topicPartition{t.Topic, p.Partition}
			recs = append(recs, kv{offsetKey(req.Group, tp.topic, tp.partition), offsetValue(o)})
			items = append(items, pending{tp, o, rp})
		}
	}
	if len(recs) == 0 {
		done()
		return
	}
	id := req.Group
	for _, it := range items {
		g.commitStarted(it.tp)
	}
	c.storeTxn(id, recs, nil, func(base int64, err error) {
		for _, it := range items {
			g.commitDone(it.tp)
		}
		if code := storeCode(err, true); code != 0 {
			for _, it := range items {
				it.rp.ErrorCode = code
			}
			c.maybeDropEmpty(g)
			done()
			return
		}
		// The group is g unless it was deleted meanwhile (DeleteGroups):
		// the commit is in the log after the deletion's records, so it
		// is in memory too, as a replay would load it.
		g := c.getOrCreate(id)
		for i, it := range items {
			it.o.recordOffset = base + int64(i)
			g.offsets[it.tp] = it.o
		}
		c.offsetCommits.Add(int64(len(items)))
		done()
	})
}

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

// fetchGroup answers one group's OffsetFetch: the requested partitions
// (nil: every partition with a committed offset), -1 where none is. With
// stable (RequireStable, v7+), a partition with an offset of an open
// transaction answers UNSTABLE_OFFSET_COMMIT, as Kafka's fetchOffsets.
func (c *Coordinator) fetchGroup(id string, topics []kmsg.OffsetFetchRequestGroupTopic, all, stable bool) []kmsg.OffsetFetchResponseGroupTopic {
	g := c.groups[id]
	var out []kmsg.OffsetFetchResponseGroupTopic
	part := func(tp topicPartition) kmsg.OffsetFetchResponseGroupTopicPartition {
		rp := kmsg.NewOffsetFetchResponseGroupTopicPartition()
		rp.Partition = tp.partition
		rp.Offset, rp.LeaderEpoch, rp.Metadata = -1, -1, kmsg.StringPtr("")
		if g != nil && stable && g.hasTxnOffset(tp) {
			rp.ErrorCode = kerr.UnstableOffsetCommit.Code
			return rp
		}
		if g != nil {
			if o := g.offsets[tp]; o != nil {
				rp.Offset, rp.LeaderEpoch, rp.Metadata = o.offset, o.leaderEpoch, kmsg.StringPtr(o.metadata)
			}
		}
		return rp
	}
	if all {
		if g == nil {
			return nil
		}
		for _, tp := range g.sortedOffsets() {
			if len(out) == 0 || out[len(out)-1].Topic != tp.topic {
				rt := kmsg.NewOffsetFetchResponseGroupTopic()
				rt.Topic = tp.topic
				out = append(out, rt)
			}
			rt := &out[len(out)-1]
			rt.Partitions = append(rt.Partitions, part(tp))
		}
		return out
	}
	for _, t := range topics {
		rt := kmsg.NewOffsetFetchResponseGroupTopic()
		rt.Topic, rt.TopicID = t.Topic, t.TopicID
		for _, p := range t.Partitions {
			rt.Partitions = append(rt.Partitions, part(topicPartition{t.Topic, p}))
		}
		out = append(out, rt)
	}
	return out
}

// sortedOffsets lists the partitions the group has offsets for, by topic
// then partition.
func (g *group) sortedOffsets() []topicPartition {
	tps := make([]topicPartition, 0, len(g.offsets))
	for tp := range g.offsets {
		tps = append(tps, tp)
	}
	slices.SortFunc(tps, compareTP)
	return tps
}

// compareTP orders partitions by topic, then partition.
func compareTP(a, b topicPartition) int {
	return cmp.Or(strings.Compare(a.topic, b.topic), cmp.Compare(a.partition, b.partition))
}

func (c *Coordinator) fetch(req *kmsg.OffsetFetchRequest, resp *kmsg.OffsetFetchResponse) {
	if req.Version >= 8 {
		for _, rg := range req.Groups {
			gr := kmsg.NewOffsetFetchResponseGroup()
			gr.Group = rg.Group
			gr.Topics = c.fetchGroup(rg.Group, rg.Topics, rg.Topics == nil, req.RequireStable)
			resp.Groups = append(resp.Groups, gr)
		}
		return
	}
	topics := make([]kmsg.OffsetFetchRequestGroupTopic, 0, len(req.Topics))
	for _, t := range req.Topics {
		topics = append(topics, kmsg.OffsetFetchRequestGroupTopic{Topic: t.Topic, Partitions: t.Partitions})
	}
	for _, gt := range c.fetchGroup(req.Group, topics, req.Topics == nil && req.Version >= 2, req.Version >= 7 && req.RequireStable) {
		rt := kmsg.NewOffsetFetchResponseTopic()
		rt.Topic = gt.Topic
		for _, gp := range gt.Partitions {
			rp := kmsg.NewOffsetFetchResponseTopicPartition()
			rp.Partition, rp.Offset, rp.LeaderEpoch, rp.Metadata, rp.ErrorCode = gp.Partition, gp.Offset, gp.LeaderEpoch, gp.Metadata, gp.ErrorCode
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
}

// subscribedTopics is the union of the topics a consumer group's members
// subscribed to, from their consumer-protocol metadata; ok is false when
// the group does not use the consumer protocol or a subscription does not
// decode.
func (g *group) subscribedTopics() (map[string]bool, bool) {
	if g.protocolType != "consumer" {
		return nil, false
	}
	topics := map[string]bool{}
	for _, m := range g.members {
		var md kmsg.ConsumerMemberMetadata
		if err := md.ReadFrom(m.metadata(g.protocol)); err != nil {
			return nil, false
		}
		for _, t := range md.Topics {
			topics[t] = true
		}
	}
	return topics, true
}

func (c *Coordinator) offsetDelete(req *kmsg.OffsetDeleteRequest, resp *kmsg.OffsetDeleteResponse, done func()) {
	g := c.groups[req.Group]
	if g == nil || g.state == stateDead {
		resp.ErrorCode = kerr.GroupIDNotFound.Code
		done()
		return
	}
	var subscribed map[string]bool
	if g.state != stateEmpty {
		var ok bool
		if subscribed, ok = g.subscribedTopics(); !ok {
			resp.ErrorCode = kerr.NonEmptyGroup.Code
			done()
			return
		}
	}
	var (
		recs []kv
		tps  []topicPartition
	)
	for _, t := range req.Topics {
		rt := kmsg.NewOffsetDeleteResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetDeleteResponseTopicPartition()
			rp.Partition = p.Partition
			switch {
			case subscribed[t.Topic]:
				rp.ErrorCode = kerr.GroupSubscribedToTopic.Code
			case c.opts.PartitionExists != nil && !c.opts.PartitionExists(t.Topic, p.Partition):
				rp.ErrorCode = kerr.UnknownTopicOrPartition.Code
			default:
				tp := topicPartition{t.Topic, p.Partition}
				if g.offsets[tp] != nil || g.hasTxnOffset(tp) {
					recs = append(recs, kv{offsetKey(g.id, tp.topic, tp.partition), nil})
					tps = append(tps, tp)
				}
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	if len(recs) == 0 {
		done()
		return
	}
	id := g.id
	c.store(id, recs, func(err error) {
		if code := storeCode(err, false); code != 0 {
			resp.ErrorCode = code
			done()
			return
		}
		if g := c.groups[id]; g != nil {
			for _, tp := range tps {
				delete(g.offsets, tp)
				c.dropTxnOffsets(g, tp)
			}
		}
		done()
	})
}

// expireOffsets is the offsets.retention.minutes check (Kafka's
// cleanupGroupMetadata and GroupMetadata.removeExpiredOffsets): an empty
// group's offsets expire once the retention has passed since the group
// became empty (since the commit, for a group that never had members), and
// an empty group without offsets is removed; in a Stable consumer group
// whose subscriptions decode, the offsets of topics no member subscribes
// to expire once the retention has passed since their commit (KIP-496).
// A partition with a commit in flight does not expire, and a group with
// one is not removed: the commit is appended before the check's
// tombstones would be, and it was acknowledged.
func (c *Coordinator) expireOffsets() {
	now := c.nowMs()
	retention := c.opts.OffsetsRetention.Milliseconds()
	ids := make([]string, 0, len(c.groups))
	for id := range c.groups {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		g := c.groups[id]
		var subscribed map[string]bool
		switch g.state {
		case stateEmpty:
		case stateStable:
			var ok bool
			if subscribed, ok = g.subscribedTopics(); !ok {
				continue
			}
		default:
			continue
		}
		var (
			recs []kv
			tps  []topicPartition
		)
		for tp, o := range g.offsets {
			base := o.commitTime
			if g.state == stateEmpty && g.protocolType != "" {
				base = g.stateTime
			}
			if now-base >= retention && !subscribed[tp.topic] && g.commits[tp] == 0 && !g.hasTxnOffset(tp) {
				recs = append(recs, kv{offsetKey(id, tp.topic, tp.partition), nil})
				tps = append(tps, tp)
			}
		}
		if g.state == stateEmpty && len(tps) == len(g.offsets) && len(g.commits) == 0 && len(g.txnOffsets) == 0 {
			recs = append(recs, c.remove(g))
			c.log.Info("group expired", "group", id, "offsets", len(tps))
		}
		if len(recs) == 0 {
			continue
		}
		c.store(id, recs, func(err error) {
			if err != nil {
				c.log.Warn("expiring offsets", "group", id, "err", err)
				return
			}
			if g := c.groups[id]; g != nil {
				for _, tp := range tps {
					delete(g.offsets, tp)
				}
			}
		})
	}
	c.retTimer = c.after(c.opts.RetentionCheckInterval, c.expireOffsets)
}

func (c *Coordinator) deleteGroups(req *kmsg.DeleteGroupsRequest, resp *kmsg.DeleteGroupsResponse, done func()) {
	waiting := 1
	finish := func() {
		if waiting--; waiting == 0 {
			done()
		}
	}
	for _, id := range req.Groups {
		rg := kmsg.NewDeleteGroupsResponseGroup()
		rg.Group = id
		resp.Groups = append(resp.Groups, rg)
	}
	for i, id := range req.Groups {
		rg := &resp.Groups[i]
		g := c.groups[id]
		switch {
		case g == nil || g.state == stateDead:
			rg.ErrorCode = kerr.GroupIDNotFound.Code
			continue
		case g.state != stateEmpty:
			rg.ErrorCode = kerr.NonEmptyGroup.Code
			continue
		}
		g.stopTimers()
		g.state = stateDead
		delete(c.groups, id)
		recs := make([]kv, 0, len(g.offsets)+1)
		tps := make([]topicPartition, 0, len(g.offsets))
		for tp := range g.offsets {
			recs = append(recs, kv{offsetKey(id, tp.topic, tp.partition), nil})
			tps = append(tps, tp)
		}
		for _, m := range g.txnOffsets { // Kafka's deleteAllOffsets
			for tp := range m {
				if g.offsets[tp] == nil && !slices.Contains(tps, tp) {
					recs = append(recs, kv{offsetKey(id, tp.topic, tp.partition), nil})
					tps = append(tps, tp)
				}
			}
		}
		for _, tp := range tps {
			c.dropTxnOffsets(g, tp)
		}
		recs = append(recs, kv{groupKey(id), nil})
		waiting++
		c.store(id, recs, func(err error) {
			rg.ErrorCode = storeCode(err, false)
			if g := c.groups[id]; g != nil && err == nil {
				for _, tp := range tps {
					delete(g.offsets, tp)
				}
			}
			finish()
		})
	}
	finish()
}

// newOffset checks one partition of an OffsetCommit or TxnOffsetCommit:
// a Kafka error code, or the offset to write (its leader epoch kept only by
// the versions that carry one).
func (c *Coordinator) newOffset(topic string, partition int32, off int64, epoch int32, metadata *string, keepEpoch bool, now int64) (*offset, int16) {
	md := ""
	if metadata != nil {
		md = *metadata
	}
	switch {
	case c.opts.PartitionExists != nil && !c.opts.PartitionExists(topic, partition):
		return nil, kerr.UnknownTopicOrPartition.Code
	case len(md) > c.opts.MaxMetadataBytes:
		return nil, kerr.OffsetMetadataTooLarge.Code
	}
	o := &offset{offset: off, leaderEpoch: epoch, metadata: md, commitTime: now}
	if !keepEpoch {
		o.leaderEpoch = -1
	}
	return o, 0
}
