package metrics

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestQuotaThrottleMetrics: a produce over a client-id quota of 1 B/s is
// throttled once; the scraped throttle time is the response's
// throttle_time_ms.
func TestQuotaThrottleMetrics(t *testing.T) {
	b := startBroker(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	admin, err := kgo.NewClient(kgo.SeedBrokers(b.addr))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	aq := kmsg.NewPtrAlterClientQuotasRequest()
	entry := kmsg.NewAlterClientQuotasRequestEntry()
	ent := kmsg.NewAlterClientQuotasRequestEntryEntity()
	ent.Type, ent.Name = "client-id", kmsg.StringPtr("slow")
	op := kmsg.NewAlterClientQuotasRequestEntryOp()
	op.Key, op.Value = "producer_byte_rate", 1
	entry.Entity, entry.Ops = append(entry.Entity, ent), append(entry.Ops, op)
	aq.Entries = append(aq.Entries, entry)
	if resp, err := aq.RequestWith(ctx, admin); err != nil || resp.Entries[0].ErrorCode != 0 {
		t.Fatalf("alter quotas: %v %+v", err, resp)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.addr), kgo.ClientID("slow"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	pr := kmsg.NewPtrProduceRequest()
	pr.Acks, pr.TimeoutMillis = 1, 5000
	resp, err := pr.RequestWith(ctx, cl) // no topics: the request's bytes alone go over 1 B/s
	if err != nil {
		t.Fatal(err)
	}
	if resp.ThrottleMillis <= 0 {
		t.Fatalf("throttle %d, want > 0", resp.ThrottleMillis)
	}
	s := b.scrape(t)
	if got := s[`strata_quota_throttled_total{quota="Produce"}`]; got != 1 {
		t.Errorf("throttled %v, want 1", got)
	}
	if got := s[`strata_quota_throttle_time_ms_total{quota="Produce"}`]; got != float64(resp.ThrottleMillis) {
		t.Errorf("throttle time %v, want %d", got, resp.ThrottleMillis)
	}
	if got := s[`strata_quota_throttled_total{quota="Fetch"}`]; got != 0 {
		t.Errorf("fetch throttled %v, want 0", got)
	}
}
