package server

// AddOffsetsToTxn: v0-4
//
// Adds the group's __consumer_offsets partition to the producer's
// transaction (Kafka's handleAddOffsetsToTxnRequest), so the offsets the
// producer then commits with TxnOffsetCommit are completed by the
// transaction's marker. The group coordinator is started (and
// __consumer_offsets created) if it was not. Errors as AddPartitionsToTxn.
//
// Version notes:
//   - v2: PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before)
//   - v3: flexible
//   - v4: TRANSACTION_ABORTABLE in answers (KIP-890)

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/group"
	"github.com/stratabroker/strata/txn"
)

func (s *Server) handleAddOffsetsToTxn(r *request) (reply, error) {
	req := r.kreq.(*kmsg.AddOffsetsToTxnRequest)
	resp := req.ResponseKind().(*kmsg.AddOffsetsToTxnResponse)
	switch {
	case !s.authorize(r.c, opWrite, rtTxnID, req.TransactionalID):
		resp.ErrorCode = kerr.TransactionalIDAuthorizationFailed.Code
		return msgReply{resp}, nil
	case !s.authorize(r.c, opRead, rtGroup, req.Group):
		resp.ErrorCode = kerr.GroupAuthorizationFailed.Code
		return msgReply{resp}, nil
	}
	return s.serveTxn(r, func(c *txn.Coordinator) reply {
		if _, err := s.coordinator(); err != nil {
			resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
			return msgReply{resp}
		}
		t, ok := s.topics.Get(offsetsTopic)
		if !ok {
			resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
			return msgReply{resp}
		}
		tp := txn.TopicPartition{Topic: offsetsTopic, Partition: group.PartitionFor(req.Group, len(t.Partitions))}
		err := c.AddPartitions(req.TransactionalID, req.ProducerID, req.ProducerEpoch, []txn.TopicPartition{tp})
		resp.ErrorCode = fencedCode(err, req.Version, 2)
		return msgReply{resp}
	}, func(err error) reply {
		resp.ErrorCode = errCode(err)
		return msgReply{resp}
	})
}
