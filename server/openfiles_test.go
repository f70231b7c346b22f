package server

import (
	"testing"

	"github.com/stratabroker/strata/segment"
)

// TestFileBudget: half of RLIMIT_NOFILE, capped at half of
// vm.max_map_count; either alone when the other is unknown.
func TestFileBudget(t *testing.T) {
	for _, c := range []struct{ nofile, maps, want int64 }{
		{256, 65530, 128},
		{1 << 20, 65530, 32765},
		{20000, 65530, 10000},
		{0, 65530, 32765},
		{256, 0, 128},
		{0, 0, 0},
	} {
		if got := fileBudget(c.nofile, c.maps); got != c.want {
			t.Errorf("fileBudget(%d, %d) = %d, want %d", c.nofile, c.maps, got, c.want)
		}
	}
}

// TestSegmentFilesMax: strata.segment.files.max sets the segment file
// budget; 0 (the default) derives it from the open-file limit.
func TestSegmentFilesMax(t *testing.T) {
	old := segment.FileBudget()
	defer segment.SetFileBudget(old)
	startServer(t, "strata.segment.files.max", "300")
	if got := segment.FileBudget(); got != 300 {
		t.Fatalf("budget %d, want 300", got)
	}
	startServer(t)
	if got, want := segment.FileBudget(), segmentFileBudget(); got != want {
		t.Fatalf("budget %d, want %d from the open-file limit", got, want)
	}
}
