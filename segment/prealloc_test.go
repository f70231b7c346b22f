package segment

import (
	"os"
	"syscall"
	"testing"

	"github.com/stratabroker/strata/internal/vfs"
)

// allocated is the disk space a file's blocks take (st_blocks * 512).
func allocated(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		t.Skip("no st_blocks here")
	}
	return st.Blocks * 512
}

// TestAdaptivePreallocation: a segment that took one small batch reserves
// at most 64 KiB of disk (issue 24 item 13: it was 4 MiB per partition);
// one that keeps being appended to reaches the full 4 MiB lead, and a
// segment.bytes cap still bounds it.
func TestAdaptivePreallocation(t *testing.T) {
	c := fsCase{"os", vfs.OS, t.TempDir()}
	s := mustCreate(t, c, 0, Options{})
	defer mustClose(t, s)
	mustAppend(t, s, mkBatch(t, 0, 100, 1))
	if got := allocated(t, LogPath(c.dir, 0)); got > 64<<10 {
		t.Fatalf("after one %d-byte append the log holds %d bytes of blocks, want at most 65536", s.Size(), got)
	}
	var off int64 = 1
	for s.Size() < 16<<20 {
		mustAppend(t, s, mkBatch(t, off, 16<<10, 1))
		off++
	}
	got := allocated(t, LogPath(c.dir, 0))
	if lead := got - s.Size(); lead < DefaultPreallocateBytes/2 || got > s.Size()+DefaultPreallocateBytes+mapGrain {
		t.Fatalf("after %d bytes of appends the log holds %d bytes of blocks (lead %d), want a lead of %d..%d",
			s.Size(), got, lead, DefaultPreallocateBytes/2, DefaultPreallocateBytes+mapGrain)
	}

	s.appendMu.Lock()
	lead := s.lead
	s.appendMu.Unlock()
	if lead != DefaultPreallocateBytes {
		t.Fatalf("lead %d after %d bytes of appends, want %d", lead, s.Size(), DefaultPreallocateBytes)
	}
	// Eviction trims the reserve.
	evictAll()
	if got := allocated(t, LogPath(c.dir, 0)); got > roundUp(s.Size(), 4096)+mapGrain {
		t.Fatalf("evicted log of %d bytes holds %d bytes of blocks", s.Size(), got)
	}

	// A cap of 100 KiB (segment.bytes) is never passed.
	c2 := fsCase{"os", vfs.OS, t.TempDir()}
	s2 := mustCreate(t, c2, 0, Options{MaxBytes: 100 << 10})
	defer mustClose(t, s2)
	for i := range int64(50) {
		mustAppend(t, s2, mkBatch(t, i, 1000, 1))
	}
	if got := allocated(t, LogPath(c2.dir, 0)); got > roundUp(100<<10, mapGrain) {
		t.Fatalf("capped segment of %d bytes holds %d bytes of blocks, want at most %d", s2.Size(), got, roundUp(100<<10, mapGrain))
	}
}
