//go:build !unix

package dirlock

import (
	"errors"
	"os"
)

var errWouldBlock = errors.New("dirlock: lock held")

// flock is not available: every Acquire succeeds, as on filesystems that
// ignore locks.
func flock(*os.File) error { return nil }
