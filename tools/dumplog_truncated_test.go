package tools

import (
	"path/filepath"
	"testing"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/segment"
	"github.com/stratabroker/strata/tools/cli"
)

// TestDumpLogTruncatedLog: an index whose .log was cut short. Kafka's
// DumpLogSegments prints the entries before the first one with no batch
// at its position and stops there (FileRecords.slice throws "Slice from
// position P exceeds end position" past the end; the batch iterator has
// nothing at or after a torn end); the time index records an entry whose
// batch is missing as "found log offset: -1" until its position is past
// the end. Strata stops that file with an error and exits 1, never
// panicking.
func TestDumpLogTruncatedLog(t *testing.T) {
	dir := t.TempDir()
	logPath, idx, tidx := segFiles(writeSegment(t, dir))
	full := readFile(t, logPath)
	writeFile(t, logPath, full[:271]) // the batches at 271 (offset 5) and 349 (offset 6) are gone

	cases := []struct {
		args           []string
		Stdout, Stderr string
	}{
		{[]string{"--files", idx},
			"Dumping " + idx + "\noffset: 2 position: 93\noffset: 4 position: 192\n",
			"strata dump-log: " + idx + ": index entry offset 5 position 271: no batch at position 271 of " + logPath + " (size 271)\n"},
		{[]string{"--files", idx, "--verify-index-only"},
			"Dumping " + idx + "\n",
			"strata dump-log: " + idx + ": index entry offset 5 position 271: no batch at position 271 of " + logPath + " (size 271)\n"},
		{[]string{"--files", tidx},
			"Dumping " + tidx + "\ntimestamp: 1500 offset: 2\ntimestamp: 2000 offset: 4\ntimestamp: 2100 offset: 5\n",
			"strata dump-log: " + tidx + ": time index entry offset 6: Slice from position 349 exceeds end position of " + logPath + " (size 271)\n" +
				"The following indexed offsets are not found in the log.\nIndexed offset: 5, found log offset: -1\n"},
	}
	for _, c := range cases {
		r := tool(t, "", append([]string{"dump-log"}, c.args...)...)
		if r.Code != cli.ExitError || r.Stdout != c.Stdout || r.Stderr != c.Stderr {
			t.Errorf("dump-log %v: exit %d\n--- stdout\n%s--- want\n%s--- stderr\n%s--- want\n%s", c.args, r.Code, r.Stdout, c.Stdout, r.Stderr, c.Stderr)
		}
	}

	// An entry past the end (offset 5's entry removed): Kafka's slice error.
	ib := readFile(t, idx)
	writeFile(t, idx, append(append([]byte(nil), ib[:16]...), ib[24:32]...))
	for _, extra := range [][]string{nil, {"--verify-index-only"}} {
		r := tool(t, "", append([]string{"dump-log", "--files", idx}, extra...)...)
		want := "strata dump-log: " + idx + ": index entry offset 6 position 349: Slice from position 349 exceeds end position of " + logPath + " (size 271)\n"
		if r.Code != cli.ExitError || r.Stderr != want {
			t.Errorf("entry past the end %v: exit %d, stderr %q, want %q", extra, r.Code, r.Stderr, want)
		}
	}
	// A torn last batch: the entry at its position has no batch either.
	writeFile(t, logPath, full[:300])
	writeFile(t, idx, ib)
	r := tool(t, "", "dump-log", "--files", idx, "--verify-index-only")
	if want := "strata dump-log: " + idx + ": index entry offset 5 position 271: no batch at position 271 of " + logPath + " (size 300)\n"; r.Code != cli.ExitError || r.Stderr != want {
		t.Errorf("torn batch: exit %d, stderr %q, want %q", r.Code, r.Stderr, want)
	}
}

// writeSegmentAt writes a closed segment with base offset base whose
// batches start at the given offsets, one record each.
func writeSegmentAt(t *testing.T, dir string, base int64, offsets ...int64) string {
	t.Helper()
	seg, err := segment.Create(vfs.OS, dir, base, segment.Options{IndexIntervalBytes: 1, PreallocateBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range offsets {
		b := recordbatch.NewBuilder()
		b.BaseOffset = o
		b.Add(&recordbatch.Record{Timestamp: 1000 + o, Value: []byte("v")})
		batch, err := b.AppendTo(nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := seg.Append(batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := seg.Close(); err != nil {
		t.Fatal(err)
	}
	return segment.LogPath(dir, base)
}

// TestDumpLogDeepIterationBase: Kafka's DumpLogSegments compares each
// record's offset with the previous one's from the second record of a
// file on, so a segment whose base is not 0 is consecutive; real gaps are
// listed per file, the latest first (Kafka prepends to a list).
func TestDumpLogDeepIterationBase(t *testing.T) {
	dir := t.TempDir()
	contiguous := writeSegmentAt(t, dir, 100, 100, 101, 102)
	gaps := writeSegmentAt(t, dir, 200, 200, 201, 205, 209)
	r := tool(t, "", "dump-log", "--deep-iteration", "--files", contiguous)
	if r.Code != cli.ExitOK || r.Stderr != "" {
		t.Errorf("base 100: exit %d, stderr %q", r.Code, r.Stderr)
	}
	r = tool(t, "", "dump-log", "--deep-iteration", "--files", gaps)
	abs, _ := filepath.Abs(gaps)
	if want := "Non-consecutive offsets in " + abs + "\n  205 is followed by 209\n  201 is followed by 205\n"; r.Stderr != want {
		t.Errorf("gaps: exit %d, stderr %q, want %q", r.Code, r.Stderr, want)
	}
}
