//go:build unix

package server

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// segmentFileBudget is the descriptors this process's segments may keep
// open (segment.SetFileBudget), from its open-file limit (RLIMIT_NOFILE,
// which the Go runtime raises to the hard limit at start) and
// vm.max_map_count: see fileBudget.
func segmentFileBudget() int64 {
	var nofile, maps int64
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil && rl.Cur != ^uint64(0) && rl.Cur <= 1<<40 {
		nofile = int64(rl.Cur)
	}
	if b, err := os.ReadFile("/proc/sys/vm/max_map_count"); err == nil {
		maps, _ = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	}
	return fileBudget(nofile, maps)
}
