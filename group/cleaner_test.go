package group

import (
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/stratabroker/strata/compact"
	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/recordbatch"
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

// TestCompactionManyCommits: 100,000 commits of 10 groups (10 partitions
// each), then a cleaner pass over __consumer_offsets, then a restart: the
// replay reads only the live records (one per group and partition) and the
// active segments the cleaner never touches, rebuilds every last offset,
// and takes about as long as a replay of a log that only ever held the
// live state. Figures are logged (docs/BENCHMARKS.md).
func TestCompactionManyCommits(t *testing.T) {
	if testing.Short() {
		t.Skip("100k commits")
	}
	const commits, groups, parts = 100_000, 10, 10
	run := func(n int) *env {
		e := newEnv(t, Options{})
		e.cfg.SegmentBytes = 64 << 10
		e.reopen()
		for i := range n {
			g, p := "g"+strconv.Itoa(i%groups), int32((i/groups)%parts)
			if code := e.commit(g, "", -1, "t", p, int64(i)); code != 0 {
				t.Fatalf("commit %d: %d", i, code)
			}
		}
		return e
	}
	replay := func(e *env) (ReplayStats, time.Duration) {
		e.close()
		began := time.Now()
		e.open()
		return e.c.Replayed(), time.Since(began)
	}
	check := func(e *env, n int) {
		t.Helper()
		for i := n - groups*parts; i < n; i++ {
			g, p := "g"+strconv.Itoa(i%groups), int32((i/groups)%parts)
			if got := e.fetched(g, "t", p); got != int64(i) {
				t.Fatalf("%s t-%d: offset %d after replay, want %d", g, p, got, i)
			}
		}
	}

	live := run(groups * parts)
	liveStats, liveTook := replay(live)
	check(live, groups*parts)

	e := run(commits)
	before, beforeTook := replay(e)
	e.close()
	e.openLogs()
	var active int64
	for _, l := range e.logs {
		v := l.CleanerView()
		active += v.HighWatermark - v.ActiveBase // one record a batch
	}
	passes := cleanAll(t, e.logs, e.cfg)
	for _, l := range e.logs {
		_ = l.Close()
	}
	e.logs = nil
	e.open()
	after, afterTook := replay(e)
	check(e, commits)
	t.Logf("live state only: %+v in %v", liveStats, liveTook)
	t.Logf("%d commits: %+v in %v", commits, before, beforeTook)
	t.Logf("after cleaning (%d records in the active segments): %+v in %v; passes %+v", active, after, afterTook, passes)
	if before.Records != commits {
		t.Fatalf("replay before cleaning read %d records, want %d", before.Records, commits)
	}
	if after.Records < active || after.Records > active+groups*parts {
		t.Fatalf("replay after cleaning read %d records; want the %d of the active segments and at most %d live ones",
			after.Records, active, groups*parts)
	}
}

// TestCompressedCommits: with offsets.topic.compression.codec the
// coordinator's batches carry that codec, and a replay reads them.
func TestCompressedCommits(t *testing.T) {
	e := newEnv(t, Options{Compression: recordbatch.CodecGzip})
	if code := e.commit("g", "", -1, "t", 0, 42); code != 0 {
		t.Fatalf("commit: %d", code)
	}
	l := e.logs[PartitionFor("g", len(e.logs))]
	rr, err := l.Read(0, 1<<20)
	if err != nil || len(rr.Slices) == 0 {
		t.Fatalf("read: %v", err)
	}
	s := rr.Slices[0]
	buf := make([]byte, s.Len)
	if _, err := s.File.ReadAt(buf, s.Pos); err != nil {
		t.Fatal(err)
	}
	rr.Release()
	if c := recordbatch.Header(buf).Codec(); c != recordbatch.CodecGzip {
		t.Fatalf("stored codec %v, want gzip", c)
	}
	e.reopen()
	if got := e.fetched("g", "t", 0); got != 42 {
		t.Fatalf("offset after replay %d, want 42", got)
	}
}
