package zerocopy

import (
	"cmp"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// Supported reports whether Sendfile is implemented on this system.
const Supported = true

// maxChunk bounds one sendfile(2) call; Linux transfers at most 0x7ffff000
// bytes per call anyway (the stdlib uses the same bound).
const maxChunk = 1 << 30

// Sendfile writes n bytes of the file behind srcFD, starting at off, to the
// socket behind dst. It returns the number of bytes sent. When the socket's
// send buffer is full (EAGAIN) it parks the goroutine in the netpoller until
// the socket is writable, as a conn.Write would; the connection's write
// deadline applies. A file that ends before off+n yields ErrShortFile.
// The file's own position is neither used nor changed.
func Sendfile(dst syscall.RawConn, srcFD uintptr, off, n int64) (int64, error) {
	if n <= 0 {
		return 0, nil
	}
	var (
		sent  int64
		opErr error
	)
	err := dst.Write(func(fd uintptr) bool {
		for sent < n {
			chunk := int(min(n-sent, maxChunk))
			pos := off + sent
			m, e := unix.Sendfile(int(fd), int(srcFD), &pos, chunk)
			if m > 0 {
				sent += int64(m)
			}
			switch {
			case e == unix.EAGAIN:
				return false // wait for writability, then the netpoller calls us again
			case e == unix.EINTR:
				continue
			case e != nil:
				opErr = fmt.Errorf("zerocopy: sendfile at %d: %w", off+sent, e)
				return true
			case m == 0:
				opErr = fmt.Errorf("%w: %d of %d bytes sent from offset %d", ErrShortFile, sent, n, off)
				return true
			}
		}
		return true
	})
	return sent, cmp.Or(opErr, err)
}
