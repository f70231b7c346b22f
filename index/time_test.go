package index

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"testing"
)

const tname = "00000000000000001000.timeindex"

func TestTimeMaybeAppendLookup(t *testing.T) {
	forEachFS(t, func(t *testing.T, b *backend) {
		x := openTime(t, b, tname, 1000, 1<<20)
		if ts, o := x.Lookup(5); ts != -1 || o != 1000 {
			t.Fatalf("empty Lookup = (%d, %d), want (-1, 1000)", ts, o)
		}
		if ts, o := x.LastEntry(); ts != -1 || o != 1000 {
			t.Fatalf("empty LastEntry = (%d, %d), want (-1, 1000)", ts, o)
		}
		// NO_TIMESTAMP (and anything not above it) is never indexed.
		mustMaybeAppend(t, x, offPos{-1, 1003}, offPos{-7, 1003})
		if x.Entries() != 0 {
			t.Fatalf("%d entries after appending timestamps -1 and -7", x.Entries())
		}
		mustMaybeAppend(t, x,
			offPos{1700000000000, 1010},
			offPos{1700000000000, 1010}, // the same entry again (Kafka: on roll and close): no-op
			offPos{1700000000000, 1020}, // not a greater timestamp: no-op
			offPos{1700000000500, 1030},
			offPos{1700000000900, 1045},
		)
		b.checkBackend(t, &x.s)
		want := []offPos{{1700000000000, 1010}, {1700000000500, 1030}, {1700000000900, 1045}}
		if got := timeEntries(x); !slices.Equal(got, want) {
			t.Fatalf("entries %v, want %v", got, want)
		}
		for _, c := range []struct{ target, ts, off int64 }{
			{math.MinInt64, -1, 1000},
			{0, -1, 1000},
			{1699999999999, -1, 1000}, // before the first entry
			{1700000000000, 1700000000000, 1010},
			{1700000000499, 1700000000000, 1010},
			{1700000000500, 1700000000500, 1030},
			{1700000000899, 1700000000500, 1030},
			{1700000000900, 1700000000900, 1045},
			{math.MaxInt64, 1700000000900, 1045},
		} {
			if ts, o := x.Lookup(c.target); ts != c.ts || o != c.off {
				t.Errorf("Lookup(%d) = (%d, %d), want (%d, %d)", c.target, ts, o, c.ts, c.off)
			}
		}
		if ts, o := x.LastEntry(); ts != 1700000000900 || o != 1045 {
			t.Fatalf("LastEntry = (%d, %d)", ts, o)
		}
		if err := x.SanityCheck(); err != nil {
			t.Fatal(err)
		}
		if err := x.Trim(); err != nil {
			t.Fatal(err)
		}
		wantFile := beBytes(int64(1700000000000), uint32(10), int64(1700000000500), uint32(30), int64(1700000000900), uint32(45))
		if got := b.read(t, tname); !bytes.Equal(got, wantFile) {
			t.Fatalf("file % x\nwant % x", got, wantFile)
		}
	})
}

func TestTimeMaybeAppendErrors(t *testing.T) {
	forEachFS(t, func(t *testing.T, b *backend) {
		x := openTime(t, b, tname, 1000, 1<<20)
		if err := x.MaybeAppend(5, 999); !errors.Is(err, ErrRelativeOffset) {
			t.Fatalf("offset below base = %v, want ErrRelativeOffset", err)
		}
		if err := x.MaybeAppend(5, 1000+math.MaxInt32+1); !errors.Is(err, ErrRelativeOffset) {
			t.Fatalf("offset past base+MaxInt32 = %v, want ErrRelativeOffset", err)
		}
		mustMaybeAppend(t, x, offPos{100, 1010})
		for _, c := range []offPos{
			{99, 1020},  // lower timestamp
			{100, 1009}, // lower offset, even with the same timestamp
			{200, 1009}, // lower offset
			{200, 1010}, // a greater timestamp at the same offset
		} {
			if err := x.MaybeAppend(c.off, c.pos); !errors.Is(err, ErrOutOfOrder) {
				t.Errorf("MaybeAppend(%d, %d) after (100, 1010) = %v, want ErrOutOfOrder", c.off, c.pos, err)
			}
		}
		mustMaybeAppend(t, x, offPos{200, 1000 + math.MaxInt32})
		if got := timeEntries(x); !slices.Equal(got, []offPos{{100, 1010}, {200, 1000 + math.MaxInt32}}) {
			t.Fatalf("entries %v", got)
		}
	})
}

// TestTimeFull checks Kafka's reserved last slot: Full one entry early, and
// MaybeAppendFinal (skipFullCheck) may use the last slot.
func TestTimeFull(t *testing.T) {
	forEachFS(t, func(t *testing.T, b *backend) {
		x := openTime(t, b, tname, 1000, 40) // rounded down to 36: 3 entries
		mustMaybeAppend(t, x, offPos{10, 1001})
		if got := b.size(t, tname); got != 36 {
			t.Fatalf("preallocated file is %d bytes, want 36", got)
		}
		if x.Full() {
			t.Fatal("Full with 1 of 3 entries")
		}
		mustMaybeAppend(t, x, offPos{20, 1002})
		if !x.Full() {
			t.Fatal("not Full with 2 of 3 entries (the last is reserved)")
		}
		if err := x.MaybeAppend(30, 1003); !errors.Is(err, ErrIndexFull) {
			t.Fatalf("MaybeAppend of a new entry = %v, want ErrIndexFull", err)
		}
		// A no-op is not an error on a full index.
		mustMaybeAppend(t, x, offPos{20, 1002}, offPos{20, 1005})
		if err := x.MaybeAppendFinal(30, 1003); err != nil {
			t.Fatalf("MaybeAppendFinal into the reserved slot: %v", err)
		}
		if err := x.MaybeAppendFinal(40, 1004); !errors.Is(err, ErrIndexFull) {
			t.Fatalf("MaybeAppendFinal past the end = %v, want ErrIndexFull", err)
		}
		if got := timeEntries(x); !slices.Equal(got, []offPos{{10, 1001}, {20, 1002}, {30, 1003}}) {
			t.Fatalf("entries %v", got)
		}
		// Trim seals the index: even the final append is refused.
		if err := x.Trim(); err != nil {
			t.Fatal(err)
		}
		if err := x.MaybeAppendFinal(40, 1004); !errors.Is(err, ErrIndexFull) {
			t.Fatalf("MaybeAppendFinal after Trim = %v, want ErrIndexFull", err)
		}
		// TruncateTo unseals it.
		x.TruncateTo(1003)
		if !x.Full() {
			t.Fatal("not Full with 2 of 3 entries after TruncateTo")
		}
		x.TruncateTo(1002)
		if x.Full() {
			t.Fatal("Full with 1 of 3 entries after Trim and TruncateTo")
		}
		mustMaybeAppend(t, x, offPos{25, 1003})
		if got := timeEntries(x); !slices.Equal(got, []offPos{{10, 1001}, {25, 1003}}) {
			t.Fatalf("entries %v", got)
		}
	})
}

func TestTimeTruncateTo(t *testing.T) {
	forEachFS(t, func(t *testing.T, b *backend) {
		x := openTime(t, b, tname, 1000, 1<<20)
		all := []offPos{{100, 1010}, {200, 1020}, {300, 1030}, {400, 1040}}
		for _, c := range []struct {
			offset int64
			want   int
		}{{1041, 4}, {1040, 3}, {1035, 3}, {1020, 1}, {1011, 1}, {1010, 0}, {999, 0}} {
			x.Reset()
			mustMaybeAppend(t, x, all...)
			x.TruncateTo(c.offset)
			if got := timeEntries(x); !slices.Equal(got, all[:c.want]) {
				t.Errorf("TruncateTo(%d): entries %v, want %v", c.offset, got, all[:c.want])
			}
			if ts, o := x.LastEntry(); c.want > 0 && (ts != all[c.want-1].off || o != all[c.want-1].pos) {
				t.Errorf("TruncateTo(%d): LastEntry (%d, %d)", c.offset, ts, o)
			}
		}
		// After truncation a lower timestamp than the dropped ones is accepted.
		x.Reset()
		mustMaybeAppend(t, x, all...)
		x.TruncateTo(1020)
		mustMaybeAppend(t, x, offPos{150, 1015})
		if got := timeEntries(x); !slices.Equal(got, []offPos{{100, 1010}, {150, 1015}}) {
			t.Fatalf("entries %v", got)
		}
	})
}

func TestTimeWarmCold(t *testing.T) {
	forEachFS(t, func(t *testing.T, b *backend) {
		const n = 2000
		x := openTime(t, b, tname, 1000, n*12+12)
		for i := range int64(n) {
			mustMaybeAppend(t, x, offPos{1e12 + 7*i, 1000 + 2*i + 1})
		}
		const firstHot = n - 1 - warmBytes/12 // 1317
		if firstHot != 1317 {
			t.Fatalf("firstHot = %d", firstHot)
		}
		var warm, cold int
		for target := int64(1e12 - 3); target <= 1e12+7*n+3; target++ {
			wantTs, wantOff := int64(-1), int64(1000)
			if i := (target - 1e12) / 7; target >= 1e12 {
				i = min(i, n-1)
				wantTs, wantOff = 1e12+7*i, 1000+2*i+1
			}
			if ts, o := x.Lookup(target); ts != wantTs || o != wantOff {
				t.Fatalf("Lookup(%d) = (%d, %d), want (%d, %d)", target, ts, o, wantTs, wantOff)
			}
			_, isWarm := floor(x.s.buf, n, timeKey, target)
			if wantWarm := target >= 1e12+7*firstHot; isWarm != wantWarm {
				t.Fatalf("Lookup(%d) searched warm=%v, want %v", target, isWarm, wantWarm)
			}
			if isWarm {
				warm++
			} else {
				cold++
			}
		}
		if warm != 7*(n-firstHot)+4 || cold != 7*firstHot+3 {
			t.Fatalf("warm %d, cold %d lookups", warm, cold)
		}
	})
}

func TestTimeTrimCrashReopen(t *testing.T) {
	forEachFS(t, func(t *testing.T, b *backend) {
		x := openTime(t, b, tname, 1000, 1200)
		want := []offPos{{0, 1000}, {50, 1004}, {60, 1009}}
		mustMaybeAppend(t, x, want...)
		if err := x.Flush(); err != nil {
			t.Fatal(err)
		}
		abandon(&x.s)
		if got := b.size(t, tname); got != 1200 {
			t.Fatalf("crashed file is %d bytes, want 1200", got)
		}
		y := openTime(t, b, tname, 1000, 1200)
		if got := timeEntries(y); !slices.Equal(got, want) {
			t.Fatalf("crash-reopened entries %v, want %v", got, want)
		}
		if err := y.SanityCheck(); err != nil {
			t.Fatal(err)
		}
		if err := y.Close(); err != nil {
			t.Fatal(err)
		}
		if got := b.size(t, tname); got != 36 {
			t.Fatalf("closed file is %d bytes, want 36", got)
		}
		z := openTime(t, b, tname, 1000, 1200)
		if got := timeEntries(z); !slices.Equal(got, want) {
			t.Fatalf("reopened entries %v, want %v", got, want)
		}
		mustMaybeAppend(t, z, offPos{70, 1010})
		if ts, o := z.Lookup(65); ts != 60 || o != 1009 {
			t.Fatalf("Lookup(65) = (%d, %d)", ts, o)
		}
	})
}

func TestTimeSanityCheck(t *testing.T) {
	for _, c := range []struct {
		name    string
		file    []byte
		entries int
		bad     bool
	}{
		{"valid", beBytes(int64(0), uint32(0), int64(5), uint32(3)), 2, false},
		{"length not a multiple of 12", beBytes(int64(5), uint32(3), uint32(7)), 1, true},
		{"timestamps out of order", beBytes(int64(50), uint32(3), int64(40), uint32(4)), 2, true},
		{"timestamps equal", beBytes(int64(50), uint32(3), int64(50), uint32(4)), 2, true},
		{"negative timestamp", beBytes(int64(-5), uint32(3), int64(50), uint32(4)), 2, true},
		{"offsets out of order", beBytes(int64(50), uint32(4), int64(60), uint32(3)), 2, true},
		{"offsets equal", beBytes(int64(50), uint32(4), int64(60), uint32(4)), 2, true},
		{"offset below base", beBytes(int64(50), uint32(0x80000000), int64(60), uint32(4)), 2, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			forEachFS(t, func(t *testing.T, b *backend) {
				b.write(t, tname, c.file)
				x := openTime(t, b, tname, 1000, 1<<20)
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
				x.Reset()
				if err := x.SanityCheck(); err != nil {
					t.Fatalf("SanityCheck after Reset: %v", err)
				}
				mustMaybeAppend(t, x, offPos{7, 1001})
				if err := x.Close(); err != nil {
					t.Fatal(err)
				}
				if got := b.read(t, tname); !bytes.Equal(got, beBytes(int64(7), uint32(1))) {
					t.Fatalf("rebuilt file % x", got)
				}
			})
		})
	}
}

// TestTimeCloseKeeping: an index with no entry is closed holding exactly
// the one given (12 bytes); one with entries is closed as Close does; no
// timestamp writes nothing.
func TestTimeCloseKeeping(t *testing.T) {
	forEachFS(t, func(t *testing.T, b *backend) {
		x := openTime(t, b, tname, 1000, 1<<20)
		if err := x.CloseKeeping(1700000000123, 1004); err != nil {
			t.Fatal(err)
		}
		want := []byte{0, 0, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x7b, 0, 0, 0, 4}
		if got := b.read(t, tname); !bytes.Equal(got, want) {
			t.Fatalf("empty index closed keeping an entry: % x, want % x", got, want)
		}
		y := openTime(t, b, tname, 1000, 1<<20)
		if y.Entries() != 1 {
			t.Fatalf("reopened: %d entries, want 1", y.Entries())
		}
		mustMaybeAppend(t, y, offPos{1700000000500, 1010})
		if err := y.CloseKeeping(1700000000900, 1020); err != nil {
			t.Fatal(err)
		}
		if got := b.read(t, tname); len(got) != 24 || !bytes.Equal(got[:12], want) {
			t.Fatalf("index with entries: % x, want its two entries only", got)
		}
		const other = "00000000000000002000.timeindex"
		z := openTime(t, b, other, 2000, 1<<20)
		if err := z.CloseKeeping(-1, 2000); err != nil {
			t.Fatal(err)
		}
		if got := b.read(t, other); len(got) != 0 {
			t.Fatalf("no timestamp: % x, want an empty file", got)
		}
	})
}
