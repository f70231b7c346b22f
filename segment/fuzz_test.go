package segment

import (
	"bytes"
	"math"
	"testing"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/recordbatch"
)

// fuzzPrefix is the valid prefix FuzzRecover starts from: 7 batches of 1
// to 3 records, offsets 0..13.
func fuzzPrefix(t testing.TB) ([][]byte, int64) {
	var batches [][]byte
	off := int64(0)
	for i := range 7 {
		ts := make([]int64, 1+i%3)
		for j := range ts {
			ts[j] = int64(100*i + j)
		}
		batches = append(batches, mkBatch(t, off, 5+i*11, ts...))
		off += int64(len(ts))
	}
	return batches, off
}

// FuzzRecover writes the first n%8 batches of a valid log followed by
// arbitrary bytes, and recovers. Invariants:
//   - Recover neither fails nor panics, and cuts exactly the bytes past the
//     new Size;
//   - the valid prefix survives byte for byte, and every offset in it reads
//     from its batch;
//   - whatever survives past the prefix is whole batches that pass
//     CheckStored with offsets following the prefix's, so a second Recover
//     cuts nothing, and NextOffset is the offset after the last of them.
func FuzzRecover(f *testing.F) {
	batches, next := fuzzPrefix(f)
	f.Add(uint8(7), []byte{})
	f.Add(uint8(0), []byte{})
	f.Add(uint8(3), []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add(uint8(7), bytes.Repeat([]byte{0}, 300))
	f.Add(uint8(7), mkBatch(f, next, 9, 9000, 9001))             // a valid batch: kept
	f.Add(uint8(7), mkBatch(f, next, 9, 9000)[:40])              // a torn header
	f.Add(uint8(7), mkBatch(f, next, 9, 9000)[:70])              // a torn batch
	f.Add(uint8(7), mkBatch(f, next-1, 9, 9000))                 // offsets that go back
	f.Add(uint8(2), batches[2])                                  // offsets that repeat
	f.Add(uint8(5), bytes.Repeat([]byte{0xff}, 80))              // a negative length
	f.Add(uint8(4), append(mkBatch(f, 10, 3, 1), 1, 2, 3, 4, 5)) // a gap, then garbage
	f.Fuzz(func(t *testing.T, n uint8, tail []byte) {
		k := int(n % 8)
		prefix := bytes.Join(batches[:k], nil)
		m := vfs.NewMem()
		c := fsCase{"mem", m, "/"}
		writeFile(t, m, LogPath("/", 0), append(bytes.Clone(prefix), tail...))
		opts := Options{IndexIntervalBytes: 64, MaxIndexBytes: 4096}
		s := mustOpen(t, c, 0, opts)
		defer mustClose(t, s)
		cut, err := s.Recover()
		if err != nil {
			t.Fatalf("Recover: %v", err)
		}
		size := s.Size()
		if total := int64(len(prefix) + len(tail)); cut != total-size || size < int64(len(prefix)) {
			t.Fatalf("Recover cut %d of %d bytes leaving %d; the prefix is %d", cut, total, size, len(prefix))
		}
		log := readFile(t, m, LogPath("/", 0))
		if int64(len(log)) != size || !bytes.Equal(log[:len(prefix)], prefix) {
			t.Fatalf("the recovered log (%d bytes) does not start with the %d-byte prefix", len(log), len(prefix))
		}
		pos, nextOff := int64(0), int64(0)
		for i, b := range batches[:k] {
			h := recordbatch.Header(b)
			sl, err := s.Read(h.LastOffset(), 1, math.MaxInt64)
			if err != nil || sl.Pos != pos || sl.Len != int64(len(b)) {
				t.Fatalf("Read(%d) = %+v, %v; want batch %d at %d", h.LastOffset(), sl, err, i, pos)
			}
			pos += int64(len(b))
			nextOff = h.NextOffset()
		}
		for rest := log[len(prefix):]; len(rest) > 0; {
			size, err := recordbatch.BatchSize(rest)
			if err != nil || size > len(rest) {
				t.Fatalf("bytes past the prefix are not whole batches: %v", err)
			}
			if err := recordbatch.CheckStored(rest[:size]); err != nil {
				t.Fatal(err)
			}
			h := recordbatch.Header(rest)
			if h.BaseOffset() < nextOff {
				t.Fatalf("a kept batch at offset %d follows offset %d", h.BaseOffset(), nextOff-1)
			}
			nextOff = h.NextOffset()
			rest = rest[size:]
		}
		if got, err := s.NextOffset(); got != nextOff || err != nil {
			t.Fatalf("NextOffset = %d, %v; want %d", got, err, nextOff)
		}
		if again, err := s.Recover(); again != 0 || err != nil {
			t.Fatalf("a second Recover = %d, %v; want 0", again, err)
		}
		if err := s.SanityCheck(); err != nil {
			t.Fatal(err)
		}
	})
}
