package server

import "github.com/stratabroker/strata/txn"

// TxnStates counts the transaction coordinator's transactional IDs by
// state name (Dead ones are not listed), for the metrics. ok is false
// while the coordinator does not run or has not loaded
// __transaction_state; this call never starts it. One copy of the
// coordinator's transactions is made on its run loop.
func (s *Server) TxnStates() (map[string]int64, bool) {
	c := s.runningTxnCoordinator()
	if c == nil || !c.Loaded() {
		return nil, false
	}
	txns, _, err := c.List(txn.ListFilter{DurationMs: -1})
	if err != nil {
		return nil, false
	}
	out := map[string]int64{}
	for _, t := range txns {
		out[t.State.String()]++
	}
	return out, true
}

// txnCounters is what the coordinator exports of its counters, once it
// does (txn: MarkersWritten, TimeoutAborts).
type txnCounters interface {
	MarkersWritten() int64
	TimeoutAborts() int64
}

// TxnCounters are the markers the coordinator wrote and the transactions
// it aborted for their timeout; ok is false while it does not run or does
// not export them.
func (s *Server) TxnCounters() (markersWritten, timeoutAborts int64, ok bool) {
	c := s.runningTxnCoordinator()
	if c == nil {
		return 0, 0, false
	}
	f, ok := any(c).(txnCounters)
	if !ok {
		return 0, 0, false
	}
	return f.MarkersWritten(), f.TimeoutAborts(), true
}
