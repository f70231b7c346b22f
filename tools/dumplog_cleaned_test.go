package tools

import (
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stratabroker/strata/compact"
	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/recordbatch"
)

// writeCleanedLog writes a compacted partition's log in dir and cleans it
// once: one-record batches (about two a segment) over keys a, b, c, d, a
// tombstone for d, a record of e, and one of f in the active segment. The
// last records of b, c, a, d (the tombstone) and e stay, at offsets 4,
// 10, 11, 12 and 13. It returns the paths of the segments' .log files.
func writeCleanedLog(t *testing.T, dir string) []string {
	t.Helper()
	cfg := partition.DefaultConfig()
	cfg.SegmentBytes = 150 // about two batches a segment
	cfg.IndexIntervalBytes = 1
	cfg.CleanupDelete = false
	opts := partition.Options{FS: vfs.OS, Preallocate: -1, Now: func() time.Time { return time.UnixMilli(5000) }}
	l, err := partition.Open(dir, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	add := func(ts int64, key string, value []byte) {
		t.Helper()
		b := recordbatch.NewBuilder()
		b.Add(&recordbatch.Record{Timestamp: ts, Key: []byte(key), Value: value})
		batch, err := b.AppendTo(nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Append(batch, false); err != nil {
			t.Fatal(err)
		}
	}
	for i, k := range strings.Split("abcabacadaca", "") {
		add(int64(1000+i), k, []byte("v"+strconv.Itoa(i)))
	}
	add(2000, "d", nil)
	add(2001, "e", []byte("x"))
	add(3000, "f", []byte("active"))
	c := compact.NewCleaner(1<<20, 64<<10, compact.NewThrottle(0))
	if _, err := c.Clean(l, -1, compact.Config{MaxCompactionLagMs: math.MaxInt64, DeleteRetentionMs: 86400000,
		SegmentBytes: 1 << 20, MaxIndexBytes: cfg.SegmentIndexBytes}, time.UnixMilli(5000)); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	logs, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil || len(logs) < 2 {
		t.Fatalf("segments %v: %v", logs, err)
	}
	return logs
}

// TestDumpLogCleaned: dump-log of a cleaned log, as Kafka's
// DumpLogSegments shows one: batches keep their offsets, so a deep
// iteration reports the gaps the cleaner left as Kafka does
// ("Non-consecutive offsets in <file>", each pair on its own line), the
// tombstone's batch carries its delete horizon, and the indexes of the
// cleaned segment pass the sanity check.
func TestDumpLogCleaned(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "kv-0")
	logs := writeCleanedLog(t, dir)
	tr := dumpTranscript(t, dir)
	tr.Run("", "dump-log", "--files", strings.Join(logs, ","), "--deep-iteration", "--print-data-log")
	var idx []string
	for _, l := range logs {
		base := strings.TrimSuffix(l, ".log")
		idx = append(idx, base+".index", base+".timeindex")
	}
	tr.Run("", "dump-log", "--files", strings.Join(idx, ","), "--index-sanity-check")
	tr.Run("", "dump-log", "--files", strings.Join(idx, ","), "--verify-index-only")
	tr.Check("dumplog_cleaned")
}
