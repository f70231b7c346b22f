package config

import (
	"math"
	"testing"
)

// TestTopicConfigCleanupPolicy: cleanup.policy reaches the partition as
// CleanupDelete (the policy holds "delete"), from an override or from the
// broker's log.cleanup.policy, and leaves retention.ms and retention.bytes
// as configured, both in the partition config and in what is described.
func TestTopicConfigCleanupPolicy(t *testing.T) {
	b := Defaults()
	retention := map[string]string{"retention.ms": "1000", "retention.bytes": "5000"}
	with := func(policy string) map[string]string {
		m := map[string]string{"cleanup.policy": policy}
		for k, v := range retention {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		broker    string // log.cleanup.policy; "" leaves it unset
		overrides map[string]string
		delete    bool
		described string
	}{
		{"", nil, true, "delete"},
		{"", retention, true, "delete"},
		{"", with("compact"), false, "compact"},
		{"", with("delete"), true, "delete"},
		{"", with("compact,delete"), true, "compact,delete"},
		{"", with("delete, compact"), true, "delete,compact"},
		{"", with(""), false, ""}, // Kafka: an empty list holds no "delete"
		{"compact", retention, false, "compact"},
		{"compact", with("delete"), true, "delete"},
		{"delete,compact", retention, true, "delete,compact"},
		{"compact, delete", retention, true, "compact,delete"},
	}
	for _, tc := range tests {
		b := b.Clone()
		if tc.broker != "" {
			if err := b.Set("log.cleanup.policy", tc.broker); err != nil {
				t.Fatal(err)
			}
		}
		cfg, err := b.TopicConfig(tc.overrides)
		if err != nil {
			t.Fatalf("broker %q overrides %v: %v", tc.broker, tc.overrides, err)
		}
		wantMs, wantBytes := int64(604800000), int64(-1)
		if tc.overrides != nil {
			wantMs, wantBytes = 1000, 5000
		}
		if cfg.CleanupDelete != tc.delete || cfg.RetentionMs != wantMs || cfg.RetentionBytes != wantBytes {
			t.Errorf("broker %q overrides %v: CleanupDelete %v RetentionMs %d RetentionBytes %d; want %v %d %d",
				tc.broker, tc.overrides, cfg.CleanupDelete, cfg.RetentionMs, cfg.RetentionBytes, tc.delete, wantMs, wantBytes)
		}
		if v, _, _ := b.TopicConfigValue("cleanup.policy", tc.overrides); v != tc.described {
			t.Errorf("broker %q overrides %v: cleanup.policy described as %q, want %q", tc.broker, tc.overrides, v, tc.described)
		}
		if v, _, _ := b.TopicConfigValue("retention.ms", tc.overrides); v != "1000" && tc.overrides != nil {
			t.Errorf("broker %q overrides %v: retention.ms described as %q, want 1000", tc.broker, tc.overrides, v)
		}
	}
	// The broker's own default log config follows log.cleanup.policy.
	b = Defaults()
	if !b.Log.CleanupDelete {
		t.Fatal("Defaults: Log.CleanupDelete false")
	}
	if err := b.Set("log.cleanup.policy", "compact"); err != nil {
		t.Fatal(err)
	}
	if b.Log.CleanupDelete {
		t.Fatal("log.cleanup.policy=compact: Log.CleanupDelete true")
	}
}

// TestTopicConfigTimestampLimits: message.timestamp.before.max.ms and
// message.timestamp.after.max.ms reach the partition config from Kafka 4's
// defaults, the broker's log.message.timestamp.*.max.ms, and overrides.
func TestTopicConfigTimestampLimits(t *testing.T) {
	b := Defaults()
	cfg, err := b.TopicConfig(nil)
	if err != nil || cfg.TimestampBeforeMaxMs != math.MaxInt64 || cfg.TimestampAfterMaxMs != 3600000 {
		t.Fatalf("defaults: before %d after %d, %v", cfg.TimestampBeforeMaxMs, cfg.TimestampAfterMaxMs, err)
	}
	if err := b.Set("log.message.timestamp.before.max.ms", "86400000"); err != nil {
		t.Fatal(err)
	}
	if err := b.Set("log.message.timestamp.after.max.ms", "60000"); err != nil {
		t.Fatal(err)
	}
	cfg, _ = b.TopicConfig(nil)
	if cfg.TimestampBeforeMaxMs != 86400000 || cfg.TimestampAfterMaxMs != 60000 {
		t.Fatalf("broker: before %d after %d", cfg.TimestampBeforeMaxMs, cfg.TimestampAfterMaxMs)
	}
	cfg, err = b.TopicConfig(map[string]string{"message.timestamp.after.max.ms": "5", "message.timestamp.before.max.ms": "7"})
	if err != nil || cfg.TimestampBeforeMaxMs != 7 || cfg.TimestampAfterMaxMs != 5 {
		t.Fatalf("overrides: before %d after %d, %v", cfg.TimestampBeforeMaxMs, cfg.TimestampAfterMaxMs, err)
	}
	if v, src, _ := b.TopicConfigValue("message.timestamp.after.max.ms", nil); v != "60000" || src != StaticBrokerConfig {
		t.Fatalf("described after.max.ms %q %v", v, src)
	}
}
