package vfs

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
)

// TempSuffix names the temporary file WriteFileAtomic writes before its
// rename; a crash can leave one behind, which its owner may remove.
const TempSuffix = ".tmp"

// ErrFileTooLarge marks a file larger than ReadFile's limit.
var ErrFileTooLarge = errors.New("vfs: file larger than limit")

// WriteFileAtomic replaces dir/name with data: it writes dir/name+TempSuffix,
// fsyncs it, renames it over dir/name and fsyncs dir. A crash at any point
// leaves either the old file or the new one (and perhaps the temporary).
// On error the temporary is removed.
func WriteFileAtomic(fs FS, dir, name string, data []byte) error {
	final := filepath.Join(dir, name)
	tmp := final + TempSuffix
	f, err := fs.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		return errors.Join(err, f.Close(), fs.Remove(tmp))
	}
	if err := f.Sync(); err != nil {
		return errors.Join(err, f.Close(), fs.Remove(tmp))
	}
	if err := f.Close(); err != nil {
		return errors.Join(err, fs.Remove(tmp))
	}
	if err := fs.Rename(tmp, final); err != nil {
		return errors.Join(err, fs.Remove(tmp))
	}
	return fs.SyncDir(dir)
}

// ReadFile reads a whole file of at most limit bytes. A larger file gets
// ErrFileTooLarge before anything is allocated; a missing one an error
// matching fs.ErrNotExist.
func ReadFile(fs FS, path string, limit int64) ([]byte, error) {
	f, err := fs.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	n, err := f.Size()
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, fmt.Errorf("%w: %s is %d bytes, limit %d", ErrFileTooLarge, path, n, limit)
	}
	b := make([]byte, n)
	if m, err := f.ReadAt(b, 0); m != len(b) {
		if err == nil || errors.Is(err, io.EOF) {
			err = fmt.Errorf("vfs: %s: read %d of %d bytes: %w", path, m, n, io.ErrUnexpectedEOF)
		}
		return nil, err
	}
	return b, nil
}
