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
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/stratabroker/strata/txn"
)

// brokerAddsPartitions: a request of version, whose first version of
// transaction version 2 is min, has its partitions added by the broker.
func (s *Server) brokerAddsPartitions(version, min int16) bool {
	return version >= min && s.finalizedLevel("transaction.version") >= 2
}

// addTxnPartition adds topic/part to the transaction of transactionalID
// for producerID/epoch; the error is the coordinator's (Kafka's
// handleAddPartitionsToTransaction), which the caller maps as it maps a
// verification's.
func (s *Server) addTxnPartition(transactionalID string, producerID int64, epoch int16, topic string, part int32) error {
	c, err := s.txnCoordinator()
	if err != nil {
		return kerr.CoordinatorNotAvailable
	}
	return c.AddPartitionsV2(transactionalID, producerID, epoch, []txn.TopicPartition{{Topic: topic, Partition: part}})
}
