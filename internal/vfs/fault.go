package vfs

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// Op names an operation that a FaultFS counts and can fail.
type Op int

// The operations. OpAny, the zero value, matches every operation in a Fault.
const (
	OpAny      Op = iota
	OpCreate      // FS.Create
	OpOpen        // FS.Open and FS.OpenRW
	OpWrite       // File.WriteAt
	OpSync        // File.Sync
	OpTruncate    // File.Truncate
	OpAllocate    // File.Allocate
	OpRename      // FS.Rename (the Path of a Fault matches either name)
	OpRemove      // FS.Remove and FS.RemoveAll
	OpSyncDir     // FS.SyncDir
	OpRead        // File.ReadAt
	OpMkdir       // FS.MkdirAll
	OpReadDir     // FS.ReadDir
	OpStat        // FS.Stat
	OpSyncFS      // FS.SyncFS
	numOps
)

var opNames = [numOps]string{"any", "create", "open", "write", "sync", "truncate", "fallocate",
	"rename", "remove", "syncdir", "read", "mkdir", "readdir", "stat", "syncfs"}

// String returns the operation's name, as used in the Op of the errors a
// FaultFS returns.
func (op Op) String() string {
	if op < 0 || op >= numOps {
		return "op(?)"
	}
	return opNames[op]
}

// Fault makes matching calls fail.
type Fault struct {
	Op Op // the operation; OpAny matches all
	// Path matches a call whose path (a file's Name for file operations;
	// either name for Rename) contains it; "" matches any path.
	Path string
	Err  error // the error the calls fail with; nil means syscall.EIO
	// Count is how many matching calls fail before the fault is spent;
	// <= 0 means every matching call fails until Clear.
	Count int
	// After is how many matching calls succeed before the first failure.
	After int
}

// FaultFS wraps an FS and fails chosen calls. A failed call does nothing
// and returns *fs.PathError (*os.LinkError for Rename) wrapping the
// injected error, so errors.Is(err, syscall.EIO) and the like hold.
//
// Faults are checked in the order they were injected; the first that fires
// decides the call, and faults after it do not see the call (their After
// and Count are unchanged).
//
// Its files do not implement FdFile even over OS, so that code which mmaps
// or sendfiles FdFiles falls back to WriteAt and ReadAt, which faults reach.
// File.Close, File.Size and File.Name are passed through unchecked.
//
// A FaultFS is safe for concurrent use.
type FaultFS struct {
	base FS

	full    atomic.Bool
	nfaults atomic.Int32 // len(faults), read without mu on every call
	calls   [numOps]atomic.Int64

	mu     sync.Mutex
	faults []Fault // After and Count count down as calls match
}

var _ FS = (*FaultFS)(nil)

// NewFaulty returns a FaultFS over base with no faults injected.
func NewFaulty(base FS) *FaultFS { return &FaultFS{base: base} }

// Inject adds a fault. It applies to calls made after Inject returns,
// including calls on files opened earlier.
func (f *FaultFS) Inject(ft Fault) {
	if ft.Err == nil {
		ft.Err = syscall.EIO
	}
	f.mu.Lock()
	f.faults = append(f.faults, ft)
	f.nfaults.Store(int32(len(f.faults)))
	f.mu.Unlock()
}

// Clear removes every injected fault. It does not end SetFull.
func (f *FaultFS) Clear() {
	f.mu.Lock()
	f.faults = nil
	f.nfaults.Store(0)
	f.mu.Unlock()
}

// SetFull simulates a full disk while full is true. Then every Create, every
// OpenRW or MkdirAll that would create something, every Allocate and every
// WriteAt that would end past the file's current size fails with
// syscall.ENOSPC and writes nothing; a WriteAt within the current size,
// reads, Sync, SyncDir, SyncFS, Truncate, Rename and removals still work. Injected
// faults are checked first.
func (f *FaultFS) SetFull(full bool) { f.full.Store(full) }

// Calls reports how many calls of op were made through f, failed ones
// included; Calls(OpAny) is the total over all operations.
func (f *FaultFS) Calls(op Op) int {
	if op == OpAny {
		var n int64
		for i := range f.calls {
			n += f.calls[i].Load()
		}
		return int(n)
	}
	if op < 0 || op >= numOps {
		return 0
	}
	return int(f.calls[op].Load())
}

// check counts a call of op on path (and path2, for Rename) and returns the
// error of the first fault that fires, or nil.
func (f *FaultFS) check(op Op, path, path2 string) error {
	f.calls[op].Add(1)
	if f.nfaults.Load() == 0 {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.faults {
		ft := &f.faults[i]
		if ft.Op != OpAny && ft.Op != op {
			continue
		}
		if ft.Path != "" && !strings.Contains(path, ft.Path) && (path2 == "" || !strings.Contains(path2, ft.Path)) {
			continue
		}
		if ft.After > 0 {
			ft.After--
			continue
		}
		err := ft.Err
		if ft.Count > 0 {
			ft.Count--
			if ft.Count == 0 {
				f.faults = append(f.faults[:i], f.faults[i+1:]...)
				f.nfaults.Store(int32(len(f.faults)))
			}
		}
		return err
	}
	return nil
}

// absent reports whether name does not exist in the base FS.
func (f *FaultFS) absent(name string) bool {
	_, err := f.base.Stat(name)
	return errors.Is(err, fs.ErrNotExist)
}

// Create implements FS.
func (f *FaultFS) Create(name string) (File, error) {
	if err := f.check(OpCreate, name, ""); err != nil {
		return nil, pathErr("open", name, err)
	}
	if f.full.Load() {
		return nil, pathErr("open", name, syscall.ENOSPC)
	}
	return f.wrap(f.base.Create(name))
}

// OpenRW implements FS.
func (f *FaultFS) OpenRW(name string) (File, error) {
	if err := f.check(OpOpen, name, ""); err != nil {
		return nil, pathErr("open", name, err)
	}
	if f.full.Load() && f.absent(name) {
		return nil, pathErr("open", name, syscall.ENOSPC)
	}
	return f.wrap(f.base.OpenRW(name))
}

// Open implements FS.
func (f *FaultFS) Open(name string) (File, error) {
	if err := f.check(OpOpen, name, ""); err != nil {
		return nil, pathErr("open", name, err)
	}
	return f.wrap(f.base.Open(name))
}

func (f *FaultFS) wrap(file File, err error) (File, error) {
	if err != nil {
		return nil, err
	}
	return &faultFile{fs: f, f: file}, nil
}

// Remove implements FS.
func (f *FaultFS) Remove(name string) error {
	if err := f.check(OpRemove, name, ""); err != nil {
		return pathErr("remove", name, err)
	}
	return f.base.Remove(name)
}

// Rename implements FS.
func (f *FaultFS) Rename(oldname, newname string) error {
	if err := f.check(OpRename, oldname, newname); err != nil {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err}
	}
	return f.base.Rename(oldname, newname)
}

// MkdirAll implements FS.
func (f *FaultFS) MkdirAll(dir string, perm os.FileMode) error {
	if err := f.check(OpMkdir, dir, ""); err != nil {
		return pathErr("mkdir", dir, err)
	}
	if f.full.Load() && f.absent(dir) {
		return pathErr("mkdir", dir, syscall.ENOSPC)
	}
	return f.base.MkdirAll(dir, perm)
}

// RemoveAll implements FS.
func (f *FaultFS) RemoveAll(dir string) error {
	if err := f.check(OpRemove, dir, ""); err != nil {
		return pathErr("RemoveAll", dir, err)
	}
	return f.base.RemoveAll(dir)
}

// ReadDir implements FS.
func (f *FaultFS) ReadDir(dir string) ([]string, error) {
	if err := f.check(OpReadDir, dir, ""); err != nil {
		return nil, pathErr("readdir", dir, err)
	}
	return f.base.ReadDir(dir)
}

// Stat implements FS.
func (f *FaultFS) Stat(name string) (os.FileInfo, error) {
	if err := f.check(OpStat, name, ""); err != nil {
		return nil, pathErr("stat", name, err)
	}
	return f.base.Stat(name)
}

// SyncDir implements FS.
func (f *FaultFS) SyncDir(dir string) error {
	if err := f.check(OpSyncDir, dir, ""); err != nil {
		return pathErr("syncdir", dir, err)
	}
	return f.base.SyncDir(dir)
}

// SyncFS implements FS.
func (f *FaultFS) SyncFS(dir string) error {
	if err := f.check(OpSyncFS, dir, ""); err != nil {
		return pathErr("syncfs", dir, err)
	}
	return f.base.SyncFS(dir)
}

type faultFile struct {
	fs *FaultFS
	f  File
}

func (ff *faultFile) ReadAt(p []byte, off int64) (int, error) {
	if err := ff.fs.check(OpRead, ff.f.Name(), ""); err != nil {
		return 0, pathErr("read", ff.f.Name(), err)
	}
	return ff.f.ReadAt(p, off)
}

func (ff *faultFile) WriteAt(p []byte, off int64) (int, error) {
	if err := ff.fs.check(OpWrite, ff.f.Name(), ""); err != nil {
		return 0, pathErr("write", ff.f.Name(), err)
	}
	if ff.fs.full.Load() {
		size, err := ff.f.Size()
		if err != nil {
			return 0, err
		}
		if off+int64(len(p)) > size {
			return 0, pathErr("write", ff.f.Name(), syscall.ENOSPC)
		}
	}
	return ff.f.WriteAt(p, off)
}

func (ff *faultFile) Sync() error {
	if err := ff.fs.check(OpSync, ff.f.Name(), ""); err != nil {
		return pathErr("sync", ff.f.Name(), err)
	}
	return ff.f.Sync()
}

func (ff *faultFile) Truncate(size int64) error {
	if err := ff.fs.check(OpTruncate, ff.f.Name(), ""); err != nil {
		return pathErr("truncate", ff.f.Name(), err)
	}
	return ff.f.Truncate(size)
}

func (ff *faultFile) Allocate(off, n int64) error {
	if err := ff.fs.check(OpAllocate, ff.f.Name(), ""); err != nil {
		return pathErr("fallocate", ff.f.Name(), err)
	}
	if ff.fs.full.Load() {
		return pathErr("fallocate", ff.f.Name(), syscall.ENOSPC)
	}
	return ff.f.Allocate(off, n)
}

func (ff *faultFile) Size() (int64, error) { return ff.f.Size() }
func (ff *faultFile) Close() error         { return ff.f.Close() }
func (ff *faultFile) Name() string         { return ff.f.Name() }
