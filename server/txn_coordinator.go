package server

// The transaction coordinator (package txn): this broker coordinates every
// transactional ID. Its state lives in the internal topic
// __transaction_state (transaction.state.log.num.partitions partitions,
// compacted, created through the topic registry on the first
// FindCoordinator or InitProducerId with a transactional ID, and hidden
// from Metadata unless named, as __consumer_offsets). When the topic exists
// at start, the coordinator starts with the server and loads it. The
// handlers (add_partitions_to_txn.go ... list_transactions.go) translate;
// txnMarkers writes the markers; txnVerify answers Produce's verification.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/stratabroker/strata/topic"
	"github.com/stratabroker/strata/txn"
)

// transactionTopic is Kafka's internal topic of transaction state.
const transactionTopic = "__transaction_state"

// transactionTopicConfigs are the configs __transaction_state is created
// with: Kafka's TransactionStateManager.transactionTopicConfigs (compacted,
// uncompressed, transaction.state.log.segment.bytes segments).
func (s *Server) transactionTopicConfigs() map[string]string {
	return map[string]string{
		"cleanup.policy":   "compact",
		"compression.type": "uncompressed",
		"segment.bytes":    strconv.Itoa(int(s.cfg.TransactionStateLogSegmentBytes)),
	}
}

// errNoTxnCoordinator: the coordinator could not be started.
var errNoTxnCoordinator = errors.New("server: transaction coordinator not available")

// txnCoordinator returns the transaction coordinator, creating
// __transaction_state and starting it on first use.
func (s *Server) txnCoordinator() (*txn.Coordinator, error) {
	s.txnsMu.Lock()
	defer s.txnsMu.Unlock()
	if s.txns != nil {
		return s.txns, nil
	}
	select {
	case <-s.done:
		return nil, errNoTxnCoordinator
	default:
	}
	if err := s.openTxnsLocked(); err != nil {
		s.log.Warn("starting the transaction coordinator", "err", err)
		return nil, fmt.Errorf("%w: %w", errNoTxnCoordinator, err)
	}
	return s.txns, nil
}

// runningTxnCoordinator is the coordinator when it runs, else nil.
func (s *Server) runningTxnCoordinator() *txn.Coordinator {
	s.txnsMu.Lock()
	defer s.txnsMu.Unlock()
	return s.txns
}

// openTxns starts the coordinator at Start, when __transaction_state
// exists.
func (s *Server) openTxns() error {
	s.txnsMu.Lock()
	defer s.txnsMu.Unlock()
	return s.openTxnsLocked()
}

func (s *Server) openTxnsLocked() error {
	t, ok := s.topics.Get(transactionTopic)
	if !ok {
		var err error
		t, err = s.topics.Create(transactionTopic, s.cfg.TransactionStateLogNumPartitions, s.transactionTopicConfigs(), false)
		if errors.Is(err, topic.ErrTopicExists) {
			if t, ok = s.topics.Get(transactionTopic); !ok {
				return fmt.Errorf("server: %s vanished", transactionTopic)
			}
		} else if err != nil {
			return fmt.Errorf("server: create %s: %w", transactionTopic, err)
		}
	}
	c, err := txn.Open(txn.Options{
		Logs:                 t.Partitions,
		Markers:              txnMarkers{s},
		NewProducerID:        s.pids.allocate,
		TransactionVersion:   func() int16 { return s.finalizedLevel("transaction.version") },
		Now:                  s.now,
		Logger:               s.log.With("component", "txn"),
		MaxTimeout:           time.Duration(s.cfg.TransactionMaxTimeoutMs) * time.Millisecond,
		AbortCheckInterval:   time.Duration(s.cfg.TransactionAbortTimedOutCleanupIntervalMs) * time.Millisecond,
		IDExpiration:         time.Duration(s.cfg.TransactionalIDExpirationMs) * time.Millisecond,
		ExpiredCheckInterval: time.Duration(s.cfg.TransactionRemoveExpiredCleanupIntervalMs) * time.Millisecond,
	})
	if err != nil {
		return fmt.Errorf("server: transaction coordinator: %w", err)
	}
	s.txns = c
	if s.cfg.TransactionPartitionVerificationEnable {
		s.SetTxnVerifier(txnVerify{c})
	}
	return nil
}

func (s *Server) closeTxns() error {
	s.txnsMu.Lock()
	defer s.txnsMu.Unlock()
	if s.txns == nil {
		return nil
	}
	return s.txns.Close()
}

// txnMarkers writes the coordinator's markers into local partitions
// (Kafka's TransactionMarkerChannelManager and WriteTxnMarkers, in one
// process): partition.Log.AppendMarker, and for a __consumer_offsets
// partition then the group coordinator's CompleteTxn, which makes the
// transaction's offsets committed or drops them.
type txnMarkers struct{ s *Server }

func (m txnMarkers) WriteMarker(tp txn.TopicPartition, producerID int64, epoch int16, commit bool, coordinatorEpoch int32) error {
	return m.s.writeMarker(tp.Topic, tp.Partition, producerID, epoch, commit, coordinatorEpoch)
}

// writeMarker appends one marker (also WriteTxnMarkers' path).
// txn.ErrPartitionGone: no such partition.
func (s *Server) writeMarker(topicName string, p int32, producerID int64, epoch int16, commit bool, coordinatorEpoch int32) error {
	t, ok := s.topics.Get(topicName)
	if !ok || p < 0 || int(p) >= len(t.Partitions) {
		return txn.ErrPartitionGone
	}
	if _, err := t.Partitions[p].AppendMarker(producerID, epoch, commit, coordinatorEpoch, s.now().UnixMilli()); err != nil {
		return err
	}
	if topicName == offsetsTopic {
		s.groupsMu.Lock()
		g := s.groups
		s.groupsMu.Unlock()
		if g != nil {
			g.CompleteTxn(p, producerID, commit)
		}
	}
	return nil
}

// txnVerify is Produce's TxnVerifier (KIP-890 part 1), answered by the
// coordinator's verify-only AddPartitionsToTxn.
type txnVerify struct{ c *txn.Coordinator }

func (v txnVerify) VerifyPartition(ctx context.Context, transactionalID string, producerID int64, epoch int16, topicName string, p int32) error {
	errs, err := v.c.VerifyPartitions(transactionalID, producerID, epoch, []txn.TopicPartition{{Topic: topicName, Partition: p}})
	if err == nil {
		err = errs[0]
	}
	return produceVerifyError(err)
}

// produceVerifyError is the answer Kafka gives a Produce whose verification
// failed with err (AddPartitionsToTxnManager, then ReplicaManager): a
// fenced producer INVALID_PRODUCER_EPOCH; a partition not in the
// transaction INVALID_TXN_STATE (the code of clients that predate
// TRANSACTION_ABORTABLE); a coordinator that is loading, moving or busy
// completing the previous transaction NOT_ENOUGH_REPLICAS, which every
// client retries without refreshing metadata.
func produceVerifyError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, kerr.ProducerFenced):
		return kerr.InvalidProducerEpoch
	case errors.Is(err, kerr.TransactionAbortable):
		return kerr.InvalidTxnState
	case errors.Is(err, kerr.ConcurrentTransactions), errors.Is(err, kerr.CoordinatorLoadInProgress),
		errors.Is(err, kerr.CoordinatorNotAvailable), errors.Is(err, kerr.NotCoordinator):
		return kerr.NotEnoughReplicas
	}
	return err
}
