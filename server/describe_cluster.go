package server

// DescribeCluster: v0-2
//
// One broker, which is also the controller the answer names. Asking for
// controller endpoints (EndpointType 2) gets UNSUPPORTED_ENDPOINT_TYPE,
// as from a Kafka broker listener.
//
// Version notes:
//   - v1: EndpointType
//   - v2: IncludeFencedBrokers, IsFenced (never)

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (s *Server) handleDescribeCluster(r *request) (reply, error) {
	req := r.kreq.(*kmsg.DescribeClusterRequest)
	resp := req.ResponseKind().(*kmsg.DescribeClusterResponse)
	resp.EndpointType = 1
	if req.Version >= 1 && req.EndpointType != 1 {
		resp.EndpointType = req.EndpointType
		resp.ErrorCode = kerr.UnsupportedEndpointType.Code
		msg := "The target broker only supports broker endpoints."
		resp.ErrorMessage = &msg
		return msgReply{resp}, nil
	}
	resp.ClusterID = s.clusterID
	resp.ControllerID = s.cfg.NodeID
	host, port := s.advertised(r.c.listener, r.c.nc.LocalAddr())
	b := kmsg.NewDescribeClusterResponseBroker()
	b.NodeID, b.Host, b.Port = s.cfg.NodeID, host, port
	resp.Brokers = []kmsg.DescribeClusterResponseBroker{b}
	return msgReply{resp}, nil
}
