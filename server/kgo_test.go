package server

import (
	"bytes"
	"errors"
	"net"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/topic"
)

// produceN produces n records round-robin over the topic's partitions
// with acks=all (idempotent, kgo's default) and the given codec, and
// returns the values sent to each partition, in order.
func produceN(t *testing.T, cl *kgo.Client, topicName string, n int) map[int32][][]byte {
	t.Helper()
	ctx := testCtx(t)
	var (
		mu   sync.Mutex
		sent = map[int32][][]byte{}
		wg   sync.WaitGroup
		errs = make(chan error, 1)
	)
	for i := range n {
		wg.Add(1)
		v := []byte("value-" + strconv.Itoa(i))
		cl.Produce(ctx, &kgo.Record{Topic: topicName, Key: []byte(strconv.Itoa(i % 97)), Value: v}, func(r *kgo.Record, err error) {
			defer wg.Done()
			if err != nil {
				select {
				case errs <- err:
				default:
				}
				return
			}
			mu.Lock()
			sent[r.Partition] = append(sent[r.Partition], r.Value)
			mu.Unlock()
		})
	}
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatalf("produce: %v", err)
	default:
	}
	// Per partition, kgo's callbacks run in offset order.
	return sent
}

// consumeAll reads every partition of topicName from the start until it
// has want records in all, and returns the values per partition.
func consumeAll(t *testing.T, s *Server, topicName string, want int, opts ...kgo.Opt) map[int32][][]byte {
	t.Helper()
	cl := newClient(t, s, append([]kgo.Opt{kgo.ConsumeTopics(topicName), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}, opts...)...)
	ctx := testCtx(t)
	got := map[int32][][]byte{}
	n := 0
	for n < want {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d: %v", n, want, err)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", topic, p, err) })
		fs.EachRecord(func(r *kgo.Record) {
			if int64(len(got[r.Partition])) != r.Offset {
				t.Fatalf("partition %d: record at offset %d after %d records", r.Partition, r.Offset, len(got[r.Partition]))
			}
			got[r.Partition] = append(got[r.Partition], r.Value)
			n++
		})
	}
	return got
}

func equalParts(t *testing.T, got, want map[int32][][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d partitions consumed, %d produced", len(got), len(want))
	}
	for p, w := range want {
		if !slices.EqualFunc(got[p], w, bytes.Equal) {
			t.Fatalf("partition %d: %d records consumed differ from the %d produced", p, len(got[p]), len(w))
		}
	}
}

// TestKgoProduceConsume: 100k records over 6 partitions, acks=all,
// idempotent, read back in exact order per partition.
func TestKgoProduceConsume(t *testing.T) {
	s := startServer(t)
	adm := newAdmin(t, s)
	if _, err := adm.CreateTopic(testCtx(t), 6, 1, nil, "hundredk"); err != nil {
		t.Fatal(err)
	}
	cl := newClient(t, s, kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	sent := produceN(t, cl, "hundredk", 100000)
	if len(sent) != 6 {
		t.Fatalf("produced to %d partitions, want 6", len(sent))
	}
	equalParts(t, consumeAll(t, s, "hundredk", 100000), sent)
}

// TestKgoCodecs: every codec produced by kgo is stored compressed and
// read back exactly, with read_committed too.
func TestKgoCodecs(t *testing.T) {
	s := startServer(t)
	codecs := map[string]kgo.CompressionCodec{
		"gzip": kgo.GzipCompression(), "snappy": kgo.SnappyCompression(),
		"lz4": kgo.Lz4Compression(), "zstd": kgo.ZstdCompression(),
	}
	for name, codec := range codecs {
		t.Run(name, func(t *testing.T) {
			cl := newClient(t, s, kgo.ProducerBatchCompression(codec), kgo.AllowAutoTopicCreation())
			sent := produceN(t, cl, "codec-"+name, 2000)
			equalParts(t, consumeAll(t, s, "codec-"+name, 2000, kgo.FetchIsolationLevel(kgo.ReadCommitted())), sent)
		})
	}
}

// TestKadmAdmin: the admin calls kadm makes, against the registry.
func TestKadmAdmin(t *testing.T) {
	s := startServer(t)
	ctx := testCtx(t)
	adm := newAdmin(t, s)

	ct, err := adm.CreateTopic(ctx, 3, 1, map[string]*string{"retention.ms": kadm.StringPtr("3600000")}, "admin")
	if err != nil || ct.Err != nil {
		t.Fatalf("CreateTopic: %v %v", err, ct.Err)
	}
	if _, err := adm.CreateTopic(ctx, 3, 1, nil, "admin"); !errorsIs(err, kerr.TopicAlreadyExists) {
		t.Fatalf("second CreateTopic: %v, want TOPIC_ALREADY_EXISTS", err)
	}
	if _, err := adm.CreateTopic(ctx, 1, 3, nil, "rf3"); !errorsIs(err, kerr.InvalidReplicationFactor) {
		t.Fatalf("replication factor 3: %v, want INVALID_REPLICATION_FACTOR", err)
	}
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "bad/name"); !errorsIs(err, kerr.InvalidTopicException) {
		t.Fatalf("bad name: %v, want INVALID_TOPIC_EXCEPTION", err)
	}

	td, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := td["admin"]; !ok || len(d.Partitions) != 3 || d.ID != ct.ID {
		t.Fatalf("ListTopics: %+v", td)
	}

	// CreatePartitions: 3 → 5; then to 4 is refused.
	cp, err := adm.UpdatePartitions(ctx, 5, "admin")
	if err != nil || cp["admin"].Err != nil {
		t.Fatalf("UpdatePartitions: %v %v", err, cp["admin"].Err)
	}
	cp, _ = adm.UpdatePartitions(ctx, 4, "admin")
	if !errorsIs(cp["admin"].Err, kerr.InvalidPartitions) {
		t.Fatalf("shrink: %v, want INVALID_PARTITIONS", cp["admin"].Err)
	}
	if got := len(mustTopic(t, s, "admin").Partitions); got != 5 {
		t.Fatalf("%d partitions, want 5", got)
	}

	// DescribeConfigs: the override and a default.
	rc, err := adm.DescribeTopicConfigs(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	cfgs := configMap(t, rc)
	if c := cfgs["retention.ms"]; c.MaybeValue() != "3600000" || c.Source != kmsg.ConfigSourceDynamicTopicConfig {
		t.Fatalf("retention.ms: %+v", c)
	}
	if c := cfgs["segment.bytes"]; c.MaybeValue() != "1073741824" || c.Source != kmsg.ConfigSourceDefaultConfig {
		t.Fatalf("segment.bytes: %+v", c)
	}

	// IncrementalAlterConfigs: set one, delete the other; the log sees it.
	ar, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{
		{Op: kadm.SetConfig, Name: "segment.ms", Value: kadm.StringPtr("60000")},
		{Op: kadm.DeleteConfig, Name: "retention.ms"},
	}, "admin")
	if err != nil || ar[0].Err != nil {
		t.Fatalf("AlterTopicConfigs: %v %+v", err, ar)
	}
	if got := mustTopic(t, s, "admin").Configs; len(got) != 1 || got["segment.ms"] != "60000" {
		t.Fatalf("overrides %v", got)
	}
	if ms := mustTopic(t, s, "admin").Partitions[0].Config().SegmentMs; ms != 60000 {
		t.Fatalf("log segment.ms %d, want 60000", ms)
	}
	ar, _ = adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "no.such.config", Value: kadm.StringPtr("1")}}, "admin")
	if !errorsIs(ar[0].Err, kerr.InvalidConfig) {
		t.Fatalf("unknown config: %v, want INVALID_CONFIG", ar[0].Err)
	}
	// AlterConfigs (legacy): replaces the whole set. (Not compact: the
	// keyless records below would be refused.)
	lr, err := adm.AlterTopicConfigsState(ctx, []kadm.AlterConfig{{Name: "cleanup.policy", Value: kadm.StringPtr("delete")}}, "admin")
	if err != nil || lr[0].Err != nil {
		t.Fatalf("AlterTopicConfigsState: %v %+v", err, lr)
	}
	if got := mustTopic(t, s, "admin").Configs; len(got) != 1 || got["cleanup.policy"] != "delete" {
		t.Fatalf("overrides after legacy alter %v", got)
	}

	// Broker configs.
	bc, err := adm.DescribeBrokerConfigs(ctx, s.cfg.NodeID)
	if err != nil {
		t.Fatal(err)
	}
	if c := configMap(t, bc)["num.partitions"]; c.MaybeValue() != "1" {
		t.Fatalf("num.partitions: %+v", c)
	}

	// Produce some records, then DeleteRecords and ListStartOffsets.
	cl := newClient(t, s, kgo.DefaultProduceTopic("admin"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	for i := range 10 {
		if err := cl.ProduceSync(ctx, &kgo.Record{Partition: 1, Value: []byte{byte(i)}}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	os := kadm.Offsets{}
	os.Add(kadm.Offset{Topic: "admin", Partition: 1, At: 4})
	dr, err := adm.DeleteRecords(ctx, os)
	if err != nil || dr.Error() != nil {
		t.Fatalf("DeleteRecords: %v %v", err, dr.Error())
	}
	if lw, _ := dr.Lookup("admin", 1); lw.LowWatermark != 4 {
		t.Fatalf("low watermark %d, want 4", lw.LowWatermark)
	}
	so, err := adm.ListStartOffsets(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := so.Lookup("admin", 1); o.Offset != 4 {
		t.Fatalf("start offset %d, want 4", o.Offset)
	}
	eo, err := adm.ListEndOffsets(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := eo.Lookup("admin", 1); o.Offset != 10 {
		t.Fatalf("end offset %d, want 10", o.Offset)
	}
	os = kadm.Offsets{}
	os.Add(kadm.Offset{Topic: "admin", Partition: 1, At: 11})
	dr, _ = adm.DeleteRecords(ctx, os)
	if lw, _ := dr.Lookup("admin", 1); !errorsIs(lw.Err, kerr.OffsetOutOfRange) {
		t.Fatalf("delete past the end: %v, want OFFSET_OUT_OF_RANGE", lw.Err)
	}

	// DescribeLogDirs: partition 1 holds the 10 records.
	ld, err := adm.DescribeAllLogDirs(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var size int64 = -1
	ld.Each(func(d kadm.DescribedLogDir) {
		if p, ok := d.Topics["admin"][1]; ok {
			size = p.Size
		}
	})
	if want := mustTopic(t, s, "admin").Partitions[1].Size(); size != want || size <= 0 {
		t.Fatalf("log dir size %d, want %d", size, want)
	}

	// DescribeProducers: the idempotent producer above.
	dp, err := adm.DescribeProducers(ctx, kadm.TopicsSet{"admin": {1: {}}})
	if err != nil {
		t.Fatal(err)
	}
	var producers int
	dp.EachProducer(func(p kadm.DescribedProducer) {
		producers++
		if p.LastSequence != 9 {
			t.Errorf("producer %d: last sequence %d, want 9", p.ProducerID, p.LastSequence)
		}
	})
	if producers != 1 {
		t.Fatalf("%d producers, want 1", producers)
	}

	// DescribeCluster via kadm's BrokerMetadata and the raw request.
	bm, err := adm.BrokerMetadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if bm.Cluster != s.ClusterID() || len(bm.Brokers) != 1 || bm.Controller != s.cfg.NodeID {
		t.Fatalf("broker metadata %+v", bm)
	}
	dcr, err := kmsg.NewPtrDescribeClusterRequest().RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if port := int32(s.Addr().(*net.TCPAddr).Port); dcr.ErrorCode != 0 || dcr.ClusterID != s.ClusterID() ||
		len(dcr.Brokers) != 1 || dcr.Brokers[0].Port != port || dcr.Brokers[0].Host != "127.0.0.1" {
		t.Fatalf("DescribeCluster: %+v", dcr)
	}

	// DescribeACLs: SECURITY_DISABLED.
	acls, err := adm.DescribeACLs(ctx, kadm.NewACLs().AnyResource().Allow().AllowHosts().Operations(kadm.OpAny))
	if err != nil || len(acls) != 1 || !errorsIs(acls[0].Err, kerr.SecurityDisabled) {
		t.Fatalf("DescribeACLs: %v %+v, want SECURITY_DISABLED", err, acls)
	}

	// DeleteTopics.
	dt, err := adm.DeleteTopics(ctx, "admin")
	if err != nil || dt["admin"].Err != nil {
		t.Fatalf("DeleteTopics: %v %+v", err, dt)
	}
	if _, ok := s.topics.Get("admin"); ok {
		t.Fatal("topic still there")
	}
	dt, _ = adm.DeleteTopics(ctx, "admin")
	if !errorsIs(dt["admin"].Err, kerr.UnknownTopicOrPartition) {
		t.Fatalf("second delete: %v", dt["admin"].Err)
	}
}

func errorsIs(err error, target *kerr.Error) bool { return errors.Is(err, target) }

func mustTopic(t *testing.T, s *Server, name string) *topic.Topic {
	t.Helper()
	tp, ok := s.topics.Get(name)
	if !ok {
		t.Fatalf("no topic %q", name)
	}
	return tp
}

// configMap indexes the configs of the one resource described.
func configMap(t *testing.T, rc kadm.ResourceConfigs) map[string]kadm.Config {
	t.Helper()
	if len(rc) != 1 || rc[0].Err != nil {
		t.Fatalf("describe configs: %+v", rc)
	}
	m := map[string]kadm.Config{}
	for _, c := range rc[0].Configs {
		m[c.Key] = c
	}
	return m
}
