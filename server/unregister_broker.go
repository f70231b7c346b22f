package server

// UnregisterBroker: v0
//
// Kafka's controller removes a registered broker's registration and
// answers BROKER_ID_NOT_REGISTERED ("Broker ID N is not currently
// registered") for an id it does not know. Strata is one node, broker and
// controller in one process, and the only registered broker is itself:
// unregistering it would leave a cluster with no broker while it keeps
// serving, so that is refused with INVALID_REQUEST and a message that says
// so. Any other id is not registered.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (s *Server) handleUnregisterBroker(r *request) (reply, error) {
	if rep := s.clusterDenied(r, opAlter); rep != nil {
		return rep, nil
	}
	req := r.kreq.(*kmsg.UnregisterBrokerRequest)
	resp := req.ResponseKind().(*kmsg.UnregisterBrokerResponse)
	var err error
	if req.BrokerID == s.cfg.NodeID {
		err = kerrf(kerr.InvalidRequest, "Broker %d is this node, which is both the broker and the controller of a single-node cluster; it cannot be unregistered while it runs", req.BrokerID)
	} else {
		err = kerrf(kerr.BrokerIDNotRegistered, "Broker ID %d is not currently registered", req.BrokerID)
	}
	resp.ErrorCode, resp.ErrorMessage = errCode(err), errMessage(err)
	return msgReply{resp}, nil
}
