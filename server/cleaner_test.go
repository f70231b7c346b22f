package server

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func sp(s string) *string { return &s }

// TestCleanerConfigs: the compaction topic configs are set at create,
// altered and described with their source and synonyms; bad values are
// INVALID_CONFIG naming the property; the cleaner's broker properties
// change dynamically within Kafka's bounds (INVALID_REQUEST beyond them),
// and the registry's cleaner runs over the compacted topics only.
func TestCleanerConfigs(t *testing.T) {
	s := startServer(t, "log.cleaner.min.cleanable.ratio", "0.3", "log.cleaner.backoff.ms", "100")
	adm := newAdmin(t, s)
	ctx := testCtx(t)
	resp, err := adm.CreateTopic(ctx, 2, 1, map[string]*string{"cleanup.policy": sp("compact"), "delete.retention.ms": sp("100")}, "kv")
	if err != nil || resp.Err != nil {
		t.Fatalf("create: %v %v", err, resp.Err)
	}
	if !s.topics.Cleaned("kv", 0) || !s.topics.Cleaned("kv", 1) {
		t.Fatal("kv's partitions are not cleaned")
	}
	for _, tc := range []struct {
		cfg map[string]*string
		msg string
	}{
		{map[string]*string{"cleanup.policy": sp("compact"), "min.cleanable.dirty.ratio": sp("2")},
			"Invalid value 2.0 for configuration min.cleanable.dirty.ratio: Value must be no more than 1"},
		{map[string]*string{"cleanup.policy": sp("compact"), "min.compaction.lag.ms": sp("-1")},
			"Invalid value -1 for configuration min.compaction.lag.ms: Value must be at least 0"},
		{map[string]*string{"min.compaction.lag.ms": sp("10"), "max.compaction.lag.ms": sp("5")},
			"conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)"},
	} {
		resp, _ := adm.CreateTopic(ctx, 1, 1, tc.cfg, "bad")
		if !errorsIs(resp.Err, kerr.InvalidConfig) || resp.ErrMessage != tc.msg {
			t.Errorf("create with %v: %v %q, want INVALID_CONFIG %q", tc.cfg, resp.Err, resp.ErrMessage, tc.msg)
		}
	}
	if _, ok := s.topics.Get("bad"); ok {
		t.Fatal("refused topic exists")
	}

	rcs, err := adm.DescribeTopicConfigs(ctx, "kv")
	c, _ := describeOne(t, rcs, err, "min.cleanable.dirty.ratio")
	checkConfig(t, "ratio", c, sp("0.3"), kmsg.ConfigSourceStaticBrokerConfig, []syn{
		{"log.cleaner.min.cleanable.ratio", "0.3", kmsg.ConfigSourceStaticBrokerConfig},
		{"log.cleaner.min.cleanable.ratio", "0.5", kmsg.ConfigSourceDefaultConfig}})
	c, _ = describeOne(t, rcs, err, "delete.retention.ms")
	checkConfig(t, "delete.retention.ms", c, sp("100"), kmsg.ConfigSourceDynamicTopicConfig, []syn{
		{"delete.retention.ms", "100", kmsg.ConfigSourceDynamicTopicConfig},
		{"log.cleaner.delete.retention.ms", "86400000", kmsg.ConfigSourceDefaultConfig}})

	// Away from compact and back.
	alter := func(v string) {
		t.Helper()
		r, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Name: "cleanup.policy", Value: sp(v)}}, "kv")
		if err != nil || r[0].Err != nil {
			t.Fatalf("alter cleanup.policy=%s: %v %v", v, err, r)
		}
	}
	alter("delete")
	if s.topics.Cleaned("kv", 0) {
		t.Fatal("kv still cleaned with cleanup.policy=delete")
	}
	alter("compact,delete")
	if !s.topics.Cleaned("kv", 1) {
		t.Fatal("kv not cleaned with cleanup.policy=compact,delete")
	}

	// Dynamic cleaner settings.
	r := alterBroker(t, ctx, adm, []kadm.AlterConfig{{Name: "log.cleaner.threads", Value: sp("3")}}, 1)
	if !errorsIs(r.Err, kerr.InvalidRequest) || r.ErrMessage != "Log cleaner threads cannot be increased to more than double the current value 1" {
		t.Fatalf("threads 1 -> 3: %v %q", r.Err, r.ErrMessage)
	}
	r = alterBroker(t, ctx, adm, []kadm.AlterConfig{{Name: "log.cleaner.threads", Value: sp("2")}, {Name: "log.cleaner.io.max.bytes.per.second", Value: sp("1048576")}}, 1)
	if r.Err != nil {
		t.Fatalf("threads 1 -> 2: %v %q", r.Err, r.ErrMessage)
	}
	if c := s.config().Cleaner; c.Threads != 2 || c.IOMaxBytesPerSecond != 1048576 {
		t.Fatalf("cleaner config in force %+v", c)
	}
	if !s.topics.Cleaned("kv", 0) {
		t.Fatal("kv not cleaned after the cleaner restarted")
	}
	r = alterBroker(t, ctx, adm, []kadm.AlterConfig{{Name: "log.cleaner.enable", Value: sp("false")}}, 1)
	if !errorsIs(r.Err, kerr.InvalidRequest) || r.ErrMessage != "Cannot update these configs dynamically: Set(log.cleaner.enable)" {
		t.Fatalf("log.cleaner.enable: %v %q", r.Err, r.ErrMessage)
	}
	rcs, err = adm.DescribeBrokerConfigs(ctx, 1)
	c, _ = describeOne(t, rcs, err, "log.cleaner.threads")
	checkConfig(t, "threads", c, sp("2"), kmsg.ConfigSourceDynamicBrokerConfig, []syn{
		{"log.cleaner.threads", "2", kmsg.ConfigSourceDynamicBrokerConfig},
		{"log.cleaner.threads", "1", kmsg.ConfigSourceDefaultConfig}})
}

// TestCleanerDisabled: with log.cleaner.enable=false no partition is
// cleaned, and keyless records are still refused (Kafka's check is the
// topic's policy, not the cleaner's).
func TestCleanerDisabled(t *testing.T) {
	s := startServer(t, "log.cleaner.enable", "false")
	if _, err := s.topics.Create("kv", 1, map[string]string{"cleanup.policy": "compact"}, false); err != nil {
		t.Fatal(err)
	}
	if s.topics.Cleaned("kv", 0) {
		t.Fatal("cleaned with log.cleaner.enable=false")
	}
	rc := dialRaw(t, s)
	if res := produceResults(t, rc.roundTrip(produceReq(9, 1, "kv", map[int32][]byte{0: batch(t, 1, "x", nil)}))); res[0].code != kerr.InvalidRecord.Code {
		t.Fatalf("keyless: %+v", res[0])
	}
}

// TestLogDirsSizeAfterCleaning: DescribeLogDirs (strata log-dirs) reports a
// compacted partition's size after cleaning: its last five 1 KB values
// and the filler records that rolled it, a tenth of the 200 written.
func TestLogDirsSizeAfterCleaning(t *testing.T) {
	s := startServer(t, "log.cleaner.backoff.ms", "100")
	addr := s.Addr().String()
	adm := newAdmin(t, s)
	cl := newClient(t, s)
	resp, err := adm.CreateTopic(testCtx(t), 1, 1, map[string]*string{
		"cleanup.policy": sp("compact"), "segment.ms": sp("100"), "min.cleanable.dirty.ratio": sp("0.01"),
	}, "sized")
	if err != nil || resp.Err != nil {
		t.Fatalf("create: %v %v", err, resp.Err)
	}
	var recs []kv
	for i := range 200 {
		v := strings.Repeat("x", 1000) + strconv.Itoa(i)
		recs = append(recs, kv{Offset: int64(i), Key: "k" + strconv.Itoa(i%5), Value: &v})
	}
	plain := newClient(t, s, kgo.DefaultProduceTopic("sized"), kgo.ProducerBatchCompression(kgo.NoCompression()))
	for _, r := range recs {
		if err := plain.ProduceSync(testCtx(t), &kgo.Record{Key: []byte(r.Key), Value: []byte(*r.Value)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	size := func() int64 {
		t.Helper()
		ds, err := adm.DescribeAllLogDirs(testCtx(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		var n int64 = -1
		ds.Each(func(d kadm.DescribedLogDir) {
			d.Topics.Each(func(p kadm.DescribedLogDirPartition) {
				if p.Topic == "sized" {
					n = p.Size
				}
			})
		})
		return n
	}
	before := size()
	awaitView(t, cl, addr, "sized", compactedView(recs, true))
	after := size()
	t.Logf("size before cleaning %d, after %d", before, after)
	if before < 200*1000 || after < 5*1000 || after >= before/10 {
		t.Fatalf("size before cleaning %d, after %d", before, after)
	}
}

// TestOffsetsTopicCleaned: __consumer_offsets is created with Kafka's
// configs and cleaned like any compacted topic: after 300 commits of 100
// partitions each (5 groups, 30,000 records, 1 MiB segments) the cleaner
// runs on the rolled segments, and a restart replays far fewer records
// and rebuilds every group's last offsets.
func TestOffsetsTopicCleaned(t *testing.T) {
	dir := t.TempDir()
	settings := []string{"offsets.topic.num.partitions", "1", "offsets.topic.segment.bytes", "1048576"}
	s := startServerIn(t, dir, Options{}, settings...)
	if _, err := s.topics.Create("t", 100, nil, false); err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, s)
	const commits, groups = 300, 5
	for i := range commits {
		req := kmsg.NewPtrOffsetCommitRequest()
		req.Version, req.Group, req.Generation = 7, "g"+strconv.Itoa(i%groups), -1
		rt := kmsg.NewOffsetCommitRequestTopic()
		rt.Topic = "t"
		for p := range int32(100) {
			rp := kmsg.NewOffsetCommitRequestTopicPartition()
			rp.Partition, rp.Offset, rp.LeaderEpoch = p, int64(i), -1
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
		resp := rc.roundTrip(req).(*kmsg.OffsetCommitResponse)
		if code := resp.Topics[0].Partitions[0].ErrorCode; code != 0 {
			t.Fatalf("commit %d: %d", i, code)
		}
	}
	ot := mustTopic(t, s, offsetsTopic)
	want := map[string]string{"cleanup.policy": "compact", "compression.type": "producer", "segment.bytes": "1048576"}
	if !reflect.DeepEqual(ot.Configs, want) || !s.topics.Cleaned(offsetsTopic, 0) {
		t.Fatalf("%s configs %v (cleaned %v), want %v", offsetsTopic, ot.Configs, s.topics.Cleaned(offsetsTopic, 0), want)
	}
	for deadline := time.Now().Add(60 * time.Second); s.CleanerStats().Passes == 0; {
		if time.Now().After(deadline) {
			t.Fatal("__consumer_offsets was not cleaned within 60 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := startServerIn(t, dir, Options{}, settings...)
	g, err := s2.coordinator()
	if err != nil {
		t.Fatal(err)
	}
	r := g.Replayed()
	t.Logf("replay after cleaning: %+v (%d records written)", r, commits*100)
	if r.Records >= commits*100/2 || r.Records < groups*100 {
		t.Fatalf("replay read %+v; want fewer than half the %d records written, and the %d live ones", r, commits*100, groups*100)
	}
	rc2 := dialRaw(t, s2)
	for gi := range groups {
		req := kmsg.NewPtrOffsetFetchRequest()
		req.Version = 8
		req.Groups = []kmsg.OffsetFetchRequestGroup{{Group: "g" + strconv.Itoa(gi), Topics: []kmsg.OffsetFetchRequestGroupTopic{{Topic: "t", Partitions: []int32{0, 99}}}}}
		ps := rc2.roundTrip(req).(*kmsg.OffsetFetchResponse).Groups[0].Topics[0].Partitions
		last := int64(commits - groups + gi)
		if ps[0].Offset != last || ps[1].Offset != last {
			t.Fatalf("g%d offsets %d %d after restart, want %d", gi, ps[0].Offset, ps[1].Offset, last)
		}
	}
}

// TestCleanerFollowsBrokerPolicy: a topic without a cleanup.policy of its
// own joins the cleaner, and refuses keyless records, when the cluster
// default log.cleanup.policy becomes compact (a dynamic broker config),
// and leaves it, taking keyless records again, when that goes.
func TestCleanerFollowsBrokerPolicy(t *testing.T) {
	s := startServer(t)
	if _, err := s.topics.Create("plain", 1, nil, false); err != nil {
		t.Fatal(err)
	}
	adm := newAdmin(t, s)
	ctx := testCtx(t)
	rc := dialRaw(t, s)
	keyless := func() int16 {
		return produceResults(t, rc.roundTrip(produceReq(9, 1, "plain", map[int32][]byte{0: batch(t, 1, "x", nil)})))[0].code
	}
	if code := keyless(); code != 0 {
		t.Fatalf("keyless to a delete topic: %d", code)
	}
	if r := alterBroker(t, ctx, adm, []kadm.AlterConfig{{Name: "log.cleanup.policy", Value: sp("compact")}}); r.Err != nil {
		t.Fatalf("alter: %v %s", r.Err, r.ErrMessage)
	}
	if !s.topics.Cleaned("plain", 0) {
		t.Fatal("not cleaned under log.cleanup.policy=compact")
	}
	if code := keyless(); code != kerr.InvalidRecord.Code {
		t.Fatalf("keyless under log.cleanup.policy=compact: %d, want INVALID_RECORD", code)
	}
	if r := alterBroker(t, ctx, adm, []kadm.AlterConfig{{Name: "log.cleanup.policy", Op: kadm.DeleteConfig}}); r.Err != nil {
		t.Fatalf("alter: %v %s", r.Err, r.ErrMessage)
	}
	if s.topics.Cleaned("plain", 0) {
		t.Fatal("still cleaned after log.cleanup.policy was deleted")
	}
	if code := keyless(); code != 0 {
		t.Fatalf("keyless after log.cleanup.policy was deleted: %d", code)
	}
}
