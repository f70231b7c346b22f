package server

// PushTelemetry: v0 (KIP-714)
//
// A client instance's metrics (OTLP MetricsData, compressed with one of the
// accepted types or not at all), kept in the telemetry Store. Kafka's
// checks in Kafka's order (package telemetry): a zero or reserved instance
// id, or a push after a terminating one, INVALID_REQUEST; too soon after the
// last push, THROTTLING_QUOTA_EXCEEDED (a terminating push is never
// throttled); another subscription id, UNKNOWN_SUBSCRIPTION_ID; a
// compression type Kafka does not know, UNSUPPORTED_COMPRESSION_TYPE; a
// payload over telemetry.max.bytes, TELEMETRY_TOO_LARGE; metrics that do not
// decompress or decode, INVALID_RECORD (Kafka's answer when its receiver
// plugin fails).

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/telemetry"
)

func (s *Server) handlePushTelemetry(r *request) (reply, error) {
	req := r.kreq.(*kmsg.PushTelemetryRequest)
	resp := req.ResponseKind().(*kmsg.PushTelemetryResponse)
	err := s.telemetry.Push(telemetry.Push{
		InstanceID: req.ClientInstanceID, SubscriptionID: req.SubscriptionID,
		Terminating: req.Terminating, Compression: req.CompressionType, Metrics: req.Metrics,
	}, telemetryClient(r))
	if err != nil {
		s.log.Debug("push telemetry refused", "client", r.hdr.clientID, "err", err)
	}
	resp.ErrorCode = errCode(err)
	return msgReply{resp}, nil
}
