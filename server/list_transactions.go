package server

// ListTransactions: v0-2
//
// The transactional IDs the coordinator knows, filtered by Kafka's state
// names, producer IDs and (v1, KIP-994) how long their transaction has
// been running (DurationFilterMillis: longer than; -1 none). State names
// that name no state come back in UnknownStateFilters. v2
// (TransactionalIDPattern, KIP-1152): a regular expression the whole ID
// must match; a bad one is INVALID_REGULAR_EXPRESSION.

import (
	"regexp"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/txn"
)

func (s *Server) handleListTransactions(r *request) (reply, error) {
	req := r.kreq.(*kmsg.ListTransactionsRequest)
	resp := req.ResponseKind().(*kmsg.ListTransactionsResponse)
	var pattern *regexp.Regexp
	if p := req.TransactionalIDPattern; p != nil && *p != "" {
		re, err := regexp.Compile("^(?:" + *p + ")$")
		if err != nil {
			resp.ErrorCode = kerr.InvalidRegularExpression.Code
			return msgReply{resp}, nil
		}
		pattern = re
	}
	if s.runningTxnCoordinator() == nil {
		// No __transaction_state yet: no transactions (and a listing does
		// not create the topic).
		resp.UnknownStateFilters = unknownStates(req.StateFilters)
		return msgReply{resp}, nil
	}
	return s.serveTxn(r, func(c *txn.Coordinator) reply {
		txns, unknown, err := c.List(txn.ListFilter{StateNames: req.StateFilters, ProducerIDs: req.ProducerIDFilters, DurationMs: req.DurationFilterMillis})
		resp.ErrorCode = errCode(err)
		resp.UnknownStateFilters = unknown
		for _, t := range txns {
			if pattern != nil && !pattern.MatchString(t.ID) {
				continue
			}
			if s.acl != nil && !s.acl.Authorize(r.c.principal, r.c.host(), opDescribe, rtTxnID, t.ID) {
				continue // only the IDs the principal may DESCRIBE
			}
			st := kmsg.NewListTransactionsResponseTransactionState()
			st.TransactionalID, st.ProducerID, st.TransactionState = t.ID, t.ProducerID, t.State.String()
			resp.TransactionStates = append(resp.TransactionStates, st)
		}
		return msgReply{resp}
	}, func(err error) reply {
		resp.ErrorCode = errCode(err)
		return msgReply{resp}
	})
}

// unknownStates are the names among names that are no state.
func unknownStates(names []string) []string {
	var out []string
	for _, n := range names {
		if _, ok := txn.ParseState(n); !ok {
			out = append(out, n)
		}
	}
	return out
}
