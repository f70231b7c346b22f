package partition

import (
	"slices"
	"testing"

	"github.com/stratabroker/strata/internal/vfs"
)

// TestRetentionCompactPolicy: with cleanup.policy=compact alone
// (CleanupDelete false) retention.ms and retention.bytes delete nothing,
// also after a reopen and when every segment, the active one included, is
// past both; segments below the log start offset still go (DeleteRecords).
// With delete in the policy the same log is cut down as Kafka cuts it.
func TestRetentionCompactPolicy(t *testing.T) {
	fs := vfs.NewMem()
	c := newClock(100_000)
	cfg := rollEvery3(t)
	cfg.RetentionMs = 1000
	cfg.RetentionBytes = 0
	cfg.CleanupDelete = false
	l := mustOpen(t, fs, cfg, c.opts(fs))
	tenIn4(t, l, func(int) int64 { return 1000 }) // all 99 s old
	if n, err := l.ApplyRetention(); n != 0 || err != nil {
		t.Fatalf("compact: ApplyRetention = %d, %v; want 0", n, err)
	}
	if got := bases(l); !slices.Equal(got, []int64{0, 3, 6, 9}) || l.LogStartOffset() != 0 {
		t.Fatalf("compact: segments %v start %d", got, l.LogStartOffset())
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	l = mustOpen(t, fs, cfg, c.opts(fs))
	if n, err := l.ApplyRetention(); n != 0 || err != nil {
		t.Fatalf("compact after reopen: ApplyRetention = %d, %v; want 0", n, err)
	}
	if got := bases(l); !slices.Equal(got, []int64{0, 3, 6, 9}) {
		t.Fatalf("compact after reopen: segments %v", got)
	}
	if _, err := l.DeleteRecords(7); err != nil {
		t.Fatal(err)
	}
	if n, err := l.ApplyRetention(); n != 2 || err != nil {
		t.Fatalf("compact after DeleteRecords(7): ApplyRetention = %d, %v; want 2", n, err)
	}
	if got := bases(l); !slices.Equal(got, []int64{6, 9}) || l.LogStartOffset() != 7 {
		t.Fatalf("compact after DeleteRecords(7): segments %v start %d", got, l.LogStartOffset())
	}

	cfg.CleanupDelete = true // compact,delete
	l.SetConfig(cfg)
	if n, err := l.ApplyRetention(); n != 2 || err != nil {
		t.Fatalf("compact,delete: ApplyRetention = %d, %v; want 2", n, err)
	}
	if got := bases(l); !slices.Equal(got, []int64{10}) || l.LogStartOffset() != 10 || l.LogEndOffset() != 10 {
		t.Fatalf("compact,delete: segments %v start %d end %d", got, l.LogStartOffset(), l.LogEndOffset())
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestDefaultConfigDeletes: Kafka's default cleanup.policy is delete.
func TestDefaultConfigDeletes(t *testing.T) {
	if !DefaultConfig().CleanupDelete {
		t.Fatal("DefaultConfig().CleanupDelete is false; Kafka's cleanup.policy default is delete")
	}
}
