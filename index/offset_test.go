package index

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"syscall"
	"testing"

	"github.com/stratabroker/strata/internal/mmap"
	"github.com/stratabroker/strata/internal/vfs"
)

const name = "00000000000000001000.index"

func TestOffsetAppendLookup(t *testing.T) {
	forEachFS(t, func(t *testing.T, b *backend) {
		x := openOffset(t, b, name, 1000, 1<<20)
		if x.BaseOffset() != 1000 || x.Entries() != 0 || x.Full() {
			t.Fatalf("new index: base %d, %d entries, full %v", x.BaseOffset(), x.Entries(), x.Full())
		}
		if o, p := x.Lookup(1005); o != 1000 || p != 0 {
			t.Fatalf("empty Lookup(1005) = (%d, %d), want (1000, 0)", o, p)
		}
		if o, p := x.LastEntry(); o != 1000 || p != 0 {
			t.Fatalf("empty LastEntry = (%d, %d), want (1000, 0)", o, p)
		}
		mustAppend(t, x, offPos{1010, 4096}, offPos{1020, 8200}, offPos{1035, 12000})
		b.checkBackend(t, &x.s)
		for _, c := range []struct{ target, off, pos int64 }{
			{math.MinInt64, 1000, 0},
			{0, 1000, 0},
			{999, 1000, 0},
			{1000, 1000, 0}, // the base, before the first entry
			{1009, 1000, 0},
			{1010, 1010, 4096}, // exact hits
			{1020, 1020, 8200},
			{1035, 1035, 12000},
			{1011, 1010, 4096}, // between entries
			{1019, 1010, 4096},
			{1034, 1020, 8200},
			{1036, 1035, 12000}, // past the last
			{1 << 40, 1035, 12000},
			{math.MaxInt64, 1035, 12000},
		} {
			if o, p := x.Lookup(c.target); o != c.off || p != c.pos {
				t.Errorf("Lookup(%d) = (%d, %d), want (%d, %d)", c.target, o, p, c.off, c.pos)
			}
		}
		want := []offPos{{1010, 4096}, {1020, 8200}, {1035, 12000}}
		if got := offsetEntries(x); !slices.Equal(got, want) {
			t.Fatalf("entries %v, want %v", got, want)
		}
		if o, p := x.LastEntry(); o != 1035 || p != 12000 {
			t.Fatalf("LastEntry = (%d, %d), want (1035, 12000)", o, p)
		}
		if err := x.SanityCheck(); err != nil {
			t.Fatal(err)
		}
		// Kafka's layout: int32 relative offset, uint32 position, big-endian.
		if err := x.Trim(); err != nil {
			t.Fatal(err)
		}
		wantFile := beBytes(uint32(10), uint32(4096), uint32(20), uint32(8200), uint32(35), uint32(12000))
		if got := b.read(t, name); !bytes.Equal(got, wantFile) {
			t.Fatalf("file % x\nwant % x", got, wantFile)
		}
	})
}

func TestOffsetEntryPanics(t *testing.T) {
	forEachFS(t, func(t *testing.T, b *backend) {
		x := openOffset(t, b, name, 1000, 1<<20)
		mustAppend(t, x, offPos{1001, 1})
		for _, i := range []int{-1, 1} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("Entry(%d) of a 1-entry index did not panic", i)
					}
				}()
				x.Entry(i)
			}()
		}
		// The read lock was released despite the panic.
		if o, p := x.Lookup(2000); o != 1001 || p != 1 {
			t.Fatalf("Lookup after panics = (%d, %d)", o, p)
		}
		mustAppend(t, x, offPos{1002, 2})
	})
}

func TestOffsetAppendErrors(t *testing.T) {
	forEachFS(t, func(t *testing.T, b *backend) {
		x := openOffset(t, b, name, 1000, 1<<20)
		for _, c := range []struct {
			off, pos int64
			want     error
		}{
			{999, 0, ErrRelativeOffset},
			{-1, 0, ErrRelativeOffset},
			{1000 + math.MaxInt32 + 1, 0, ErrRelativeOffset},
			{1000, -1, ErrPosition},
			{1000, math.MaxUint32 + 1, ErrPosition},
		} {
			if err := x.Append(c.off, c.pos); !errors.Is(err, c.want) {
				t.Errorf("Append(%d, %d) = %v, want %v", c.off, c.pos, err, c.want)
			}
		}
		mustAppend(t, x, offPos{1000, 0}, offPos{1100, 500})
		for _, c := range []offPos{
			{1100, 600}, // same offset
			{1099, 600}, // lower offset
			{1101, 500}, // same position
			{1101, 499}, // lower position
		} {
			if err := x.Append(c.off, c.pos); !errors.Is(err, ErrOutOfOrder) {
				t.Errorf("Append(%d, %d) after (1100, 500) = %v, want ErrOutOfOrder", c.off, c.pos, err)
			}
		}
		// The extremes of both fields fit.
		mustAppend(t, x, offPos{1000 + math.MaxInt32, math.MaxUint32})
		want := []offPos{{1000, 0}, {1100, 500}, {1000 + math.MaxInt32, math.MaxUint32}}
		if got := offsetEntries(x); !slices.Equal(got, want) {
			t.Fatalf("entries %v, want %v", got, want)
		}
		if o, p := x.Lookup(math.MaxInt64); o != 1000+math.MaxInt32 || p != math.MaxUint32 {
			t.Fatalf("Lookup(max) = (%d, %d)", o, p)
		}
		if err := x.SanityCheck(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestOpenInvalidArguments(t *testing.T) {
	fs := vfs.NewMem()
	for _, c := range []struct {
		base     int64
		maxBytes int
	}{{-1, 1024}, {0, 7}, {0, 0}, {0, -8}, {0, math.MaxInt32 + 1}} {
		if _, err := OpenOffset(fs, "a.index", c.base, c.maxBytes); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("OpenOffset(base %d, maxBytes %d) = %v, want ErrInvalidArgument", c.base, c.maxBytes, err)
		}
	}
	if _, err := OpenTime(fs, "a.timeindex", 0, 11); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("OpenTime(maxBytes 11) = %v, want ErrInvalidArgument", err)
	}
}

// TestOffsetWarmCold checks lookups of every target around every entry of an
// index larger than its warm section, and that the warm section is searched
// exactly for targets at or past its first entry.
func TestOffsetWarmCold(t *testing.T) {
	forEachFS(t, func(t *testing.T, b *backend) {
		const n = 3000
		x := openOffset(t, b, name, 1000, n*8)
		for i := range int64(n) {
			mustAppend(t, x, offPos{1000 + 10*i + 5, 64*i + 1})
		}
		const firstHot = n - 1 - warmBytes/8 // 1975: Kafka's max(0, entries-1-warmEntries)
		if firstHot != 1975 {
			t.Fatalf("firstHot = %d", firstHot)
		}
		var warm, cold int
		for target := int64(990); target <= 1000+10*n+20; target++ {
			// Reference: a linear scan.
			wantOff, wantPos := int64(1000), int64(0)
			for i := int64(n - 1); i >= 0; i-- {
				if 1000+10*i+5 <= target {
					wantOff, wantPos = 1000+10*i+5, 64*i+1
					break
				}
			}
			if o, p := x.Lookup(target); o != wantOff || p != wantPos {
				t.Fatalf("Lookup(%d) = (%d, %d), want (%d, %d)", target, o, p, wantOff, wantPos)
			}
			_, isWarm := floor(x.s.buf, n, offsetKey, target-1000)
			if wantWarm := target >= 1000+10*firstHot+5; isWarm != wantWarm {
				t.Fatalf("Lookup(%d) searched warm=%v, want %v", target, isWarm, wantWarm)
			}
			if isWarm {
				warm++
			} else {
				cold++
			}
		}
		if warm != 10*(n-firstHot)+16 || cold != 10*firstHot+15 {
			t.Fatalf("warm %d, cold %d lookups", warm, cold)
		}
	})
}

func TestFloorSmallIndex(t *testing.T) {
	// An index smaller than the warm section is all warm: firstHot is 0.
	b := beBytes(uint32(5), uint32(1), uint32(7), uint32(2))
	for _, c := range []struct {
		target int64
		slot   int
		warm   bool
	}{{4, -1, false}, {5, 0, true}, {6, 0, true}, {7, 1, true}, {100, 1, true}} {
		if slot, warm := floor(b, 2, offsetKey, c.target); slot != c.slot || warm != c.warm {
			t.Errorf("floor(%d) = (%d, %v), want (%d, %v)", c.target, slot, warm, c.slot, c.warm)
		}
	}
	if slot, warm := floor(nil, 0, offsetKey, 5); slot != -1 || warm {
		t.Errorf("floor of an empty index = (%d, %v)", slot, warm)
	}
}

func TestOffsetFull(t *testing.T) {
	forEachFS(t, func(t *testing.T, b *backend) {
		x := openOffset(t, b, name, 1000, 37) // rounded down to 32: 4 entries
		if got := b.size(t, name); got != 0 {
			t.Fatalf("new file is %d bytes, want 0 until the first append", got)
		}
		mustAppend(t, x, offPos{1001, 10})
		if got := b.size(t, name); got != 32 {
			t.Fatalf("preallocated file is %d bytes, want 32", got)
		}
		mustAppend(t, x, offPos{1002, 20}, offPos{1003, 30})
		if x.Full() {
			t.Fatal("Full with 3 of 4 entries")
		}
		mustAppend(t, x, offPos{1004, 40})
		if !x.Full() {
			t.Fatal("not Full with 4 of 4 entries")
		}
		if err := x.Append(1005, 50); !errors.Is(err, ErrIndexFull) {
			t.Fatalf("Append to a full index = %v, want ErrIndexFull", err)
		}
		if x.Entries() != 4 || b.size(t, name) != 32 {
			t.Fatalf("after the refused append: %d entries, %d bytes", x.Entries(), b.size(t, name))
		}
		if err := x.Close(); err != nil {
			t.Fatal(err)
		}
		if got := b.size(t, name); got != 32 {
			t.Fatalf("closed full index is %d bytes, want 32", got)
		}
	})
}

func TestOffsetTruncateTo(t *testing.T) {
	forEachFS(t, func(t *testing.T, b *backend) {
		x := openOffset(t, b, name, 1000, 1024)
		all := []offPos{{1010, 100}, {1020, 200}, {1030, 300}, {1040, 400}}
		for _, c := range []struct {
			offset int64
			want   int
		}{
			{1041, 4}, // past the last entry: no effect
			{1040, 3}, // an exact entry is dropped
			{1035, 3}, // between entries: drop those above
			{1030, 2},
			{1011, 1},
			{1010, 0},
			{1000, 0},
			{5, 0}, // below the base
		} {
			x.Reset()
			mustAppend(t, x, all...)
			x.TruncateTo(c.offset)
			if got := offsetEntries(x); !slices.Equal(got, all[:c.want]) {
				t.Errorf("TruncateTo(%d): entries %v, want %v", c.offset, got, all[:c.want])
			}
			// The dropped entries' bytes are zero (a crash cannot resurrect them).
			if !bytes.Equal(x.s.buf[c.want*8:32], make([]byte, 32-c.want*8)) {
				t.Errorf("TruncateTo(%d) left bytes % x", c.offset, x.s.buf[c.want*8:32])
			}
		}
		// Appends continue from the truncation point.
		x.Reset()
		mustAppend(t, x, all...)
		x.TruncateTo(1020)
		mustAppend(t, x, offPos{1015, 150}, offPos{1016, 160})
		want := []offPos{{1010, 100}, {1015, 150}, {1016, 160}}
		if got := offsetEntries(x); !slices.Equal(got, want) {
			t.Fatalf("entries %v, want %v", got, want)
		}
		if o, p := x.Lookup(1030); o != 1016 || p != 160 {
			t.Fatalf("Lookup(1030) = (%d, %d), want (1016, 160)", o, p)
		}
	})
}

func TestOffsetReset(t *testing.T) {
	forEachFS(t, func(t *testing.T, b *backend) {
		x := openOffset(t, b, name, 1000, 1024)
		mustAppend(t, x, offPos{1010, 100}, offPos{1020, 200})
		x.Reset()
		if x.Entries() != 0 {
			t.Fatalf("%d entries after Reset", x.Entries())
		}
		if o, p := x.Lookup(1020); o != 1000 || p != 0 {
			t.Fatalf("Lookup after Reset = (%d, %d)", o, p)
		}
		mustAppend(t, x, offPos{1005, 50}) // lower than before: allowed after Reset
		if err := x.Close(); err != nil {
			t.Fatal(err)
		}
		if got := b.read(t, name); !bytes.Equal(got, beBytes(uint32(5), uint32(50))) {
			t.Fatalf("file % x", got)
		}
	})
}

func TestOffsetTrimReopen(t *testing.T) {
	forEachFS(t, func(t *testing.T, b *backend) {
		x := openOffset(t, b, name, 1000, 1024)
		want := []offPos{{1010, 100}, {1020, 200}, {1030, 300}}
		mustAppend(t, x, want...)
		if got := b.size(t, name); got != 1024 {
			t.Fatalf("file is %d bytes before Trim, want 1024", got)
		}
		if err := x.Trim(); err != nil {
			t.Fatal(err)
		}
		if got := b.size(t, name); got != 24 {
			t.Fatalf("file is %d bytes after Trim, want 24", got)
		}
		if !x.Full() {
			t.Fatal("trimmed index is not Full")
		}
		if err := x.Append(1040, 400); !errors.Is(err, ErrIndexFull) {
			t.Fatalf("Append after Trim = %v, want ErrIndexFull", err)
		}
		if o, p := x.Lookup(1025); o != 1020 || p != 200 {
			t.Fatalf("Lookup(1025) after Trim = (%d, %d)", o, p)
		}
		if err := x.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := x.Close(); err != nil {
			t.Fatal(err)
		}

		y := openOffset(t, b, name, 1000, 1024)
		if got := offsetEntries(y); !slices.Equal(got, want) {
			t.Fatalf("reopened entries %v, want %v", got, want)
		}
		if err := y.SanityCheck(); err != nil {
			t.Fatal(err)
		}
		if y.Full() {
			t.Fatal("reopened trimmed index is Full; an active segment must append to it")
		}
		if got := b.size(t, name); got != 24 {
			t.Fatalf("opening changed the file to %d bytes", got)
		}
		// Appending preallocates again.
		mustAppend(t, y, offPos{1040, 400})
		if got := b.size(t, name); got != 1024 {
			t.Fatalf("file is %d bytes after an append to the reopened index, want 1024", got)
		}
		if o, p := y.Lookup(1100); o != 1040 || p != 400 {
			t.Fatalf("Lookup(1100) = (%d, %d)", o, p)
		}
		// TruncateTo makes a trimmed index appendable again, as Kafka does
		// (the truncated segment becomes the active one).
		if err := y.Trim(); err != nil {
			t.Fatal(err)
		}
		y.TruncateTo(1030)
		if y.Full() || y.Entries() != 2 {
			t.Fatalf("after Trim and TruncateTo: full %v, %d entries", y.Full(), y.Entries())
		}
		mustAppend(t, y, offPos{1031, 310})
		if err := y.Close(); err != nil {
			t.Fatal(err)
		}
		if got := b.read(t, name); !bytes.Equal(got, beBytes(uint32(10), uint32(100), uint32(20), uint32(200), uint32(31), uint32(310))) {
			t.Fatalf("file % x", got)
		}
	})
}

// TestOffsetCrashReopen opens a preallocated, untrimmed file as after a crash.
func TestOffsetCrashReopen(t *testing.T) {
	forEachFS(t, func(t *testing.T, b *backend) {
		x := openOffset(t, b, name, 1000, 1024)
		want := []offPos{{1000, 0}, {1010, 100}, {1020, 200}, {1030, 300}}
		mustAppend(t, x, want...)
		if err := x.Flush(); err != nil {
			t.Fatal(err)
		}
		mustAppend(t, x, offPos{1040, 400}) // not flushed
		abandon(&x.s)
		if got := b.size(t, name); got != 1024 {
			t.Fatalf("crashed file is %d bytes, want 1024", got)
		}
		y := openOffset(t, b, name, 1000, 1024)
		// The mmap path's writes are in the page cache, which a process
		// crash keeps; the heap path's unflushed entry never left the process.
		if b.mem == nil {
			want = append(want, offPos{1040, 400})
		}
		if got := offsetEntries(y); !slices.Equal(got, want) {
			t.Fatalf("reopened entries %v, want %v", got, want)
		}
		if err := y.SanityCheck(); err != nil {
			t.Fatal(err)
		}
		// Truncated entries stay dropped across a crash.
		y.TruncateTo(1020)
		if err := y.Flush(); err != nil {
			t.Fatal(err)
		}
		abandon(&y.s)
		z := openOffset(t, b, name, 1000, 1024)
		if got := offsetEntries(z); !slices.Equal(got, want[:2]) {
			t.Fatalf("after TruncateTo and a crash: entries %v, want %v", got, want[:2])
		}
		// So do reset ones: an all-zero untrimmed file has no entries (the
		// first entry (base, 0) counts only in a trimmed one-entry file).
		z.Reset()
		if err := z.Flush(); err != nil {
			t.Fatal(err)
		}
		abandon(&z.s)
		w := openOffset(t, b, name, 1000, 1024)
		if w.Entries() != 0 || b.size(t, name) != 1024 {
			t.Fatalf("after Reset and a crash: %d entries, %d bytes", w.Entries(), b.size(t, name))
		}
		mustAppend(t, w, offPos{1000, 0})
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		v := openOffset(t, b, name, 1000, 1024)
		if got := offsetEntries(v); !slices.Equal(got, []offPos{{1000, 0}}) {
			t.Fatalf("trimmed one zero entry: entries %v", got)
		}
	})
}

func TestOffsetSanityCheck(t *testing.T) {
	rnd := make([]byte, 4096)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range rnd {
		rnd[i] = byte(r.Uint32())
	}
	valid := beBytes(uint32(0), uint32(0), uint32(1), uint32(4096), uint32(9), uint32(8200))
	for _, c := range []struct {
		name    string
		file    []byte
		entries int
		bad     bool
	}{
		{"valid", valid, 3, false},
		{"empty", nil, 0, false},
		{"random bytes", rnd, 512, true},
		{"length not a multiple of 8", append(slices.Clone(valid), 0, 0, 1), 3, true},
		{"offsets out of order", beBytes(uint32(10), uint32(100), uint32(5), uint32(200)), 2, true},
		{"offsets equal", beBytes(uint32(10), uint32(100), uint32(10), uint32(200)), 2, true},
		{"positions out of order", beBytes(uint32(10), uint32(100), uint32(20), uint32(50)), 2, true},
		{"positions equal", beBytes(uint32(10), uint32(100), uint32(20), uint32(100)), 2, true},
		{"offset below base", beBytes(uint32(0xFFFFFFFF), uint32(100), uint32(20), uint32(200)), 2, true},
		{"zero entry inside", beBytes(uint32(10), uint32(100), uint32(0), uint32(0), uint32(20), uint32(200)), 3, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			forEachFS(t, func(t *testing.T, b *backend) {
				b.write(t, name, c.file)
				x := openOffset(t, b, name, 1000, 1<<20)
				if x.Entries() != c.entries {
					t.Fatalf("%d entries, want %d", x.Entries(), c.entries)
				}
				err := x.SanityCheck()
				if c.bad != errors.Is(err, ErrCorruptIndex) || (!c.bad && err != nil) {
					t.Fatalf("SanityCheck = %v, want corrupt: %v", err, c.bad)
				}
				if !c.bad {
					return
				}
				// The caller rebuilds from the log: Reset, then Append.
				x.Reset()
				if err := x.SanityCheck(); err != nil {
					t.Fatalf("SanityCheck after Reset: %v", err)
				}
				mustAppend(t, x, offPos{1003, 4100}, offPos{1007, 8300})
				if err := x.Close(); err != nil {
					t.Fatal(err)
				}
				if got := b.read(t, name); !bytes.Equal(got, beBytes(uint32(3), uint32(4100), uint32(7), uint32(8300))) {
					t.Fatalf("rebuilt file % x", got)
				}
				y := openOffset(t, b, name, 1000, 1<<20)
				if err := y.SanityCheck(); err != nil || y.Entries() != 2 {
					t.Fatalf("reopened rebuilt index: %d entries, %v", y.Entries(), err)
				}
			})
		})
	}
}

func TestOffsetSanityCheckMessages(t *testing.T) {
	b := newMemBackend(t)
	b.write(t, name, beBytes(uint32(10), uint32(100), uint32(20), uint32(50)))
	x := openOffset(t, b, name, 1000, 1024)
	want := "index: corrupt index: data/topic-0/00000000000000001000.index: entry 1: position 50 does not follow 100"
	if err := x.SanityCheck(); err == nil || err.Error() != want {
		t.Fatalf("SanityCheck = %v\nwant %s", err, want)
	}
}

// TestOffsetLargerThanMax opens a file holding more entries than maxBytes
// allows (segment.index.bytes was lowered).
func TestOffsetLargerThanMax(t *testing.T) {
	forEachFS(t, func(t *testing.T, b *backend) {
		b.write(t, name, beBytes(uint32(1), uint32(1), uint32(2), uint32(2), uint32(3), uint32(3)))
		x := openOffset(t, b, name, 1000, 16)
		if x.Entries() != 3 || !x.Full() {
			t.Fatalf("%d entries, full %v; want 3, true", x.Entries(), x.Full())
		}
		if err := x.Append(1004, 4); !errors.Is(err, ErrIndexFull) {
			t.Fatalf("Append = %v, want ErrIndexFull", err)
		}
		x.Reset()
		mustAppend(t, x, offPos{1001, 1})
		if got := b.size(t, name); got != 16 {
			t.Fatalf("after Reset and Append the file is %d bytes, want 16", got)
		}
		mustAppend(t, x, offPos{1002, 2})
		if err := x.Append(1003, 3); !errors.Is(err, ErrIndexFull) {
			t.Fatalf("third Append = %v, want ErrIndexFull", err)
		}
	})
}

func TestOffsetClose(t *testing.T) {
	forEachFS(t, func(t *testing.T, b *backend) {
		x, err := OpenOffset(b.fs, b.path(name), 1000, 1024)
		if err != nil {
			t.Fatal(err)
		}
		mustAppend(t, x, offPos{1010, 100})
		if err := x.Close(); err != nil {
			t.Fatal(err)
		}
		if x.Entries() != 0 || !x.Full() {
			t.Fatalf("closed index: %d entries, full %v", x.Entries(), x.Full())
		}
		if o, p := x.Lookup(2000); o != 1000 || p != 0 {
			t.Fatalf("Lookup after Close = (%d, %d)", o, p)
		}
		for what, err := range map[string]error{
			"Append":      x.Append(1020, 200),
			"Flush":       x.Flush(),
			"Trim":        x.Trim(),
			"SanityCheck": x.SanityCheck(),
		} {
			if !errors.Is(err, ErrClosed) {
				t.Errorf("%s after Close = %v, want ErrClosed", what, err)
			}
		}
		x.TruncateTo(1000) // no effect, no panic
		x.Reset()
		if err := x.Close(); err != nil {
			t.Fatalf("second Close = %v", err)
		}
		if got := b.read(t, name); !bytes.Equal(got, beBytes(uint32(10), uint32(100))) {
			t.Fatalf("file % x", got)
		}
	})
}

func TestHeapFlushWritesBack(t *testing.T) {
	fs := vfs.NewFaulty(vfs.NewMem())
	b := &backend{name: "heap", fs: fs}
	x := openOffset(t, b, "i", 0, 1024)
	mustAppend(t, x, offPos{1, 10}, offPos{2, 20})
	if got := b.read(t, "i"); !bytes.Equal(got, make([]byte, 1024)) {
		t.Fatalf("before Flush the file holds % x...", got[:16])
	}
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := b.read(t, "i")[:24]; !bytes.Equal(got, beBytes(uint32(1), uint32(10), uint32(2), uint32(20), uint32(0), uint32(0))) {
		t.Fatalf("after Flush the file holds % x", got)
	}
	if w, s := fs.Calls(vfs.OpWrite), fs.Calls(vfs.OpSync); w != 1 || s != 1 {
		t.Fatalf("Flush made %d writes and %d syncs, want 1 and 1", w, s)
	}
	// A second Flush has nothing to write back.
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}
	if w, s := fs.Calls(vfs.OpWrite), fs.Calls(vfs.OpSync); w != 1 || s != 2 {
		t.Fatalf("second Flush: %d writes and %d syncs in all, want 1 and 2", w, s)
	}
	// TruncateTo's zeroed bytes are written back too.
	x.TruncateTo(2)
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := b.read(t, "i")[:16]; !bytes.Equal(got, beBytes(uint32(1), uint32(10), uint32(0), uint32(0))) {
		t.Fatalf("after TruncateTo and Flush the file holds % x", got)
	}
}

// TestHeapMachineCrash checks that what Flush returned for survives a
// machine crash (vfs.MemFS.CrashClone), torn unsynced writes included.
func TestHeapMachineCrash(t *testing.T) {
	b := newMemBackend(t)
	x := openOffset(t, b, name, 1000, 1024)
	y := openTime(t, b, tname, 1000, 1200)
	for _, dir := range []string{"/", "data", b.dir} { // the partition's and segment's job
		if err := b.fs.SyncDir(dir); err != nil {
			t.Fatal(err)
		}
	}
	mustAppend(t, x, offPos{1010, 100}, offPos{1020, 200}, offPos{1030, 300})
	mustMaybeAppend(t, y, offPos{50, 1010}, offPos{60, 1020})
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := y.Flush(); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, x, offPos{1040, 400})
	mustMaybeAppend(t, y, offPos{70, 1040})
	x.TruncateTo(1020) // written back on the next flush, which never comes
	for seed := range uint64(8) {
		crashed := &backend{name: "heap", fs: b.mem.CrashClone(vfs.CrashOptions{
			TearUnsynced: true, Garble: true, Rand: rand.New(rand.NewPCG(seed, 0)),
		}), dir: b.dir}
		cx := openOffset(t, crashed, name, 1000, 1024)
		if got := offsetEntries(cx); !slices.Equal(got, []offPos{{1010, 100}, {1020, 200}, {1030, 300}}) {
			t.Fatalf("seed %d: offset entries after the crash %v", seed, got)
		}
		cy := openTime(t, crashed, tname, 1000, 1200)
		if got := timeEntries(cy); !slices.Equal(got, []offPos{{50, 1010}, {60, 1020}}) {
			t.Fatalf("seed %d: time entries after the crash %v", seed, got)
		}
		if cx.SanityCheck() != nil || cy.SanityCheck() != nil {
			t.Fatalf("seed %d: %v, %v", seed, cx.SanityCheck(), cy.SanityCheck())
		}
	}
}

// TestHeapFaults runs the heap path over real files through vfs.FaultFS
// (whose files are not FdFiles).
func TestHeapFaults(t *testing.T) {
	fs := vfs.NewFaulty(vfs.OS)
	b := &backend{name: "heap", fs: fs, dir: t.TempDir()}
	x := openOffset(t, b, name, 1000, 1024)
	b.checkBackend(t, &x.s)

	// Preallocation fails: the entry is refused, the next try works.
	fs.Inject(vfs.Fault{Op: vfs.OpTruncate, Err: syscall.ENOSPC, Count: 1})
	if err := x.Append(1010, 100); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Append when preallocation fails = %v, want ENOSPC", err)
	}
	if x.Entries() != 0 {
		t.Fatalf("%d entries after a failed Append", x.Entries())
	}
	mustAppend(t, x, offPos{1010, 100}, offPos{1020, 200})

	// A failed write-back or sync is reported, and the entries are written
	// back by the next Flush.
	fs.Inject(vfs.Fault{Op: vfs.OpWrite, Err: syscall.EIO, Count: 1})
	if err := x.Flush(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Flush with a failing write = %v, want EIO", err)
	}
	fs.Inject(vfs.Fault{Op: vfs.OpSync, Err: syscall.EIO, Count: 1})
	if err := x.Flush(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Flush with a failing sync = %v, want EIO", err)
	}
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := b.read(t, name)[:16]; !bytes.Equal(got, beBytes(uint32(10), uint32(100), uint32(20), uint32(200))) {
		t.Fatalf("file % x", got)
	}

	// Close with a failing write-back leaves the file untrimmed, holding
	// what was flushed, rather than trimming it around missing entries.
	mustAppend(t, x, offPos{1030, 300})
	fs.Inject(vfs.Fault{Op: vfs.OpWrite, Err: syscall.EIO})
	if err := x.Close(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Close with a failing write = %v, want EIO", err)
	}
	fs.Clear()
	if got := b.size(t, name); got != 1024 {
		t.Fatalf("file is %d bytes after a failed Close, want 1024 (untrimmed)", got)
	}
	y := openOffset(t, b, name, 1000, 1024)
	if got := offsetEntries(y); !slices.Equal(got, []offPos{{1010, 100}, {1020, 200}}) {
		t.Fatalf("reopened entries %v", got)
	}
}

// TestAllocateFailure checks that on the mmap path an entry whose disk
// blocks cannot be reserved is refused cleanly (no SIGBUS later).
func TestAllocateFailure(t *testing.T) {
	if !mmap.Supported {
		t.Skip("no mmap on this platform")
	}
	fs := &allocFailFS{FS: vfs.OS}
	b := &backend{name: "mmap", fs: fs, dir: t.TempDir()}
	x := openOffset(t, b, name, 1000, 1<<20)
	fs.setFail(true)
	if err := x.Append(1001, 1); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Append with a full disk = %v, want ENOSPC", err)
	}
	if x.Entries() != 0 {
		t.Fatalf("%d entries after a failed Append", x.Entries())
	}
	fs.setFail(false)
	mustAppend(t, x, offPos{1001, 1})
	// The next 8191 entries lie in the reserved 64 KiB; the one after needs more.
	for i := range int64(8191) {
		mustAppend(t, x, offPos{1002 + i, 2 + i})
	}
	fs.setFail(true)
	if err := x.Append(9193, 9193); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Append of entry 8192 with a full disk = %v, want ENOSPC", err)
	}
	fs.setFail(false)
	mustAppend(t, x, offPos{9193, 9193})
	if x.Entries() != 8193 {
		t.Fatalf("%d entries, want 8193", x.Entries())
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	forEachFS(t, func(t *testing.T, b *backend) {
		x := openOffset(t, b, name, 1000, 1<<20)
		y := openTime(t, b, "t", 1000, 1<<20)
		for i := range int64(5000) {
			mustAppend(t, x, offPos{1000 + 2*i, 100 * i})
			mustMaybeAppend(t, y, offPos{1e12 + 2*i, 1000 + 2*i})
		}
		var sink int64
		for _, target := range []int64{500, 1003, 9000, 10999, 20000} {
			if a := testing.AllocsPerRun(100, func() {
				o, p := x.Lookup(target)
				ts, to := y.Lookup(1e12 + target)
				sink += o + p + ts + to
			}); a != 0 {
				t.Errorf("Lookup(%d): %v allocations", target, a)
			}
		}
		_ = sink
	})
}

// TestOffsetDiscard: a discarded index (its file is being deleted) is
// closed like Close leaves it, but its file is neither trimmed nor
// written back.
func TestOffsetDiscard(t *testing.T) {
	forEachFS(t, func(t *testing.T, b *backend) {
		x, err := OpenOffset(b.fs, b.path(name), 1000, 1024)
		if err != nil {
			t.Fatal(err)
		}
		mustAppend(t, x, offPos{1010, 100})
		if err := x.Discard(); err != nil {
			t.Fatal(err)
		}
		if x.Entries() != 0 || !x.Full() {
			t.Fatalf("discarded index: %d entries, full %v", x.Entries(), x.Full())
		}
		if err := x.Append(1020, 200); !errors.Is(err, ErrClosed) {
			t.Fatalf("Append after Discard = %v, want ErrClosed", err)
		}
		if err := x.Close(); err != nil {
			t.Fatalf("Close after Discard = %v", err)
		}
		// Close would leave 8 bytes (TestOffsetClose); the file keeps the
		// 1024 that the first append grew it to.
		if got := len(b.read(t, name)); got != 1024 {
			t.Fatalf("file of %d bytes after Discard, want the untrimmed 1024", got)
		}
	})
}
