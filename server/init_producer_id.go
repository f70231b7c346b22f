package server

// InitProducerID: v0-5
//
// Idempotent producers (no transactional ID) get a new producer ID with
// epoch 0 each time, as Kafka's ProducerIdManager hands them out: IDs are
// reserved in persisted blocks, so no ID is reused across restarts (see
// producerIDs). Epoch bumps requested with ProducerID/ProducerEpoch (v3+,
// KIP-360) are answered the same way: a fresh ID.
//
// Transactions are not supported yet: a transactional ID gets
// COORDINATOR_NOT_AVAILABLE (an empty one INVALID_REQUEST, as in Kafka).
//
// Version notes:
//   - v1: ThrottleMillis
//   - v2: flexible
//   - v3: ProducerID, ProducerEpoch in the request (KIP-360)
//   - v4: PRODUCER_FENCED; v5: Enable2Pc, KeepPreparedTxn (KIP-939)

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (s *Server) handleInitProducerID(r *request) (reply, error) {
	req := r.kreq.(*kmsg.InitProducerIDRequest)
	resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	switch {
	case req.TransactionalID != nil && *req.TransactionalID == "":
		resp.ErrorCode = kerr.InvalidRequest.Code
	case req.TransactionalID != nil:
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
	default:
		id, err := s.pids.allocate()
		if err != nil {
			s.log.Error("allocate producer ID", "err", err)
			resp.ErrorCode = kerr.KafkaStorageError.Code
			break
		}
		resp.ProducerID, resp.ProducerEpoch = id, 0
	}
	return msgReply{resp}, nil
}
