package compact

import (
	"slices"
	"testing"
	"time"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/partition"
)

// lagLog has segments [0 1 2] with records stamped t0, t0+10s and
// t0+20s, key a in each, and an active segment at 3.
func lagLog(t *testing.T, c *clock) *partition.Log {
	t.Helper()
	p := newProducer(t)
	l := openLog(t, vfs.NewMem(), c, testConfig())
	t.Cleanup(func() { l.Close() })
	for i, v := range []string{"1", "2", "3", "4"} {
		b := p.batch(t, []kv{val("a", v)})
		if i == 0 {
			appendBatch(t, l, b)
		} else {
			appendRolling(t, l, b)
		}
		p.ts = p.ts.Add(10 * time.Second)
	}
	return l
}

// TestMinCompactionLag: min.compaction.lag.ms keeps the segments whose
// largest timestamp is within the lag out of the pass: at t0+25s with a
// 10 s lag, only segments 0 and 1 (largest timestamps t0 and t0+10s) are
// cleaned.
func TestMinCompactionLag(t *testing.T) {
	c := newClock()
	l := lagLog(t, c)
	c.advance(25_000)
	cfg := cleanConfig()
	cfg.MinCompactionLagMs = 10_000
	st, err := NewCleaner(1<<20, 4096, nil).Clean(l, 0, cfg, c.now())
	if err != nil {
		t.Fatal(err)
	}
	all, _ := readLog(t, l)
	if got, want := strs(all), []string{"1:a=2", "2:a=3", "3:a=4"}; !slices.Equal(got, want) || st.EndOffset != 2 || st.FirstUncleanable != 2 {
		t.Fatalf("records %v (want %v), end %d, first uncleanable %d; want 2, 2", got, want, st.EndOffset, st.FirstUncleanable)
	}
}

// TestMaxCompactionLag: a log below min.cleanable.dirty.ratio (a third of
// it dirty, the bound 0.5) is due once its oldest dirty segment's first
// batch is older than max.compaction.lag.ms, and not before; its
// compaction delay is the time since then.
func TestMaxCompactionLag(t *testing.T) {
	c := newClock()
	l := lagLog(t, c)
	cfg := cleanConfig()
	cfg.MaxCompactionLagMs = 60_000
	cv := l.CleanerView()
	// From the checkpoint 2, segment 2 (t0+20s) is the dirty third.
	if tc := assess(cv, 2, cfg, t0.UnixMilli()+80_000); tc.due(cfg) || tc.needNow || tc.ratio > 0.34 || tc.ratio < 0.33 || tc.compactionDelayMs != 0 {
		t.Fatalf("due at the lag: %+v", tc)
	}
	// Due for 1 ms (Kafka's max-compaction-delay-secs figure), then 5 s.
	if tc := assess(cv, 2, cfg, t0.UnixMilli()+80_001); !tc.due(cfg) || !tc.needNow || tc.compactionDelayMs != 1 {
		t.Fatalf("not due past the lag: %+v", tc)
	}
	if tc := assess(cv, 2, cfg, t0.UnixMilli()+85_000); !tc.due(cfg) || tc.compactionDelayMs != 5_000 {
		t.Fatalf("not due past the lag: %+v", tc)
	}
	// The whole log dirty: the ratio alone makes it due.
	if tc := assess(cv, 0, cfg, t0.UnixMilli()); !tc.due(cfg) || tc.ratio != 1 || tc.needNow {
		t.Fatalf("ratio 1 not due: %+v", tc)
	}
}

// TestThrottle: reads and writes at twice the bound over one check
// interval sleep as long again.
func TestThrottle(t *testing.T) {
	now := time.Unix(0, 0)
	var slept time.Duration
	th := &Throttle{rate: 1000, now: func() time.Time { return now }, sleep: func(d time.Duration) { slept += d; now = now.Add(d) }}
	th.wait(0)
	now = now.Add(300 * time.Millisecond)
	th.wait(600) // 600 bytes in 0.3 s: 2,000 B/s, so 0.3 s more
	if slept != 300*time.Millisecond {
		t.Fatalf("slept %v, want 300ms", slept)
	}
	now = now.Add(300 * time.Millisecond)
	th.wait(300) // 1,000 B/s: no sleep
	if slept != 300*time.Millisecond {
		t.Fatalf("slept %v at the bound", slept)
	}
	var off *Throttle
	off.wait(1 << 30) // nil: never waits
}
