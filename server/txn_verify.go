package server

import "context"

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
