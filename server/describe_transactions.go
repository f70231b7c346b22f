package server

// DescribeTransactions: v0
//
// Each transactional ID's state in the transaction coordinator: Kafka's
// state name, producer ID and epoch, timeout, start time (-1 when no
// transaction was started) and the partitions of the transaction.
// Unknown IDs get TRANSACTIONAL_ID_NOT_FOUND, an empty one INVALID_REQUEST;
// while __transaction_state loads, COORDINATOR_LOAD_IN_PROGRESS.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/txn"
)

func (s *Server) handleDescribeTransactions(r *request) (reply, error) {
	req := r.kreq.(*kmsg.DescribeTransactionsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeTransactionsResponse)
	each := func(f func(id string) kmsg.DescribeTransactionsResponseTransactionState) reply {
		for _, id := range req.TransactionalIDs {
			resp.TransactionStates = append(resp.TransactionStates, f(id))
		}
		return msgReply{resp}
	}
	return s.serveTxn(r, func(c *txn.Coordinator) reply {
		return each(func(id string) kmsg.DescribeTransactionsResponseTransactionState {
			st := kmsg.NewDescribeTransactionsResponseTransactionState()
			st.TransactionalID = id
			if !s.authorize(r.c, opDescribe, rtTxnID, id) {
				st.ErrorCode = kerr.TransactionalIDAuthorizationFailed.Code
				return st
			}
			t, err := c.Describe(id)
			if err != nil {
				st.ErrorCode = errCode(err)
				return st
			}
			st.State, st.TimeoutMillis, st.StartTimestamp = t.State.String(), t.TimeoutMs, t.StartMs
			st.ProducerID, st.ProducerEpoch = t.ProducerID, t.Epoch
			for _, tp := range t.Partitions {
				if s.acl != nil && !s.acl.Authorize(r.c.principal, r.c.host(), opDescribe, rtTopic, tp.Topic) {
					continue // Kafka leaves out the topics the principal may not DESCRIBE
				}
				if n := len(st.Topics); n == 0 || st.Topics[n-1].Topic != tp.Topic {
					tt := kmsg.NewDescribeTransactionsResponseTransactionStateTopic()
					tt.Topic = tp.Topic
					st.Topics = append(st.Topics, tt)
				}
				tt := &st.Topics[len(st.Topics)-1]
				tt.Partitions = append(tt.Partitions, tp.Partition)
			}
			return st
		})
	}, func(err error) reply {
		return each(func(id string) kmsg.DescribeTransactionsResponseTransactionState {
			st := kmsg.NewDescribeTransactionsResponseTransactionState()
			st.TransactionalID, st.ErrorCode = id, errCode(err)
			return st
		})
	})
}
