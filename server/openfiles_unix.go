//go:build unix

package server

import "syscall"

// openSegmentLimit is partition.Options.MaxOpenSegments for this process:
// a quarter of its open-file limit (RLIMIT_NOFILE, which the Go runtime
// raises to the hard limit at start), so that segments (up to three
// descriptors each) take at most three quarters of the descriptors and
// connections, state files and the segment a roll creates keep the rest.
// 0 (no limit) when the limit is unknown or unlimited.
func openSegmentLimit() int64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == ^uint64(0) || rl.Cur > 1<<40 {
		return 0
	}
	return int64(rl.Cur / 4)
}
