package txn

import (
	"math"
	"slices"
	"sort"
	"time"
)

// InitResult is InitProducerId's answer.
type InitResult struct {
	ProducerID int64
	Epoch      int16
}

// InitProducerID serves InitProducerId for a transactional ID (Kafka's
// handleInitProducerId). haveExpected: the request carried a producer ID
// and epoch (v3+, KIP-360, not -1/-1). The error is Kafka's answer:
// INVALID_REQUEST (empty ID), INVALID_TRANSACTION_TIMEOUT,
// CONCURRENT_TRANSACTIONS, PRODUCER_FENCED, or a coordinator error.
func (c *Coordinator) InitProducerID(id string, timeoutMs int32, expectedID int64, expectedEpoch int16, haveExpected bool) (InitResult, error) {
	none := InitResult{ProducerID: noProducerID, Epoch: noProducerEpoch}
	switch {
	case id == "":
		return none, errInvalidRequest
	case timeoutMs <= 0 || time.Duration(timeoutMs)*time.Millisecond > c.opts.MaxTimeout:
		return none, errInvalidTimeout
	}
	return call(c, none, func(answer func(InitResult, error)) {
		now := c.nowMs()
		m := c.txns[id]
		if m == nil {
			pid, err := c.opts.NewProducerID()
			if err != nil {
				answer(none, errNotAvailable)
				return
			}
			m = &meta{id: id, producerID: pid, previousProducerID: noProducerID,
				producerEpoch: noProducerEpoch, lastProducerEpoch: noProducerEpoch, nextProducerID: noProducerID,
				timeoutMs: timeoutMs, state: Empty, startMs: -1, updateMs: now}
			c.txns[id] = m
		}
		valid := !haveExpected || m.producerEpoch == noProducerEpoch || expectedID == m.producerID ||
			(expectedID == m.previousProducerID && epochExhausted(expectedEpoch))
		switch {
		case m.pending != nil:
			answer(none, errConcurrent)
			return
		case !valid:
			answer(none, errProducerFenced)
			return
		}
		var t *transit
		switch m.state {
		case PrepareCommit, PrepareAbort:
			answer(none, errConcurrent)
			return
		case Empty, CompleteCommit, CompleteAbort:
			if epochExhausted(m.producerEpoch) && (!haveExpected || expectedEpoch == m.producerEpoch) {
				pid, err := c.opts.NewProducerID()
				if err != nil {
					answer(none, errNotAvailable)
					return
				}
				t = m.rotateProducerID(pid, timeoutMs, now, haveExpected)
			} else {
				var err error
				if t, err = m.incrementEpoch(timeoutMs, expectedEpoch, haveExpected, now); err != nil {
					answer(none, err)
					return
				}
			}
		case Ongoing:
			// Fence the current producer: abort its transaction with a
			// bumped epoch, and let the client retry.
			t = m.fenceEpoch()
			m.pending = t
			c.endTxn(m, t.producerID, t.producerEpoch, false, false, m.tv2, func(_ InitResult, err error) {
				if err == nil {
					err = errConcurrent
				}
				answer(none, err)
			})
			return
		default:
			c.log.Error("transactional ID in an illegal state", "transactional_id", id, "state", m.state)
			answer(none, errInvalidTxnState)
			return
		}
		m.pending = t
		c.store(m, t, func(err error) {
			if err != nil {
				m.pending = nil
				answer(none, err)
				return
			}
			m.complete(t)
			answer(InitResult{ProducerID: m.producerID, Epoch: m.producerEpoch}, nil)
		})
	})
}

// AddPartitions adds partitions to the transaction of id (Kafka's
// handleAddPartitionsToTransaction; also AddOffsetsToTxn, with the
// group's __consumer_offsets partition). The error applies to every
// partition: INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED,
// CONCURRENT_TRANSACTIONS, or a coordinator error. tv2: the partitions are
// added by the broker for a client of transaction version 2 (Produce v12+,
// TxnOffsetCommit v5+; KIP-890 part 2), whose EndTxn then bumps the epoch.
func (c *Coordinator) AddPartitions(id string, producerID int64, epoch int16, tps []TopicPartition) error {
	return c.addPartitions(id, producerID, epoch, tps, false)
}

// AddPartitionsV2 is AddPartitions for a client of transaction version 2:
// the broker adds the partitions of its Produce v12+ and TxnOffsetCommit
// v5+ (Kafka's AddPartitionsToTxnManager with verifyOnly false).
func (c *Coordinator) AddPartitionsV2(id string, producerID int64, epoch int16, tps []TopicPartition) error {
	return c.addPartitions(id, producerID, epoch, tps, true)
}

func (c *Coordinator) addPartitions(id string, producerID int64, epoch int16, tps []TopicPartition, tv2 bool) error {
	if id == "" {
		return errInvalidRequest
	}
	_, err := call(c, struct{}{}, func(answer func(struct{}, error)) {
		m := c.txns[id]
		switch {
		case m != nil && m.pending != nil:
			// First (KAFKA-18660): a producer that starts its next
			// transaction with the ID or epoch EndTxn v5 answered, while
			// the markers are still being written, must retry, not be
			// fenced.
			answer(struct{}{}, errConcurrent)
			return
		case m == nil, m.producerID != producerID:
			answer(struct{}{}, errInvalidMapping)
			return
		case m.producerEpoch != epoch:
			answer(struct{}{}, errProducerFenced)
			return
		case m.state == PrepareCommit, m.state == PrepareAbort:
			answer(struct{}{}, errConcurrent)
			return
		case m.state == Ongoing && m.hasAll(tps):
			answer(struct{}{}, nil)
			return
		}
		t := m.addPartitions(tps, c.nowMs(), tv2)
		m.pending = t
		c.store(m, t, func(err error) {
			if err != nil {
				m.pending = nil
			} else {
				m.complete(t)
			}
			answer(struct{}{}, err)
		})
	})
	return err
}

func (m *meta) hasAll(tps []TopicPartition) bool {
	for _, tp := range tps {
		if _, ok := m.partitions[tp]; !ok {
			return false
		}
	}
	return true
}

// VerifyPartitions answers the verify-only form of AddPartitionsToTxn
// (KIP-890 part 1, Kafka's handleVerifyPartitionsInTransaction): per
// partition nil when it is in the ongoing transaction, else
// TRANSACTION_ABORTABLE; or one error for all (INVALID_PRODUCER_ID_MAPPING,
// PRODUCER_FENCED, CONCURRENT_TRANSACTIONS, a coordinator error).
func (c *Coordinator) VerifyPartitions(id string, producerID int64, epoch int16, tps []TopicPartition) ([]error, error) {
	if id == "" {
		return nil, errInvalidRequest
	}
	return call(c, []error(nil), func(answer func([]error, error)) {
		m := c.txns[id]
		switch {
		case m == nil, m.producerID != producerID:
			answer(nil, errInvalidMapping)
			return
		case m.producerEpoch != epoch:
			answer(nil, errProducerFenced)
			return
		case m.state == PrepareCommit, m.state == PrepareAbort:
			answer(nil, errConcurrent)
			return
		}
		out := make([]error, len(tps))
		for i, tp := range tps {
			if _, ok := m.partitions[tp]; !ok || m.state != Ongoing {
				out[i] = errTransactionAbortable
			}
		}
		answer(out, nil)
	})
}

// EndTxnV2 commits or aborts the transaction of id (Kafka's
// handleEndTransaction) for a client of transaction version 2 (EndTxn
// v5+, KIP-890 part 2): it returns once the PrepareCommit or PrepareAbort
// record is written; the markers follow: the epoch is bumped
// by every EndTxn, the markers carry the new one, and the answer is the
// producer ID and epoch to use next (a new producer ID at epoch 0 once the
// epoch is exhausted); an abort with no transaction (Empty, or after a
// completed one) is allowed and bumps the epoch too. Without tv2 the
// answer is the unchanged ID and epoch.
func (c *Coordinator) EndTxnV2(id string, producerID int64, epoch int16, commit bool) (InitResult, error) {
	return c.endTxnRequest(id, producerID, epoch, commit, true)
}

// EndTxn is EndTxn v0-4 (transaction version 0/1): the epoch stays.
func (c *Coordinator) EndTxn(id string, producerID int64, epoch int16, commit bool) error {
	_, err := c.endTxnRequest(id, producerID, epoch, commit, false)
	return err
}

func (c *Coordinator) endTxnRequest(id string, producerID int64, epoch int16, commit, tv2 bool) (InitResult, error) {
	none := InitResult{ProducerID: noProducerID, Epoch: noProducerEpoch}
	if id == "" {
		return none, errInvalidRequest
	}
	return call(c, none, func(answer func(InitResult, error)) {
		m := c.txns[id]
		if m == nil {
			answer(none, errInvalidMapping)
			return
		}
		c.endTxn(m, producerID, epoch, commit, true, tv2, answer)
	})
}

// endTxn is Kafka's endTransaction, on the loop. A fence (m.pending is a
// PrepareEpochFence) aborts with the bumped epoch; tv2 is the client's
// transaction version (for a fence or a timeout, the ID's).
func (c *Coordinator) endTxn(m *meta, producerID int64, epoch int16, commit, fromClient, tv2 bool, answer func(InitResult, error)) {
	fencing := m.pending != nil && m.pending.state == PrepareEpochFence
	fail := func(err error) {
		if fencing {
			m.pending = nil
		}
		answer(InitResult{ProducerID: noProducerID, Epoch: noProducerEpoch}, err)
	}
	current := InitResult{ProducerID: m.producerID, Epoch: m.producerEpoch}
	// Transaction version 2 (Kafka's endTxnEpochBumped, retryOnOverflow):
	// the same epoch is the next EndTxn, epoch+1 a retry of the last one.
	metaTV2 := !fencing && m.tv2
	retryOnOverflow := metaTV2 && m.previousProducerID == producerID && epoch == math.MaxInt16-1 && m.producerEpoch == 0
	retryOnBump := metaTV2 && m.producerEpoch == epoch+1
	isRetry := retryOnBump || retryOnOverflow
	var validEpoch bool
	if metaTV2 {
		switch m.state {
		case PrepareCommit, PrepareAbort:
			validEpoch = retryOnBump
		case CompleteCommit, CompleteAbort:
			validEpoch = isRetry || epoch == m.producerEpoch
		default:
			validEpoch = epoch == m.producerEpoch
		}
	} else {
		validEpoch = (!fromClient || epoch == m.producerEpoch) && epoch >= m.producerEpoch
	}
	switch {
	case m.producerID != producerID && !retryOnOverflow:
		fail(errInvalidMapping)
		return
	case !validEpoch:
		fail(errProducerFenced)
		return
	case m.pending != nil && !fencing:
		fail(errConcurrent)
		return
	}
	var next State
	emptyAbort := false
	switch m.state {
	case Ongoing:
		next = PrepareAbort
		if commit {
			next = PrepareCommit
		}
	case Empty:
		if commit || !tv2 {
			fail(errInvalidTxnState)
			return
		}
		next, emptyAbort = PrepareAbort, true
	case CompleteCommit, CompleteAbort:
		sameOutcome := commit == (m.state == CompleteCommit)
		switch {
		case sameOutcome && (isRetry || !metaTV2):
			answer(current, nil) // a retry
			return
		case !commit && tv2 && !isRetry:
			next, emptyAbort = PrepareAbort, true
		default:
			fail(errInvalidTxnState)
			return
		}
	case PrepareCommit, PrepareAbort:
		if commit == (m.state == PrepareCommit) {
			fail(errConcurrent)
		} else {
			fail(errInvalidTxnState)
		}
		return
	default: // Dead and PrepareEpochFence are never a state
		fail(errInvalidTxnState)
		return
	}
	nextPID := noProducerID
	if tv2 && !fencing && epochExhausted(m.producerEpoch) {
		pid, err := c.opts.NewProducerID()
		if err != nil {
			fail(errNotAvailable)
			return
		}
		nextPID = pid
	}
	if next == PrepareAbort && fencing {
		m.pending = nil
		m.producerEpoch = epoch
		m.lastProducerEpoch = noProducerEpoch
	}
	t := m.prepareEnd(next, c.nowMs(), tv2, nextPID, emptyAbort)
	m.pending = t
	c.store(m, t, func(err error) {
		if err != nil {
			m.pending = nil
			if fencing {
				m.failedFence = true
			}
			fail(err)
			return
		}
		m.complete(t)
		m.failedFence = false
		res := InitResult{ProducerID: m.producerID, Epoch: m.producerEpoch}
		if m.nextProducerID != noProducerID {
			res = InitResult{ProducerID: m.nextProducerID, Epoch: 0}
		}
		answer(res, nil)
		c.sendMarkers(m)
	})
}

// Transaction is one transactional ID's state, as DescribeTransactions
// and ListTransactions show it.
type Transaction struct {
	ID         string
	State      State
	ProducerID int64
	Epoch      int16
	TimeoutMs  int32
	StartMs    int64 // -1: none
	UpdateMs   int64
	Partitions []TopicPartition // by topic, then partition
}

func (m *meta) view() Transaction {
	return Transaction{ID: m.id, State: m.state, ProducerID: m.producerID, Epoch: m.producerEpoch,
		TimeoutMs: m.timeoutMs, StartMs: m.startMs, UpdateMs: m.updateMs, Partitions: sortedPartitions(m.partitions)}
}

// Describe returns id's state; TRANSACTIONAL_ID_NOT_FOUND when unknown.
func (c *Coordinator) Describe(id string) (Transaction, error) {
	if id == "" {
		return Transaction{}, errInvalidRequest
	}
	return call(c, Transaction{}, func(answer func(Transaction, error)) {
		m := c.txns[id]
		if m == nil || m.state == Dead {
			answer(Transaction{}, errTxnIDNotFound)
			return
		}
		answer(m.view(), nil)
	})
}

// ListFilter selects transactions for List; empty sets select all.
type ListFilter struct {
	// StateNames are Kafka's state names; a name that is no state is
	// returned by List as unknown (and selects nothing).
	StateNames  []string
	ProducerIDs []int64
	// DurationMs (KIP-994): only transactions running longer than this
	// (now minus their start); -1: no filter.
	DurationMs int64
}

// List returns the transactional IDs that pass f, by ID, and the state
// names of f that name no state (Kafka's listTransactionStates).
func (c *Coordinator) List(f ListFilter) (txns []Transaction, unknownStates []string, err error) {
	var states []State
	for _, n := range f.StateNames {
		if s, ok := ParseState(n); ok {
			states = append(states, s)
		} else {
			unknownStates = append(unknownStates, n)
		}
	}
	txns, err = call(c, []Transaction(nil), func(answer func([]Transaction, error)) {
		now := c.nowMs()
		var out []Transaction
		for _, m := range c.txns {
			if m.state == Dead || !f.pass(m, states, now) {
				continue
			}
			out = append(out, m.view())
		}
		sortTransactions(out)
		answer(out, nil)
	})
	return txns, unknownStates, err
}

func (f *ListFilter) pass(m *meta, states []State, now int64) bool {
	if len(f.ProducerIDs) > 0 && !slices.Contains(f.ProducerIDs, m.producerID) {
		return false
	}
	if len(f.StateNames) > 0 && !slices.Contains(states, m.state) {
		return false
	}
	return f.DurationMs < 0 || now-m.startMs > f.DurationMs
}

func sortTransactions(ts []Transaction) {
	sort.Slice(ts, func(i, j int) bool { return ts[i].ID < ts[j].ID })
}
