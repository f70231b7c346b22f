package group

import (
	"math"
	"testing"
	"time"

	"github.com/stratabroker/strata/compact"
	"github.com/stratabroker/strata/partition"
)

// cleanAll runs one pass of the log cleaner over each log, as the registry's
// manager would with Kafka's defaults for __consumer_offsets (any dirty
// ratio is enough here).
func cleanAll(t testing.TB, logs []*partition.Log, cfg partition.Config) []compact.PassStats {
	t.Helper()
	c := compact.NewCleaner(8<<20, 64<<10, compact.NewThrottle(0))
	var out []compact.PassStats
	for _, l := range logs {
		st, err := c.Clean(l, -1, compact.Config{MaxCompactionLagMs: math.MaxInt64, DeleteRetentionMs: 86400000,
			SegmentBytes: cfg.SegmentBytes, MaxIndexBytes: cfg.SegmentIndexBytes}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, st)
	}
	return out
}
