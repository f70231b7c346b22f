package vfs

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// syncfsErrors reports whether this kernel's syncfs(2) reports writeback
// errors (Linux 5.8, "vfs: track per-sb writeback errors and report them
// to syncfs").
var syncfsErrors = sync.OnceValue(func() bool {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return false
	}
	return releaseReportsSyncfsErrors(unix.ByteSliceToString(u.Release[:]))
})

// releaseReportsSyncfsErrors reports whether a kernel release string
// ("6.18.0-1-amd64") names Linux 5.8 or later.
func releaseReportsSyncfsErrors(release string) bool {
	parts := strings.SplitN(release, ".", 3)
	if len(parts) < 2 {
		return false
	}
	major, err1 := strconv.Atoi(parts[0])
	minorDigits := parts[1]
	if i := strings.IndexFunc(minorDigits, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		minorDigits = minorDigits[:i]
	}
	minor, err2 := strconv.Atoi(minorDigits)
	if err1 != nil || err2 != nil {
		return false
	}
	return major > 5 || major == 5 && minor >= 8
}

// syncFS is OS.SyncFS: one syncfs(2) through a descriptor of dir, or
// syncTree on a kernel whose syncfs reports no errors.
func syncFS(dir string) error {
	if !syncfsErrors() {
		_, err := syncTree(dir)
		return err
	}
	var fd int
	var err error
	for {
		fd, err = unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		return &os.PathError{Op: "open", Path: dir, Err: err}
	}
	err = unix.Syncfs(fd)
	if cerr := unix.Close(fd); err == nil && cerr != nil {
		return &os.PathError{Op: "close", Path: dir, Err: cerr}
	}
	if err != nil {
		return &os.PathError{Op: "syncfs", Path: dir, Err: err}
	}
	return nil
}
