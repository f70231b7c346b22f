//go:build unix

package main

import (
	"os/exec"
	"syscall"
)

// newSession makes cmd start in a session of its own (setsid), detached
// from the terminal.
func newSession(cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	return nil
}
