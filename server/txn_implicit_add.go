package server

// KIP-890 part 2 (transaction.version 2): a producer of transaction
// version 2 sends no AddPartitionsToTxn or AddOffsetsToTxn; the broker
// adds the partition of its first transactional Produce (v12+) or
// TxnOffsetCommit (v5+) in a transaction to it, as Kafka's ReplicaManager
// does through AddPartitionsToTxnManager with verifyOnly false
// (TransactionSupportedOperation addPartition). Kafka decides by the
// request's version, which a client sends only once transaction.version 2
// is finalized; Strata also requires the finalized level, so a client that
// sends the new versions under transaction version 0/1 (franz-go does for
// Produce) keeps the verification of KIP-890 part 1. The addition is done
// whether or not transaction.partition.verification.enable is set: without
// it the transaction would not know its partitions.

import (
	"errors"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/stratabroker/strata/txn"
)

// brokerAddsPartitions: a request of version, whose first version of
// transaction version 2 is min, has its partitions added by the broker.
func (s *Server) brokerAddsPartitions(version, min int16) bool {
	return version >= min && s.finalizedLevel("transaction.version") >= 2
}

// Kafka 4.x's defaults of add.partitions.to.txn.retry.backoff.ms and
// add.partitions.to.txn.retry.backoff.max.ms (AddPartitionsToTxnConfig):
// the broker retries an addition that got CONCURRENT_TRANSACTIONS (the
// previous transaction's markers are still being written, right after the
// EndTxn answer) every 20 ms for up to 100 ms before answering, so the
// producer's first Produce of its next transaction does not bounce. The
// configs themselves are not in config/ yet.
const (
	addPartitionsRetryBackoff    = 20 * time.Millisecond
	addPartitionsRetryBackoffMax = 100 * time.Millisecond
)

// addTxnPartition adds topic/part to the transaction of transactionalID
// for producerID/epoch; the error is the coordinator's (Kafka's
// handleAddPartitionsToTransaction), which the caller maps as it maps a
// verification's.
func (s *Server) addTxnPartition(transactionalID string, producerID int64, epoch int16, topic string, part int32) error {
	c, err := s.txnCoordinator()
	if err != nil {
		return kerr.CoordinatorNotAvailable
	}
	tps := []txn.TopicPartition{{Topic: topic, Partition: part}}
	deadline := time.Now().Add(addPartitionsRetryBackoffMax)
	for {
		err := c.AddPartitionsV2(transactionalID, producerID, epoch, tps)
		if !errors.Is(err, kerr.ConcurrentTransactions) || time.Now().Add(addPartitionsRetryBackoff).After(deadline) {
			return err
		}
		select {
		case <-s.done:
			return err
		case <-time.After(addPartitionsRetryBackoff):
		}
	}
}
