package server

// EndTxn: v0-5
//
// Commits or aborts a producer's transaction in the transaction
// coordinator (package txn). The answer comes once the PrepareCommit or
// PrepareAbort record is in __transaction_state; the markers follow, and
// until they are all written the transactional ID answers
// CONCURRENT_TRANSACTIONS. A repeated EndTxn of a completed transaction
// with the same outcome succeeds; the other outcome, or an EndTxn with no
// transaction, is INVALID_TXN_STATE; an unknown ID or another producer ID
// INVALID_PRODUCER_ID_MAPPING; another epoch PRODUCER_FENCED.
//
// Version notes:
//   - v2: PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before)
//   - v3: flexible
//   - v4: TRANSACTION_ABORTABLE in answers (KIP-890)
//   - v5: the client speaks transaction version 2 (KIP-890 part 2; Kafka
//     takes the version as the client's transaction version, as here):
//     every EndTxn bumps the epoch, the markers carry the new one, and the
//     answer's ProducerID/ProducerEpoch are what the producer uses next (a
//     new producer ID at epoch 0 once the epoch is exhausted); an abort
//     with no transaction succeeds and bumps the epoch too. A retry of the
//     last EndTxn (the old epoch) gets the same answer again.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/txn"
)

func (s *Server) handleEndTxn(r *request) (reply, error) {
	req := r.kreq.(*kmsg.EndTxnRequest)
	resp := req.ResponseKind().(*kmsg.EndTxnResponse)
	if !s.authorize(r.c, opWrite, rtTxnID, req.TransactionalID) {
		resp.ErrorCode = kerr.TransactionalIDAuthorizationFailed.Code
		return msgReply{resp}, nil
	}
	return s.serveTxn(r, func(c *txn.Coordinator) reply {
		if req.Version >= 5 {
			res, err := c.EndTxnV2(req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit)
			resp.ErrorCode = fencedCode(err, req.Version, 2)
			resp.ProducerID, resp.ProducerEpoch = res.ProducerID, res.Epoch
			return msgReply{resp}
		}
		err := c.EndTxn(req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit)
		resp.ErrorCode = fencedCode(err, req.Version, 2)
		return msgReply{resp}
	}, func(err error) reply {
		resp.ErrorCode = errCode(err)
		return msgReply{resp}
	})
}
