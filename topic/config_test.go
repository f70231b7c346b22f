package topic

import (
	"errors"
	"testing"

	"github.com/stratabroker/strata/config"
	"github.com/stratabroker/strata/internal/vfs"
)

// The server wires the registry to the broker's configuration:
// Options.Resolve is config.Broker.TopicConfig, and Kafka's messages reach
// the client through Message.
func TestWithBrokerConfig(t *testing.T) {
	b := config.Defaults()
	if err := b.Set("log.retention.hours", "1"); err != nil {
		t.Fatal(err)
	}
	r, err := Open("/data", Options{FS: vfs.NewMem(), Resolve: b.TopicConfig})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tp, err := r.Create("x", 1, map[string]string{"segment.bytes": "2097152", "cleanup.policy": "delete"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if cfg := tp.Partitions[0].Config(); cfg.RetentionMs != 3600000 || cfg.SegmentBytes != 2097152 {
		t.Fatalf("config %+v", cfg)
	}
	_, err = r.Create("y", 1, map[string]string{"retention.ms": "abc"}, false)
	if !errors.Is(err, ErrInvalidConfig) || !errors.Is(err, config.ErrInvalidConfig) || errors.Is(err, config.ErrUnknownConfig) ||
		Message(err) != "Invalid value abc for configuration retention.ms: Not a number of type LONG" {
		t.Fatalf("bad value: %v", err)
	}
	err = r.SetConfigs("x", map[string]string{"retention.mins": "1"}, false)
	if !errors.Is(err, ErrInvalidConfig) || !errors.Is(err, config.ErrUnknownConfig) || Message(err) != "Unknown topic config name: retention.mins" {
		t.Fatalf("unknown name: %v", err)
	}
	if err.Error() != "topic: invalid config: topic x: config: Unknown topic config name: retention.mins" {
		t.Fatalf("Error() %q", err.Error())
	}
}
