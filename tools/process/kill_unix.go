//go:build unix

package process

import "syscall"

// kill sends sig to process pid.
func kill(pid int, sig syscall.Signal) error { return syscall.Kill(pid, sig) }
