package segment

import (
	"bytes"
	"errors"
	"io/fs"
	"math"
	"path/filepath"
	"testing"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/recordbatch"
)

func TestNames(t *testing.T) {
	dir := filepath.Join("data", "t-0")
	if got, want := LogPath(dir, 42), filepath.Join(dir, "00000000000000000042.log"); got != want {
		t.Errorf("LogPath = %q, want %q", got, want)
	}
	if got, want := IndexPath(dir, 0), filepath.Join(dir, "00000000000000000000.index"); got != want {
		t.Errorf("IndexPath = %q, want %q", got, want)
	}
	if got, want := TimeIndexPath(dir, math.MaxInt64), filepath.Join(dir, "09223372036854775807.timeindex"); got != want {
		t.Errorf("TimeIndexPath = %q, want %q", got, want)
	}
	for _, c := range []struct {
		name string
		base int64
		ok   bool
	}{
		{"00000000000000000042.log", 42, true},
		{"00000000000000000000.log", 0, true},
		{"09223372036854775807.log", math.MaxInt64, true},
		{"09223372036854775808.log", 0, false},
		{"00000000000000000042.log.deleted", 0, false},
		{"00000000000000000042.index", 0, false},
		{"0000000000000000042.log", 0, false},
		{"000000000000000000042.log", 0, false},
		{"0000000000000000004a.log", 0, false},
		{"-0000000000000000042.log", 0, false},
		{".log", 0, false},
		{"leader-epoch-checkpoint", 0, false},
	} {
		base, ok := ParseLogName(c.name)
		if base != c.base || ok != c.ok {
			t.Errorf("ParseLogName(%q) = %d, %v, want %d, %v", c.name, base, ok, c.base, c.ok)
		}
	}
}

// TestAppendRead appends batches of 1, 3 and 2 records and checks every
// Read against the layout: the start batch, KIP-74's first batch, maxBytes
// and maxPos bounds, offsets before, inside and past the segment.
func TestAppendRead(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		s := mustCreate(t, c, 100, Options{IndexIntervalBytes: 1})
		defer mustClose(t, s)
		batches := [][]byte{
			mkBatch(t, 100, 10, 1000),
			mkBatch(t, 101, 10, 1001, 1002, 1003),
			mkBatch(t, 104, 10, 1004, 1005),
			mkBatch(t, 106, 500, 1006),
			mkBatch(t, 107, 10, 1007, 1008),
		}
		l := appendAll(t, s, batches)
		if got, want := s.Size(), l[4].pos+l[4].size; got != want {
			t.Fatalf("Size = %d, want %d", got, want)
		}
		if n, err := s.NextOffset(); err != nil || n != 109 {
			t.Fatalf("NextOffset = %d, %v, want 109", n, err)
		}
		all := s.Size()
		for _, c := range []struct {
			name     string
			offset   int64
			maxBytes int
			maxPos   int64
			from, to int // batches [from, to) expected; to == from: empty at batch from
		}{
			{"first offset, one byte", 100, 1, all, 0, 1},
			{"before the base", 5, 1, all, 0, 1},
			{"inside a batch", 102, 1, all, 1, 2},
			{"last offset of a batch", 103, 1, all, 1, 2},
			{"exactly two batches", 101, int(l[1].size + l[2].size), all, 1, 3},
			{"one byte short of two", 101, int(l[1].size + l[2].size - 1), all, 1, 2},
			{"everything", 100, math.MaxInt32, all, 0, 5},
			{"max int", 101, math.MaxInt, all, 1, 5},
			{"zero max bytes still one batch", 104, 0, all, 2, 3},
			{"large batch, KIP-74", 106, 100, all, 3, 4},
			{"maxPos cuts the tail", 100, math.MaxInt32, l[3].pos, 0, 3},
			{"maxPos inside the first batch", 104, math.MaxInt32, l[2].pos + 1, 2, 2},
			{"maxPos past the end", 107, math.MaxInt32, math.MaxInt64, 4, 5},
			{"last offset", 108, 1, all, 4, 5},
		} {
			sl, err := s.Read(c.offset, c.maxBytes, c.maxPos)
			if err != nil {
				t.Errorf("%s: Read(%d) = %v", c.name, c.offset, err)
				continue
			}
			want := Slice{File: sl.File, Pos: l[c.from].pos, FirstOffset: l[c.from].base, LastOffset: l[c.from].base - 1}
			if c.to > c.from {
				want.Len = l[c.to-1].pos + l[c.to-1].size - l[c.from].pos
				want.LastOffset = l[c.to-1].last
			}
			if sl != want {
				t.Errorf("%s: Read(%d, %d, %d) = %+v, want %+v", c.name, c.offset, c.maxBytes, c.maxPos, sl, want)
			}
			if got, want := sliceBytes(t, sl), bytes.Join(batches[c.from:c.to], nil); !bytes.Equal(got, want) {
				t.Errorf("%s: slice bytes differ from the appended batches", c.name)
			}
		}
		for _, off := range []int64{109, 110, math.MaxInt64} {
			if _, err := s.Read(off, 1, all); !errors.Is(err, ErrOffsetNotFound) {
				t.Errorf("Read(%d) = %v, want ErrOffsetNotFound", off, err)
			}
		}
	})
}

// TestReadJump reads with large maxBytes over many small batches, so that
// Read jumps with the index, and compares with a walk of the layout.
func TestReadJump(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		s := mustCreate(t, c, 0, Options{IndexIntervalBytes: 300})
		defer mustClose(t, s)
		var batches [][]byte
		for i := range 200 {
			batches = append(batches, mkBatch(t, int64(2*i), 20+i%7*13, int64(i), int64(i)))
		}
		l := appendAll(t, s, batches)
		if s.off.Entries() == 0 {
			t.Fatal("no index entries")
		}
		for _, start := range []int{0, 1, 17, 100, 199} {
			for _, maxBytes := range []int{1, 100, 1000, 5000, 20000, 1 << 20} {
				for _, maxPos := range []int64{s.Size(), l[150].pos + 7} {
					sl, err := s.Read(int64(2*start+1), maxBytes, maxPos)
					if err != nil {
						t.Fatal(err)
					}
					// The expected end: whole batches within maxBytes and maxPos, at least one.
					limit := min(maxPos, l[start].pos+int64(maxBytes))
					to := start
					for to < len(l) && l[to].pos+l[to].size <= min(maxPos, s.Size()) &&
						(to == start || l[to].pos+l[to].size <= limit) {
						to++
					}
					want := Slice{File: sl.File, Pos: l[start].pos, FirstOffset: l[start].base, LastOffset: l[start].base - 1}
					if to > start {
						want.Len = l[to-1].pos + l[to-1].size - l[start].pos
						want.LastOffset = l[to-1].last
					}
					if sl != want {
						t.Fatalf("Read(%d, %d, %d) = %+v, want %+v", 2*start+1, maxBytes, maxPos, sl, want)
					}
				}
			}
		}
	})
}

// TestIndexEntries checks Kafka's rule: an entry for a batch once more than
// IndexIntervalBytes were appended since the last entry's batch, and a
// time index entry of the largest timestamp so far with it.
func TestIndexEntries(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		s := mustCreate(t, c, 1000, Options{IndexIntervalBytes: 150})
		defer mustClose(t, s)
		var batches [][]byte
		ts := []int64{50, 40, 70, 70, 60, 90, 80, 100}
		for i, x := range ts {
			batches = append(batches, mkBatch(t, 1000+int64(i)*2, 30, x, x-5))
		}
		l := appendAll(t, s, batches)
		// Each batch is len(batches[0]) bytes (same sizes): work out the rule by hand.
		size := l[0].size
		if size <= 75 || size > 150 {
			t.Fatalf("batch size %d: the expectations below assume 75 < size <= 150", size)
		}
		// bytesSince before batch i: 0, s, 2s(>150: entry for 2), s, 2s (entry for 4), s, 2s (6), s.
		wantOff := [][2]int64{{l[2].last, l[2].pos}, {l[4].last, l[4].pos}, {l[6].last, l[6].pos}}
		var gotOff [][2]int64
		for i := range s.off.Entries() {
			o, p := s.off.Entry(i)
			gotOff = append(gotOff, [2]int64{o, p})
		}
		if !equal(gotOff, wantOff) {
			t.Errorf("offset index = %v, want %v", gotOff, wantOff)
		}
		// Max timestamp so far at batches 2, 4, 6: 70 (batch 2), 70 (no new entry), 90 (batch 5).
		wantTime := [][2]int64{{70, l[2].last}, {90, l[5].last}}
		var gotTime [][2]int64
		for i := range s.tim.Entries() {
			ts, o := s.tim.Entry(i)
			gotTime = append(gotTime, [2]int64{ts, o})
		}
		if !equal(gotTime, wantTime) {
			t.Errorf("time index = %v, want %v", gotTime, wantTime)
		}
		if ts, err := s.LargestTimestamp(); err != nil || ts != 100 {
			t.Errorf("LargestTimestamp = %d, %v, want 100", ts, err)
		}
	})
}

func equal(a, b [][2]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestAppendRejects(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		s := mustCreate(t, c, 10, Options{})
		defer mustClose(t, s)
		good := mkBatch(t, 10, 5, 1, 2)
		mustAppend(t, s, good)
		short := mkBatch(t, 12, 5, 1)
		badMagic := bytes.Clone(mkBatch(t, 12, 5, 1))
		badMagic[recordbatch.OffMagic] = 1
		badLen := bytes.Clone(mkBatch(t, 12, 5, 1))
		for name, b := range map[string][]byte{
			"short":          short[:40],
			"truncated":      short[:len(short)-1],
			"magic 1":        badMagic,
			"length":         append(badLen, 0),
			"offset reused":  mkBatch(t, 11, 5, 1),
			"below the base": mkBatch(t, 3, 5, 1),
			"overflow":       mkBatch(t, 10+math.MaxInt32, 5, 1, 2),
		} {
			if err := s.Append(b); !errors.Is(err, ErrInvalidBatch) {
				t.Errorf("%s: Append = %v, want ErrInvalidBatch", name, err)
			}
		}
		if s.Size() != int64(len(good)) {
			t.Errorf("Size = %d after rejected appends, want %d", s.Size(), len(good))
		}
		// A gap in offsets is allowed (compaction leaves them, and so may a caller).
		mustAppend(t, s, mkBatch(t, 20, 5, 3))
		if n, _ := s.NextOffset(); n != 21 {
			t.Errorf("NextOffset = %d, want 21", n)
		}
		if !s.Fits(10+math.MaxInt32) || s.Fits(11+math.MaxInt32) || s.Fits(9) {
			t.Error("Fits is wrong at the edges of the relative offset range")
		}
	})
}

// TestReopen closes a segment and opens it again: every method answers the
// same, and Open reads nothing until asked.
func TestReopen(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		opts := Options{IndexIntervalBytes: 200}
		s := mustCreate(t, c, 0, opts)
		var batches [][]byte
		for i := range 40 {
			batches = append(batches, mkBatch(t, int64(3*i), 30, int64(1000+i*10), int64(1000+i*10+5), int64(990+i*10)))
		}
		appendAll(t, s, batches)
		type answers struct {
			reads  []Slice
			ts     [][3]int64
			next   int64
			max    [2]int64
			roll   int64
			size   int64
			offIdx int
			timIdx int
		}
		collect := func(s *Segment) answers {
			var a answers
			for off := int64(0); off < 121; off += 7 {
				sl, err := s.Read(off, 700, s.Size())
				if err != nil {
					t.Fatal(err)
				}
				sl.File = nil
				a.reads = append(a.reads, sl)
			}
			for ts := int64(980); ts < 1420; ts += 13 {
				o, x, found, err := s.FindTimestamp(ts)
				if err != nil {
					t.Fatal(err)
				}
				if !found {
					o, x = -1, -1
				}
				a.ts = append(a.ts, [3]int64{ts, o, x})
			}
			a.next, _ = s.NextOffset()
			a.max[0], a.max[1], _ = s.MaxTimestamp()
			a.roll, _ = s.RollTimestamp()
			a.size = s.Size()
			a.offIdx, a.timIdx = s.off.Entries(), s.tim.Entries()
			return a
		}
		before := collect(s)
		// Close adds the largest timestamp to the time index if it is not its last entry.
		wantTim := before.timIdx
		if lastTs, _ := s.tim.LastEntry(); lastTs < before.max[0] {
			wantTim++
		}
		mustClose(t, s)
		// The indexes are trimmed to their entries on Close.
		if got, want := int64(len(readFile(t, c.fs, IndexPath(c.dir, 0)))), int64(before.offIdx*8); got != want {
			t.Errorf(".index is %d bytes after Close, want %d", got, want)
		}
		if got := int64(len(readFile(t, c.fs, LogPath(c.dir, 0)))); got != before.size {
			t.Errorf(".log is %d bytes after Close, want %d (no preallocated tail)", got, before.size)
		}
		faulty := vfs.NewFaulty(c.fs)
		s2, err := Open(faulty, c.dir, 0, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer mustClose(t, s2)
		if n := faulty.Calls(vfs.OpOpen); n != 0 {
			t.Errorf("Open opened %d files, want 0 (a stat)", n)
		}
		if n := faulty.Calls(vfs.OpRead); n != 0 {
			t.Errorf("Open read %d times, want 0", n)
		}
		if s2.Size() != before.size {
			t.Errorf("Size after Open = %d, want %d", s2.Size(), before.size)
		}
		after := collect(s2)
		if len(after.reads) != len(before.reads) {
			t.Fatalf("%d reads, want %d", len(after.reads), len(before.reads))
		}
		for i := range before.reads {
			if after.reads[i] != before.reads[i] {
				t.Errorf("read %d after reopening = %+v, want %+v", i, after.reads[i], before.reads[i])
			}
		}
		for i := range before.ts {
			if after.ts[i] != before.ts[i] {
				t.Errorf("FindTimestamp after reopening = %v, want %v", after.ts[i], before.ts[i])
			}
		}
		if after.next != before.next || after.max != before.max || after.roll != before.roll ||
			after.offIdx != before.offIdx || after.timIdx != wantTim {
			t.Errorf("after reopening: next %d max %v roll %d entries %d/%d; before: next %d max %v roll %d entries %d/%d (want %d time entries)",
				after.next, after.max, after.roll, after.offIdx, after.timIdx,
				before.next, before.max, before.roll, before.offIdx, before.timIdx, wantTim)
		}
		if before.max != [2]int64{1395, 118} || before.next != 120 || before.roll != 1005 {
			t.Errorf("max %v next %d roll %d, want [1395 118] 120 1005", before.max, before.next, before.roll)
		}
	})
}

func TestOpenMissing(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		if _, err := Open(c.fs, c.dir, 5, Options{}); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open of a missing segment = %v, want fs.ErrNotExist", err)
		}
		if _, err := Create(c.fs, c.dir, -1, Options{}); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("Create(-1) = %v, want ErrInvalidArgument", err)
		}
	})
}

// TestSealAndIndexFull fills a small index until IndexFull, then seals:
// the files are trimmed to their contents and the time index ends with the
// largest timestamp.
func TestSealAndIndexFull(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		// Room for 6 offset entries and 4 time entries, the last kept for Seal.
		opts := Options{IndexIntervalBytes: 1, MaxIndexBytes: 48}
		s := mustCreate(t, c, 0, opts)
		n := int64(0)
		for !s.IndexFull() {
			mustAppend(t, s, mkBatch(t, n, 10, 100+n))
			n++
			if n > 100 {
				t.Fatal("IndexFull never became true")
			}
		}
		// The time index fills first: entries for batches 1, 2 and 3 (the
		// first batch gets none), then Full keeps its last slot free.
		if n != 4 || s.off.Entries() != 3 || s.tim.Entries() != 3 {
			t.Fatalf("IndexFull after %d batches with %d offset and %d time entries, want 4, 3, 3",
				n, s.off.Entries(), s.tim.Entries())
		}
		// Appends still work past a full index (entries are skipped).
		mustAppend(t, s, mkBatch(t, n, 10, 500), mkBatch(t, n+1, 10, 400))
		if err := s.Seal(); err != nil {
			t.Fatal(err)
		}
		if !s.IndexFull() {
			t.Error("IndexFull is false after Seal")
		}
		if ts, o := s.tim.LastEntry(); ts != 500 || o != n {
			t.Errorf("last time entry after Seal = (%d, %d), want (500, %d)", ts, o, n)
		}
		size := s.Size()
		mustClose(t, s)
		if got := int64(len(readFile(t, c.fs, LogPath(c.dir, 0)))); got != size {
			t.Errorf(".log is %d bytes, want %d", got, size)
		}
		if got := len(readFile(t, c.fs, IndexPath(c.dir, 0))); got != 5*8 { // two more entries for the two batches
			t.Errorf(".index is %d bytes, want %d", got, 5*8)
		}
		if got := len(readFile(t, c.fs, TimeIndexPath(c.dir, 0))); got != 4*12 {
			t.Errorf(".timeindex is %d bytes, want %d", got, 4*12)
		}
		s = mustOpen(t, c, 0, opts)
		defer mustClose(t, s)
		if err := s.SanityCheck(); err != nil {
			t.Fatal(err)
		}
		if ts, err := s.LargestTimestamp(); ts != 500 || err != nil {
			t.Errorf("LargestTimestamp after reopening = %d, %v; want 500", ts, err)
		}
	})
}
