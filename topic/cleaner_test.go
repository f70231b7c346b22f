package topic

import (
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stratabroker/strata/compact"
	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/partition"
)

// policyOptions returns registry options whose topics are compacted when
// their cleanup.policy override (else *brokerPolicy) holds "compact".
func policyOptions(fs vfs.FS, brokerPolicy *atomic.Value) Options {
	policy := func(over map[string]string) string {
		if v, ok := over["cleanup.policy"]; ok {
			return v
		}
		return brokerPolicy.Load().(string)
	}
	return Options{
		FS: fs,
		Resolve: func(over map[string]string) (partition.Config, error) {
			cfg := partition.DefaultConfig()
			cfg.CleanupDelete = policy(over) != "compact"
			return cfg, nil
		},
		Cleaner: &compact.Options{Threads: 1, DedupeBufferSize: 1 << 20, IOBufferSize: 1 << 16, BackoffMs: 15000},
		Compaction: func(over map[string]string) (compact.Config, bool) {
			p := policy(over)
			return compact.Config{MinCleanableRatio: 0.5, DeleteRetentionMs: 7, Delete: p == "compact,delete"},
				p == "compact" || p == "compact,delete"
		},
	}
}

// cleanedSet lists the partitions the cleaner runs over.
func cleanedSet(r *Registry) []string {
	var out []string
	for _, t := range r.List() {
		for p := range t.Partitions {
			if r.Cleaned(t.Name, int32(p)) {
				out = append(out, DirName(t.Name, int32(p)))
			}
		}
	}
	return out
}

// TestCleanerMembership: the cleaner runs over exactly the partitions of
// compacted topics: from Create, AddPartitions, a SetConfigs to compact
// and a Reconfigure that changes the broker's policy, never after a
// SetConfigs away from compact or a Delete, and again after a reopen; its
// getter gives the topic's current settings and the log's segment sizes.
func TestCleanerMembership(t *testing.T) {
	fs := vfs.NewMem()
	var policy atomic.Value
	policy.Store("delete")
	r, err := Open("/data", policyOptions(fs, &policy))
	if err != nil {
		t.Fatal(err)
	}
	check := func(want ...string) {
		t.Helper()
		if got := cleanedSet(r); !slices.Equal(got, want) {
			t.Fatalf("cleaned %q, want %q", got, want)
		}
	}
	mustCreate := func(name string, n int32, over map[string]string) {
		t.Helper()
		if _, err := r.Create(name, n, over, false); err != nil {
			t.Fatal(err)
		}
	}
	mustCreate("plain", 1, nil)
	mustCreate("kv", 2, map[string]string{"cleanup.policy": "compact"})
	mustCreate("both", 1, map[string]string{"cleanup.policy": "compact,delete"})
	check("both-0", "kv-0", "kv-1")

	r.cl.mu.Lock()
	got := r.cl.parts["both-0"].cfg()
	r.cl.mu.Unlock()
	if want := (compact.Config{MinCleanableRatio: 0.5, DeleteRetentionMs: 7, Delete: true,
		SegmentBytes: partition.DefaultConfig().SegmentBytes, MaxIndexBytes: partition.DefaultConfig().SegmentIndexBytes}); got != want {
		t.Fatalf("both-0 settings %+v, want %+v", got, want)
	}

	if err := r.AddPartitions("kv", 3, false); err != nil {
		t.Fatal(err)
	}
	check("both-0", "kv-0", "kv-1", "kv-2")
	if err := r.SetConfigs("plain", map[string]string{"cleanup.policy": "compact"}, false); err != nil {
		t.Fatal(err)
	}
	if err := r.SetConfigs("both", map[string]string{"cleanup.policy": "delete"}, false); err != nil {
		t.Fatal(err)
	}
	check("kv-0", "kv-1", "kv-2", "plain-0")
	if err := r.Delete("kv"); err != nil {
		t.Fatal(err)
	}
	check("plain-0")
	mustCreate("dflt", 1, nil)
	policy.Store("compact")
	r.Reconfigure()
	check("dflt-0", "plain-0")
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if got := cleanedSet(r); len(got) != 0 {
		t.Fatalf("after Close: %q", got)
	}
	r, err = Open("/data", policyOptions(fs, &policy))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	check("dflt-0", "plain-0")
	if err := r.SetCleaner(compact.Options{Threads: 2, DedupeBufferSize: 4 << 20, BackoffMs: 10}); err != nil {
		t.Fatal(err)
	}
	check("dflt-0", "plain-0")
	if r.cl.opts.Threads != 2 {
		t.Fatalf("cleaner options %+v after SetCleaner", *r.cl.opts)
	}
}

// TestNoCleaner: without Options.Cleaner (log.cleaner.enable=false) no
// partition is cleaned, and SetCleaner does nothing.
func TestNoCleaner(t *testing.T) {
	var policy atomic.Value
	policy.Store("compact")
	opts := policyOptions(vfs.NewMem(), &policy)
	opts.Cleaner = nil
	r, err := Open("/data", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Create("kv", 1, nil, false); err != nil {
		t.Fatal(err)
	}
	if err := r.SetCleaner(compact.Options{Threads: 1}); err != nil {
		t.Fatal(err)
	}
	if got := cleanedSet(r); len(got) != 0 {
		t.Fatalf("cleaned %q", got)
	}
}

// TestCleanerStatsAcrossSetCleaner: the cleaner's counters (bytes read
// and written, passes) count since Open: replacing the manager
// (SetCleaner, a dynamic log.cleaner.* change) keeps them, so the
// strata_cleaner_*_total series never go back.
func TestCleanerStatsAcrossSetCleaner(t *testing.T) {
	var policy atomic.Value
	policy.Store("compact")
	opts := policyOptions(vfs.NewMem(), &policy)
	resolve := opts.Resolve
	opts.Resolve = func(over map[string]string) (partition.Config, error) {
		cfg, err := resolve(over)
		cfg.SegmentBytes = 200 // one 150-byte batch a segment: each append rolls
		return cfg, err
	}
	r, err := Open("/data", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tp, err := r.Create("kv", 1, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if _, err := tp.Partitions[0].Append(batch(t, 1_700_000_000_000+int64(i), make([]byte, 80)), false); err != nil {
			t.Fatal(err)
		}
	}
	var before compact.ManagerStats
	for i := 0; ; i++ {
		before = r.CleanerStats()
		if p := before.Partitions; before.Passes > 0 && len(p) == 1 && p[0].DirtyRatio == 0 && !p[0].Cleaning {
			break
		}
		if i == 1000 {
			t.Fatalf("not cleaned in 10 s: %+v", before)
		}
		time.Sleep(10 * time.Millisecond) // pacing; the stats are the condition
	}
	if before.BytesRead == 0 || before.BytesWritten == 0 {
		t.Fatalf("before: %+v", before)
	}
	if err := r.SetCleaner(compact.Options{Threads: 2, DedupeBufferSize: 1 << 20, BackoffMs: 15000}); err != nil {
		t.Fatal(err)
	}
	after := r.CleanerStats()
	if after.Passes != before.Passes || after.BytesRead != before.BytesRead || after.BytesWritten != before.BytesWritten || len(after.Threads) != 2 {
		t.Fatalf("after SetCleaner: passes %d, read %d, written %d, %d threads; want %d, %d, %d, 2",
			after.Passes, after.BytesRead, after.BytesWritten, len(after.Threads), before.Passes, before.BytesRead, before.BytesWritten)
	}
}
