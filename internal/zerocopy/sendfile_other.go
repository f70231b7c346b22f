//go:build !linux

package zerocopy

import "syscall"

// Supported reports whether Sendfile is implemented on this system.
const Supported = false

// Sendfile returns ErrUnsupported on this system; callers copy through a
// buffer instead.
func Sendfile(dst syscall.RawConn, srcFD uintptr, off, n int64) (int64, error) {
	return 0, ErrUnsupported
}
