package index

import (
	"math/rand/v2"
	"sync"
	"testing"
)

// TestConcurrentLookupAppend runs readers and a flusher against a writer
// that appends, truncates, appends again (growing the heap buffer or
// preallocating the mapping underneath the readers) and trims. Every
// lookup must return the base or a real entry that is at most the target.
// Run under -race.
func TestConcurrentLookupAppend(t *testing.T) {
	forEachFS(t, func(t *testing.T, b *backend) {
		const n = 6000
		const base = 1000
		x := openOffset(t, b, name, base, 8*n)
		y := openTime(t, b, tname, base, 12*n+12)
		entry := func(i int64) (off, pos, ts int64) { return base + 3*i + 1, 100*i + 7, 1e12 + 5*i }
		// progress has a token whenever a reader finished a lookup since the
		// writer last took one; the writer takes one every 256 entries, so
		// lookups interleave with every phase of the writes.
		progress := make(chan struct{}, 1)
		write := func(from, to int64) {
			for i := from; i < to; i++ {
				if i%256 == 0 {
					<-progress
				}
				off, pos, ts := entry(i)
				if err := x.Append(off, pos); err != nil {
					t.Error(err)
					return
				}
				if err := y.MaybeAppend(ts, off); err != nil {
					t.Error(err)
					return
				}
			}
		}
		done := make(chan struct{})
		var wg sync.WaitGroup
		check := func(seed uint64) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, 0))
			lookups := 0
			for {
				select {
				case <-done:
					if lookups == 0 {
						t.Error("reader made no lookups")
					}
					return
				default:
				}
				target := base - 5 + r.Int64N(3*n+10)
				off, pos := x.Lookup(target)
				if off == base && pos == 0 {
					// Nothing at or below target yet.
				} else if i := (off - base - 1) / 3; off > target || (off-base-1)%3 != 0 || pos != 100*i+7 {
					t.Errorf("Lookup(%d) = (%d, %d): not an entry at or below the target", target, off, pos)
					return
				}
				ts := 1e12 + r.Int64N(5*n)
				gotTs, gotOff := y.Lookup(ts)
				if gotTs == -1 && gotOff == base {
					// Nothing yet.
				} else if i := (gotTs - 1e12) / 5; gotTs > ts || (gotTs-1e12)%5 != 0 || gotOff != base+3*i+1 {
					t.Errorf("time Lookup(%d) = (%d, %d): not an entry at or below the target", ts, gotTs, gotOff)
					return
				}
				if lo, lp := x.LastEntry(); !(lo == base && lp == 0) && ((lo-base-1)%3 != 0 || lp != 100*((lo-base-1)/3)+7) {
					t.Errorf("LastEntry (%d, %d) is not an entry", lo, lp)
					return
				}
				_ = x.Full()
				lookups++
				select {
				case progress <- struct{}{}:
				default:
				}
			}
		}
		wg.Add(3)
		go check(1)
		go check(2)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				if err := x.Flush(); err != nil {
					t.Error(err)
					return
				}
				if err := y.Flush(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		write(0, n/2)
		off, _, _ := entry(n / 4)
		x.TruncateTo(off)
		y.TruncateTo(off)
		write(n/4, n)
		if err := x.Trim(); err != nil {
			t.Error(err)
		}
		if err := y.Trim(); err != nil {
			t.Error(err)
		}
		close(done)
		wg.Wait()
		if x.Entries() != n || y.Entries() != n {
			t.Fatalf("%d and %d entries, want %d", x.Entries(), y.Entries(), n)
		}
		for i := range int64(n) {
			off, pos, ts := entry(i)
			if o, p := x.Entry(int(i)); o != off || p != pos {
				t.Fatalf("offset entry %d = (%d, %d), want (%d, %d)", i, o, p, off, pos)
			}
			if gt, o := y.Entry(int(i)); gt != ts || o != off {
				t.Fatalf("time entry %d = (%d, %d), want (%d, %d)", i, gt, o, ts, off)
			}
		}
		if err := x.SanityCheck(); err != nil {
			t.Fatal(err)
		}
		if err := y.SanityCheck(); err != nil {
			t.Fatal(err)
		}
	})
}
