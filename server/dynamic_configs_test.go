package server

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// syn is one expected DescribeConfigs synonym.
type syn struct {
	name, value string
	src         kmsg.ConfigSource
}

// describeOne returns config name of the resource, as kadm reports it.
func describeOne(t *testing.T, rcs kadm.ResourceConfigs, err error, name string) (kadm.Config, bool) {
	t.Helper()
	if err != nil || len(rcs) != 1 || rcs[0].Err != nil {
		t.Fatalf("describe: %v %+v", err, rcs)
	}
	for _, c := range rcs[0].Configs {
		if c.Key == name {
			return c, true
		}
	}
	return kadm.Config{}, false
}

// checkConfig asserts a described config's value, source and synonyms.
func checkConfig(t *testing.T, what string, c kadm.Config, value *string, src kmsg.ConfigSource, want []syn) {
	t.Helper()
	var got []syn
	for _, s := range c.Synonyms {
		got = append(got, syn{s.Key, ptrOr(s.Value, "<null>"), s.Source})
	}
	var wantSyns []syn
	for _, s := range want {
		wantSyns = append(wantSyns, syn{s.name, s.value, s.src})
	}
	if !reflect.DeepEqual(c.Value, value) || c.Source != src || !reflect.DeepEqual(got, wantSyns) {
		t.Errorf("%s: value %v source %v synonyms %v; want %v %v %v", what, ptrOr(c.Value, "<null>"), c.Source, got, ptrOr(value, "<null>"), src, wantSyns)
	}
}

func alterBroker(t *testing.T, ctx context.Context, adm *kadm.Client, cfgs []kadm.AlterConfig, brokers ...int32) kadm.AlterConfigsResponse {
	t.Helper()
	r, err := adm.AlterBrokerConfigs(ctx, cfgs, brokers...)
	if err != nil || len(r) != 1 {
		t.Fatalf("AlterBrokerConfigs: %v %+v", err, r)
	}
	return r[0]
}

// TestDynamicBrokerConfigs: log.retention.ms set for the cluster default
// and for broker 1 applies at once to a topic without an override (not to
// one with an override), is described with Kafka's sources and synonyms on
// the broker, the default and the topic, survives a restart, and deleting
// it brings back the static value.
func TestDynamicBrokerConfigs(t *testing.T) {
	dir := t.TempDir()
	static := []string{"log.retention.hours", "100"}
	s := startServerIn(t, dir, Options{}, static...)
	ctx := testCtx(t)
	adm := newAdmin(t, s)
	if _, err := adm.CreateTopic(ctx, 2, 1, nil, "plain"); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.CreateTopic(ctx, 1, 1, map[string]*string{"retention.ms": kadm.StringPtr("5000")}, "over"); err != nil {
		t.Fatal(err)
	}
	retention := func(s *Server, topic string) []int64 {
		var out []int64
		for _, l := range mustTopic(t, s, topic).Partitions {
			out = append(out, l.Config().RetentionMs)
		}
		return out
	}
	if got := retention(s, "plain"); !reflect.DeepEqual(got, []int64{360000000, 360000000}) {
		t.Fatalf("static retention %v", got)
	}

	// The cluster default.
	if r := alterBroker(t, ctx, adm, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "log.retention.ms", Value: kadm.StringPtr("7200000")}}); r.Err != nil {
		t.Fatalf("alter default: %v %s", r.Err, r.ErrMessage)
	}
	if got := retention(s, "plain"); !reflect.DeepEqual(got, []int64{7200000, 7200000}) {
		t.Fatalf("retention after the default %v", got)
	}
	if got := retention(s, "over"); !reflect.DeepEqual(got, []int64{5000}) {
		t.Fatalf("overridden retention %v", got)
	}
	rcs, err := adm.DescribeBrokerConfigs(ctx)
	if err != nil || len(rcs) != 1 || len(rcs[0].Configs) != 1 {
		t.Fatalf("describe default: %v %+v", err, rcs)
	}
	checkConfig(t, "default log.retention.ms", rcs[0].Configs[0], kadm.StringPtr("7200000"), kmsg.ConfigSourceDynamicDefaultBrokerConfig,
		[]syn{{"log.retention.ms", "7200000", kmsg.ConfigSourceDynamicDefaultBrokerConfig}})

	// Broker 1.
	if r := alterBroker(t, ctx, adm, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "log.retention.ms", Value: kadm.StringPtr("3600000")}}, 1); r.Err != nil {
		t.Fatalf("alter broker 1: %v %s", r.Err, r.ErrMessage)
	}
	check := func(s *Server, adm *kadm.Client) {
		t.Helper()
		if got := retention(s, "plain"); !reflect.DeepEqual(got, []int64{3600000, 3600000}) {
			t.Fatalf("retention after broker 1 %v", got)
		}
		rcs, err := adm.DescribeBrokerConfigs(ctx, 1)
		c, _ := describeOne(t, rcs, err, "log.retention.ms")
		checkConfig(t, "broker log.retention.ms", c, kadm.StringPtr("3600000"), kmsg.ConfigSourceDynamicBrokerConfig, []syn{
			{"log.retention.ms", "3600000", kmsg.ConfigSourceDynamicBrokerConfig},
			{"log.retention.ms", "7200000", kmsg.ConfigSourceDynamicDefaultBrokerConfig},
			{"log.retention.hours", "100", kmsg.ConfigSourceStaticBrokerConfig},
			{"log.retention.hours", "168", kmsg.ConfigSourceDefaultConfig},
		})
		rcs, err = adm.DescribeTopicConfigs(ctx, "plain")
		c, _ = describeOne(t, rcs, err, "retention.ms")
		checkConfig(t, "topic retention.ms", c, kadm.StringPtr("3600000"), kmsg.ConfigSourceDynamicBrokerConfig, []syn{
			{"log.retention.ms", "3600000", kmsg.ConfigSourceDynamicBrokerConfig},
			{"log.retention.ms", "7200000", kmsg.ConfigSourceDynamicDefaultBrokerConfig},
			{"log.retention.hours", "100", kmsg.ConfigSourceStaticBrokerConfig},
			{"log.retention.hours", "168", kmsg.ConfigSourceDefaultConfig},
		})
		rcs, err = adm.DescribeBrokerConfigs(ctx)
		if err != nil || len(rcs) != 1 || len(rcs[0].Configs) != 1 {
			t.Fatalf("describe default: %v %+v", err, rcs)
		}
		checkConfig(t, "default log.retention.ms", rcs[0].Configs[0], kadm.StringPtr("7200000"), kmsg.ConfigSourceDynamicDefaultBrokerConfig,
			[]syn{{"log.retention.ms", "7200000", kmsg.ConfigSourceDynamicDefaultBrokerConfig}})
	}
	check(s, adm)

	// A restart on the same directory keeps both.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = startServerIn(t, dir, Options{}, static...)
	adm = newAdmin(t, s)
	check(s, adm)

	// Deleting them brings back the default, then the static value.
	if r := alterBroker(t, ctx, adm, []kadm.AlterConfig{{Op: kadm.DeleteConfig, Name: "log.retention.ms"}}, 1); r.Err != nil {
		t.Fatalf("delete broker 1: %v %s", r.Err, r.ErrMessage)
	}
	if got := retention(s, "plain"); !reflect.DeepEqual(got, []int64{7200000, 7200000}) {
		t.Fatalf("retention after deleting broker 1's %v", got)
	}
	if r := alterBroker(t, ctx, adm, []kadm.AlterConfig{{Op: kadm.DeleteConfig, Name: "log.retention.ms"}}); r.Err != nil {
		t.Fatalf("delete default: %v %s", r.Err, r.ErrMessage)
	}
	if got := retention(s, "plain"); !reflect.DeepEqual(got, []int64{360000000, 360000000}) {
		t.Fatalf("retention after deleting both %v", got)
	}
	rcs, err = adm.DescribeBrokerConfigs(ctx, 1)
	c, _ := describeOne(t, rcs, err, "log.retention.hours")
	checkConfig(t, "static log.retention.hours", c, kadm.StringPtr("100"), kmsg.ConfigSourceStaticBrokerConfig, []syn{
		{"log.retention.hours", "100", kmsg.ConfigSourceStaticBrokerConfig},
		{"log.retention.hours", "168", kmsg.ConfigSourceDefaultConfig},
	})
	c, _ = describeOne(t, rcs, err, "log.retention.ms")
	checkConfig(t, "unset log.retention.ms", c, nil, kmsg.ConfigSourceDefaultConfig, nil)
	rcs, err = adm.DescribeBrokerConfigs(ctx)
	if err != nil || len(rcs) != 1 || len(rcs[0].Configs) != 0 {
		t.Fatalf("describe default after delete: %v %+v", err, rcs)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = startServerIn(t, dir, Options{}, static...)
	if got := retention(s, "plain"); !reflect.DeepEqual(got, []int64{360000000, 360000000}) {
		t.Fatalf("retention after a restart with none %v", got)
	}
}

// TestDynamicBrokerConfigsRefused: what Kafka refuses, with its codes and
// messages, and nothing changes.
func TestDynamicBrokerConfigsRefused(t *testing.T) {
	s := startServer(t)
	ctx := testCtx(t)
	adm := newAdmin(t, s)
	set := func(name, value string) []kadm.AlterConfig {
		return []kadm.AlterConfig{{Op: kadm.SetConfig, Name: name, Value: kadm.StringPtr(value)}}
	}
	cases := []struct {
		what    string
		cfgs    []kadm.AlterConfig
		brokers []int32
		err     *kerr.Error
		msg     string
	}{
		{"non-dynamic", set("log.dirs", "/elsewhere"), []int32{1}, kerr.InvalidRequest, "Cannot update these configs dynamically: Set(log.dirs)"},
		{"non-dynamic default", set("node.id", "3"), nil, kerr.InvalidRequest, "Cannot update these configs dynamically: Set(node.id)"},
		{"two non-dynamic", append(set("log.retention.hours", "1"), set("listeners", "PLAINTEXT://:1")...), []int32{1}, kerr.InvalidRequest,
			"Cannot update these configs dynamically: Set(listeners, log.retention.hours)"},
		{"bad value", set("log.retention.ms", "soon"), []int32{1}, kerr.InvalidRequest,
			"Invalid value soon for configuration log.retention.ms: Not a number of type LONG"},
		{"out of range", set("log.segment.bytes", "10"), nil, kerr.InvalidRequest,
			"Invalid value 10 for configuration log.segment.bytes: Value must be at least 1048576"},
		{"append to a non-list", []kadm.AlterConfig{{Op: kadm.AppendConfig, Name: "log.retention.ms", Value: kadm.StringPtr("1")}}, []int32{1},
			kerr.InvalidConfig, "Config value append is not allowed for config key: log.retention.ms"},
	}
	for _, c := range cases {
		r, err := adm.AlterBrokerConfigs(ctx, c.cfgs, c.brokers...)
		if err != nil || len(r) != 1 {
			t.Fatalf("%s: %v %+v", c.what, err, r)
		}
		if r[0].Err != c.err || r[0].ErrMessage != c.msg {
			t.Errorf("%s: %v %q, want %v %q", c.what, r[0].Err, r[0].ErrMessage, c.err, c.msg)
		}
	}
	// Another broker's resource (kadm would send it to that broker).
	rc := dialRaw(t, s)
	for _, name := range []string{"2", "x"} {
		want := map[string]string{"2": "Unexpected broker id, expected 1, but received 2", "x": "Node id must be an integer, but it is: x"}[name]
		i := kmsg.NewPtrIncrementalAlterConfigsRequest()
		ir := kmsg.NewIncrementalAlterConfigsRequestResource()
		ir.ResourceType, ir.ResourceName = kmsg.ConfigResourceTypeBroker, name
		ic := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		ic.Name, ic.Value = "log.retention.ms", kadm.StringPtr("1000")
		ir.Configs = append(ir.Configs, ic)
		i.Resources = append(i.Resources, ir)
		ri := rc.roundTrip(i).(*kmsg.IncrementalAlterConfigsResponse).Resources[0]
		a := kmsg.NewPtrAlterConfigsRequest()
		ar := kmsg.NewAlterConfigsRequestResource()
		ar.ResourceType, ar.ResourceName = kmsg.ConfigResourceTypeBroker, name
		ac := kmsg.NewAlterConfigsRequestResourceConfig()
		ac.Name, ac.Value = "log.retention.ms", kadm.StringPtr("1000")
		ar.Configs = append(ar.Configs, ac)
		a.Resources = append(a.Resources, ar)
		ra := rc.roundTrip(a).(*kmsg.AlterConfigsResponse).Resources[0]
		for api, got := range map[string]struct {
			code int16
			msg  *string
		}{"AlterConfigs": {ra.ErrorCode, ra.ErrorMessage}, "IncrementalAlterConfigs": {ri.ErrorCode, ri.ErrorMessage}} {
			if got.code != kerr.InvalidRequest.Code || ptrOr(got.msg, "<null>") != want {
				t.Errorf("%s on broker %q: %d %q, want %d %q", api, name, got.code, ptrOr(got.msg, "<null>"), kerr.InvalidRequest.Code, want)
			}
		}
	}

	rcs, err := adm.DescribeBrokerConfigs(ctx)
	if err != nil || len(rcs) != 1 || len(rcs[0].Configs) != 0 {
		t.Fatalf("describe default after refusals: %v %+v", err, rcs)
	}
	rcs, err = adm.DescribeBrokerConfigs(ctx, 1)
	c, _ := describeOne(t, rcs, err, "log.retention.ms")
	checkConfig(t, "log.retention.ms after refusals", c, nil, kmsg.ConfigSourceDefaultConfig, nil)
	if _, err := s.fs.Stat(filepath.Join(s.dataDir, "dynamic_configs.json")); err == nil {
		t.Error("dynamic_configs.json written by refused alters")
	}
}

// TestDynamicBrokerConfigsLegacyAlter: AlterConfigs replaces a broker
// resource's whole dynamic set; validateOnly changes nothing; log.* and
// message.max.bytes reach the logs; the default's list is exact.
func TestDynamicBrokerConfigsLegacyAlter(t *testing.T) {
	s := startServer(t)
	ctx := testCtx(t)
	adm := newAdmin(t, s)
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "t"); err != nil {
		t.Fatal(err)
	}
	cfgs := []kadm.AlterConfig{
		{Name: "log.segment.bytes", Value: kadm.StringPtr("2097152")},
		{Name: "message.max.bytes", Value: kadm.StringPtr("5000")},
		{Name: "log.cleanup.policy", Value: kadm.StringPtr("compact")},
	}
	if r, err := adm.ValidateAlterBrokerConfigsState(ctx, cfgs); err != nil || r[0].Err != nil {
		t.Fatalf("validate: %v %+v", err, r)
	}
	if l := mustTopic(t, s, "t").Partitions[0].Config(); l.SegmentBytes != 1<<30 || l.MaxMessageBytes != 1048588 {
		t.Fatalf("validateOnly changed the log: %+v", l)
	}
	if r, err := adm.AlterBrokerConfigsState(ctx, cfgs); err != nil || r[0].Err != nil {
		t.Fatalf("alter: %v %+v", err, r)
	}
	if l := mustTopic(t, s, "t").Partitions[0].Config(); l.SegmentBytes != 2097152 || l.MaxMessageBytes != 5000 {
		t.Fatalf("log after alter: %+v", l)
	}
	rcs, err := adm.DescribeBrokerConfigs(ctx)
	if err != nil || len(rcs) != 1 {
		t.Fatal(err, rcs)
	}
	var got []string
	for _, c := range rcs[0].Configs {
		got = append(got, c.Key+"="+c.MaybeValue()+" "+c.Source.String())
	}
	want := []string{
		"log.cleanup.policy=compact DYNAMIC_DEFAULT_BROKER_CONFIG",
		"log.segment.bytes=2097152 DYNAMIC_DEFAULT_BROKER_CONFIG",
		"message.max.bytes=5000 DYNAMIC_DEFAULT_BROKER_CONFIG",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("default configs %q, want %q", got, want)
	}
	rcs, err = adm.DescribeTopicConfigs(ctx, "t")
	c, _ := describeOne(t, rcs, err, "cleanup.policy")
	checkConfig(t, "topic cleanup.policy", c, kadm.StringPtr("compact"), kmsg.ConfigSourceDynamicDefaultBrokerConfig, []syn{
		{"log.cleanup.policy", "compact", kmsg.ConfigSourceDynamicDefaultBrokerConfig},
		{"log.cleanup.policy", "delete", kmsg.ConfigSourceDefaultConfig},
	})
	// The whole set is replaced.
	if r, err := adm.AlterBrokerConfigsState(ctx, cfgs[1:2]); err != nil || r[0].Err != nil {
		t.Fatalf("alter: %v %+v", err, r)
	}
	if l := mustTopic(t, s, "t").Partitions[0].Config(); l.SegmentBytes != 1<<30 || l.MaxMessageBytes != 5000 {
		t.Fatalf("log after the second alter: %+v", l)
	}
	if r, _ := adm.AlterBrokerConfigsState(ctx, []kadm.AlterConfig{{Name: "log.dir", Value: kadm.StringPtr("x")}}, 1); r[0].Err != kerr.InvalidRequest ||
		r[0].ErrMessage != "Cannot update these configs dynamically: Set(log.dir)" {
		t.Fatalf("legacy non-dynamic: %v %q", r[0].Err, r[0].ErrMessage)
	}
}

// TestDescribeConfigsUnknownNames: a property Strata does not know is
// described as Kafka describes a name whose type it cannot tell: sensitive,
// value null, type UNKNOWN, read-only; a topic config name Kafka does not
// define is refused at CreateTopics and never described.
func TestDescribeConfigsUnknownNames(t *testing.T) {
	s := startServer(t, "foo.bar", "secret", "ssl.keystore.password", "hunter2")
	ctx := testCtx(t)
	cl := newClient(t, s)
	req := kmsg.NewPtrDescribeConfigsRequest()
	req.IncludeSynonyms = true
	rr := kmsg.NewDescribeConfigsRequestResource()
	rr.ResourceType, rr.ResourceName = kmsg.ConfigResourceTypeBroker, "1"
	rr.ConfigNames = []string{"foo.bar", "ssl.keystore.password", "num.partitions"}
	req.Resources = append(req.Resources, rr)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil || len(resp.Resources) != 1 || resp.Resources[0].ErrorCode != 0 {
		t.Fatalf("describe: %v %+v", err, resp)
	}
	type entry struct {
		Name      string
		Value     *string
		ReadOnly  bool
		Source    kmsg.ConfigSource
		Sensitive bool
		Type      kmsg.ConfigType
		Synonyms  []syn
	}
	var got []entry
	for _, c := range resp.Resources[0].Configs {
		e := entry{c.Name, c.Value, c.ReadOnly, c.Source, c.IsSensitive, c.ConfigType, nil}
		for _, s := range c.ConfigSynonyms {
			e.Synonyms = append(e.Synonyms, syn{s.Name, ptrOr(s.Value, "<null>"), s.Source})
		}
		got = append(got, e)
	}
	static := kmsg.ConfigSourceStaticBrokerConfig
	want := []entry{
		{"foo.bar", nil, true, static, true, 0, []syn{{"foo.bar", "<null>", static}}},
		{"num.partitions", kadm.StringPtr("1"), true, kmsg.ConfigSourceDefaultConfig, false, kmsg.ConfigTypeInt,
			[]syn{{"num.partitions", "1", kmsg.ConfigSourceDefaultConfig}}},
		{"ssl.keystore.password", nil, true, static, true, 0, []syn{{"ssl.keystore.password", "<null>", static}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("broker configs\n got %+v\nwant %+v", got, want)
	}

	adm := newAdmin(t, s)
	cr, err := adm.CreateTopic(ctx, 1, 1, map[string]*string{"foo.bar": kadm.StringPtr("1")}, "t")
	if cr.Err != kerr.InvalidConfig || cr.ErrMessage != "Unknown topic config name: foo.bar" {
		t.Fatalf("create with an unknown config: %v %+v", err, cr)
	}
	if _, ok := s.topics.Get("t"); ok {
		t.Fatal("topic created")
	}
}

func ptrOr(p *string, or string) string {
	if p == nil {
		return or
	}
	return *p
}

// TestDynamicConfigsFile: persisted entries that are not dynamic or not
// valid are ignored at start (Kafka ignores invalid persisted dynamic
// configs), other brokers' levels are kept but not applied, and a file
// that does not parse stops the start.
func TestDynamicConfigsFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dynamic_configs.json")
	body := `{"version": 1,
	 "default": {"log.retention.ms": "7200000", "log.dirs": "/x", "log.segment.bytes": "soon"},
	 "brokers": {"1": {"log.retention.bytes": "1000"}, "2": {"log.retention.bytes": "2000"}}}`
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startServerIn(t, dir, Options{})
	per, def := s.config().DynamicConfigs()
	if !reflect.DeepEqual(per, map[string]string{"log.retention.bytes": "1000"}) || !reflect.DeepEqual(def, map[string]string{"log.retention.ms": "7200000"}) {
		t.Fatalf("loaded %v %v", per, def)
	}
	ctx := testCtx(t)
	adm := newAdmin(t, s)
	if r := alterBroker(t, ctx, adm, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "log.roll.ms", Value: kadm.StringPtr("60000")}}, 1); r.Err != nil {
		t.Fatalf("alter: %v %s", r.Err, r.ErrMessage)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "version": 1,
  "default": {
    "log.retention.ms": "7200000"
  },
  "brokers": {
    "1": {
      "log.retention.bytes": "1000",
      "log.roll.ms": "60000"
    },
    "2": {
      "log.retention.bytes": "2000"
    }
  }
}
`
	if string(data) != want {
		t.Fatalf("file after alter:\n%s\nwant\n%s", data, want)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Start(testConfig(t, dir), Options{}); !errors.Is(err, ErrMeta) {
		t.Fatalf("Start with a broken file: %v, want ErrMeta", err)
	}
}
