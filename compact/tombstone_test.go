package compact

import (
	"slices"
	"testing"
	"time"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/recordbatch"
)

// TestTombstonesAfterDeleteRetention: a tombstone stays, with its batch's
// delete horizon set to the first cleaning's time + delete.retention.ms,
// through passes before the horizon, and is gone after a pass at it.
func TestTombstonesAfterDeleteRetention(t *testing.T) {
	p := newProducer(t)
	c := newClock()
	l := openLog(t, vfs.NewMem(), c, testConfig())
	defer l.Close()
	cfg := cleanConfig()
	cfg.DeleteRetentionMs = 60_000
	cl := NewCleaner(1<<20, 4096, nil)

	appendBatch(t, l, p.batch(t, []kv{val("a", "1"), val("b", "1"), val("c", "1")})) // 0-2
	p.ts = p.ts.Add(time.Second)
	appendRolling(t, l, p.batch(t, []kv{tomb("a"), val("b", "2")})) // 3-4
	p.ts = p.ts.Add(time.Second)
	appendRolling(t, l, p.batch(t, []kv{val("d", "1")})) // 5, active

	pass := func(from int64, want ...string) int64 {
		t.Helper()
		st, err := cl.Clean(l, from, cfg, c.now())
		if err != nil {
			t.Fatal(err)
		}
		all, _ := readLog(t, l)
		if got := strs(all); !slices.Equal(got, want) {
			t.Fatalf("at +%dms: %v, want %v", c.ms.Load()-t0.UnixMilli(), got, want)
		}
		return st.EndOffset
	}
	next := pass(0, "2:c=1", "3:a=<tombstone>", "4:b=2", "5:d=1")
	_, batches := readLog(t, l)
	var h recordbatch.Header
	for _, b := range batches {
		if b.BaseOffset() == 3 {
			h = b
		}
	}
	if h == nil || h.Attributes()&recordbatch.AttrDeleteHorizonMs == 0 || h.BaseTimestamp() != t0.UnixMilli()+60_000 {
		t.Fatalf("tombstone batch %v: attributes %#x, base timestamp %d; want the horizon bit and %d", h != nil, h.Attributes(), h.BaseTimestamp(), t0.UnixMilli()+60_000)
	}
	if next != 5 {
		t.Fatalf("end offset %d, want 5", next)
	}

	// One millisecond before the horizon: still there.
	c.advance(60_000 - 1)
	p.ts = p.ts.Add(time.Second)
	appendRolling(t, l, p.batch(t, []kv{val("e", "1")})) // 6, active; 5 is now dirty
	next = pass(next, "2:c=1", "3:a=<tombstone>", "4:b=2", "5:d=1", "6:e=1")

	// At the horizon: gone.
	c.advance(1)
	p.ts = p.ts.Add(time.Second)
	appendRolling(t, l, p.batch(t, []kv{val("f", "1")})) // 7, active
	pass(next, "2:c=1", "4:b=2", "5:d=1", "6:e=1", "7:f=1")
}
