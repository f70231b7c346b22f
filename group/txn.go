package group

import (
	"encoding/binary"
	"math"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/recordbatch"
)

// Transactional offset commits (TxnOffsetCommit, KIP-98 and KIP-447), as
// Kafka's OffsetMetadataManager keeps them. A TxnOffsetCommit appends its
// offsets to the group's __consumer_offsets partition in a transactional
// batch carrying the producer's ID and epoch; they are then pending, per
// group and producer (group.txnOffsets), invisible to OffsetFetch (which
// answers UNSTABLE_OFFSET_COMMIT for them when asked for stable offsets)
// until the transaction coordinator has written the transaction's marker
// into that partition and calls CompleteTxn: on commit each pending offset
// replaces the committed one unless that was appended later (a plain
// OffsetCommit after the transactional one wins, as in Kafka), on abort
// they are dropped. A replay does the same when it meets the control
// batch; a tombstone for a partition drops its pending offsets too.
//
// Pending offsets never expire, and a group holding some is neither
// expired nor forgotten. The log cleaner keeps a transaction's records
// until its marker is written (they are above the last stable offset),
// and keeps record offsets, which the commit's comparison relies on.

// txnKey names the open transaction of a producer in one partition of
// __consumer_offsets.
type txnKey struct {
	part int32
	pid  int64
}

// TxnOffsetCommit serves a TxnOffsetCommit request (v0-5, topics by name;
// the server maps v6's topic IDs). It returns once
// the offsets are appended to __consumer_offsets as part of the producer's
// transaction; they count only after CompleteTxn commits it.
func (c *Coordinator) TxnOffsetCommit(req *kmsg.TxnOffsetCommitRequest) *kmsg.TxnOffsetCommitResponse {
	resp := req.ResponseKind().(*kmsg.TxnOffsetCommitResponse)
	if !c.call(func(done func()) { c.txnCommit(req, resp, done) }) {
		resp.Topics = txnCommitErrors(req, notCoordinator)
	}
	return resp
}

// txnCommitErrors is the answer giving every partition of req code.
func txnCommitErrors(req *kmsg.TxnOffsetCommitRequest, code int16) []kmsg.TxnOffsetCommitResponseTopic {
	out := make([]kmsg.TxnOffsetCommitResponseTopic, 0, len(req.Topics))
	for _, t := range req.Topics {
		rt := kmsg.NewTxnOffsetCommitResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewTxnOffsetCommitResponseTopicPartition()
			rp.Partition, rp.ErrorCode = p.Partition, code
			rt.Partitions = append(rt.Partitions, rp)
		}
		out = append(out, rt)
	}
	return out
}

// txnCommitCheck validates a TxnOffsetCommit against group g (nil: it does
// not exist) as Kafka's validateTransactionalOffsetCommit and
// ClassicGroup.validateOffsetCommit(isTransactional=true) do. Unlike a
// plain commit, one without member and generation is accepted by a group
// with members (clients before v3 cannot send them), and a group
// completing a rebalance accepts it.
func txnCommitCheck(g *group, req *kmsg.TxnOffsetCommitRequest) int16 {
	gen, memberID, instanceID := req.Generation, req.MemberID, req.InstanceID
	if req.Version < 3 {
		gen, memberID, instanceID = -1, "", nil
	}
	switch {
	case g == nil:
		if gen >= 0 {
			return kerr.IllegalGeneration.Code
		}
		return 0
	case g.state == stateDead:
		return kerr.CoordinatorNotAvailable.Code
	case gen < 0 && g.state == stateEmpty:
		return 0
	case gen < 0 && memberID == "" && instanceID == nil:
		return 0
	}
	if instanceID != nil {
		switch existing := g.static[*instanceID]; {
		case existing == "":
			return kerr.UnknownMemberID.Code
		case existing != memberID:
			return kerr.FencedInstanceID.Code
		}
	} else if g.members[memberID] == nil {
		return kerr.UnknownMemberID.Code
	}
	if gen != g.generation {
		return kerr.IllegalGeneration.Code
	}
	return 0
}

func (c *Coordinator) txnCommit(req *kmsg.TxnOffsetCommitRequest, resp *kmsg.TxnOffsetCommitResponse, done func()) {
	resp.Topics = txnCommitErrors(req, 0)
	all := func(code int16) {
		resp.Topics = txnCommitErrors(req, code)
		done()
	}
	if req.Group == "" {
		all(kerr.InvalidGroupID.Code)
		return
	}
	g := c.groups[req.Group]
	if code := txnCommitCheck(g, req); code != 0 {
		all(code)
		return
	}
	if g == nil {
		g = c.getOrCreate(req.Group)
	}
	defer c.maybeDropEmpty(g)

	now := c.nowMs()
	type item struct {
		tp topicPartition
		o  *offset
		rp *kmsg.TxnOffsetCommitResponseTopicPartition
	}
	var (
		recs  []kv
		items []item
	)
	for i, t := range req.Topics {
		for j, p := range t.Partitions {
			rp := &resp.Topics[i].Partitions[j]
			o, code := c.newOffset(t.Topic, p.Partition, p.Offset, p.LeaderEpoch, p.Metadata, req.Version >= 2, now)
			if code != 0 {
				rp.ErrorCode = code
				continue
			}
			tp := topicPartition{t.Topic, p.Partition}
			recs = append(recs, kv{offsetKey(req.Group, tp.topic, tp.partition), offsetValue(o)})
			items = append(items, item{tp, o, rp})
		}
	}
	if len(recs) == 0 {
		done()
		return
	}
	id, pid := req.Group, req.ProducerID
	key := txnKey{PartitionFor(id, len(c.writers)), pid}
	c.txnInflight[key]++
	for _, it := range items {
		g.commitStarted(it.tp)
	}
	c.storeTxn(id, recs, &txnProducer{pid, req.ProducerEpoch}, func(base int64, err error) {
		for _, it := range items {
			g.commitDone(it.tp)
		}
		defer c.txnAppended(key)
		if code := storeCode(err, true); code != 0 {
			for _, it := range items {
				it.rp.ErrorCode = code
			}
			c.maybeDropEmpty(g)
			done()
			return
		}
		g := c.getOrCreate(id)
		for i, it := range items {
			it.o.recordOffset = base + int64(i)
			c.addTxnOffset(g, pid, it.tp, it.o)
		}
		c.offsetCommits.Add(int64(len(items)))
		done()
	})
}

// txnAppended notes that an append of transaction key returned, and runs
// the CompleteTxn calls that waited for it.
func (c *Coordinator) txnAppended(key txnKey) {
	if c.txnInflight[key]--; c.txnInflight[key] > 0 {
		return
	}
	delete(c.txnInflight, key)
	waiting := c.txnDeferred[key]
	delete(c.txnDeferred, key)
	for _, f := range waiting {
		f()
	}
}

// addTxnOffset records a pending offset of producer pid. Loop only.
func (c *Coordinator) addTxnOffset(g *group, pid int64, tp topicPartition, o *offset) {
	if g.txnOffsets == nil {
		g.txnOffsets = map[int64]map[topicPartition]*offset{}
	}
	m := g.txnOffsets[pid]
	if m == nil {
		m = map[topicPartition]*offset{}
		g.txnOffsets[pid] = m
	}
	m[tp] = o
	key := txnKey{PartitionFor(g.id, len(c.opts.Logs)), pid}
	if c.txnGroups[key] == nil {
		c.txnGroups[key] = map[string]bool{}
	}
	c.txnGroups[key][g.id] = true
}

// hasTxnOffset reports whether an open transaction holds an offset of tp.
func (g *group) hasTxnOffset(tp topicPartition) bool {
	for _, m := range g.txnOffsets {
		if m[tp] != nil {
			return true
		}
	}
	return false
}

// dropTxnOffsets forgets the pending offsets of tp, which a tombstone
// removed (Kafka's replay of an offset tombstone). Loop only.
func (c *Coordinator) dropTxnOffsets(g *group, tp topicPartition) {
	for pid, m := range g.txnOffsets {
		delete(m, tp)
		if len(m) == 0 {
			delete(g.txnOffsets, pid)
			key := txnKey{PartitionFor(g.id, len(c.opts.Logs)), pid}
			if gs := c.txnGroups[key]; gs != nil {
				delete(gs, g.id)
				if len(gs) == 0 {
					delete(c.txnGroups, key)
				}
			}
		}
	}
}

// CompleteTxn ends producer producerID's transaction in partition
// offsetsPartition of __consumer_offsets: the transaction coordinator
// calls it after it wrote the transaction's marker there. On commit the
// pending offsets become committed, on abort they are dropped. It returns
// once OffsetFetch sees the result (after the transaction's appends still
// in flight, if any, returned).
func (c *Coordinator) CompleteTxn(offsetsPartition int32, producerID int64, commit bool) {
	c.call(func(done func()) {
		key := txnKey{offsetsPartition, producerID}
		if c.txnInflight[key] > 0 {
			c.txnDeferred[key] = append(c.txnDeferred[key], func() { c.completeTxn(key, commit); done() })
			return
		}
		c.completeTxn(key, commit)
		done()
	})
}

// completeTxn applies a transaction's marker (Kafka's
// replayEndTransactionMarker). Loop only; replay uses it too.
func (c *Coordinator) completeTxn(key txnKey, commit bool) {
	for id := range c.txnGroups[key] {
		g := c.groups[id]
		if g == nil {
			continue
		}
		offs := g.txnOffsets[key.pid]
		delete(g.txnOffsets, key.pid)
		if len(g.txnOffsets) == 0 {
			g.txnOffsets = nil
		}
		if commit {
			for tp, o := range offs {
				// The most recently appended of a transactional and a
				// plain commit wins.
				if cur := g.offsets[tp]; cur == nil || o.recordOffset > cur.recordOffset {
					g.offsets[tp] = o
				}
			}
		}
		c.maybeDropEmpty(g)
	}
	delete(c.txnGroups, key)
}

// controlType is the type of a control record (Kafka's
// ControlRecordType): its key is version int16, type int16.
func controlType(key []byte) (commit, ok bool) {
	if len(key) < 4 {
		return false, false
	}
	switch binary.BigEndian.Uint16(key[2:]) {
	case 0:
		return false, true
	case 1:
		return true, true
	}
	return false, false
}

// setTxnSequence sets the base sequence of a transactional batch of the
// coordinator to follow the producer's last one in l. Kafka appends its
// coordinators' batches with AppendOrigin.COORDINATOR, whose sequence is
// not checked; partition.Log.Append checks every batch as a client's, so
// the writer (the only appender of the producer's data batches in that
// partition) numbers them. Writer goroutine only.
func setTxnSequence(l *partition.Log, batch []byte) {
	h := recordbatch.Header(batch)
	seq := int32(0)
	for _, st := range l.ProducerStates() {
		if st.ProducerID == h.ProducerID() && st.Epoch == h.ProducerEpoch() && st.LastSequence >= 0 && st.LastSequence < math.MaxInt32 {
			seq = st.LastSequence + 1
		}
	}
	binary.BigEndian.PutUint32(batch[recordbatch.OffBaseSequence:], uint32(seq))
	h.UpdateCRC()
}
