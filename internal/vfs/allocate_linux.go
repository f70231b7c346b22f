package vfs

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// allocate reserves blocks with fallocate(FALLOC_FL_KEEP_SIZE), retrying on
// EINTR; filesystems that cannot (EOPNOTSUPP, ENOSYS) are not an error.
// Errors are *os.PathError; a closed file gives os.ErrClosed.
func allocate(f *os.File, off, n int64) error {
	if n <= 0 {
		return nil
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return &os.PathError{Op: "fallocate", Path: f.Name(), Err: err}
	}
	var ferr error
	cerr := rc.Control(func(fd uintptr) {
		for {
			ferr = unix.Fallocate(int(fd), unix.FALLOC_FL_KEEP_SIZE, off, n)
			if !errors.Is(ferr, unix.EINTR) {
				return
			}
		}
	})
	switch {
	case cerr != nil:
		// Control fails only on a closed file, with internal/poll's
		// ErrFileClosing, which the os package reports as os.ErrClosed.
		ferr = os.ErrClosed
	case errors.Is(ferr, unix.EOPNOTSUPP), errors.Is(ferr, unix.ENOSYS):
		return nil
	}
	if ferr != nil {
		return &os.PathError{Op: "fallocate", Path: f.Name(), Err: ferr}
	}
	return nil
}
