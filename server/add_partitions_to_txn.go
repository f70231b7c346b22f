package server

// AddPartitionsToTxn: v0-5
//
// Adds partitions to a producer's transaction in the transaction
// coordinator (package txn). Partitions of topics that do not exist get
// UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED, and
// nothing is added; otherwise every partition gets the coordinator's
// answer: none, INVALID_PRODUCER_ID_MAPPING (unknown transactional ID or
// another producer ID), PRODUCER_FENCED (another epoch),
// CONCURRENT_TRANSACTIONS (a previous EndTxn still completing), or a
// coordinator error, as Kafka's handleAddPartitionsToTxnRequest answers.
//
// Version notes:
//   - v2: PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before)
//   - v3: flexible
//   - v4: a batch of transactions, each either added or, with VerifyOnly,
//     only checked (KIP-890 part 1: what a broker asks before appending a
//     transactional batch; a partition not in the transaction gets
//     TRANSACTION_ABORTABLE); Kafka reserves v4+ for brokers (CLUSTER_ACTION)
//   - v5: TRANSACTION_ABORTABLE in answers (KIP-890)

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/txn"
)

func (s *Server) handleAddPartitionsToTxn(r *request) (reply, error) {
	req := r.kreq.(*kmsg.AddPartitionsToTxnRequest)
	resp := req.ResponseKind().(*kmsg.AddPartitionsToTxnResponse)
	txns := req.Transactions
	if req.Version < 4 {
		t := kmsg.NewAddPartitionsToTxnRequestTransaction()
		t.TransactionalID, t.ProducerID, t.ProducerEpoch = req.TransactionalID, req.ProducerID, req.ProducerEpoch
		for _, rt := range req.Topics {
			tt := kmsg.NewAddPartitionsToTxnRequestTransactionTopic()
			tt.Topic, tt.Partitions = rt.Topic, rt.Partitions
			t.Topics = append(t.Topics, tt)
		}
		txns = []kmsg.AddPartitionsToTxnRequestTransaction{t}
	}
	answer := func(results []kmsg.AddPartitionsToTxnResponseTransaction) reply {
		if req.Version >= 4 {
			resp.Transactions = results
			return msgReply{resp}
		}
		for _, rt := range results[0].Topics {
			t := kmsg.NewAddPartitionsToTxnResponseTopic()
			t.Topic = rt.Topic
			for _, rp := range rt.Partitions {
				p := kmsg.NewAddPartitionsToTxnResponseTopicPartition()
				p.Partition, p.ErrorCode = rp.Partition, rp.ErrorCode
				t.Partitions = append(t.Partitions, p)
			}
			resp.Topics = append(resp.Topics, t)
		}
		return msgReply{resp}
	}
	all := func(err error) []kmsg.AddPartitionsToTxnResponseTransaction {
		var out []kmsg.AddPartitionsToTxnResponseTransaction
		for _, t := range txns {
			out = append(out, txnResult(t, func(string, int32) int16 { return fencedCode(err, req.Version, 2) }))
		}
		return out
	}
	if req.Version >= 4 && !s.authorizeCluster(r.c, opClusterAction) {
		resp.ErrorCode = kerr.ClusterAuthorizationFailed.Code // v4+ are the brokers' (KIP-890)
		return msgReply{resp}, nil
	}
	return s.serveTxn(r, func(c *txn.Coordinator) reply {
		var results []kmsg.AddPartitionsToTxnResponseTransaction
		for _, t := range txns {
			if denied, ok := s.addPartitionsDenied(r.c, t); ok {
				results = append(results, denied)
				continue
			}
			results = append(results, s.addPartitionsToTxn(c, req.Version, t))
		}
		return answer(results)
	}, func(err error) reply { return answer(all(err)) })
}

// addPartitionsDenied answers a transaction of the request the principal
// may not WRITE (TRANSACTIONAL_ID_AUTHORIZATION_FAILED on every partition),
// or with topics it may not WRITE (TOPIC_AUTHORIZATION_FAILED on theirs,
// OPERATION_NOT_ATTEMPTED on the others); ok false lets it through.
func (s *Server) addPartitionsDenied(c *conn, t kmsg.AddPartitionsToTxnRequestTransaction) (kmsg.AddPartitionsToTxnResponseTransaction, bool) {
	if s.acl == nil {
		return kmsg.AddPartitionsToTxnResponseTransaction{}, false
	}
	if !s.authorize(c, opWrite, rtTxnID, t.TransactionalID) {
		return txnResult(t, func(string, int32) int16 { return kerr.TransactionalIDAuthorizationFailed.Code }), true
	}
	denied := map[string]bool{}
	for _, rt := range t.Topics {
		if !s.authorize(c, opWrite, rtTopic, rt.Topic) {
			denied[rt.Topic] = true
		}
	}
	if len(denied) == 0 {
		return kmsg.AddPartitionsToTxnResponseTransaction{}, false
	}
	return txnResult(t, func(topic string, _ int32) int16 {
		if denied[topic] {
			return kerr.TopicAuthorizationFailed.Code
		}
		return kerr.OperationNotAttempted.Code
	}), true
}

// addPartitionsToTxn serves one transaction of the request.
func (s *Server) addPartitionsToTxn(c *txn.Coordinator, version int16, t kmsg.AddPartitionsToTxnRequestTransaction) kmsg.AddPartitionsToTxnResponseTransaction {
	var tps []txn.TopicPartition
	unknown := false
	for _, rt := range t.Topics {
		for _, p := range rt.Partitions {
			if !s.partitionExists(rt.Topic, p) {
				unknown = true
			}
			tps = append(tps, txn.TopicPartition{Topic: rt.Topic, Partition: p})
		}
	}
	if unknown {
		return txnResult(t, func(topic string, p int32) int16 {
			if !s.partitionExists(topic, p) {
				return kerr.UnknownTopicOrPartition.Code
			}
			return kerr.OperationNotAttempted.Code
		})
	}
	if t.VerifyOnly && version >= 4 {
		errs, err := c.VerifyPartitions(t.TransactionalID, t.ProducerID, t.ProducerEpoch, tps)
		i := 0
		return txnResult(t, func(string, int32) int16 {
			defer func() { i++ }()
			if err != nil {
				return errCode(err)
			}
			return errCode(errs[i])
		})
	}
	err := c.AddPartitions(t.TransactionalID, t.ProducerID, t.ProducerEpoch, tps)
	return txnResult(t, func(string, int32) int16 { return fencedCode(err, version, 2) })
}

// txnResult is one transaction's answer: code(topic, partition) for each
// partition of the request, in its order.
func txnResult(t kmsg.AddPartitionsToTxnRequestTransaction, code func(string, int32) int16) kmsg.AddPartitionsToTxnResponseTransaction {
	out := kmsg.NewAddPartitionsToTxnResponseTransaction()
	out.TransactionalID = t.TransactionalID
	for _, rt := range t.Topics {
		ot := kmsg.NewAddPartitionsToTxnResponseTransactionTopic()
		ot.Topic = rt.Topic
		for _, p := range rt.Partitions {
			op := kmsg.NewAddPartitionsToTxnResponseTransactionTopicPartition()
			op.Partition, op.ErrorCode = p, code(rt.Topic, p)
			ot.Partitions = append(ot.Partitions, op)
		}
		out.Topics = append(out.Topics, ot)
	}
	return out
}
