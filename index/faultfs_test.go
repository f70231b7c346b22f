package index

import (
	"sync"
	"syscall"

	"github.com/stratabroker/strata/internal/vfs"
)

// allocFailFS wraps vfs.OS so that Allocate fails with ENOSPC while fail is
// set; unlike vfs.FaultFS its files stay FdFiles, so the index maps them.
type allocFailFS struct {
	vfs.FS
	mu   sync.Mutex
	fail bool
}

func (a *allocFailFS) setFail(v bool) {
	a.mu.Lock()
	a.fail = v
	a.mu.Unlock()
}

func (a *allocFailFS) OpenRW(name string) (vfs.File, error) {
	f, err := a.FS.OpenRW(name)
	if err != nil {
		return nil, err
	}
	return allocFailFile{f.(vfs.FdFile), a}, nil
}

type allocFailFile struct {
	vfs.FdFile
	fs *allocFailFS
}

func (f allocFailFile) Allocate(off, n int64) error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.fs.fail {
		return syscall.ENOSPC
	}
	return f.FdFile.Allocate(off, n)
}
