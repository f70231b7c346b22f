package server

import (
	"context"
	"crypto/rand"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func alterQuotas(t *testing.T, rc *rawClient, entity []kmsg.AlterClientQuotasRequestEntryEntity, ops ...kmsg.AlterClientQuotasRequestEntryOp) kmsg.AlterClientQuotasResponseEntry {
	t.Helper()
	req := kmsg.NewPtrAlterClientQuotasRequest()
	e := kmsg.NewAlterClientQuotasRequestEntry()
	e.Entity, e.Ops = entity, ops
	req.Entries = append(req.Entries, e)
	resp := rc.roundTrip(req).(*kmsg.AlterClientQuotasResponse)
	if len(resp.Entries) != 1 {
		t.Fatalf("%d entries", len(resp.Entries))
	}
	return resp.Entries[0]
}

func qent(kv ...*string) []kmsg.AlterClientQuotasRequestEntryEntity {
	var es []kmsg.AlterClientQuotasRequestEntryEntity
	for i := 0; i < len(kv); i += 2 {
		e := kmsg.NewAlterClientQuotasRequestEntryEntity()
		e.Type, e.Name = *kv[i], kv[i+1]
		es = append(es, e)
	}
	return es
}

func qop(key string, v float64, remove bool) kmsg.AlterClientQuotasRequestEntryOp {
	op := kmsg.NewAlterClientQuotasRequestEntryOp()
	op.Key, op.Value, op.Remove = key, v, remove
	return op
}

func TestAlterClientQuotasValidation(t *testing.T) {
	s := startServer(t)
	rc := dialRaw(t, s)
	user, client, ip := strp("user"), strp("client-id"), strp("ip")
	for _, c := range []struct {
		name   string
		entity []kmsg.AlterClientQuotasRequestEntryEntity
		op     kmsg.AlterClientQuotasRequestEntryOp
		msg    string
	}{
		{"empty entity", nil, qop("producer_byte_rate", 1, false), "Invalid empty client quota entity"},
		{"unknown type", qent(strp("group"), strp("g")), qop("producer_byte_rate", 1, false), "Unhandled client quota entity type: group"},
		{"duplicate", qent(user, strp("a"), user, strp("b")), qop("producer_byte_rate", 1, false), "Invalid client quota entity, duplicate entity entry user"},
		{"empty name", qent(user, strp("")), qop("producer_byte_rate", 1, false), "Empty user not supported"},
		{"ip with user", qent(user, strp("a"), ip, strp("1.2.3.4")), qop("connection_creation_rate", 1, false), "Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId"},
		{"unknown key", qent(client, strp("c")), qop("foo", 1, false), "Invalid configuration key foo"},
		{"ip key on user", qent(user, strp("a")), qop("connection_creation_rate", 1, false), "Invalid configuration key connection_creation_rate"},
		{"zero", qent(user, strp("a")), qop("producer_byte_rate", 0, false), "Quota producer_byte_rate must be greater than 0"},
		{"fraction", qent(user, strp("a")), qop("consumer_byte_rate", 1.5, false), "consumer_byte_rate cannot be a fractional value."},
	} {
		got := alterQuotas(t, rc, c.entity, c.op)
		if got.ErrorCode != kerr.InvalidRequest.Code || got.ErrorMessage == nil || *got.ErrorMessage != c.msg {
			t.Errorf("%s: code %d message %v, want INVALID_REQUEST %q", c.name, got.ErrorCode, got.ErrorMessage, c.msg)
		}
	}
	// Valid: user alice with the default client, and a default user.
	if got := alterQuotas(t, rc, qent(user, strp("alice"), client, nil), qop("producer_byte_rate", 1048576, false), qop("request_percentage", 12.5, false)); got.ErrorCode != 0 {
		t.Fatalf("valid alter: %d %v", got.ErrorCode, got.ErrorMessage)
	}
	if got := alterQuotas(t, rc, qent(user, nil), qop("consumer_byte_rate", 2048, false)); got.ErrorCode != 0 {
		t.Fatalf("valid alter: %d %v", got.ErrorCode, got.ErrorMessage)
	}
	d := kmsg.NewPtrDescribeClientQuotasRequest()
	comp := kmsg.NewDescribeClientQuotasRequestComponent()
	comp.EntityType, comp.MatchType = "user", 2 // any user
	d.Components = append(d.Components, comp)
	resp := rc.roundTrip(d).(*kmsg.DescribeClientQuotasResponse)
	if resp.ErrorCode != 0 || len(resp.Entries) != 2 {
		t.Fatalf("describe: code %d, %d entries", resp.ErrorCode, len(resp.Entries))
	}
	var got []string
	for _, e := range resp.Entries {
		line := ""
		for _, p := range e.Entity {
			n := "<default>"
			if p.Name != nil {
				n = *p.Name
			}
			line += p.Type + "=" + n + " "
		}
		for _, v := range e.Values {
			line += v.Key + "=" + ftoa(v.Value) + " "
		}
		got = append(got, line)
	}
	want := []string{"user=<default> consumer_byte_rate=2048 ", "user=alice client-id=<default> producer_byte_rate=1048576 request_percentage=12.5 "}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("describe:\n%q\nwant\n%q", got, want)
	}
	// Strict with the user alone: only the default user's entity.
	d.Strict = true
	d.Components[0].MatchType = 1
	resp = rc.roundTrip(d).(*kmsg.DescribeClientQuotasResponse)
	if len(resp.Entries) != 1 || resp.Entries[0].Entity[0].Name != nil {
		t.Fatalf("strict default: %+v", resp.Entries)
	}
	// A bad filter: INVALID_REQUEST at the top.
	comp.EntityType = "topic"
	d.Components = []kmsg.DescribeClientQuotasRequestComponent{comp}
	resp = rc.roundTrip(d).(*kmsg.DescribeClientQuotasResponse)
	if resp.ErrorCode != kerr.InvalidRequest.Code || resp.ErrorMessage == nil || *resp.ErrorMessage != "Custom entity type topic not supported" {
		t.Fatalf("bad filter: %d %v", resp.ErrorCode, resp.ErrorMessage)
	}
	// Durable: a restarted broker describes the same.
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// measureRate returns the bytes per second counted by n between 2 s and
// 7 s after start. Kafka's rate pads a young window to quota.window.num-1
// windows, which lets a new client burst that many seconds' worth at once
// and then holds it back; with quota.window.num=5 (windows of 1 s) the
// rate a client gets over any 5 s starting between 1 s and 5.5 s is
// 96-101 % of the quota in a model of the math (a client sending 64 KiB
// each time its throttle ends), and 2 s is in the middle of that.
// The sleeps here measure; they synchronise nothing.
func measureRate(start time.Time, n *atomic.Int64) float64 {
	time.Sleep(time.Until(start.Add(2 * time.Second)))
	a := n.Load()
	t1 := time.Now()
	time.Sleep(time.Until(start.Add(7 * time.Second)))
	b := n.Load()
	return float64(b-a) / time.Since(t1).Seconds()
}

func within15(t *testing.T, what string, rate float64) {
	t.Helper()
	t.Logf("%s: %.0f B/s (%.1f%% of 1 MiB/s)", what, rate, rate/1048576*100)
	if rate < 1048576*0.85 || rate > 1048576*1.15 {
		t.Fatalf("%s: %.0f B/s, want 1048576 ± 15%%", what, rate)
	}
}

func TestProducerByteRateQuota(t *testing.T) {
	s := startServer(t, "quota.window.num", "5")
	rc := dialRaw(t, s)
	if got := alterQuotas(t, rc, qent(strp("client-id"), strp("quota-producer")), qop("producer_byte_rate", 1048576, false)); got.ErrorCode != 0 {
		t.Fatalf("alter: %d", got.ErrorCode)
	}
	ctx := testCtx(t)
	if _, err := newAdmin(t, s).CreateTopic(ctx, 1, 1, nil, "q"); err != nil {
		t.Fatal(err)
	}
	cl := newClient(t, s, kgo.ClientID("quota-producer"), kgo.DefaultProduceTopic("q"), kgo.ProducerBatchMaxBytes(64<<10), kgo.ProducerLinger(0), kgo.ProducerBatchCompression(kgo.NoCompression()))
	var acked atomic.Int64
	pctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	value := make([]byte, 8<<10) // the quotas count wire bytes: incompressible values
	rand.Read(value)
	start := time.Now()
	go func() {
		defer close(done)
		for pctx.Err() == nil {
			cl.Produce(pctx, &kgo.Record{Value: value}, func(r *kgo.Record, err error) {
				if err == nil {
					acked.Add(int64(len(r.Value)))
				}
			})
		}
	}()
	rate := measureRate(start, &acked)
	stop()
	<-done
	within15(t, "producer", rate)
	if th := s.QuotaThrottles()[0]; th.Kind != "Produce" || th.Throttled == 0 {
		t.Fatalf("throttles %+v", th)
	}
}

func TestConsumerByteRateQuota(t *testing.T) {
	s := startServer(t, "quota.window.num", "5")
	ctx := testCtx(t)
	if _, err := newAdmin(t, s).CreateTopic(ctx, 1, 1, nil, "q"); err != nil {
		t.Fatal(err)
	}
	p := newClient(t, s, kgo.DefaultProduceTopic("q"), kgo.ProducerBatchCompression(kgo.NoCompression()))
	value := make([]byte, 8<<10) // the quotas count wire bytes: incompressible values
	rand.Read(value)
	for i := 0; i < 12*128; i++ { // 12 MiB
		p.Produce(ctx, &kgo.Record{Value: value}, nil)
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, s)
	if got := alterQuotas(t, rc, qent(strp("client-id"), strp("quota-consumer")), qop("consumer_byte_rate", 1048576, false)); got.ErrorCode != 0 {
		t.Fatalf("alter: %d", got.ErrorCode)
	}
	cl := newClient(t, s, kgo.ClientID("quota-consumer"), kgo.ConsumeTopics("q"),
		kgo.FetchMaxBytes(64<<10), kgo.FetchMaxPartitionBytes(64<<10))
	var got atomic.Int64
	cctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		for cctx.Err() == nil {
			cl.PollFetches(cctx).EachRecord(func(r *kgo.Record) { got.Add(int64(len(r.Value))) })
		}
	}()
	rate := measureRate(start, &got)
	stop()
	<-done
	within15(t, "consumer", rate)
}

func createTopicsReq(version int16, topics map[string]int32, order ...string) *kmsg.CreateTopicsRequest {
	req := kmsg.NewPtrCreateTopicsRequest()
	req.SetVersion(version)
	req.TimeoutMillis = 5000
	for _, name := range order {
		rt := kmsg.NewCreateTopicsRequestTopic()
		rt.Topic, rt.NumPartitions, rt.ReplicationFactor = name, topics[name], 1
		req.Topics = append(req.Topics, rt)
	}
	return req
}

// TestControllerMutationQuota: controller_mutation_rate=1 for the raw
// client (a burst of 11 partitions): a v7 CreateTopics of 10, 5 and 1
// partitions creates the first two (the bucket was not yet below zero)
// and refuses the third with THROTTLING_QUOTA_EXCEEDED, throttled 4000 ms
// (4 tokens short at 1/s); a v5 request (permissive) creates its topic and
// is throttled 5000 ms.
func TestControllerMutationQuota(t *testing.T) {
	clk := &tokenClock{t: time.UnixMilli(1_700_000_000_000)}
	s := startServerIn(t, t.TempDir(), Options{Now: clk.Now})
	rc := dialRaw(t, s)
	if got := alterQuotas(t, rc, qent(strp("client-id"), strp("raw")), qop("controller_mutation_rate", 1, false)); got.ErrorCode != 0 {
		t.Fatalf("alter: %d", got.ErrorCode)
	}
	resp := rc.roundTrip(createTopicsReq(7, map[string]int32{"a": 10, "b": 5, "c": 1}, "a", "b", "c")).(*kmsg.CreateTopicsResponse)
	codes := []int16{resp.Topics[0].ErrorCode, resp.Topics[1].ErrorCode, resp.Topics[2].ErrorCode}
	if codes[0] != 0 || codes[1] != 0 || codes[2] != kerr.ThrottlingQuotaExceeded.Code || resp.ThrottleMillis != 4000 {
		t.Fatalf("v7: codes %v throttle %d, want [0 0 %d] 4000", codes, resp.ThrottleMillis, kerr.ThrottlingQuotaExceeded.Code)
	}
	if _, ok := s.topics.Get("c"); ok {
		t.Fatal("c was created")
	}
	rc2 := dialRaw(t, s) // rc is muted for 4 s
	resp = rc2.roundTrip(createTopicsReq(5, map[string]int32{"d": 1}, "d")).(*kmsg.CreateTopicsResponse)
	if resp.Topics[0].ErrorCode != 0 || resp.ThrottleMillis != 5000 {
		t.Fatalf("v5: code %d throttle %d, want 0 5000", resp.Topics[0].ErrorCode, resp.ThrottleMillis)
	}
	if th := s.QuotaThrottles()[3]; th.Kind != "ControllerMutation" || th.Throttled != 2 || th.ThrottleMs != 9000 {
		t.Fatalf("throttles %+v", th)
	}
}

// TestConnectionCreationRate: connection_creation_rate=1 for 127.0.0.1
// (the clock stopped): ten connections fit the padded 10 s window (1/s);
// the eleventh is held 1000 ms (bounded to one window) unread, then
// closed.
func TestConnectionCreationRate(t *testing.T) {
	clk := &tokenClock{t: time.UnixMilli(1_700_000_000_000)}
	s := startServerIn(t, t.TempDir(), Options{Now: clk.Now})
	rc := dialRaw(t, s)
	if got := alterQuotas(t, rc, qent(strp("ip"), strp("127.0.0.1")), qop("connection_creation_rate", 1, false)); got.ErrorCode != 0 {
		t.Fatalf("alter: %d", got.ErrorCode)
	}
	for i := 0; i < 10; i++ {
		c := dialRaw(t, s)
		c.roundTrip(kmsg.NewPtrApiVersionsRequest())
	}
	c := dialRaw(t, s)
	start := time.Now()
	c.send(kmsg.NewPtrApiVersionsRequest())
	c.expectClosed()
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Fatalf("closed after %v, want the 1000 ms throttle first", d)
	}
}

// TestFetchCappedByQuotaWindow: consumer_byte_rate=1024 caps a fetch's
// max_bytes at 1024 x (11-1) windows = 10240 bytes, as Kafka's
// maxQuotaWindowBytes: of three 8 KiB batches, one comes back (the
// second would pass the cap); without the quota all three.
func TestFetchCappedByQuotaWindow(t *testing.T) {
	s := startServer(t)
	ctx := testCtx(t)
	if _, err := newAdmin(t, s).CreateTopic(ctx, 1, 1, nil, "capped"); err != nil {
		t.Fatal(err)
	}
	p := newClient(t, s, kgo.DefaultProduceTopic("capped"), kgo.ProducerBatchCompression(kgo.NoCompression()))
	value := make([]byte, 8<<10)
	rand.Read(value)
	for i := 0; i < 3; i++ {
		if err := p.ProduceSync(ctx, &kgo.Record{Value: value}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	fetch := func() int {
		rc := dialRaw(t, s)
		req := kmsg.NewPtrFetchRequest()
		req.SetVersion(12)
		req.MaxBytes, req.MaxWaitMillis, req.ReplicaID, req.SessionEpoch = 1<<20, 0, -1, -1
		ft := kmsg.NewFetchRequestTopic()
		ft.Topic = "capped"
		fp := kmsg.NewFetchRequestTopicPartition()
		fp.PartitionMaxBytes, fp.LogStartOffset = 1<<20, -1
		ft.Partitions = append(ft.Partitions, fp)
		req.Topics = append(req.Topics, ft)
		resp := rc.roundTrip(req).(*kmsg.FetchResponse)
		recs := resp.Topics[0].Partitions[0].RecordBatches
		n := 0
		for len(recs) >= 61 {
			var b kmsg.RecordBatch
			if err := b.ReadFrom(recs); err != nil {
				break
			}
			n++
			recs = recs[12+b.Length:]
		}
		return n
	}
	if got := fetch(); got != 3 {
		t.Fatalf("without a quota: %d batches, want 3", got)
	}
	rc := dialRaw(t, s)
	if got := alterQuotas(t, rc, qent(strp("client-id"), strp("raw")), qop("consumer_byte_rate", 1024, false)); got.ErrorCode != 0 {
		t.Fatalf("alter: %d", got.ErrorCode)
	}
	if got := fetch(); got != 1 {
		t.Fatalf("with the quota: %d batches, want 1", got)
	}
}
