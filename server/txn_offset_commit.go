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
// With transaction.partition.verification.enable (KIP-890 part 1) the
// first commit of a transaction into the group's partition (the log has no
// ongoing transaction of that producer and epoch) is verified with the
// transaction coordinator, as Kafka's group coordinator does through
// ReplicaManager: a partition AddOffsetsToTxn did not add gets
// TRANSACTION_ABORTABLE from v4 on and INVALID_TXN_STATE before, a fenced
// producer INVALID_PRODUCER_EPOCH. From v5 on, with transaction.version 2
// finalized (KIP-890 part 2), the broker adds the partition to the
// transaction itself instead (txn_implicit_add.go): AddOffsetsToTxn is not
// needed.
//
// Version notes:
//   - v2: LeaderEpoch
//   - v3: flexible; Generation, MemberID, InstanceID (KIP-447): checked
//     against the group as an OffsetCommit's (UNKNOWN_MEMBER_ID,
//     ILLEGAL_GENERATION, FENCED_INSTANCE_ID), except that a commit without
//     them is accepted by a group with members
//   - v4: TRANSACTION_ABORTABLE may be answered (KIP-890)
//   - v5: transaction version 2 (KIP-890 part 2); same fields
//   - v6: topics by ID (Kafka 4.2): served as v5 with the names, answered
//     by ID; an unknown ID gets UNKNOWN_TOPIC_ID

import (
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/group"
	"github.com/stratabroker/strata/txn"
)

func (s *Server) handleTxnOffsetCommit(r *request) (reply, error) {
	req := r.kreq.(*kmsg.TxnOffsetCommitRequest)
	switch {
	case !s.authorize(r.c, opWrite, rtTxnID, req.TransactionalID):
		return msgReply{txnOffsetCommitError(req, kerr.TransactionalIDAuthorizationFailed.Code)}, nil
	case !s.authorize(r.c, opRead, rtGroup, req.Group):
		return msgReply{txnOffsetCommitError(req, kerr.GroupAuthorizationFailed.Code)}, nil
	}
	for _, t := range req.Topics {
		if name := s.topicName(t.Topic, t.TopicID); name != "" && !s.authorize(r.c, opRead, rtTopic, name) {
			// Strata fails every partition (Kafka commits the authorized
			// topics' offsets); a transactional client aborts either way.
			return msgReply{txnOffsetCommitError(req, kerr.TopicAuthorizationFailed.Code)}, nil
		}
	}
	r.c.slot.release() // it waits on an append, as OffsetCommit does
	g, err := s.coordinator()
	if err != nil {
		return msgReply{txnOffsetCommitError(req, kerr.CoordinatorNotAvailable.Code)}, nil
	}
	r.c.t.startRemote()
	defer r.c.t.endRemote()
	if code := s.verifyTxnOffsets(req); code != 0 {
		return msgReply{txnOffsetCommitError(req, code)}, nil
	}
	if req.Version < 6 {
		return msgReply{g.TxnOffsetCommit(req)}, nil
	}
	ids := map[string][16]byte{}
	var unknown []kmsg.TxnOffsetCommitRequestTopic
	byName := *req
	byName.Version, byName.Topics = 5, nil
	for _, t := range req.Topics {
		if tp, ok := s.topics.GetByID(t.TopicID); ok {
			t.Topic = tp.Name
			ids[tp.Name] = t.TopicID
			byName.Topics = append(byName.Topics, t)
		} else {
			unknown = append(unknown, t)
		}
	}
	resp := g.TxnOffsetCommit(&byName)
	resp.Version = req.Version
	for i := range resp.Topics {
		resp.Topics[i].TopicID = ids[resp.Topics[i].Topic]
	}
	for _, t := range unknown {
		rt := kmsg.NewTxnOffsetCommitResponseTopic()
		rt.TopicID = t.TopicID
		for _, p := range t.Partitions {
			rp := kmsg.NewTxnOffsetCommitResponseTopicPartition()
			rp.Partition, rp.ErrorCode = p.Partition, kerr.UnknownTopicID.Code
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return msgReply{resp}, nil
}

// txnOffsetCommitError answers every partition of req with code.
func txnOffsetCommitError(req *kmsg.TxnOffsetCommitRequest, code int16) *kmsg.TxnOffsetCommitResponse {
	resp := req.ResponseKind().(*kmsg.TxnOffsetCommitResponse)
	for _, t := range req.Topics {
		rt := kmsg.NewTxnOffsetCommitResponseTopic()
		rt.Topic, rt.TopicID = t.Topic, t.TopicID
		for _, p := range t.Partitions {
			rp := kmsg.NewTxnOffsetCommitResponseTopicPartition()
			rp.Partition, rp.ErrorCode = p.Partition, code
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

// verifyTxnOffsets asks the transaction coordinator whether the group's
// __consumer_offsets partition is in the producer's transaction, unless
// verification is off, the request will fail on its group ID anyway, or
// the partition already holds an ongoing transaction of the producer.
func (s *Server) verifyTxnOffsets(req *kmsg.TxnOffsetCommitRequest) int16 {
	implicit := s.brokerAddsPartitions(req.Version, 5)
	if (s.verifier() == nil && !implicit) || req.Group == "" {
		return 0
	}
	t, ok := s.topics.Get(offsetsTopic)
	if !ok || len(t.Partitions) == 0 {
		return 0
	}
	p := group.PartitionFor(req.Group, len(t.Partitions))
	if t.Partitions[p].HasOngoingTransaction(req.ProducerID, req.ProducerEpoch) {
		return 0
	}
	var err error
	if implicit {
		err = s.addTxnPartition(req.TransactionalID, req.ProducerID, req.ProducerEpoch, offsetsTopic, p)
	} else {
		c, cerr := s.txnCoordinator()
		if cerr != nil {
			return kerr.CoordinatorNotAvailable.Code
		}
		var errs []error
		errs, err = c.VerifyPartitions(req.TransactionalID, req.ProducerID, req.ProducerEpoch, []txn.TopicPartition{{Topic: offsetsTopic, Partition: p}})
		if err == nil {
			err = errs[0]
		}
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, kerr.ProducerFenced):
		return kerr.InvalidProducerEpoch.Code
	case errors.Is(err, kerr.TransactionAbortable) && req.Version < 4:
		return kerr.InvalidTxnState.Code
	}
	return errCode(err)
}
