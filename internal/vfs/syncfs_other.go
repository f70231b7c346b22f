//go:build !linux

package vfs

// syncFS is OS.SyncFS off Linux: an fsync of every file and directory
// below dir.
func syncFS(dir string) error {
	_, err := syncTree(dir)
	return err
}
