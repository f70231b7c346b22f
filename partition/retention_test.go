package partition

import (
	"fmt"
	"slices"
	"testing"
	"time"

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

// TestRetentionLoadsOutsideAppendLock: the first retention pass after a
// clean start loads lazily opened segments (indexes, and recovery if they
// disagree) to read their timestamps; it does so without the append lock,
// so an append completes while the pass is held inside such a load, and
// the pass still deletes exactly the expired segments.
func TestRetentionLoadsOutsideAppendLock(t *testing.T) {
	mem := vfs.NewMem()
	c := newClock(52_000)
	cfg := rollEvery3(t)
	cfg.RetentionMs = 10_000
	l := mustOpen(t, mem, cfg, c.opts(mem))
	tenIn4(t, l, func(i int) int64 { // segments 0 and 3 expired, 6 and 9 not
		if i < 6 {
			return 1000
		}
		return 50_000
	})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	gfs := newGateFS(mem)
	l = mustOpen(t, gfs, cfg, c.opts(gfs))
	defer l.Close()
	gt := gfs.hold(t, "open", "00000000000000000003.timeindex")
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := l.ApplyRetention()
		done <- result{n, err}
	}()
	gt.wait(t) // the pass is loading segment 3

	appended := make(chan error, 1)
	go func() {
		res, err := l.Append(makeBatch(plain(1, 51_000, 200, 10)), false)
		if err == nil && res.BaseOffset != 10 {
			err = fmt.Errorf("append at %d, want 10", res.BaseOffset)
		}
		appended <- err
	}()
	select {
	case err := <-appended:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(5 * time.Second):
		t.Error("append blocked while retention loads a segment")
		gt.open()
		if err := <-appended; err != nil {
			t.Error(err)
		}
	}
	gt.open()
	r := <-done
	if r.n != 2 || r.err != nil {
		t.Fatalf("ApplyRetention = %d, %v; want 2", r.n, r.err)
	}
	if got := bases(l); !slices.Equal(got, []int64{6, 9}) || l.LogStartOffset() != 6 || l.LogEndOffset() != 11 {
		t.Fatalf("segments %v start %d end %d; want [6 9] 6 11", got, l.LogStartOffset(), l.LogEndOffset())
	}
	if got := len(splitBatches(t, readAll(t, l, 6))); got != 5 {
		t.Fatalf("%d batches from offset 6, want 5", got)
	}
}
