package console

import (
	"strings"
	"testing"
	"time"

	"github.com/stratabroker/strata/tools/tooltest"
)

type fakeBroker map[string]map[int32]CleanerPartition

func (f fakeBroker) CleanerState(topic string) map[int32]CleanerPartition { return f[topic] }

// TestTopicCleanerStandalone: `strata console` (no BrokerState) says on a
// compacted topic's page that the cleaner's state is only shown by the
// embedded console, and shows no cleaner section for a topic that is not
// compacted.
func TestTopicCleanerStandalone(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		s := startSite(t, tg)
		s.createTopic("kv", 1, map[string]*string{"cleanup.policy": str("compact,delete")})
		s.createTopic("plain", 1, nil)
		body := s.ok("/topics/kv")
		const want = `<p class="muted" id="cleaner-unavailable">The log cleaner's state (dirty ratio, last pass, bytes saved) is only shown by the console a Strata broker embeds: the Kafka protocol does not carry it.</p>`
		if !strings.Contains(body, `<h2 id="cleaner">Log cleaner</h2>`) || !strings.Contains(body, want) || strings.Contains(body, `id="cleaner-table"`) {
			t.Fatalf("kv's page has no note that the cleaner state is unavailable:\n%s", body)
		}
		if body := s.ok("/topics/plain"); strings.Contains(body, `id="cleaner"`) {
			t.Fatalf("a cleaner section on a topic with cleanup.policy=delete:\n%s", body)
		}
	})
}

// TestTopicCleanerRows: with a BrokerState, each partition's cleaner
// state is a row: dirty ratio, first dirty offset, last pass (UTC),
// bytes saved, and whether it is being cleaned or uncleanable.
func TestTopicCleanerRows(t *testing.T) {
	tg := tooltest.StartStrata(t)
	at := time.Date(2026, 12, 8, 1, 2, 3, 456e6, time.FixedZone("x", 3600))
	s := startSite(t, tg, func(o *Options) {
		o.Broker = fakeBroker{"kv": {
			2: {DirtyRatio: 0.125, FirstDirty: -1},
			0: {DirtyRatio: 0.5, FirstDirty: 10, LastPass: at, BytesSaved: 3 << 20, Cleaning: true},
			1: {DirtyRatio: 1, FirstDirty: 0, Uncleanable: true, UncleanableBytes: 1536},
		}}
	})
	s.createTopic("kv", 3, map[string]*string{"cleanup.policy": str("compact")})
	s.createTopic("kv2", 1, map[string]*string{"cleanup.policy": str("compact")})
	equalRows(t, "kv's cleaner", table(t, s.ok("/topics/kv"), "cleaner-table"), []string{
		"Partition | Dirty ratio | First dirty offset | Last pass | Bytes saved | State",
		"0 | 50.0 % | 10 | 2026-12-08 00:02:03.456 UTC | 3.0 MiB | cleaning",
		"1 | 100.0 % | 0 | never | 0 B | uncleanable (1.5 KiB to clean)",
		"2 | 12.5 % | -1 | never | 0 B | ok",
	})
	equalRows(t, "kv2's cleaner", table(t, s.ok("/topics/kv2"), "cleaner-table"), []string{
		"Partition | Dirty ratio | First dirty offset | Last pass | Bytes saved | State",
		"This broker does not clean the topic's partitions (log.cleaner.enable=false).",
	})
}
