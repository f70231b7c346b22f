package server

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/recordbatch"
)

// TxnVerifier answers, for Produce, whether a partition was added to a
// producer's transaction (KIP-890 part 1,
// transaction.partition.verification.enable). The transaction coordinator
// implements it. A nil TxnVerifier turns verification off.
//
// Produce asks only for the first transactional batch of a transaction in
// a partition (the log has no ongoing transaction of that producer and
// epoch), as Kafka's UnifiedLog asks for a VerificationGuard only then.
type TxnVerifier interface {
	// VerifyPartition reports whether tp is in the ongoing transaction of
	// transactionalID for producerID/epoch; nil means yes; otherwise a
	// Kafka error (kerr) to answer with.
	VerifyPartition(ctx context.Context, transactionalID string, producerID int64, epoch int16, topic string, partition int32) error
}

type txnVerifierBox struct{ v TxnVerifier }

// SetTxnVerifier sets the verifier Produce asks about transactional
// batches; nil turns verification off. The transaction coordinator's
// wiring calls it once it runs (and with the value of
// transaction.partition.verification.enable).
func (s *Server) SetTxnVerifier(v TxnVerifier) {
	if v == nil {
		s.txnVerifier.Store(nil)
		return
	}
	s.txnVerifier.Store(&txnVerifierBox{v})
}

// verifier is the TxnVerifier in force, nil when verification is off.
func (s *Server) verifier() TxnVerifier {
	if b := s.txnVerifier.Load(); b != nil {
		return b.v
	}
	return nil
}

// hasTransactionalRecords is Kafka's RequestUtils.hasTransactionalRecords:
// some partition's first batch (v3+: the only one) is transactional.
func hasTransactionalRecords(req *kmsg.ProduceRequest) bool {
	if req.Version < 3 {
		return false
	}
	for _, rt := range req.Topics {
		for _, rp := range rt.Partitions {
			if len(rp.Records) >= recordbatch.HeaderSize && rp.Records[recordbatch.OffMagic] == recordbatch.MagicV2 &&
				recordbatch.Header(rp.Records).Transactional() {
				return true
			}
		}
	}
	return false
}

// verifyTxnPartition asks the verifier whether the partition is in the
// producer's transaction, unless the log already has the producer's
// transaction ongoing (Kafka's UnifiedLog.hasOngoingTransaction: only the
// first batch of a transaction in a partition is verified) or
// verification is off. The question is bounded by the request's timeout
// and the server's shutdown.
func (s *Server) verifyTxnPartition(req *kmsg.ProduceRequest, topic string, part int32, l *partition.Log, h recordbatch.Header) error {
	if l.HasOngoingTransaction(h.ProducerID(), h.ProducerEpoch()) {
		return nil
	}
	if s.brokerAddsPartitions(req.Version, 12) {
		return produceVerifyError(s.addTxnPartition(*req.TransactionID, h.ProducerID(), h.ProducerEpoch(), topic, part))
	}
	v := s.verifier()
	if v == nil {
		return nil
	}
	timeout := time.Duration(max(req.TimeoutMillis, 1000)) * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	go func() {
		select {
		case <-s.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	return v.VerifyPartition(ctx, *req.TransactionID, h.ProducerID(), h.ProducerEpoch(), topic, part)
}
