package server

// InitProducerID: v0-5
//
// Idempotent producers (no transactional ID) get a new producer ID with
// epoch 0 each time, as Kafka's ProducerIdManager hands them out: IDs are
// reserved in persisted blocks, so no ID is reused across restarts (see
// producerIDs). Epoch bumps requested with ProducerID/ProducerEpoch (v3+,
// KIP-360) are answered the same way: a fresh ID.
//
// A transactional ID goes to the transaction coordinator (package txn):
// the ID's epoch is bumped, fencing an older producer with the same ID; an
// ongoing transaction is aborted first (CONCURRENT_TRANSACTIONS: the client
// retries); transaction.timeout.ms must be within
// transaction.max.timeout.ms (INVALID_TRANSACTION_TIMEOUT). A ProducerID
// and ProducerEpoch of which only one is -1 is INVALID_REQUEST, an empty
// transactional ID too, as in Kafka.
//
// Version notes:
//   - v1: ThrottleMillis
//   - v2: flexible
//   - v3: ProducerID, ProducerEpoch in the request (KIP-360)
//   - v4: PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before)
//   - v5: Enable2Pc, KeepPreparedTxn (KIP-939): ignored, as Kafka's
//     coordinator does without transaction.two.phase.commit.enable

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/acl"
	"github.com/stratabroker/strata/txn"
)

func (s *Server) handleInitProducerID(r *request) (reply, error) {
	req := r.kreq.(*kmsg.InitProducerIDRequest)
	resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	// WRITE on the transactional ID; without one IDEMPOTENT_WRITE on the
	// cluster or WRITE on some topic (Kafka's handleInitProducerIdRequest).
	if req.TransactionalID != nil && !s.authorize(r.c, opWrite, rtTxnID, *req.TransactionalID) {
		resp.ErrorCode = kerr.TransactionalIDAuthorizationFailed.Code
		return msgReply{resp}, nil
	}
	if req.TransactionalID == nil && !s.allowed(r.c, opIdempotentWrite, rtCluster, acl.ClusterName) && !s.authorizeAny(r.c, opWrite, rtTopic) {
		resp.ErrorCode = kerr.ClusterAuthorizationFailed.Code
		return msgReply{resp}, nil
	}
	if req.TransactionalID == nil {
		id, err := s.pids.allocate()
		if err != nil {
			s.log.Error("allocate producer ID", "err", err)
			resp.ErrorCode = kerr.KafkaStorageError.Code
		} else {
			resp.ProducerID, resp.ProducerEpoch = id, 0
		}
		return msgReply{resp}, nil
	}
	noID, noEpoch := req.ProducerID == -1, req.ProducerEpoch == -1
	if noID != noEpoch || *req.TransactionalID == "" {
		resp.ErrorCode = kerr.InvalidRequest.Code
		return msgReply{resp}, nil
	}
	return s.serveTxn(r, func(c *txn.Coordinator) reply {
		res, err := c.InitProducerID(*req.TransactionalID, req.TransactionTimeoutMillis, req.ProducerID, req.ProducerEpoch, !noID)
		resp.ErrorCode = fencedCode(err, req.Version, 4)
		if err == nil {
			resp.ProducerID, resp.ProducerEpoch = res.ProducerID, res.Epoch
		}
		return msgReply{resp}
	}, func(err error) reply {
		resp.ErrorCode = errCode(err)
		return msgReply{resp}
	})
}
