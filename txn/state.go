package txn

import (
	"math"
	"sort"
)

// State is a transactional ID's state, numbered as in the log
// (kmsg.TransactionState, Kafka's TransactionState.id).
type State int8

// The states, Kafka's.
const (
	Empty             State = 0
	Ongoing           State = 1
	PrepareCommit     State = 2
	PrepareAbort      State = 3
	CompleteCommit    State = 4
	CompleteAbort     State = 5
	Dead              State = 6
	PrepareEpochFence State = 7
)

var stateNames = [...]string{"Empty", "Ongoing", "PrepareCommit", "PrepareAbort", "CompleteCommit", "CompleteAbort", "Dead", "PrepareEpochFence"}

// String is Kafka's name of the state, as DescribeTransactions and
// ListTransactions show it.
func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "Unknown"
}

// ParseState returns the state named name (Kafka's names, exactly).
func ParseState(name string) (State, bool) {
	for i, n := range stateNames {
		if n == name {
			return State(i), true
		}
	}
	return 0, false
}

const (
	noProducerID    int64 = -1
	noProducerEpoch int16 = -1
)

// epochExhausted is Kafka's TransactionMetadata.isEpochExhausted: the last
// epoch is kept for fencing, so one below the maximum is the last usable.
func epochExhausted(e int16) bool { return e >= math.MaxInt16-1 }

// TopicPartition names a partition of a transaction.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// meta is one transactional ID's state (Kafka's TransactionMetadata),
// owned by the run loop.
type meta struct {
	id                 string
	producerID         int64
	previousProducerID int64
	producerEpoch      int16
	lastProducerEpoch  int16
	timeoutMs          int32
	state              State
	partitions         map[TopicPartition]struct{}
	startMs            int64 // transaction start, -1 when none
	updateMs           int64
	// nextProducerID is the producer ID an EndTxn of transaction version
	// 2 allocated because the epoch is exhausted: it becomes producerID
	// once the markers are written (-1: none).
	nextProducerID int64
	// tv2: the last transition came from a client of transaction version
	// 2 (Kafka's clientTransactionVersion.supportsEpochBump): every EndTxn
	// bumps the epoch.
	tv2 bool
	// pending is the transition whose record is being appended (nil:
	// none); fence is set while a PrepareEpochFence is pending.
	pending *transit
	// failedFence: an epoch fence was bumped in memory but not written
	// (Kafka's hasFailedEpochFence): the next fence does not bump again.
	failedFence bool
}

// transit is the state a transition leads to (Kafka's
// TxnTransitMetadata): what is written, and what memory becomes once it
// is.
type transit struct {
	producerID         int64
	previousProducerID int64
	producerEpoch      int16
	lastProducerEpoch  int16
	timeoutMs          int32
	state              State
	partitions         map[TopicPartition]struct{}
	startMs            int64
	updateMs           int64
	nextProducerID     int64
	tv2                bool
}

func (m *meta) transit(state State) *transit {
	return &transit{
		producerID: m.producerID, previousProducerID: m.previousProducerID,
		producerEpoch: m.producerEpoch, lastProducerEpoch: m.lastProducerEpoch,
		timeoutMs: m.timeoutMs, state: state, partitions: m.partitions,
		startMs: m.startMs, updateMs: m.updateMs,
		nextProducerID: noProducerID, tv2: m.tv2,
	}
}

// complete makes t the ID's state (Kafka's completeTransitionTo).
func (m *meta) complete(t *transit) {
	m.producerID, m.previousProducerID = t.producerID, t.previousProducerID
	m.producerEpoch, m.lastProducerEpoch = t.producerEpoch, t.lastProducerEpoch
	m.timeoutMs, m.state, m.partitions = t.timeoutMs, t.state, t.partitions
	m.startMs, m.updateMs = t.startMs, t.updateMs
	m.nextProducerID, m.tv2 = t.nextProducerID, t.tv2
	m.pending = nil
}

// incrementEpoch is Kafka's prepareIncrementProducerEpoch: InitProducerId
// on an ID with no transaction in progress. expected < -1 means the
// request carried no epoch.
func (m *meta) incrementEpoch(timeoutMs int32, expected int16, haveExpected bool, now int64) (*transit, error) {
	bumped := m.producerEpoch + 1
	var epoch, last int16
	switch {
	case !haveExpected:
		epoch, last = bumped, noProducerEpoch
	case m.producerEpoch == noProducerEpoch || expected == m.producerEpoch:
		epoch, last = bumped, m.producerEpoch
	case expected == m.lastProducerEpoch:
		// A retry of a bump whose answer was lost: the same answer.
		epoch, last = m.producerEpoch, m.lastProducerEpoch
	default:
		return nil, errProducerFenced
	}
	t := m.transit(Empty)
	t.producerEpoch, t.lastProducerEpoch = epoch, last
	t.timeoutMs, t.partitions, t.startMs, t.updateMs = timeoutMs, nil, -1, now
	return t, nil
}

// rotateProducerID is Kafka's prepareProducerIdRotation: the epoch is
// exhausted, so the ID gets a new producer ID at epoch 0.
func (m *meta) rotateProducerID(newID int64, timeoutMs int32, now int64, recordLast bool) *transit {
	t := m.transit(Empty)
	t.previousProducerID, t.producerID, t.producerEpoch = m.producerID, newID, 0
	t.lastProducerEpoch = noProducerEpoch
	if recordLast {
		t.lastProducerEpoch = m.producerEpoch
	}
	t.timeoutMs, t.partitions, t.startMs, t.updateMs = timeoutMs, nil, -1, now
	return t
}

// fenceEpoch is Kafka's prepareFenceProducerEpoch: the epoch the abort of
// an ongoing transaction is written with, so the markers fence the
// producer.
func (m *meta) fenceEpoch() *transit {
	t := m.transit(PrepareEpochFence)
	// With transaction version 2 the abort itself bumps the epoch
	// (prepareEnd), once.
	if !m.failedFence && !m.tv2 {
		t.producerEpoch = m.producerEpoch + 1
	}
	t.lastProducerEpoch = noProducerEpoch
	return t
}

// addPartitions is Kafka's prepareAddPartitions; tv2: added by a client
// of transaction version 2 (Produce v12+, TxnOffsetCommit v5+).
func (m *meta) addPartitions(tps []TopicPartition, now int64, tv2 bool) *transit {
	t := m.transit(Ongoing)
	t.tv2 = tv2
	t.partitions = make(map[TopicPartition]struct{}, len(m.partitions)+len(tps))
	for tp := range m.partitions {
		t.partitions[tp] = struct{}{}
	}
	for _, tp := range tps {
		t.partitions[tp] = struct{}{}
	}
	if m.state == Empty || m.state == CompleteCommit || m.state == CompleteAbort {
		t.startMs = now
	}
	t.updateMs = now
	return t
}

// prepareEnd is Kafka's prepareAbortOrCommit. With transaction version 2
// the epoch is bumped (the markers carry the new one, fencing the old);
// nextPID is the new producer ID when the bumped epoch is the last one
// (-1: none); noPartitionAdded: an abort of a transaction that added
// nothing, whose start is then now.
func (m *meta) prepareEnd(state State, now int64, tv2 bool, nextPID int64, noPartitionAdded bool) *transit {
	t := m.transit(state)
	t.updateMs = now
	t.tv2 = tv2
	if tv2 {
		t.producerEpoch, t.lastProducerEpoch = m.producerEpoch+1, m.producerEpoch
		t.nextProducerID = nextPID
	}
	if noPartitionAdded {
		t.startMs, t.partitions = now, nil
	}
	return t
}

// prepareComplete is Kafka's prepareComplete: the markers are written.
func (m *meta) prepareComplete(now int64) *transit {
	s := CompleteCommit
	if m.state == PrepareAbort {
		s = CompleteAbort
	}
	t := m.transit(s)
	t.partitions, t.updateMs = nil, now
	if m.tv2 {
		// The epoch bumped by EndTxn stays; an exhausted one gives way to
		// the producer ID allocated then, at epoch 0.
		t.previousProducerID, t.lastProducerEpoch = m.producerID, m.producerEpoch
		if m.nextProducerID != noProducerID {
			t.producerID, t.producerEpoch = m.nextProducerID, 0
		}
	}
	return t
}

// sortedPartitions returns the partitions by topic, then partition.
func sortedPartitions(set map[TopicPartition]struct{}) []TopicPartition {
	out := make([]TopicPartition, 0, len(set))
	for tp := range set {
		out = append(out, tp)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Topic != out[j].Topic {
			return out[i].Topic < out[j].Topic
		}
		return out[i].Partition < out[j].Partition
	})
	return out
}
