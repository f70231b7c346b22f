package vfs

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"syscall"
)

// OS is the operating system's filesystem.
var OS FS = osFS{}

type osFS struct{}

func (osFS) Create(name string) (File, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	return &osFile{f}, nil
}

func (osFS) OpenRW(name string) (File, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	return &osFile{f}, nil
}

func (osFS) Open(name string) (File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	return &osFile{f}, nil
}

func (osFS) Remove(name string) error               { return os.Remove(name) }
func (osFS) Rename(o, n string) error               { return os.Rename(o, n) }
func (osFS) MkdirAll(d string, p os.FileMode) error { return os.MkdirAll(d, p) }
func (osFS) RemoveAll(d string) error               { return os.RemoveAll(d) }
func (osFS) Stat(name string) (os.FileInfo, error)  { return os.Stat(name) }

func (osFS) ReadDir(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	slices.Sort(names)
	return names, nil
}

func (osFS) SyncDir(dir string) error {
	d, err := os.Open(filepath.Clean(dir))
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

var _ FdFile = (*osFile)(nil)

type osFile struct{ *os.File }

func (f *osFile) Size() (int64, error) {
	st, err := f.File.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

func (f *osFile) Allocate(off, n int64) error { return allocate(f.File, off, n) }

// SyncFS implements FS. On Linux 5.8 and later it is one syncfs(2) of the
// filesystem holding dir: the kernel writes back every dirty page and
// inode of that filesystem (pages dirtied through shared mappings too) and
// flushes the device's cache. Since 5.8 syncfs reports writeback errors:
// the filesystem keeps an error sequence (errseq), and syncfs returns an
// error no syncfs on it has reported yet, including one from background
// writeback before the call. Earlier kernels report none, so there, and
// off Linux, SyncFS fsyncs every regular file and directory below dir
// instead (syncTree): slower, but no error goes unseen.
func (osFS) SyncFS(dir string) error { return syncFS(filepath.Clean(dir)) }

// syncTree fsyncs dir, every directory below it and every regular file in
// them, and returns how many it fsynced. Other kinds of file (links,
// sockets) are skipped. A dir that is not a directory is ENOTDIR.
func syncTree(dir string) (int, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return 0, err
	}
	if !st.IsDir() {
		return 0, &os.PathError{Op: "open", Path: dir, Err: syscall.ENOTDIR}
	}
	n := 0
	var walk func(d string) error
	walk = func(d string) error {
		ents, err := os.ReadDir(d)
		if err != nil {
			return err
		}
		for _, e := range ents {
			p := filepath.Join(d, e.Name())
			switch {
			case e.IsDir():
				if err := walk(p); err != nil {
					return err
				}
			case e.Type().IsRegular():
				if err := syncPath(p); err != nil {
					return err
				}
				n++
			}
		}
		if err := syncPath(d); err != nil {
			return err
		}
		n++
		return nil
	}
	return n, walk(dir)
}

// syncPath opens name read-only and fsyncs it.
func syncPath(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}
