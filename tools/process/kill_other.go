//go:build !unix

package process

import "syscall"

// kill: without Unix signals there is nothing to send (find has already
// failed with ErrNoProc).
func kill(int, syscall.Signal) error { return ErrNoProc }
