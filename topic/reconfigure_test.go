package topic

import (
	"errors"
	"sync/atomic"
	"testing"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/partition"
)

// TestReconfigure: after the defaults behind Resolve change, Reconfigure
// gives every log of a topic without an override the new value, keeps the
// overrides, and leaves a topic whose overrides no longer resolve as it was.
func TestReconfigure(t *testing.T) {
	var retention atomic.Int64
	retention.Store(1000)
	resolve := func(over map[string]string) (partition.Config, error) {
		cfg := partition.DefaultConfig()
		cfg.RetentionMs = retention.Load()
		if over["retention.ms"] == "1" {
			cfg.RetentionMs = 1
		}
		if over["bad"] == "x" && retention.Load() == 3000 {
			return cfg, errors.New("no longer valid")
		}
		return cfg, nil
	}
	r, err := Open("/data", Options{FS: vfs.NewMem(), Resolve: resolve})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for name, over := range map[string]map[string]string{"plain": nil, "over": {"retention.ms": "1"}, "bad": {"bad": "x"}} {
		if _, err := r.Create(name, 2, over, false); err != nil {
			t.Fatal(err)
		}
	}
	check := func(want map[string]int64) {
		t.Helper()
		for name, ms := range want {
			tp, _ := r.Get(name)
			for p, l := range tp.Partitions {
				if got := l.Config().RetentionMs; got != ms {
					t.Errorf("%s-%d retention %d, want %d", name, p, got, ms)
				}
			}
		}
	}
	retention.Store(2000)
	if failed := r.Reconfigure(); failed != 0 {
		t.Fatalf("%d failed", failed)
	}
	check(map[string]int64{"plain": 2000, "over": 1, "bad": 2000})
	retention.Store(3000)
	if failed := r.Reconfigure(); failed != 1 {
		t.Fatalf("%d failed, want 1", failed)
	}
	check(map[string]int64{"plain": 3000, "over": 1, "bad": 2000})
}
