package server

// GetTelemetrySubscriptions: v0 (KIP-714)
//
// The subscription a client instance matches (package telemetry): its
// instance id (a new one for the zero id), subscription id, the requested
// metric prefixes, the push interval, telemetry.max.bytes, the accepted
// compression types (zstd, lz4, gzip, snappy) and delta temporality. A
// request sooner than the push interval after the instance's last one:
// THROTTLING_QUOTA_EXCEEDED, the rest of the response empty, as Kafka's
// getErrorResponse leaves it.

import (
	"slices"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/telemetry"
)

func (s *Server) handleGetTelemetrySubscriptions(r *request) (reply, error) {
	req := r.kreq.(*kmsg.GetTelemetrySubscriptionsRequest)
	resp := req.ResponseKind().(*kmsg.GetTelemetrySubscriptionsResponse)
	sub, err := s.telemetry.Get(req.ClientInstanceID, telemetryClient(r))
	if err != nil {
		resp.ErrorCode = errCode(err)
		return msgReply{resp}, nil
	}
	resp.ClientInstanceID = sub.InstanceID
	resp.SubscriptionID = sub.SubscriptionID
	resp.AcceptedCompressionTypes = slices.Clone(telemetry.AcceptedCompressionTypes)
	resp.PushIntervalMillis = sub.PushIntervalMs
	resp.TelemetryMaxBytes = s.telemetry.MaxBytes()
	resp.DeltaTemporality = true
	resp.RequestedMetrics = slices.Clone(sub.Metrics)
	return msgReply{resp}, nil
}
