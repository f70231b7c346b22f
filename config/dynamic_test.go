package config

import (
	"errors"
	"reflect"
	"testing"
)

func TestWithDynamicPrecedence(t *testing.T) {
	b := Defaults()
	for k, v := range map[string]string{"log.retention.hours": "100", "log.flush.scheduler.interval.ms": "5000", "log.segment.bytes": "2097152"} {
		if err := b.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	c, err := b.WithDynamic(
		map[string]string{"log.retention.ms": " 3600000 "},
		map[string]string{"log.retention.ms": "7200000", "log.flush.interval.ms": "1000", "message.max.bytes": "5000"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Log.RetentionMs != 3600000 || c.Log.FlushMs != 1000 || c.Log.MaxMessageBytes != 5000 || c.MessageMaxBytes != 5000 || c.Log.SegmentBytes != 2097152 {
		t.Fatalf("effective log config %+v, message.max.bytes %d", c.Log, c.MessageMaxBytes)
	}
	if b.Log.RetentionMs != 360000000 || b.Log.FlushMs != 5000 || b.MessageMaxBytes != 1048588 {
		t.Fatalf("the static config changed: %+v", b.Log)
	}
	per, def := c.DynamicConfigs()
	if !reflect.DeepEqual(per, map[string]string{"log.retention.ms": "3600000"}) || len(def) != 3 {
		t.Fatalf("dynamic configs %v %v", per, def)
	}
	if v, src, _ := c.TopicConfigValue("retention.ms", nil); v != "3600000" || src != DynamicBrokerConfig {
		t.Errorf("retention.ms %s %v", v, src)
	}
	if got := c.TopicConfigSynonyms("flush.ms", nil); !reflect.DeepEqual(got, []ConfigSynonym{
		{"log.flush.interval.ms", "1000", DynamicDefaultBrokerConfig},
		{"log.flush.scheduler.interval.ms", "5000", StaticBrokerConfig},
		{"log.flush.scheduler.interval.ms", "9223372036854775807", DefaultConfig},
	}) {
		t.Errorf("flush.ms synonyms %v", got)
	}
	byName := map[string]ConfigEntry{}
	for _, e := range c.BrokerConfigEntries() {
		byName[e.Name] = e
	}
	// Kafka's merge: a dynamic log.flush.interval.ms removes the static
	// log.flush.scheduler.interval.ms from the properties in force, and the
	// source is still that of its first synonym.
	if e := byName["log.flush.scheduler.interval.ms"]; *e.Value != "9223372036854775807" || e.Source != StaticBrokerConfig || !e.ReadOnly {
		t.Errorf("log.flush.scheduler.interval.ms %s %v ro=%v", *e.Value, e.Source, e.ReadOnly)
	}
	if e := byName["log.retention.hours"]; *e.Value != "168" || e.Source != StaticBrokerConfig {
		t.Errorf("log.retention.hours %s %v", *e.Value, e.Source)
	}
	if e := byName["message.max.bytes"]; *e.Value != "5000" || e.Source != DynamicDefaultBrokerConfig || e.ReadOnly {
		t.Errorf("message.max.bytes %s %v ro=%v", *e.Value, e.Source, e.ReadOnly)
	}
	var defs []string
	for _, e := range c.BrokerDefaultConfigEntries() {
		defs = append(defs, e.Name+"="+*e.Value+" "+e.Source.String())
		if len(e.Synonyms) != 1 || e.Synonyms[0].Source != DynamicDefaultBrokerConfig || e.ReadOnly {
			t.Errorf("%s synonyms %v ro=%v", e.Name, e.Synonyms, e.ReadOnly)
		}
	}
	if want := []string{
		"log.flush.interval.ms=1000 DYNAMIC_DEFAULT_BROKER_CONFIG",
		"log.retention.ms=7200000 DYNAMIC_DEFAULT_BROKER_CONFIG",
		"message.max.bytes=5000 DYNAMIC_DEFAULT_BROKER_CONFIG",
	}; !reflect.DeepEqual(defs, want) {
		t.Errorf("default entries %q, want %q", defs, want)
	}

	// Without dynamic configs the static value is back.
	c, err = b.WithDynamic(nil, nil)
	if err != nil || c.Log.RetentionMs != 360000000 || c.Log.FlushMs != 5000 {
		t.Fatalf("no dynamic configs: %v %+v", err, c.Log)
	}
}

func TestCheckDynamic(t *testing.T) {
	_, err := CheckDynamic(map[string]string{"log.retention.ms": "x", "log.dirs": "/a", "foo": "1", "node.id": "2"})
	var ce *Error
	if !errors.As(err, &ce) || ce.Msg != "Cannot update these configs dynamically: Set(foo, log.dirs, node.id)" ||
		!errors.Is(err, ErrNotDynamic) || errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("non-dynamic: %v", err)
	}
	for _, name := range []string{"log.message.format.version", "log.retention.hours", "log.roll.hours", "max.connections", "listeners"} {
		if IsDynamic(name) {
			t.Errorf("%s is dynamic", name)
		}
	}
	for _, name := range []string{"log.retention.ms", "log.retention.bytes", "log.segment.bytes", "log.roll.ms", "log.cleanup.policy",
		"log.message.timestamp.type", "message.max.bytes", "producer.id.expiration.ms", "compression.type", "min.insync.replicas"} {
		if !IsDynamic(name) {
			t.Errorf("%s is not dynamic", name)
		}
	}
	_, err = CheckDynamic(map[string]string{"log.retention.ms": "x"})
	if !errors.As(err, &ce) || ce.Msg != "Invalid value x for configuration log.retention.ms: Not a number of type LONG" || !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("bad value: %v", err)
	}
	_, err = Defaults().WithDynamic(nil, map[string]string{"log.cleaner.min.compaction.lag.ms": "10", "log.cleaner.max.compaction.lag.ms": "5"})
	if !errors.As(err, &ce) || ce.Msg != "conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)" {
		t.Fatalf("conflict: %v", err)
	}
}

func TestAlterBrokerConfigs(t *testing.T) {
	v := func(s string) *string { return &s }
	got, err := AlterBrokerConfigs(map[string]string{"log.retention.ms": "1"}, []AlterOp{
		{Name: "log.cleanup.policy", Op: OpAppend, Value: v("compact")},
		{Name: "log.retention.ms", Op: OpDelete},
		{Name: "log.segment.bytes", Op: OpSet, Value: v("2097152")},
	})
	if err != nil || !reflect.DeepEqual(got, map[string]string{"log.cleanup.policy": "delete,compact", "log.segment.bytes": "2097152"}) {
		t.Fatalf("%v %v", got, err)
	}
	got, err = AlterBrokerConfigs(got, []AlterOp{{Name: "log.cleanup.policy", Op: OpSubtract, Value: v("delete")}})
	if err != nil || got["log.cleanup.policy"] != "compact" {
		t.Fatalf("subtract: %v %v", got, err)
	}
	_, err = AlterBrokerConfigs(nil, []AlterOp{{Name: "log.retention.ms", Op: OpSubtract, Value: v("1")}})
	var ce *Error
	if !errors.As(err, &ce) || ce.Msg != "Config value subtract is not allowed for config key: log.retention.ms" || !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("subtract from a long: %v", err)
	}
}
