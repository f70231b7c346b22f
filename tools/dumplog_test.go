package tools

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/segment"
	"github.com/stratabroker/strata/tools/cli"
	"github.com/stratabroker/strata/tools/tooltest"
)

// writeSegment writes a closed segment with base offset 0 in dir: five
// batches (plain, gzip, LogAppendTime, a transaction commit marker, plain),
// every batch after the first indexed. It returns the .log's path.
func writeSegment(t *testing.T, dir string) string {
	t.Helper()
	seg, err := segment.Create(vfs.OS, dir, 0, segment.Options{IndexIntervalBytes: 1, PreallocateBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	b := recordbatch.NewBuilder()
	var next int64
	add := func(set func(*recordbatch.Builder), recs ...recordbatch.Record) {
		t.Helper()
		b.Reset()
		*b = *recordbatch.NewBuilder()
		b.BaseOffset = next
		if set != nil {
			set(b)
		}
		for i := range recs {
			b.Add(&recs[i])
		}
		batch, err := b.AppendTo(nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := seg.Append(batch); err != nil {
			t.Fatal(err)
		}
		next += int64(len(recs))
	}
	add(nil,
		recordbatch.Record{Timestamp: 1000, Key: []byte("a"), Value: []byte("one"), Headers: []recordbatch.RecordHeader{{Key: []byte("h"), Value: []byte("x")}, {Key: []byte("trace"), Value: nil}}},
		recordbatch.Record{Timestamp: 1001, Value: []byte("two")})
	add(func(b *recordbatch.Builder) {
		b.Codec, b.ProducerID, b.ProducerEpoch, b.BaseSequence = recordbatch.CodecGzip, 7, 0, 5
	}, recordbatch.Record{Timestamp: 1500, Key: []byte("k"), Value: []byte("three")})
	add(func(b *recordbatch.Builder) { b.LogAppendTime = true; b.PartitionLeaderEpoch = 2 },
		recordbatch.Record{Timestamp: 2000, Value: []byte("four")}, recordbatch.Record{Timestamp: 2000, Value: nil})
	add(func(b *recordbatch.Builder) {
		b.Control, b.Transactional, b.ProducerID, b.ProducerEpoch = true, true, 7, 0
	}, recordbatch.Record{Timestamp: 2100, Key: []byte{0, 0, 0, 1}, Value: []byte{0, 0, 0, 0, 0, 3}})
	add(nil, recordbatch.Record{Timestamp: 3000, Value: []byte("six")})
	if err := seg.Close(); err != nil {
		t.Fatal(err)
	}
	return segment.LogPath(dir, 0)
}

func segFiles(logPath string) (string, string, string) {
	dir := filepath.Dir(logPath)
	return logPath, segment.IndexPath(dir, 0), segment.TimeIndexPath(dir, 0)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func dumpTranscript(t *testing.T, dir string) *tooltest.Transcript {
	tr := tooltest.NewTranscript(t, tooltest.Target{}, dispatch)
	abs, _ := filepath.Abs(dir)
	tr.Normalize(regexp.QuoteMeta(abs), "<dir>")
	tr.Normalize(regexp.QuoteMeta(dir), "<dir>")
	return tr
}

func TestDumpLog(t *testing.T) {
	dir := t.TempDir()
	logPath, idx, tidx := segFiles(writeSegment(t, dir))
	tr := dumpTranscript(t, dir)
	tr.Run("", "dump-log", "--files", strings.Join([]string{logPath, idx, tidx}, ","), "--print-data-log")
	tr.Run("", "dump-log", "--files", logPath)
	tr.Run("", "dump-log", "--files", logPath, "--deep-iteration")
	tr.Run("", "dump-log", "--files", idx+","+tidx, "--index-sanity-check")
	tr.Run("", "dump-log", "--files", idx+","+tidx, "--verify-index-only")
	tr.Run("", "dump-log", "--files", filepath.Join(dir, "00000000000000000000.snapshot"))

	// An active segment's log ends in preallocated zeros: not corruption.
	orig := readFile(t, logPath)
	writeFile(t, logPath, append(append([]byte(nil), orig...), make([]byte, 4096)...))
	if r := tr.Run("", "dump-log", "--files", logPath); r.Code != cli.ExitOK {
		t.Errorf("zero tail: exit %d", r.Code)
	}
	tr.Run("", "dump-log", "--files", logPath, "--repair")
	if got := readFile(t, logPath); !bytes.Equal(got, orig) {
		t.Errorf("repair of the zero tail left %d bytes, want the %d of the batches", len(got), len(orig))
	}
	if _, err := os.Stat(logPath + ".broken"); !os.IsNotExist(err) {
		t.Errorf("zeros were kept in .broken: %v", err)
	}
	tr.Check("dumplog")
}

func TestDumpLogRepair(t *testing.T) {
	t.Run("torn tail", func(t *testing.T) {
		dir := t.TempDir()
		logPath, idx, tidx := segFiles(writeSegment(t, dir))
		orig, origIdx, origTidx := readFile(t, logPath), readFile(t, idx), readFile(t, tidx)
		// The last batch ("six") is torn: 10 of its bytes are missing.
		torn := orig[:len(orig)-10]
		writeFile(t, logPath, torn)
		r := tool(t, "", "dump-log", "--files", logPath)
		if r.Code != cli.ExitError || !regexp.MustCompile(`Found [0-9]+ invalid bytes at the end of 00000000000000000000\.log \(a [0-9]+-byte batch with [0-9]+ bytes left in the file\)\n$`).MatchString(r.Stdout) {
			t.Fatalf("torn tail: exit %d\n%s", r.Code, r.Stdout)
		}
		r = tool(t, "", "dump-log", "--repair", "--files", idx, "--index-interval-bytes", "1")
		if r.Code != cli.ExitOK {
			t.Fatalf("repair: exit %d %s", r.Code, r.Stderr)
		}
		fixed := readFile(t, logPath)
		broken := readFile(t, logPath+".broken")
		if !bytes.Equal(append(append([]byte(nil), fixed...), broken...), torn) {
			t.Fatalf("log (%d bytes) + .broken (%d bytes) is not the torn log (%d bytes)", len(fixed), len(broken), len(torn))
		}
		if want := len(orig) - len(broken) - 10; len(fixed) != want {
			t.Fatalf("log is %d bytes after repair, want %d", len(fixed), want)
		}
		wantMsg := "Repaired " + logPath + ": cut " + strconv.Itoa(len(broken)) + " bytes at position " + strconv.Itoa(len(fixed)) + " (copied to " + logPath + ".broken); rebuilt 00000000000000000000.index and 00000000000000000000.timeindex\n"
		if r.Stdout != wantMsg {
			t.Errorf("repair said %q, want %q", r.Stdout, wantMsg)
		}
		// The rebuilt indexes are the originals less the cut batch's entry.
		if got := readFile(t, idx); !bytes.Equal(got, origIdx[:len(origIdx)-8]) {
			t.Errorf("rebuilt index % x, want % x", got, origIdx[:len(origIdx)-8])
		}
		if got := readFile(t, tidx); !bytes.Equal(got, origTidx[:len(origTidx)-12]) {
			t.Errorf("rebuilt time index % x, want % x", got, origTidx[:len(origTidx)-12])
		}
		if r := tool(t, "", "dump-log", "--files", logPath+","+idx+","+tidx, "--verify-index-only", "--deep-iteration"); r.Code != cli.ExitOK || r.Stderr != "" {
			t.Errorf("after repair: exit %d, %s", r.Code, r.Stderr)
		}
		// A second repair finds nothing to cut and refuses to overwrite nothing.
		if r := tool(t, "", "dump-log", "--repair", "--files", logPath, "--index-interval-bytes", "1"); r.Code != cli.ExitOK || !strings.Contains(r.Stdout, "the log is intact") {
			t.Errorf("second repair: exit %d %q %q", r.Code, r.Stdout, r.Stderr)
		}
	})
	t.Run("bad crc", func(t *testing.T) {
		dir := t.TempDir()
		logPath, _, _ := segFiles(writeSegment(t, dir))
		orig := readFile(t, logPath)
		first, err := recordbatch.BatchSize(orig)
		if err != nil {
			t.Fatal(err)
		}
		bad := append([]byte(nil), orig...)
		bad[first+recordbatch.HeaderSize+3] ^= 0xff // in the second batch's records
		writeFile(t, logPath, bad)
		r := tool(t, "", "dump-log", "--files", logPath)
		if r.Code != cli.ExitError || strings.Count(r.Stdout, "isvalid: false") != 1 || strings.Count(r.Stdout, "isvalid: true") != 4 {
			t.Fatalf("bad crc: exit %d\n%s", r.Code, r.Stdout)
		}
		if r := tool(t, "", "dump-log", "--repair", "--files", logPath, "--index-interval-bytes", "1"); r.Code != cli.ExitOK {
			t.Fatalf("repair: exit %d %s", r.Code, r.Stderr)
		}
		if got, kept := readFile(t, logPath), readFile(t, logPath+".broken"); !bytes.Equal(got, orig[:first]) || !bytes.Equal(kept, bad[first:]) {
			t.Errorf("after repair: log %d bytes (want %d), .broken %d bytes (want %d)", len(got), first, len(kept), len(bad)-first)
		}
		// .broken is never overwritten.
		writeFile(t, logPath, bad)
		if r := tool(t, "", "dump-log", "--repair", "--files", logPath); r.Code != cli.ExitError || !strings.Contains(r.Stderr, "file exists") {
			t.Errorf("repair over an existing .broken: exit %d %q", r.Code, r.Stderr)
		}
	})
	t.Run("stale index", func(t *testing.T) {
		dir := t.TempDir()
		logPath, idx, _ := segFiles(writeSegment(t, dir))
		origIdx := readFile(t, idx)
		stale := append([]byte(nil), origIdx...)
		binary.BigEndian.PutUint32(stale[4:], 0) // the first entry points at the first batch, not its own
		writeFile(t, idx, stale)
		r := tool(t, "", "dump-log", "--files", idx, "--verify-index-only")
		abs, _ := filepath.Abs(idx)
		if want := "Mismatches in :" + abs + "\n  Index offset: 2, log offset: 1\n"; r.Code != cli.ExitError || r.Stderr != want || r.Stdout != "Dumping "+idx+"\n" {
			t.Fatalf("stale index: exit %d, stdout %q, stderr %q, want %q", r.Code, r.Stdout, r.Stderr, want)
		}
		if r := tool(t, "", "dump-log", "--repair", "--files", idx, "--index-interval-bytes", "1"); r.Code != cli.ExitOK || !strings.Contains(r.Stdout, "the log is intact ("+strconv.Itoa(len(readFile(t, logPath)))+" bytes)") {
			t.Fatalf("repair: exit %d %q %q", r.Code, r.Stdout, r.Stderr)
		}
		if got := readFile(t, idx); !bytes.Equal(got, origIdx) {
			t.Errorf("rebuilt index % x, want % x", got, origIdx)
		}
	})
	t.Run("garbage index", func(t *testing.T) {
		dir := t.TempDir()
		_, idx, tidx := segFiles(writeSegment(t, dir))
		writeFile(t, idx, append(readFile(t, idx), 1, 2, 3))
		r := tool(t, "", "dump-log", "--files", idx, "--index-sanity-check")
		if r.Code != cli.ExitError || !strings.Contains(r.Stderr, "is not a multiple of 8") {
			t.Errorf("odd-sized index: exit %d %q", r.Code, r.Stderr)
		}
		ts := readFile(t, tidx)
		binary.BigEndian.PutUint64(ts[12:], 1) // the second timestamp is below the first
		writeFile(t, tidx, ts)
		r = tool(t, "", "dump-log", "--files", tidx, "--index-sanity-check")
		if r.Code != cli.ExitError || !strings.Contains(r.Stderr, "corrupt time index found") {
			t.Errorf("disordered time index: exit %d %q", r.Code, r.Stderr)
		}
	})
}

// TestDumpLogProgress: a deep iteration draws progress on a terminal only.
func TestDumpLogProgress(t *testing.T) {
	logPath, _, _ := segFiles(writeSegment(t, t.TempDir()))
	tty := toolEnv(t, &cli.Env{IsTTY: true, ProgressMin: 1}, "dump-log", "--files", logPath, "--deep-iteration")
	if tty.Code != cli.ExitOK || !strings.HasPrefix(tty.Stderr, "\r00000000000000000000.log  22% |") ||
		!strings.Contains(tty.Stderr, "| (93/420 B, ") || !strings.HasSuffix(tty.Stderr, "\r") {
		t.Errorf("on a terminal: exit %d, stderr %q", tty.Code, tty.Stderr)
	}
	piped := toolEnv(t, &cli.Env{ProgressMin: 1}, "dump-log", "--files", logPath, "--deep-iteration")
	if piped.Stderr != "" || piped.Stdout != tty.Stdout {
		t.Errorf("piped: stderr %q; stdout differs: %v", piped.Stderr, piped.Stdout != tty.Stdout)
	}
}

// TestDumpLogRepairRefusedBesideBroker: --repair of a segment in a log dir
// that a running broker holds is refused (exit 1, the dir and the lock
// named) and changes nothing; a read-only dump of the same file works.
func TestDumpLogRepairRefusedBesideBroker(t *testing.T) {
	tg := tooltest.StartStrata(t)
	cl, err := kgo.NewClient(kgo.SeedBrokers(tg.Addr), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: "held", Value: []byte("v")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(tg.Dir, "held-0", "00000000000000000000.log")
	before := readFile(t, logPath)
	r := tool(t, "", "dump-log", "--repair", "--files", logPath)
	if r.Code != cli.ExitError || !strings.Contains(r.Stderr, "not repairing "+logPath) ||
		!strings.Contains(r.Stderr, "Failed to acquire lock on file .lock in "+tg.Dir) {
		t.Fatalf("repair beside a broker: exit %d, stderr %q", r.Code, r.Stderr)
	}
	if after := readFile(t, logPath); !bytes.Equal(after, before) {
		t.Fatalf("the log changed: %d bytes, was %d", len(after), len(before))
	}
	if r := tool(t, "", "dump-log", "--files", logPath); r.Code != cli.ExitOK || !strings.Contains(r.Stdout, "baseOffset: 0 lastOffset: 0 count: 1") {
		t.Fatalf("read-only dump beside a broker: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
}
