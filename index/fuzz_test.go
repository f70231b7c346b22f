package index

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzOffsetOpen opens arbitrary bytes as an offset index (heap path).
// Invariants: opening never fails or panics; Entries is the number of
// entries up to the last non-zero one (all of them for a one-entry file);
// if SanityCheck passes, every Lookup equals a linear floor scan of the
// entries, an Append after the last entry succeeds, and Close trims the
// file to exactly the entries; if it fails, it wraps ErrCorruptIndex and
// Reset makes the index empty and sane.
func FuzzOffsetOpen(f *testing.F) {
	f.Add([]byte{})
	f.Add(beBytes(uint32(0), uint32(0)))
	f.Add(beBytes(uint32(1), uint32(10), uint32(5), uint32(20)))
	f.Add(beBytes(uint32(5), uint32(10), uint32(1), uint32(20)))
	f.Add(beBytes(uint32(1), uint32(10), uint32(5), uint32(20), uint32(0), uint32(0)))
	f.Add(beBytes(uint32(0xFFFFFFFF), uint32(10)))
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		const base = 500
		b := newMemBackend(t)
		b.write(t, "i", data)
		x, err := OpenOffset(b.fs, b.path("i"), base, 1<<16)
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		usable := len(data) / 8 * 8
		wantN := validEntries(data[:usable], 8)
		if x.Entries() != wantN {
			t.Fatalf("%d entries, want %d", x.Entries(), wantN)
		}
		if err := x.SanityCheck(); err != nil {
			if !errors.Is(err, ErrCorruptIndex) {
				t.Fatalf("SanityCheck = %v, not ErrCorruptIndex", err)
			}
			x.Reset()
			if x.Entries() != 0 || x.SanityCheck() != nil {
				t.Fatalf("after Reset: %d entries, %v", x.Entries(), x.SanityCheck())
			}
			return
		}
		entries := offsetEntries(x)
		targets := []int64{base - 1, base, 1 << 40}
		for _, e := range entries {
			targets = append(targets, e.off-1, e.off, e.off+1)
		}
		for _, target := range targets {
			wantOff, wantPos := int64(base), int64(0)
			for _, e := range entries {
				if e.off <= target {
					wantOff, wantPos = e.off, e.pos
				}
			}
			if o, p := x.Lookup(target); o != wantOff || p != wantPos {
				t.Fatalf("Lookup(%d) = (%d, %d), want (%d, %d)", target, o, p, wantOff, wantPos)
			}
		}
		lo, lp := x.LastEntry()
		if n := len(entries); n > 0 && (lo != entries[n-1].off || lp != entries[n-1].pos) {
			t.Fatalf("LastEntry (%d, %d), want %v", lo, lp, entries[n-1])
		}
		appended := 0
		if lo-base < 1<<31-1 && lp < 1<<32-1 && !x.Full() {
			if err := x.Append(lo+1, lp+1); err != nil {
				t.Fatalf("Append(%d, %d) after the last entry: %v", lo+1, lp+1, err)
			}
			appended = 1
		}
		if err := x.Close(); err != nil {
			t.Fatal(err)
		}
		got := b.read(t, "i")
		if len(got) != 8*(wantN+appended) || !bytes.Equal(got[:8*wantN], data[:8*wantN]) {
			t.Fatalf("closed file is %d bytes, want %d holding the original entries", len(got), 8*(wantN+appended))
		}
	})
}
