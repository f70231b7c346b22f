//go:build !unix

package main

import (
	"errors"
	"os/exec"
)

// newSession: -daemon needs setsid(2), which only Unix systems have.
func newSession(*exec.Cmd) error {
	return errors.New("-daemon is supported on Unix systems only")
}
