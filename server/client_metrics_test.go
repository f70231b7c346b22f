package server

import (
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func strp(s string) *string { return &s }

// cmAlter sends one IncrementalAlterConfigs of a CLIENT_METRICS resource
// and returns its error code and message.
func cmAlter(t *testing.T, rc *rawClient, name string, validateOnly bool, ops ...kmsg.IncrementalAlterConfigsRequestResourceConfig) (int16, string) {
	t.Helper()
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	req.Version = 1
	req.ValidateOnly = validateOnly
	res := kmsg.NewIncrementalAlterConfigsRequestResource()
	res.ResourceType, res.ResourceName, res.Configs = kmsg.ConfigResourceTypeClientMetrics, name, ops
	req.Resources = append(req.Resources, res)
	resp := rc.roundTrip(req).(*kmsg.IncrementalAlterConfigsResponse)
	r := resp.Resources[0]
	if r.ResourceType != kmsg.ConfigResourceTypeClientMetrics || r.ResourceName != name {
		t.Fatalf("resource %v %q", r.ResourceType, r.ResourceName)
	}
	return r.ErrorCode, ptrOr(r.ErrorMessage, "")
}

func op(name string, o kmsg.IncrementalAlterConfigOp, value *string) kmsg.IncrementalAlterConfigsRequestResourceConfig {
	c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
	c.Name, c.Op, c.Value = name, o, value
	return c
}

const (
	opSet      = kmsg.IncrementalAlterConfigOpSet
	opDelete   = kmsg.IncrementalAlterConfigOpDelete
	opAppend   = kmsg.IncrementalAlterConfigOpAppend
	opSubtract = kmsg.IncrementalAlterConfigOpSubtract
)

type cmEntry struct {
	name, value string
	src         kmsg.ConfigSource
}

func cmDescribe(t *testing.T, rc *rawClient, name string) (int16, string, []cmEntry) {
	t.Helper()
	req := kmsg.NewPtrDescribeConfigsRequest()
	req.Version = 4
	res := kmsg.NewDescribeConfigsRequestResource()
	res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeClientMetrics, name
	req.Resources = append(req.Resources, res)
	r := rc.roundTrip(req).(*kmsg.DescribeConfigsResponse).Resources[0]
	var out []cmEntry
	for _, c := range r.Configs {
		if c.ReadOnly || c.IsSensitive {
			t.Errorf("%s: read-only %v sensitive %v", c.Name, c.ReadOnly, c.IsSensitive)
		}
		out = append(out, cmEntry{c.Name, ptrOr(c.Value, "<null>"), c.Source})
	}
	return r.ErrorCode, ptrOr(r.ErrorMessage, ""), out
}

func cmList(t *testing.T, rc *rawClient, version int16, types ...int8) (int16, []string) {
	t.Helper()
	req := kmsg.NewPtrListConfigResourcesRequest()
	req.Version = version
	req.ResourceTypes = types
	resp := rc.roundTrip(req).(*kmsg.ListConfigResourcesResponse)
	var out []string
	for _, r := range resp.ConfigResources {
		if version == 0 {
			out = append(out, r.Name)
		} else {
			out = append(out, kmsg.ConfigResourceType(r.Type).String()+":"+r.Name)
		}
	}
	return resp.ErrorCode, out
}

// TestClientMetricsConfigs: CLIENT_METRICS resources through the config
// APIs as Kafka serves them: created by IncrementalAlterConfigs, described
// with defaults, listed by ListConfigResources v0 and v1, deleted by
// deleting every config, refused with Kafka's codes and messages, and
// durable across a restart.
func TestClientMetricsConfigs(t *testing.T) {
	dir := t.TempDir()
	s := startServerIn(t, dir, Options{})
	rc := dialRaw(t, s)

	if code, _ := cmAlter(t, rc, "sub1", false, op("metrics", opSet, strp("org.apache.kafka.producer., org.apache.kafka.consumer.")),
		op("interval.ms", opSet, strp("1000")), op("match", opSet, strp("client_software_name=apache-kafka-java"))); code != 0 {
		t.Fatalf("create sub1: %v", kerr.ErrorForCode(code))
	}
	if code, _ := cmAlter(t, rc, "sub2", false, op("metrics", opSet, strp("*"))); code != 0 {
		t.Fatalf("create sub2: %v", kerr.ErrorForCode(code))
	}
	if code, _ := cmAlter(t, rc, "dry", true, op("metrics", opSet, strp("*"))); code != 0 {
		t.Fatalf("validate only: %v", kerr.ErrorForCode(code))
	}
	code, _, got := cmDescribe(t, rc, "sub1")
	want := []cmEntry{
		{"interval.ms", "1000", kmsg.ConfigSourceClientMetricsConfig},
		{"match", "client_software_name=apache-kafka-java", kmsg.ConfigSourceClientMetricsConfig},
		{"metrics", "org.apache.kafka.producer.,org.apache.kafka.consumer.", kmsg.ConfigSourceClientMetricsConfig},
	}
	if code != 0 || !reflect.DeepEqual(got, want) {
		t.Fatalf("describe sub1: %d %v\nwant %v", code, got, want)
	}
	code, _, got = cmDescribe(t, rc, "sub2")
	want = []cmEntry{
		{"interval.ms", "300000", kmsg.ConfigSourceDefaultConfig},
		{"match", "", kmsg.ConfigSourceDefaultConfig},
		{"metrics", "*", kmsg.ConfigSourceClientMetricsConfig},
	}
	if code != 0 || !reflect.DeepEqual(got, want) {
		t.Fatalf("describe sub2: %d %v\nwant %v", code, got, want)
	}
	if code, msg, _ := cmDescribe(t, rc, ""); code != kerr.InvalidRequest.Code || msg != "Client metrics subscription name must not be empty" {
		t.Fatalf("describe empty name: %d %q", code, msg)
	}
	if code, names := cmList(t, rc, 0); code != 0 || !reflect.DeepEqual(names, []string{"sub1", "sub2"}) {
		t.Fatalf("list v0: %d %v", code, names)
	}
	if code, names := cmList(t, rc, 1, int8(kmsg.ConfigResourceTypeClientMetrics), int8(kmsg.ConfigResourceTypeBroker)); code != 0 ||
		!reflect.DeepEqual(names, []string{"CLIENT_METRICS:sub1", "CLIENT_METRICS:sub2", "BROKER:1"}) {
		t.Fatalf("list v1: %d %v", code, names)
	}
	if code, names := cmList(t, rc, 1, 99); code != kerr.UnsupportedVersion.Code || names != nil {
		t.Fatalf("list v1 type 99: %d %v", code, names)
	}

	// APPEND and SUBTRACT on the lists.
	if code, _ := cmAlter(t, rc, "sub1", false, op("metrics", opSubtract, strp("org.apache.kafka.consumer.")), op("match", opAppend, strp("client_id=app-.*"))); code != 0 {
		t.Fatalf("append/subtract: %v", kerr.ErrorForCode(code))
	}
	if _, _, got := cmDescribe(t, rc, "sub1"); got[1].value != "client_software_name=apache-kafka-java,client_id=app-.*" || got[2].value != "org.apache.kafka.producer." {
		t.Fatalf("after append/subtract: %v", got)
	}

	// Refusals, each leaving the subscription as it was.
	for _, c := range []struct {
		what string
		name string
		ops  []kmsg.IncrementalAlterConfigsRequestResourceConfig
		code int16
		msg  string
	}{
		{"unknown config", "sub1", []kmsg.IncrementalAlterConfigsRequestResourceConfig{op("color", opSet, strp("red"))}, kerr.InvalidRequest.Code, "Unknown client metrics configuration: color"},
		{"interval low", "sub1", []kmsg.IncrementalAlterConfigsRequestResourceConfig{op("interval.ms", opSet, strp("50"))}, kerr.InvalidRequest.Code, "Invalid value 50 for interval.ms, interval must be between 100 and 3600000 (1 hour)"},
		{"interval text", "sub1", []kmsg.IncrementalAlterConfigsRequestResourceConfig{op("interval.ms", opSet, strp("often"))}, kerr.InvalidConfig.Code, "Invalid value often for configuration interval.ms: Not a number of type INT"},
		{"bad match", "sub1", []kmsg.IncrementalAlterConfigsRequestResourceConfig{op("match", opSet, strp("hostname=x"))}, kerr.InvalidConfig.Code, "Illegal client matching pattern: hostname=x"},
		{"empty name", "", []kmsg.IncrementalAlterConfigsRequestResourceConfig{op("metrics", opSet, strp("*"))}, kerr.InvalidRequest.Code, "Subscription name can't be empty"},
		{"append int", "sub1", []kmsg.IncrementalAlterConfigsRequestResourceConfig{op("interval.ms", opAppend, strp("5"))}, kerr.InvalidConfig.Code, "Can't APPEND to key interval.ms because its type is not LIST."},
		{"duplicate", "sub1", []kmsg.IncrementalAlterConfigsRequestResourceConfig{op("metrics", opSet, strp("a")), op("metrics", opSet, strp("b"))}, kerr.InvalidRequest.Code, "Error due to duplicate config keys"},
		{"null set", "sub1", []kmsg.IncrementalAlterConfigsRequestResourceConfig{op("metrics", opSet, nil)}, kerr.InvalidRequest.Code, "Null value not supported for : metrics"},
	} {
		code, msg := cmAlter(t, rc, c.name, false, c.ops...)
		if code != c.code || msg != c.msg {
			t.Errorf("%s: %d %q, want %d %q", c.what, code, msg, c.code, c.msg)
		}
	}

	// Legacy AlterConfigs replaces the whole set.
	lreq := kmsg.NewPtrAlterConfigsRequest()
	lres := kmsg.NewAlterConfigsRequestResource()
	lres.ResourceType, lres.ResourceName = kmsg.ConfigResourceTypeClientMetrics, "legacy"
	lc := kmsg.NewAlterConfigsRequestResourceConfig()
	lc.Name, lc.Value = "interval.ms", strp("200")
	lres.Configs = append(lres.Configs, lc)
	lreq.Resources = append(lreq.Resources, lres)
	if r := rc.roundTrip(lreq).(*kmsg.AlterConfigsResponse); r.Resources[0].ErrorCode != 0 {
		t.Fatalf("legacy alter: %v", kerr.ErrorForCode(r.Resources[0].ErrorCode))
	}

	// Deleting every config deletes the subscription.
	if code, _ := cmAlter(t, rc, "sub2", false, op("metrics", opDelete, nil)); code != 0 {
		t.Fatalf("delete sub2: %v", kerr.ErrorForCode(code))
	}
	if code, names := cmList(t, rc, 0); code != 0 || !reflect.DeepEqual(names, []string{"legacy", "sub1"}) {
		t.Fatalf("list after delete: %d %v", code, names)
	}
	_, _, before := cmDescribe(t, rc, "sub1")

	// A restart keeps them.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := startServerIn(t, dir, Options{})
	rc2 := dialRaw(t, s2)
	if code, names := cmList(t, rc2, 0); code != 0 || !reflect.DeepEqual(names, []string{"legacy", "sub1"}) {
		t.Fatalf("list after restart: %d %v", code, names)
	}
	if _, _, after := cmDescribe(t, rc2, "sub1"); !reflect.DeepEqual(after, before) {
		t.Fatalf("sub1 after restart %v, before %v", after, before)
	}
}
