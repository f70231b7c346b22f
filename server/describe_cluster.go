package server

// DescribeCluster: v0-2
//
// One broker, which is also the controller the answer names. Strata's
// listeners are broker listeners (it has no controller listener), so they
// answer as Kafka's broker listeners do (AuthHelper.computeDescribeCluster
// Response): asking for controller endpoints (EndpointType 2, what
// --bootstrap-controller tools send) gets MISMATCHED_ENDPOINT_TYPE, and an
// unknown type UNSUPPORTED_ENDPOINT_TYPE; v0, which cannot ask for either,
// would get INVALID_REQUEST. A Kafka user pointing a --bootstrap-controller
// tool at a Strata port thus sees what a Kafka broker port answers, and
// uses --bootstrap-server instead.
//
// Version notes:
//   - v1: EndpointType
//   - v2: IncludeFencedBrokers, IsFenced (never)

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/acl"
)

// DescribeCluster's endpoint types (KIP-919).
const (
	endpointBroker     int8 = 1
	endpointController int8 = 2
)

func (s *Server) handleDescribeCluster(r *request) (reply, error) {
	req := r.kreq.(*kmsg.DescribeClusterRequest)
	resp := req.ResponseKind().(*kmsg.DescribeClusterResponse)
	if req.Version >= 1 && req.EndpointType != endpointBroker {
		code, msg := kerr.UnsupportedEndpointType.Code, fmt.Sprintf("Unsupported endpoint type %d", req.EndpointType)
		if req.EndpointType == endpointController {
			code, msg = kerr.MismatchedEndpointType.Code, "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER"
		}
		resp.ErrorCode, resp.ErrorMessage = code, &msg
		return msgReply{resp}, nil
	}
	resp.EndpointType = endpointBroker
	resp.ClusterID = s.clusterID
	resp.ControllerID = s.cfg.NodeID
	host, port := s.advertised(r.c.listenerName, r.c.nc.LocalAddr())
	b := kmsg.NewDescribeClusterResponseBroker()
	b.NodeID, b.Host, b.Port = s.cfg.NodeID, host, port
	resp.Brokers = []kmsg.DescribeClusterResponseBroker{b}
	if req.IncludeClusterAuthorizedOperations {
		// Kafka: the operations with DESCRIBE on the cluster, else none.
		resp.ClusterAuthorizedOperations = 0
		if s.authorizeCluster(r.c, opDescribe) {
			resp.ClusterAuthorizedOperations = s.authorizedOps(r.c, true, rtCluster, acl.ClusterName)
		}
	}
	return msgReply{resp}, nil
}
