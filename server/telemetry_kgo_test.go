package server

import (
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestKgoPushesTelemetry: franz-go's kgo, a real client that implements
// KIP-714, finds the subscription it matches, pushes its producer metrics,
// and the broker keeps them under its client id and software name.
func TestKgoPushesTelemetry(t *testing.T) {
	s := startServer(t)
	admin := newClient(t, s, kgo.DisableClientMetrics())
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	res := kmsg.NewIncrementalAlterConfigsRequestResource()
	res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeClientMetrics, "producers"
	for k, v := range map[string]string{"metrics": "org.apache.kafka.producer.", "interval.ms": "100", "match": "client_id=pusher"} {
		c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		c.Name, c.Value = k, kmsg.StringPtr(v)
		res.Configs = append(res.Configs, c)
	}
	req.Resources = append(req.Resources, res)
	resp, err := req.RequestWith(testCtx(t), admin)
	if err != nil || resp.Resources[0].ErrorCode != 0 {
		t.Fatalf("subscription: %v %v", err, kerr.ErrorForCode(resp.Resources[0].ErrorCode))
	}
	cl := newClient(t, s, kgo.ClientID("pusher"), kgo.DefaultProduceTopic("pushed"), kgo.AllowAutoTopicCreation())
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err := cl.ProduceSync(testCtx(t), &kgo.Record{Value: []byte("v")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, smp := range s.Telemetry().Store().Snapshot() {
			if smp.ClientID != "pusher" {
				t.Fatalf("a series of client %q, which matches no subscription", smp.ClientID)
			}
			if smp.SoftwareName != "kgo" || !strings.HasPrefix(smp.Metric, "org.apache.kafka.producer.") {
				t.Fatalf("series %+v", smp)
			}
			names = append(names, smp.Metric)
		}
		for _, n := range names {
			// The first series kgo has to push: its connections to us.
			if n == "org.apache.kafka.producer.connection.creation.total" {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s the store holds %q", names)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
