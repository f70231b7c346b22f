package server

// Shared by the transaction APIs' handlers (add_partitions_to_txn.go ...
// list_transactions.go): starting the coordinator, Kafka's downgrade of
// PRODUCER_FENCED for clients that predate it.

import (
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/stratabroker/strata/txn"
)

// serveTxn runs a transaction API handler with the coordinator, or
// answers with unavailable(COORDINATOR_NOT_AVAILABLE) when it cannot
// start. Its requests wait on appends to __transaction_state: their
// queued.max.requests slot goes back first, as a group request's does.
func (s *Server) serveTxn(r *request, serve func(*txn.Coordinator) reply, unavailable func(error) reply) (reply, error) {
	r.c.slot.release()
	c, err := s.txnCoordinator()
	if err != nil {
		return unavailable(kerr.CoordinatorNotAvailable), nil
	}
	r.c.t.startRemote()
	defer r.c.t.endRemote()
	return serve(c), nil
}

// fencedCode is err's code, with PRODUCER_FENCED answered as
// INVALID_PRODUCER_EPOCH to a request version below fencedSince (Kafka's
// KafkaApis does the same for clients that do not know the newer code).
func fencedCode(err error, version, fencedSince int16) int16 {
	if version < fencedSince && errors.Is(err, kerr.ProducerFenced) {
		return kerr.InvalidProducerEpoch.Code
	}
	return errCode(err)
}
