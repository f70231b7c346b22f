package segment

import (
	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/recordbatch"
	"math"
	"testing"
)

// TestReadAllocs asserts that Read, the lookup path, allocates nothing,
// through the mapping (vfs.OS) and with ReadAt (the in-memory FS).
func TestReadAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	forEachFS(t, func(t *testing.T, c fsCase) {
		s := mustCreate(t, c, 0, Options{IndexIntervalBytes: 500})
		defer mustClose(t, s)
		for i := range int64(300) {
			mustAppend(t, s, mkBatch(t, 2*i, 100, i, i+1))
		}
		for _, maxBytes := range []int{1, 5000} {
			off := int64(0)
			allocs := testing.AllocsPerRun(200, func() {
				if _, err := s.Read(off%600, maxBytes, math.MaxInt64); err != nil {
					t.Fatal(err)
				}
				off += 7
			})
			if allocs != 0 {
				t.Errorf("Read(maxBytes %d) allocates %.1f times per call, want 0", maxBytes, allocs)
			}
		}
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := s.NextOffset(); err != nil {
				t.Fatal(err)
			}
			if _, ok := s.RollTimestamp(); !ok {
				t.Fatal("no roll timestamp")
			}
		})
		if allocs != 0 {
			t.Errorf("NextOffset and RollTimestamp allocate %.1f times, want 0", allocs)
		}
	})
}

// TestAppendAllocs asserts that Append allocates nothing over vfs.OS.
func TestAppendAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	c := fsCase{"os", vfs.OS, t.TempDir()}
	s := mustCreate(t, c, 0, Options{IndexIntervalBytes: 100})
	defer mustClose(t, s)
	batch := mkBatch(t, 0, 300, 1, 2)
	h := recordbatch.Header(batch)
	off := int64(0)
	allocs := testing.AllocsPerRun(500, func() {
		h.SetBaseOffset(off)
		if err := s.Append(batch); err != nil {
			t.Fatal(err)
		}
		off += 2
	})
	if allocs != 0 {
		t.Errorf("Append allocates %.2f times per call, want 0", allocs)
	}
}
