package server

import "testing"

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
