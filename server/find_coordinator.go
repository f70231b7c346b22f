package server

// FindCoordinator: v0-6
//
// This broker coordinates every group (group_coordinator.go) and every
// transactional ID (txn_coordinator.go); the first lookup of each kind
// creates __consumer_offsets or __transaction_state, as in Kafka. Share
// coordinators get COORDINATOR_NOT_AVAILABLE.
//
// Advertising this key also matters to librdkafka, which takes
// FindCoordinator v0 as its sign that the broker understands LZ4 and
// otherwise sends LZ4 batches uncompressed.
//
// Version notes:
//   - v1: CoordinatorType, ErrorMessage, ThrottleMillis
//   - v3: flexible
//   - v4: batched CoordinatorKeys, per-key answers (KIP-699)
//   - v6: share coordinators (KIP-932)

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (s *Server) handleFindCoordinator(r *request) (reply, error) {
	req := r.kreq.(*kmsg.FindCoordinatorRequest)
	resp := req.ResponseKind().(*kmsg.FindCoordinatorResponse)
	host, port := s.advertised(r.c.listenerName, r.c.nc.LocalAddr())
	answer := func(key string) (nodeID int32, h string, p int32, err error) {
		switch {
		case req.CoordinatorType != 0 && req.CoordinatorType != 1:
			return -1, "", -1, kerrf(kerr.CoordinatorNotAvailable, "The coordinator is not available.")
		case key == "" && req.Version < 4 && req.CoordinatorType == 0:
			return -1, "", -1, kerrf(kerr.InvalidRequest, "The group ID must not be empty.")
		case req.CoordinatorType == 0 && !s.authorize(r.c, opDescribe, rtGroup, key):
			return -1, "", -1, kerr.GroupAuthorizationFailed
		case req.CoordinatorType == 1 && !s.authorize(r.c, opDescribe, rtTxnID, key):
			return -1, "", -1, kerr.TransactionalIDAuthorizationFailed
		}
		if req.CoordinatorType == 1 {
			_, err = s.txnCoordinator()
		} else {
			_, err = s.coordinator()
		}
		if err != nil {
			return -1, "", -1, kerrf(kerr.CoordinatorNotAvailable, "The coordinator is not available.")
		}
		return s.cfg.NodeID, host, port, nil
	}
	if req.Version < 4 {
		var err error
		resp.NodeID, resp.Host, resp.Port, err = answer(req.CoordinatorKey)
		resp.ErrorCode, resp.ErrorMessage = errCode(err), errMessage(err)
		if err == nil {
			resp.ErrorMessage = nil
		}
		return msgReply{resp}, nil
	}
	for _, key := range req.CoordinatorKeys {
		c := kmsg.NewFindCoordinatorResponseCoordinator()
		c.Key = key
		var err error
		c.NodeID, c.Host, c.Port, err = answer(key)
		c.ErrorCode, c.ErrorMessage = errCode(err), errMessage(err)
		resp.Coordinators = append(resp.Coordinators, c)
	}
	return msgReply{resp}, nil
}
