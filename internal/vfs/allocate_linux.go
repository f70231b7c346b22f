package vfs

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// allocate reserves blocks with fallocate(FALLOC_FL_KEEP_SIZE), retrying on
// EINTR; filesystems that cannot (EOPNOTSUPP) are not an error.
func allocate(f *os.File, off, n int64) error {
	if n <= 0 {
		return nil
	}
	for {
		err := unix.Fallocate(int(f.Fd()), unix.FALLOC_FL_KEEP_SIZE, off, n)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.ENOSYS):
			return nil
		}
		return err
	}
}
