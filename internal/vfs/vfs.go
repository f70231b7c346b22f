// Package vfs is the filesystem seam under Strata's storage engine.
//
// Storage code reaches files only through FS and File, so that tests can run
// it over other filesystems. OS is the operating system's filesystem, which
// the broker uses. NewMem returns an in-memory filesystem that tracks what
// has been made durable (File.Sync for contents, FS.SyncDir for directory
// entries, FS.SyncFS for both, everywhere below a directory):
// MemFS.CrashClone yields what a machine crash would leave, optionally with
// torn and garbled unsynced tails, and MemFS.Snapshot what a process crash
// leaves (everything written). NewFaulty wraps any FS to fail chosen
// operations (EIO, ENOSPC, ...) and to simulate a full disk.
//
// SyncFS is how a clean shutdown makes thousands of files durable at once:
// on Linux one syncfs(2) per filesystem instead of an fsync per file (see
// OS for the kernels where that reports writeback errors).
//
// The interface is deliberately small: what a log-structured store needs.
package vfs

import (
	"io"
	"os"
)

// FS is a filesystem. Paths use the OS separator; implementations accept
// any path that filepath.Clean leaves unchanged.
type FS interface {
	// Create opens name for reading and writing, creating it or
	// truncating it to zero length.
	Create(name string) (File, error)
	// OpenRW opens name for reading and writing, creating it if absent,
	// keeping its contents otherwise.
	OpenRW(name string) (File, error)
	// Open opens an existing file read-only.
	Open(name string) (File, error)
	Remove(name string) error
	// Rename renames oldname to newname, replacing newname atomically.
	Rename(oldname, newname string) error
	MkdirAll(dir string, perm os.FileMode) error
	// RemoveAll removes dir and everything below it.
	RemoveAll(dir string) error
	// ReadDir lists the names (not paths) in dir, sorted.
	ReadDir(dir string) ([]string, error)
	// Stat reports a file's size and whether it is a directory.
	Stat(name string) (os.FileInfo, error)
	// SyncDir makes creations, renames and removals in dir durable.
	SyncDir(dir string) error
	// SyncFS makes every file's contents and every directory entry below
	// dir durable (dir's own entries included, recursively): what a Sync of
	// every file and a SyncDir of every directory there would do, in one
	// call. OS on Linux does it with one syncfs(2) of the filesystem
	// holding dir, which may make more durable; callers rely only on what
	// is below dir. dir must be a directory (ENOTDIR otherwise).
	SyncFS(dir string) error
}

// File is an open file. Reads and writes take explicit offsets; there is no
// shared file position, so concurrent readers never race one another.
type File interface {
	io.ReaderAt
	io.WriterAt
	io.Closer
	// Sync makes the file's written bytes durable.
	Sync() error
	// Truncate changes the file's size.
	Truncate(size int64) error
	// Size is the file's current size.
	Size() (int64, error)
	// Allocate reserves disk blocks for [off, off+n) without changing the
	// file's size (fallocate with FALLOC_FL_KEEP_SIZE). Implementations that
	// cannot reserve return nil.
	Allocate(off, n int64) error
	Name() string
}

// FdFile is a File backed by an OS file descriptor, for mmap and sendfile.
// Only the OS implementation's files implement it.
type FdFile interface {
	File
	Fd() uintptr
}
