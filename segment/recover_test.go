package segment

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stratabroker/strata/index"
	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/recordbatch"
)

// fixture writes a closed segment of batches at base 0 and returns its
// batches, their layout and the log's bytes.
type fixture struct {
	opts    Options
	batches [][]byte
	l       []layout
	log     []byte
}

func newFixture(t *testing.T, c fsCase, opts Options, n int) fixture {
	t.Helper()
	s := mustCreate(t, c, 0, opts)
	var batches [][]byte
	off := int64(0)
	for i := range n {
		ts := make([]int64, 1+i%3)
		for j := range ts {
			ts[j] = int64(1000 + 10*i + j)
		}
		batches = append(batches, mkBatch(t, off, 20+(i*37)%90, ts...))
		off += int64(len(ts))
	}
	l := appendAll(t, s, batches)
	mustClose(t, s)
	return fixture{opts: opts, batches: batches, l: l, log: readFile(t, c.fs, LogPath(c.dir, 0))}
}

// checkBatches verifies that s holds exactly the first n batches of f and
// that every offset reads from the right batch.
func (f fixture) checkBatches(t *testing.T, s *Segment, n int) {
	t.Helper()
	want := int64(0)
	if n > 0 {
		want = f.l[n-1].pos + f.l[n-1].size
	}
	if s.Size() != want {
		t.Fatalf("Size = %d, want %d (%d batches)", s.Size(), want, n)
	}
	next := int64(0)
	if n > 0 {
		next = f.l[n-1].last + 1
	}
	if got, err := s.NextOffset(); got != next || err != nil {
		t.Fatalf("NextOffset = %d, %v, want %d", got, err, next)
	}
	for i := range n {
		for off := f.l[i].base; off <= f.l[i].last; off++ {
			sl, err := s.Read(off, 1, math.MaxInt64)
			if err != nil {
				t.Fatalf("Read(%d) = %v", off, err)
			}
			if sl.Pos != f.l[i].pos || sl.Len != f.l[i].size || sl.FirstOffset != f.l[i].base || sl.LastOffset != f.l[i].last {
				t.Fatalf("Read(%d) = %+v, want batch %d at %d", off, sl, i, f.l[i].pos)
			}
		}
	}
	if _, err := s.Read(next, 1, math.MaxInt64); !errors.Is(err, ErrOffsetNotFound) {
		t.Fatalf("Read(%d) past the end = %v, want ErrOffsetNotFound", next, err)
	}
	if err := s.SanityCheck(); err != nil {
		t.Fatalf("SanityCheck after recovery: %v", err)
	}
}

// recoverWith writes log as the segment's .log, keeping the index files,
// and recovers it.
func (f fixture) recoverWith(t *testing.T, c fsCase, log []byte) (*Segment, int64) {
	t.Helper()
	writeFile(t, c.fs, LogPath(c.dir, 0), log)
	s := mustOpen(t, c, 0, f.opts)
	cut, err := s.Recover()
	if err != nil {
		t.Fatal(err)
	}
	return s, cut
}

func TestRecoverTornTail(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		f := newFixture(t, c, Options{IndexIntervalBytes: 100}, 8)
		last := f.l[7]
		for k := int64(0); k <= last.size; k++ { // every length of the last batch, torn header included
			s, cut := f.recoverWith(t, c, f.log[:last.pos+k])
			n, wantCut := 7, k
			if k == last.size {
				n, wantCut = 8, 0
			}
			if cut != wantCut {
				t.Fatalf("torn at %d of %d bytes: Recover cut %d, want %d", k, last.size, cut, wantCut)
			}
			f.checkBatches(t, s, n)
			mustClose(t, s)
			if got := readFile(t, c.fs, LogPath(c.dir, 0)); !bytes.Equal(got, f.log[:f.l[n-1].pos+f.l[n-1].size]) {
				t.Fatalf("torn at %d: the log holds %d bytes that are not the valid prefix", k, len(got))
			}
		}
	})
}

func TestRecoverBitFlip(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		f := newFixture(t, c, Options{IndexIntervalBytes: 100}, 6)
		last := f.l[5]
		for i := int64(0); i < last.size; i++ {
			log := bytes.Clone(f.log)
			log[last.pos+i] ^= 0x10
			h := recordbatch.Header(log[last.pos:])
			wantCut := last.size
			switch {
			case i >= recordbatch.OffLeaderEpoch && i < recordbatch.OffMagic:
				wantCut = 0 // the leader epoch is outside the CRC, and so is the base offset:
			case i < recordbatch.OffBatchLength && h.BaseOffset() > f.l[4].last && h.LastOffset()-0 <= math.MaxInt32:
				wantCut = 0 // a larger base offset is a gap, which is legal
			}
			s, cut := f.recoverWith(t, c, log)
			if cut != wantCut {
				t.Fatalf("bit flip at byte %d of the last batch: Recover cut %d, want %d", i, cut, wantCut)
			}
			if wantCut == last.size {
				f.checkBatches(t, s, 5)
			}
			mustClose(t, s)
		}
	})
}

func TestRecoverGarbage(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		f := newFixture(t, c, Options{IndexIntervalBytes: 100}, 6)
		rng := rand.New(rand.NewPCG(7, 8))
		garbage := make([]byte, 3000)
		for i := range garbage {
			garbage[i] = byte(rng.Uint32())
		}
		mid := bytes.Clone(f.log)
		mid[f.l[3].pos+recordbatch.HeaderSize] ^= 1 // a record byte of batch 3: its CRC fails
		for _, tc := range []struct {
			name string
			log  []byte
			cut  int64
			n    int
		}{
			{"intact", f.log, 0, 6},
			{"trailing zeros", append(bytes.Clone(f.log), make([]byte, 8192)...), 8192, 6},
			{"garbage", append(bytes.Clone(f.log), garbage...), int64(len(garbage)), 6},
			{"zero length field", append(bytes.Clone(f.log), make([]byte, 100)...), 100, 6},
			{"corrupt middle batch", mid, int64(len(f.log)) - f.l[3].pos, 3},
			{"empty", nil, 0, 0},
			{"only garbage", garbage, int64(len(garbage)), 0},
			{"a batch repeated", append(bytes.Clone(f.log), f.batches[5]...), f.l[5].size, 6},
		} {
			s, cut := f.recoverWith(t, c, tc.log)
			if cut != tc.cut {
				t.Fatalf("%s: Recover cut %d, want %d", tc.name, cut, tc.cut)
			}
			f.checkBatches(t, s, tc.n)
			// Appending after recovery continues at the right place.
			next, _ := s.NextOffset()
			mustAppend(t, s, mkBatch(t, next, 10, 5000))
			if n, _ := s.NextOffset(); n != next+1 {
				t.Fatalf("%s: NextOffset after an append = %d, want %d", tc.name, n, next+1)
			}
			mustClose(t, s)
		}
	})
}

// TestRecoverLarge recovers batches larger than the scan window, whose CRC
// is checked in pieces.
func TestRecoverLarge(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		f := newFixture(t, c, Options{}, 0)
		s := mustCreate(t, c, 0, f.opts)
		big := mkBatch(t, 0, scanWindow+12345, 1, 2)
		small := mkBatch(t, 2, 10, 3)
		mustAppend(t, s, big, small)
		mustClose(t, s)
		log := readFile(t, c.fs, LogPath(c.dir, 0))
		s, cut := f.recoverWith(t, c, log)
		if cut != 0 || s.Size() != int64(len(big)+len(small)) {
			t.Fatalf("intact: cut %d, size %d", cut, s.Size())
		}
		mustClose(t, s)
		log[len(big)-5] ^= 4
		s, cut = f.recoverWith(t, c, log)
		if cut != int64(len(log)) || s.Size() != 0 {
			t.Fatalf("flipped: cut %d, size %d; want %d, 0", cut, s.Size(), len(log))
		}
		mustClose(t, s)
	})
}

// TestLazyRecover opens a segment whose log has a preallocated tail of
// zeros and indexes that were never trimmed (a crash): the first Read
// recovers it.
func TestLazyRecover(t *testing.T) {
	m := vfs.NewMem()
	c := fsCase{"mem", m, "/"}
	s := mustCreate(t, c, 0, Options{IndexIntervalBytes: 50, PreallocateBytes: 1 << 16})
	var batches [][]byte
	for i := range 30 {
		batches = append(batches, mkBatch(t, int64(i), 30, int64(i)))
	}
	l := appendAll(t, s, batches)
	crashed := m.Snapshot() // a process crash: everything written survives, nothing was closed
	mustClose(t, s)
	c.fs = crashed
	data := l[29].pos + l[29].size
	// The file was extended once, to the first 64 KiB lead.
	crashedSize := int64(len(readFile(t, crashed, LogPath("/", 0))))
	if crashedSize != 1<<16 {
		t.Fatalf("the crashed log is %d bytes for %d of data, want it preallocated to %d", crashedSize, data, 1<<16)
	}
	s2 := mustOpen(t, c, 0, Options{IndexIntervalBytes: 50})
	defer mustClose(t, s2)
	if s2.Size() != crashedSize {
		t.Fatalf("Size before use = %d, want %d", s2.Size(), crashedSize)
	}
	for i, b := range l {
		sl, err := s2.Read(b.base, 1, math.MaxInt64)
		if err != nil || sl.Pos != b.pos || sl.Len != b.size {
			t.Fatalf("Read(%d) = %+v, %v; want batch %d at %d", b.base, sl, err, i, b.pos)
		}
	}
	if want := l[29].pos + l[29].size; s2.Size() != want {
		t.Fatalf("Size after the lazy recovery = %d, want %d", s2.Size(), want)
	}
}

// TestCorruptIndex damages a closed segment's index files in several ways:
// SanityCheck finds each, Recover rebuilds the indexes, and every Read
// lands on the right batch, with or without the explicit SanityCheck.
func TestCorruptIndex(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		opts := Options{IndexIntervalBytes: 64}
		f := newFixture(t, c, opts, 40)
		idx := readFile(t, c.fs, IndexPath(c.dir, 0))
		tidx := readFile(t, c.fs, TimeIndexPath(c.dir, 0))
		if len(idx) < 8*10 || len(tidx) < 12*3 {
			t.Fatalf("fixture indexes too small: %d and %d bytes", len(idx), len(tidx))
		}
		rng := rand.New(rand.NewPCG(1, 2))
		random := make([]byte, len(idx))
		for i := range random {
			random[i] = byte(rng.Uint32())
		}
		swapped := bytes.Clone(idx)
		copy(swapped[16:24], idx[24:32])
		copy(swapped[24:32], idx[16:24])
		shifted := bytes.Clone(idx) // every position one byte late: in order, all wrong
		for i := 0; i < len(shifted); i += 8 {
			binary.BigEndian.PutUint32(shifted[i+4:], binary.BigEndian.Uint32(shifted[i+4:])+1)
		}
		pastEnd := bytes.Clone(idx)
		binary.BigEndian.PutUint32(pastEnd[len(pastEnd)-4:], uint32(len(f.log)+10))
		timeSwapped := bytes.Clone(tidx)
		copy(timeSwapped[0:12], tidx[12:24])
		copy(timeSwapped[12:24], tidx[0:12])
		timePast := bytes.Clone(tidx)
		binary.BigEndian.PutUint32(timePast[len(timePast)-4:], uint32(f.l[39].last+5))
		for _, tc := range []struct {
			name       string
			idx, tidx  []byte
			delIdx     bool
			wantIdxErr bool // the error wraps index.ErrCorruptIndex (else ErrCorrupt)
		}{
			{"random bytes", random, tidx, false, true},
			{"truncated to half", idx[:len(idx)/16*8], tidx, false, true},
			{"truncated mid-entry", idx[:len(idx)-3], tidx, false, true},
			{"two entries swapped", swapped, tidx, false, true},
			{"positions shifted", shifted, tidx, false, true},
			{"position past the end", pastEnd, tidx, false, true},
			{"empty offset index", []byte{}, tidx, false, true},
			{"missing offset index", nil, tidx, true, true},
			{"time entries swapped", idx, timeSwapped, false, true},
			{"time entry past the end", idx, timePast, false, true},
		} {
			for _, explicit := range []bool{true, false} {
				if tc.delIdx {
					if err := c.fs.Remove(IndexPath(c.dir, 0)); err != nil {
						t.Fatal(err)
					}
				} else {
					writeFile(t, c.fs, IndexPath(c.dir, 0), tc.idx)
				}
				writeFile(t, c.fs, TimeIndexPath(c.dir, 0), tc.tidx)
				s := mustOpen(t, c, 0, opts)
				if explicit {
					err := s.SanityCheck()
					if err == nil {
						t.Fatalf("%s: SanityCheck passed", tc.name)
					}
					if tc.wantIdxErr && !errors.Is(err, index.ErrCorruptIndex) {
						t.Fatalf("%s: SanityCheck = %v, want index.ErrCorruptIndex", tc.name, err)
					}
					if cut, err := s.Recover(); cut != 0 || err != nil {
						t.Fatalf("%s: Recover = %d, %v; want 0, nil", tc.name, cut, err)
					}
				}
				f.checkBatches(t, s, 40)
				if s.off.Entries()*8 != len(idx) || s.tim.Entries()*12 != len(tidx) {
					t.Fatalf("%s: rebuilt indexes hold %d and %d entries, want %d and %d", tc.name,
						s.off.Entries(), s.tim.Entries(), len(idx)/8, len(tidx)/12)
				}
				mustClose(t, s)
				if got := readFile(t, c.fs, IndexPath(c.dir, 0)); !bytes.Equal(got, idx) {
					t.Fatalf("%s: the rebuilt .index differs from the original", tc.name)
				}
				if got := readFile(t, c.fs, TimeIndexPath(c.dir, 0)); !bytes.Equal(got, tidx) {
					t.Fatalf("%s: the rebuilt .timeindex differs from the original", tc.name)
				}
			}
		}
	})
}

// TestIndexEntryMismatch damages one entry in the middle of the offset
// index so that the cheap checks pass: the Read that lands on it still
// returns the right batch, and the indexes are rebuilt before the next call.
func TestIndexEntryMismatch(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		opts := Options{IndexIntervalBytes: 64}
		f := newFixture(t, c, opts, 40)
		idx := readFile(t, c.fs, IndexPath(c.dir, 0))
		bad := bytes.Clone(idx)
		// Entry 3 points one byte into its batch; positions still increase.
		binary.BigEndian.PutUint32(bad[3*8+4:], binary.BigEndian.Uint32(idx[3*8+4:])+1)
		writeFile(t, c.fs, IndexPath(c.dir, 0), bad)
		s := mustOpen(t, c, 0, opts)
		defer mustClose(t, s)
		if err := s.SanityCheck(); err != nil {
			t.Fatalf("SanityCheck = %v; the damage is meant to pass the cheap checks", err)
		}
		o := int64(binary.BigEndian.Uint32(idx[3*8:]))
		var want layout
		for _, b := range f.l {
			if b.base <= o && o <= b.last {
				want = b
			}
		}
		sl, err := s.Read(o, 1, math.MaxInt64)
		if err != nil || sl.Pos != want.pos || sl.Len != want.size {
			t.Fatalf("Read(%d) over a bad entry = %+v, %v; want the batch at %d", o, sl, err, want.pos)
		}
		if s.state.Load() != stateSuspect {
			t.Fatal("the bad entry was not noticed")
		}
		f.checkBatches(t, s, 40) // recovers first
		if _, p := s.off.Entry(3); p != int64(binary.BigEndian.Uint32(idx[3*8+4:])) {
			t.Fatalf("entry 3 after the rebuild points at %d", p)
		}
	})
}

func TestTruncateTo(t *testing.T) {
	forEachFS(t, func(t *testing.T, c fsCase) {
		opts := Options{IndexIntervalBytes: 64}
		f := newFixture(t, c, opts, 30)
		for _, tc := range []struct {
			name   string
			offset int64
			n      int // batches kept
		}{
			{"past the end", f.l[29].last + 1, 30},
			{"far past the end", math.MaxInt64, 30},
			{"last batch's base", f.l[29].base, 29},
			{"inside a batch keeps it", f.l[20].base + 1, 21},
			{"a middle batch's base", f.l[10].base, 10},
			{"the base offset", 0, 0},
			{"below the base", -5, 0},
		} {
			writeFile(t, c.fs, LogPath(c.dir, 0), f.log)
			s := mustOpen(t, c, 0, opts)
			if _, err := s.Recover(); err != nil { // rebuild the indexes for the full log
				t.Fatal(err)
			}
			if tc.offset <= f.l[29].last && f.l[29].last-tc.offset < 3 && f.l[29].base != tc.offset {
				t.Fatal("bad test case")
			}
			if err := s.TruncateTo(tc.offset); err != nil {
				t.Fatalf("%s: TruncateTo(%d) = %v", tc.name, tc.offset, err)
			}
			f.checkBatches(t, s, tc.n)
			wantMax, wantOff := int64(-1), int64(-1)
			if tc.n > 0 {
				// Timestamps increase with the batches: the last kept batch's largest record.
				ts := recordbatch.Header(f.batches[tc.n-1]).MaxTimestamp()
				wantMax, wantOff = ts, f.l[tc.n-1].last
			}
			if ts, off, err := s.MaxTimestamp(); ts != wantMax || off != wantOff || err != nil {
				t.Fatalf("%s: MaxTimestamp = %d, %d, %v; want %d, %d", tc.name, ts, off, err, wantMax, wantOff)
			}
			if ms, ok := s.RollTimestamp(); ok != (tc.n > 0) || ok && ms != 1000 {
				t.Fatalf("%s: RollTimestamp = %d, %v", tc.name, ms, ok)
			}
			next, _ := s.NextOffset()
			mustAppend(t, s, mkBatch(t, next, 10, 7000))
			mustClose(t, s)
			s = mustOpen(t, c, 0, opts)
			if err := s.SanityCheck(); err != nil {
				t.Fatalf("%s: SanityCheck after truncating, appending and reopening: %v", tc.name, err)
			}
			if n, _ := s.NextOffset(); n != next+1 {
				t.Fatalf("%s: NextOffset = %d, want %d", tc.name, n, next+1)
			}
			mustClose(t, s)
		}
	})
}
