//go:build unix

package server

import "syscall"

// segmentFileBudget is the descriptors this process's segments may keep
// open (segment.SetFileBudget): half of its open-file limit
// (RLIMIT_NOFILE, which the Go runtime raises to the hard limit at
// start), so that connections, state files and the segments that every
// loaded one is pinned by a read or append keep the other half. 0 (the
// segment package's default) when the limit is unknown or unlimited.
func segmentFileBudget() int64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == ^uint64(0) || rl.Cur > 1<<40 {
		return 0
	}
	return int64(rl.Cur / 2)
}
