package server

// TxnOffsetCommit: v0-6
//
// The offsets go to the group's __consumer_offsets partition as records of
// the producer's transaction (a transactional batch with its producer ID
// and epoch) and stay pending in the group coordinator, invisible to
// OffsetFetch, until the transaction coordinator writes the transaction's
// marker there and calls group.Coordinator.CompleteTxn. The answer comes
// after the append. Partitions that do not exist get
// UNKNOWN_TOPIC_OR_PARTITION (as Kafka's KafkaApis checks them); an empty
// group ID, INVALID_GROUP_ID; an epoch older than the producer's last one
// in that partition, INVALID_PRODUCER_EPOCH.
//
// Version notes:
//   - v2: LeaderEpoch
//   - v3: flexible; Generation, MemberID, InstanceID (KIP-447): checked
//     against the group as an OffsetCommit's (UNKNOWN_MEMBER_ID,
//     ILLEGAL_GENERATION, FENCED_INSTANCE_ID), except that a commit without
//     them is accepted by a group with members
//   - v4: TRANSACTION_ABORTABLE may be answered (KIP-890)
//   - v5-6: transaction version 2 (KIP-890 part 2); same fields

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (s *Server) handleTxnOffsetCommit(r *request) (reply, error) {
	req := r.kreq.(*kmsg.TxnOffsetCommitRequest)
	r.c.slot.release() // it waits on an append, as OffsetCommit does
	g, err := s.coordinator()
	if err != nil {
		return msgReply{txnOffsetCommitError(req, kerr.CoordinatorNotAvailable.Code)}, nil
	}
	r.c.t.startRemote()
	defer r.c.t.endRemote()
	return msgReply{g.TxnOffsetCommit(req)}, nil
}

// txnOffsetCommitError answers every partition of req with code.
func txnOffsetCommitError(req *kmsg.TxnOffsetCommitRequest, code int16) *kmsg.TxnOffsetCommitResponse {
	resp := req.ResponseKind().(*kmsg.TxnOffsetCommitResponse)
	for _, t := range req.Topics {
		rt := kmsg.NewTxnOffsetCommitResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewTxnOffsetCommitResponseTopicPartition()
			rp.Partition, rp.ErrorCode = p.Partition, code
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}
