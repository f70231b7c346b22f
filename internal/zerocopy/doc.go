// Package zerocopy sends file bytes to a socket without copying them through
// user space: sendfile(2) from a file descriptor at an explicit offset, driven
// through the Go netpoller by way of syscall.RawConn.
//
// The explicit offset matters: the standard library's TCPConn.ReadFrom sends
// from the file's shared position, which races between concurrent fetches of
// one segment file. Sendfile never touches the file position.
//
// On systems without sendfile, Sendfile returns ErrUnsupported and the caller
// copies through a buffer instead.
package zerocopy

import "errors"

var (
	// ErrUnsupported: this operating system has no sendfile path here.
	ErrUnsupported = errors.New("zerocopy: sendfile not supported on this system")

	// ErrShortFile: the file ended before the requested bytes were sent
	// (it was truncated under the caller, as Kafka's FileRecords.writeTo
	// guards against).
	ErrShortFile = errors.New("zerocopy: file shorter than the requested range")
)
