package server

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestDescribeClusterEndpointTypes: Strata's listeners are broker
// listeners and answer as Kafka's do (AuthHelper.computeDescribeCluster
// Response): brokers for EndpointType 1, MISMATCHED_ENDPOINT_TYPE for
// controllers (2), UNSUPPORTED_ENDPOINT_TYPE for a type nobody knows.
func TestDescribeClusterEndpointTypes(t *testing.T) {
	s := startServer(t, "node.id", "5")
	rc := dialRaw(t, s)
	cases := []struct {
		version int16
		typ     int8
		code    int16
		msg     string
	}{
		{0, 1, 0, ""},
		{1, 1, 0, ""},
		{2, 1, 0, ""},
		{1, 2, kerr.MismatchedEndpointType.Code, "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER"},
		{2, 2, kerr.MismatchedEndpointType.Code, "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER"},
		{2, 0, kerr.UnsupportedEndpointType.Code, "Unsupported endpoint type 0"},
		{2, 7, kerr.UnsupportedEndpointType.Code, "Unsupported endpoint type 7"},
	}
	for _, c := range cases {
		req := kmsg.NewPtrDescribeClusterRequest()
		req.Version, req.EndpointType = c.version, c.typ
		resp := rc.roundTrip(req).(*kmsg.DescribeClusterResponse)
		msg := ""
		if resp.ErrorMessage != nil {
			msg = *resp.ErrorMessage
		}
		if resp.ErrorCode != c.code || msg != c.msg {
			t.Errorf("v%d type %d: error %d %q, want %d %q", c.version, c.typ, resp.ErrorCode, msg, c.code, c.msg)
			continue
		}
		if c.code != 0 {
			if len(resp.Brokers) != 0 || resp.ClusterID != "" {
				t.Errorf("v%d type %d: an error with brokers %v cluster %q", c.version, c.typ, resp.Brokers, resp.ClusterID)
			}
			continue
		}
		if resp.EndpointType != 1 || resp.ControllerID != 5 || resp.ClusterID != s.ClusterID() || len(resp.Brokers) != 1 || resp.Brokers[0].NodeID != 5 {
			t.Errorf("v%d: %+v", c.version, resp)
		}
	}
}

// TestUnregisterBroker: an id that is not this node is not registered
// (Kafka's BROKER_ID_NOT_REGISTERED and message); this node cannot
// unregister itself (INVALID_REQUEST, with a message that says why).
func TestUnregisterBroker(t *testing.T) {
	s := startServer(t, "node.id", "5")
	rc := dialRaw(t, s)
	cases := []struct {
		id   int32
		code int16
		msg  string
	}{
		{7, kerr.BrokerIDNotRegistered.Code, "Broker ID 7 is not currently registered"},
		{-1, kerr.BrokerIDNotRegistered.Code, "Broker ID -1 is not currently registered"},
		{5, kerr.InvalidRequest.Code, "Broker 5 is this node, which is both the broker and the controller of a single-node cluster; it cannot be unregistered while it runs"},
	}
	for _, c := range cases {
		req := kmsg.NewPtrUnregisterBrokerRequest()
		req.BrokerID = c.id
		resp := rc.roundTrip(req).(*kmsg.UnregisterBrokerResponse)
		if resp.ErrorCode != c.code || resp.ErrorMessage == nil || *resp.ErrorMessage != c.msg {
			t.Errorf("unregister %d: %d %v, want %d %q", c.id, resp.ErrorCode, resp.ErrorMessage, c.code, c.msg)
		}
	}
}
