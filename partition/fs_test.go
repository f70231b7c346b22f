package partition

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/stratabroker/strata/internal/vfs"
)

// countFS wraps an FS and counts ReadAt and Sync calls per file-name
// suffix (".log", ".index", ...), and can hold Syncs of .log files.
type countFS struct {
	vfs.FS
	mu    sync.Mutex
	reads map[string]int
	syncs map[string]int
	// syncGate, when set, is received from before each .log Sync.
	syncGate atomic.Pointer[chan struct{}]
}

func newCountFS(base vfs.FS) *countFS {
	return &countFS{FS: base, reads: map[string]int{}, syncs: map[string]int{}}
}

func suffix(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i:]
	}
	return ""
}

func (c *countFS) Reads(suf string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads[suf]
}

func (c *countFS) Syncs(suf string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.syncs[suf]
}

func (c *countFS) wrap(f vfs.File, err error) (vfs.File, error) {
	if err != nil {
		return nil, err
	}
	return &countFile{File: f, fs: c, suf: suffix(f.Name())}, nil
}

func (c *countFS) Create(name string) (vfs.File, error) { return c.wrap(c.FS.Create(name)) }
func (c *countFS) OpenRW(name string) (vfs.File, error) { return c.wrap(c.FS.OpenRW(name)) }
func (c *countFS) Open(name string) (vfs.File, error)   { return c.wrap(c.FS.Open(name)) }

type countFile struct {
	vfs.File
	fs  *countFS
	suf string
}

func (f *countFile) ReadAt(p []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	f.fs.reads[f.suf]++
	f.fs.mu.Unlock()
	return f.File.ReadAt(p, off)
}

func (f *countFile) Sync() error {
	if g := f.fs.syncGate.Load(); g != nil && f.suf == ".log" {
		<-*g
	}
	f.fs.mu.Lock()
	f.fs.syncs[f.suf]++
	f.fs.mu.Unlock()
	return f.File.Sync()
}
