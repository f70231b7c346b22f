package metrics

import (
	"encoding/base64"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"google.golang.org/protobuf/proto"
)

// TestClientTelemetry: a client subscribed through a CLIENT_METRICS config
// pushes an OTLP gauge and a monotonic sum (KIP-714, kmsg requests); the
// scrape shows them under Prometheus names with the client's labels and
// the data point's attributes.
func TestClientTelemetry(t *testing.T) {
	b := startBroker(t, false)
	c := dialRaw(t, b.addr)
	alter := kmsg.NewPtrIncrementalAlterConfigsRequest()
	res := kmsg.NewIncrementalAlterConfigsRequestResource()
	res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeClientMetrics, "all"
	for k, v := range map[string]string{"metrics": "*", "interval.ms": "1000"} {
		cfg := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		cfg.Name, cfg.Value = k, kmsg.StringPtr(v)
		res.Configs = append(res.Configs, cfg)
	}
	alter.Resources = append(alter.Resources, res)
	if ar := c.roundTrip(alter).(*kmsg.IncrementalAlterConfigsResponse); ar.Resources[0].ErrorCode != 0 {
		t.Fatalf("create subscription: %+v", ar.Resources)
	}
	av := kmsg.NewPtrApiVersionsRequest()
	av.SetVersion(3)
	av.ClientSoftwareName, av.ClientSoftwareVersion = "strata-test", "1.2"
	c.do(av)
	get := kmsg.NewPtrGetTelemetrySubscriptionsRequest()
	sub := c.roundTrip(get).(*kmsg.GetTelemetrySubscriptionsResponse)
	if sub.ErrorCode != 0 {
		t.Fatalf("GetTelemetrySubscriptions: %v", kerr.ErrorForCode(sub.ErrorCode))
	}
	attr := []*commonpb.KeyValue{{Key: "node.id", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "1"}}}}
	md := &metricspb.MetricsData{ResourceMetrics: []*metricspb.ResourceMetrics{{ScopeMetrics: []*metricspb.ScopeMetrics{{
		Metrics: []*metricspb.Metric{
			{Name: "org.apache.kafka.producer.node.request.latency.avg", Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{
				DataPoints: []*metricspb.NumberDataPoint{{Attributes: attr, TimeUnixNano: 5_000_000, Value: &metricspb.NumberDataPoint_AsDouble{AsDouble: 2.5}}},
			}}},
			{Name: "kafka.consumergroup.lag", Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{ // may not shadow the broker's
				DataPoints: []*metricspb.NumberDataPoint{{TimeUnixNano: 5_000_000, Value: &metricspb.NumberDataPoint_AsDouble{AsDouble: 1}}},
			}}},
			{Name: "org.apache.kafka.producer.record.retries", Data: &metricspb.Metric_Sum{Sum: &metricspb.Sum{
				IsMonotonic: true, AggregationTemporality: metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE,
				DataPoints: []*metricspb.NumberDataPoint{{TimeUnixNano: 5_000_000, Value: &metricspb.NumberDataPoint_AsInt{AsInt: 7}}},
			}}},
		},
	}}}}}
	raw, err := proto.Marshal(md)
	if err != nil {
		t.Fatal(err)
	}
	push := kmsg.NewPtrPushTelemetryRequest()
	push.ClientInstanceID, push.SubscriptionID, push.Metrics = sub.ClientInstanceID, sub.SubscriptionID, raw
	if pr := c.roundTrip(push).(*kmsg.PushTelemetryResponse); pr.ErrorCode != 0 {
		t.Fatalf("PushTelemetry: %v", kerr.ErrorForCode(pr.ErrorCode))
	}
	id := base64.RawURLEncoding.EncodeToString(sub.ClientInstanceID[:])
	client := `client_id="metrics-test",client_instance_id="` + id + `",client_software_name="strata-test",client_software_version="1.2"`
	s := b.scrape(t)
	check(t, s, map[string]float64{
		`org_apache_kafka_producer_node_request_latency_avg{` + client + `,node_id="1"}`: 2.5,
		`org_apache_kafka_producer_record_retries{` + client + `}`:                       7,
	})
	if got := s.with("org_apache_kafka_producer_record_retries"); len(got) != 1 {
		t.Errorf("retries series: %v", got)
	}
	if got := s.with("kafka_consumergroup_lag"); len(got) != 0 {
		t.Errorf("a client's kafka.consumergroup.lag shows: %v", got)
	}
}
