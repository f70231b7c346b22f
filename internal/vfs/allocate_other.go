//go:build !linux

package vfs

import "os"

func allocate(*os.File, int64, int64) error { return nil }
