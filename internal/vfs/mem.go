package vfs

import (
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// maxMemFileSize bounds a MemFS file, so that a write at a wild offset fails
// with EFBIG instead of exhausting memory.
const maxMemFileSize = 1 << 32

// MemFS is an in-memory FS that can simulate a machine crash.
//
// Every file keeps its current bytes and the bytes it held at its last
// Sync; every directory keeps its current entries and the entries it held at
// its last SyncDir. CrashClone builds what a machine crash would leave: the
// directory entries made durable by SyncDir and, for each file reached
// through them, its synced bytes. A process crash loses nothing (the page
// cache survives it): Snapshot copies the current state.
//
// Only the root always survives. A directory made by MkdirAll is an entry of
// its parent like a file, so it survives a crash only once its parent has
// been synced with SyncDir (each level of a new path needs its parent
// synced), and a file needs both SyncDir of its directory and File.Sync.
//
// Paths are rooted at one root directory: "/a/b", "a/b" and "a/./b" name
// the same file. The perm argument of MkdirAll is ignored.
//
// Errors match the os package's on Linux: *fs.PathError (*os.LinkError for
// Rename) around syscall.ENOENT (errors.Is(err, fs.ErrNotExist)), EEXIST,
// EISDIR, ENOTDIR, ENOTEMPTY, EINVAL, EBADF (a write to a file opened with
// Open), EFBIG (a file would exceed 4 GiB), and os.ErrClosed after Close.
// Unlike the os package, Open refuses a directory (EISDIR), and SyncDir
// refuses a file (ENOTDIR), as SyncFS does everywhere.
//
// A MemFS is safe for concurrent use. ReadAt calls proceed in parallel; file
// mutations (WriteAt, Truncate, Sync) exclude one another per file and
// exclude CrashClone and Snapshot, which therefore copy a single instant.
type MemFS struct {
	// mu guards the directory tree (children, synced). File mutations hold
	// it shared, tree changes and clones hold it exclusively. Lock order:
	// mu, then a node's mu.
	mu   sync.RWMutex
	root *memNode
}

// memNode is a directory or a regular file.
type memNode struct {
	dir bool

	// Directories, guarded by MemFS.mu.
	children map[string]*memNode
	synced   map[string]*memNode // the entries as of the last SyncDir

	// Files, guarded by mu (and mutated only with MemFS.mu held shared).
	mu         sync.RWMutex
	data       []byte
	syncedData []byte
	// dirtyFrom is a lower bound of the first byte that may differ between
	// data and syncedData: data[:k] == syncedData[:k] for
	// k = min(dirtyFrom, len(data), len(syncedData)).
	dirtyFrom int64

	modTime time.Time // guarded by mu for files, MemFS.mu for directories
}

func newDirNode() *memNode {
	return &memNode{dir: true, children: map[string]*memNode{}, synced: map[string]*memNode{}, modTime: time.Now()}
}

var _ FS = (*MemFS)(nil)

// NewMem returns an empty in-memory filesystem holding only its root
// directory.
func NewMem() *MemFS { return &MemFS{root: newDirNode()} }

// CrashOptions shapes the state CrashClone leaves.
type CrashOptions struct {
	// TearUnsynced keeps, for each file, a random prefix (possibly empty or
	// whole) of the bytes past its synced length: a torn write. Unsynced
	// changes within the synced length are always lost.
	TearUnsynced bool
	// Garble, with TearUnsynced, overwrites a random run of 1 to 8 bytes of
	// each non-empty kept tail with different values, as a sector written
	// partly would.
	Garble bool
	// Rand drives tearing and garbling; nil means a fixed seed. Files are
	// visited in path order, so a seed determines the result.
	Rand *rand.Rand
}

// CrashClone returns a new, independent MemFS holding what a machine crash
// would leave of m now: the directory entries made durable by SyncDir and
// each file's contents as of its last Sync (plus a torn tail if
// opts.TearUnsynced). Everything in the clone counts as synced. m is
// unchanged and its open files keep working.
func (m *MemFS) CrashClone(opts CrashOptions) *MemFS {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := cloner{crash: true, opts: opts, rng: opts.Rand, memo: map[*memNode]*memNode{}}
	if c.rng == nil {
		c.rng = rand.New(rand.NewPCG(1, 2))
	}
	return &MemFS{root: c.node(m.root)}
}

// Snapshot returns a new, independent MemFS with a deep copy of m's current
// state: the current contents, which a process crash leaves (the page cache
// survives it), together with what is synced, so that a CrashClone of the
// snapshot models a machine crash after the process restarts.
func (m *MemFS) Snapshot() *MemFS {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := cloner{memo: map[*memNode]*memNode{}}
	return &MemFS{root: c.node(m.root)}
}

// cloner copies a tree. A node reached by two names (a rename whose old
// directory was not synced) is copied once, like a hard link.
type cloner struct {
	crash bool
	opts  CrashOptions
	rng   *rand.Rand
	memo  map[*memNode]*memNode
}

func (c *cloner) node(n *memNode) *memNode {
	if cn, ok := c.memo[n]; ok {
		return cn
	}
	if !n.dir {
		cn := c.file(n)
		c.memo[n] = cn
		return cn
	}
	cn := &memNode{dir: true, modTime: n.modTime}
	c.memo[n] = cn
	if c.crash {
		cn.children = make(map[string]*memNode, len(n.synced))
		for _, name := range slices.Sorted(maps.Keys(n.synced)) {
			cn.children[name] = c.node(n.synced[name])
		}
		cn.synced = maps.Clone(cn.children)
		return cn
	}
	cn.children = make(map[string]*memNode, len(n.children))
	for _, name := range slices.Sorted(maps.Keys(n.children)) {
		cn.children[name] = c.node(n.children[name])
	}
	cn.synced = make(map[string]*memNode, len(n.synced))
	for _, name := range slices.Sorted(maps.Keys(n.synced)) {
		cn.synced[name] = c.node(n.synced[name])
	}
	return cn
}

func (c *cloner) file(n *memNode) *memNode {
	n.mu.RLock()
	defer n.mu.RUnlock()
	cn := &memNode{modTime: n.modTime}
	if !c.crash {
		cn.data = slices.Clone(n.data)
		cn.syncedData = slices.Clone(n.syncedData)
		cn.dirtyFrom = n.dirtyFrom
		return cn
	}
	s := len(n.syncedData)
	data := make([]byte, s, max(s, len(n.data)))
	copy(data, n.syncedData)
	if c.opts.TearUnsynced && len(n.data) > s {
		tail := n.data[s:]
		k := c.rng.IntN(len(tail) + 1)
		data = append(data, tail[:k]...)
		if c.opts.Garble && k > 0 {
			start := c.rng.IntN(k)
			run := 1 + c.rng.IntN(min(k-start, 8))
			for i := range run {
				data[s+start+i] ^= byte(1 + c.rng.IntN(255))
			}
		}
	}
	cn.data = data
	cn.syncedData = slices.Clone(data)
	cn.dirtyFrom = int64(len(data))
	return cn
}

// split cleans name and returns its components below the root; nil is the
// root itself.
func split(name string) []string {
	p := filepath.ToSlash(filepath.Clean("/" + name))
	if p == "/" {
		return nil
	}
	return strings.Split(p[1:], "/")
}

// walk returns the node at parts. m.mu is held.
func (m *MemFS) walk(parts []string) (*memNode, error) {
	n := m.root
	for _, p := range parts {
		if !n.dir {
			return nil, syscall.ENOTDIR
		}
		c, ok := n.children[p]
		if !ok {
			return nil, syscall.ENOENT
		}
		n = c
	}
	return n, nil
}

// parent returns the directory holding name and name's last component.
// m.mu is held. The root has no parent: EINVAL.
func (m *MemFS) parent(name string) (*memNode, string, error) {
	if name == "" {
		return nil, "", syscall.ENOENT
	}
	parts := split(name)
	if len(parts) == 0 {
		return nil, "", syscall.EINVAL
	}
	d, err := m.walk(parts[:len(parts)-1])
	if err != nil {
		return nil, "", err
	}
	if !d.dir {
		return nil, "", syscall.ENOTDIR
	}
	return d, parts[len(parts)-1], nil
}

func pathErr(op, name string, err error) error { return &fs.PathError{Op: op, Path: name, Err: err} }

// Create implements FS.
func (m *MemFS) Create(name string) (File, error) { return m.openWrite(name, true) }

// OpenRW implements FS.
func (m *MemFS) OpenRW(name string) (File, error) { return m.openWrite(name, false) }

func (m *MemFS) openWrite(name string, trunc bool) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, base, err := m.parent(name)
	if err == syscall.EINVAL { // the root
		err = syscall.EISDIR
	}
	if err != nil {
		return nil, pathErr("open", name, err)
	}
	n, ok := d.children[base]
	switch {
	case ok && n.dir:
		return nil, pathErr("open", name, syscall.EISDIR)
	case ok && trunc:
		n.mu.Lock()
		n.truncate(0)
		n.mu.Unlock()
	case !ok:
		n = &memNode{modTime: time.Now()}
		d.children[base] = n
		d.modTime = n.modTime
	}
	return &memFile{fs: m, n: n, name: name, write: true}, nil
}

// Open implements FS.
func (m *MemFS) Open(name string) (File, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if name == "" {
		return nil, pathErr("open", name, syscall.ENOENT)
	}
	n, err := m.walk(split(name))
	if err != nil {
		return nil, pathErr("open", name, err)
	}
	if n.dir {
		return nil, pathErr("open", name, syscall.EISDIR)
	}
	return &memFile{fs: m, n: n, name: name}, nil
}

// Remove implements FS: a file or an empty directory.
func (m *MemFS) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, base, err := m.parent(name)
	if err != nil {
		return pathErr("remove", name, err)
	}
	n, ok := d.children[base]
	if !ok {
		return pathErr("remove", name, syscall.ENOENT)
	}
	if n.dir && len(n.children) > 0 {
		return pathErr("remove", name, syscall.ENOTEMPTY)
	}
	delete(d.children, base)
	d.modTime = time.Now()
	return nil
}

// RemoveAll implements FS. A missing path is not an error.
func (m *MemFS) RemoveAll(name string) error {
	if name == "" || name == "." || strings.HasSuffix(name, "/.") {
		return pathErr("RemoveAll", name, syscall.EINVAL)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	d, base, err := m.parent(name)
	switch {
	case err == syscall.ENOENT:
		return nil
	case err != nil:
		return pathErr("unlinkat", name, err)
	}
	if _, ok := d.children[base]; ok {
		delete(d.children, base)
		d.modTime = time.Now()
	}
	return nil
}

// Rename implements FS. Like os.Rename on Linux it replaces a file, and
// refuses to replace a directory (EEXIST).
func (m *MemFS) Rename(oldname, newname string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	lerr := func(err error) error { return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err} }
	od, ob, err := m.parent(oldname)
	if err != nil {
		return lerr(err)
	}
	n, ok := od.children[ob]
	if !ok {
		return lerr(syscall.ENOENT)
	}
	nd, nb, err := m.parent(newname)
	if err != nil {
		return lerr(err)
	}
	if t, ok := nd.children[nb]; ok {
		if t == n {
			return nil
		}
		if t.dir {
			return lerr(syscall.EEXIST)
		}
		if n.dir {
			return lerr(syscall.ENOTDIR)
		}
	}
	if n.dir {
		// newname must not lie inside oldname.
		op, np := split(oldname), split(newname)
		if len(np) > len(op) && slices.Equal(np[:len(op)], op) {
			return lerr(syscall.EINVAL)
		}
	}
	delete(od.children, ob)
	nd.children[nb] = n
	now := time.Now()
	od.modTime, nd.modTime = now, now
	return nil
}

// MkdirAll implements FS.
func (m *MemFS) MkdirAll(dir string, _ os.FileMode) error {
	if dir == "" {
		return pathErr("mkdir", dir, syscall.ENOENT)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.root
	for _, p := range split(dir) {
		c, ok := n.children[p]
		if !ok {
			c = newDirNode()
			n.children[p] = c
			n.modTime = c.modTime
		} else if !c.dir {
			return pathErr("mkdir", dir, syscall.ENOTDIR)
		}
		n = c
	}
	return nil
}

// ReadDir implements FS.
func (m *MemFS) ReadDir(dir string) ([]string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	n, err := m.walk(split(dir))
	if err == nil && !n.dir {
		err = syscall.ENOTDIR
	}
	if err != nil {
		return nil, pathErr("open", dir, err)
	}
	return slices.Sorted(maps.Keys(n.children)), nil
}

// Stat implements FS.
func (m *MemFS) Stat(name string) (os.FileInfo, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if name == "" {
		return nil, pathErr("stat", name, syscall.ENOENT)
	}
	parts := split(name)
	n, err := m.walk(parts)
	if err != nil {
		return nil, pathErr("stat", name, err)
	}
	fi := memFileInfo{name: "/", dir: n.dir}
	if len(parts) > 0 {
		fi.name = parts[len(parts)-1]
	}
	if n.dir {
		fi.modTime = n.modTime
	} else {
		n.mu.RLock()
		fi.size, fi.modTime = int64(len(n.data)), n.modTime
		n.mu.RUnlock()
	}
	return fi, nil
}

// SyncDir implements FS: the current entries of dir become durable.
func (m *MemFS) SyncDir(dir string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.dirNode(dir)
	if err != nil {
		return err
	}
	n.synced = maps.Clone(n.children)
	return nil
}

// dirNode is the directory dir, for a sync. m.mu is held.
func (m *MemFS) dirNode(dir string) (*memNode, error) {
	n, err := m.walk(split(dir))
	if err == nil && !n.dir {
		err = syscall.ENOTDIR
	}
	if err != nil {
		return nil, pathErr("open", dir, err)
	}
	return n, nil
}

// SyncFS implements FS: everything below dir becomes durable, as if every
// file there were Synced and every directory (dir included) SyncDir'd.
// Unlike syncfs(2) on Linux, which covers the whole filesystem, nothing
// outside dir is made durable: code must not count on a SyncFS of one
// directory for another, which may be on another filesystem.
func (m *MemFS) SyncFS(dir string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.dirNode(dir)
	if err != nil {
		return err
	}
	n.syncTree()
	return nil
}

// syncTree syncs a directory's entries and everything below it. MemFS.mu
// is held exclusively.
func (n *memNode) syncTree() {
	n.synced = maps.Clone(n.children)
	for _, c := range n.children {
		if c.dir {
			c.syncTree()
		} else {
			c.sync()
		}
	}
}

type memFileInfo struct {
	name    string
	size    int64
	dir     bool
	modTime time.Time
}

func (fi memFileInfo) Name() string       { return fi.name }
func (fi memFileInfo) Size() int64        { return fi.size }
func (fi memFileInfo) ModTime() time.Time { return fi.modTime }
func (fi memFileInfo) IsDir() bool        { return fi.dir }
func (fi memFileInfo) Sys() any           { return nil }
func (fi memFileInfo) Mode() fs.FileMode {
	if fi.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}

// memFile is an open MemFS file. It keeps working after its name is removed
// or replaced, like an open file descriptor.
type memFile struct {
	fs     *MemFS
	n      *memNode
	name   string
	write  bool
	closed atomic.Bool
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	if f.closed.Load() {
		return 0, pathErr("read", f.name, os.ErrClosed)
	}
	if off < 0 {
		return 0, pathErr("readat", f.name, syscall.EINVAL)
	}
	if len(p) == 0 {
		return 0, nil
	}
	f.n.mu.RLock()
	defer f.n.mu.RUnlock()
	if off >= int64(len(f.n.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.n.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.checkWrite("write", syscall.EBADF); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, pathErr("writeat", f.name, syscall.EINVAL)
	}
	end := off + int64(len(p))
	if end > maxMemFileSize || end < off {
		return 0, pathErr("write", f.name, syscall.EFBIG)
	}
	f.fs.mu.RLock()
	defer f.fs.mu.RUnlock()
	n := f.n
	n.mu.Lock()
	defer n.mu.Unlock()
	n.grow(end)
	copy(n.data[off:], p)
	n.dirtyFrom = min(n.dirtyFrom, off)
	n.modTime = time.Now()
	return len(p), nil
}

func (f *memFile) Truncate(size int64) error {
	if err := f.checkWrite("truncate", syscall.EINVAL); err != nil {
		return err
	}
	if size < 0 {
		return pathErr("truncate", f.name, syscall.EINVAL)
	}
	if size > maxMemFileSize {
		return pathErr("truncate", f.name, syscall.EFBIG)
	}
	f.fs.mu.RLock()
	defer f.fs.mu.RUnlock()
	f.n.mu.Lock()
	defer f.n.mu.Unlock()
	f.n.truncate(size)
	return nil
}

func (f *memFile) Sync() error {
	if f.closed.Load() {
		return pathErr("sync", f.name, os.ErrClosed)
	}
	f.fs.mu.RLock()
	defer f.fs.mu.RUnlock()
	f.n.sync()
	return nil
}

// sync makes a file's current bytes its synced bytes. MemFS.mu is held
// (shared at least); n.mu must not be.
func (n *memNode) sync() {
	n.mu.Lock()
	defer n.mu.Unlock()
	k := min(n.dirtyFrom, int64(len(n.data)), int64(len(n.syncedData)))
	n.syncedData = resize(n.syncedData[:k], len(n.data))
	copy(n.syncedData[k:], n.data[k:])
	n.dirtyFrom = int64(len(n.data))
}

func (f *memFile) Size() (int64, error) {
	if f.closed.Load() {
		return 0, pathErr("stat", f.name, os.ErrClosed)
	}
	f.n.mu.RLock()
	defer f.n.mu.RUnlock()
	return int64(len(f.n.data)), nil
}

// Allocate reserves nothing: memory is not a disk that fills. It fails only
// as the OS implementation's would on a closed or read-only file or a
// negative offset.
func (f *memFile) Allocate(off, n int64) error {
	if err := f.checkWrite("fallocate", syscall.EBADF); err != nil {
		return err
	}
	if n > 0 && off < 0 {
		return pathErr("fallocate", f.name, syscall.EINVAL)
	}
	return nil
}

func (f *memFile) Close() error {
	if f.closed.Swap(true) {
		return pathErr("close", f.name, os.ErrClosed)
	}
	return nil
}

func (f *memFile) Name() string { return f.name }

// checkWrite fails a mutation of a closed file (os.ErrClosed) or of a file
// opened read-only (readOnly, the error Linux gives for that operation).
func (f *memFile) checkWrite(op string, readOnly error) error {
	if f.closed.Load() {
		return pathErr(op, f.name, os.ErrClosed)
	}
	if !f.write {
		return pathErr(op, f.name, readOnly)
	}
	return nil
}

// grow extends data to at least size bytes, zero-filled. n.mu is held.
func (n *memNode) grow(size int64) {
	old := int64(len(n.data))
	if size <= old {
		return
	}
	n.data = resize(n.data, int(size))
	clear(n.data[old:]) // the capacity past len may hold bytes of an earlier truncation
	n.dirtyFrom = min(n.dirtyFrom, old)
}

// truncate sets the file's size. n.mu is held.
func (n *memNode) truncate(size int64) {
	if size < int64(len(n.data)) {
		n.data = n.data[:size]
		n.dirtyFrom = min(n.dirtyFrom, size)
	} else {
		n.grow(size)
	}
	n.modTime = time.Now()
}

// resize returns b with length n, keeping its bytes up to min(len(b), n);
// bytes past len(b) are unspecified. Capacity at least doubles when it must
// grow, so that appending to a large file copies each byte about twice
// (append's growth for large slices, 1.25x, copies it about five times).
func resize(b []byte, n int) []byte {
	if n <= cap(b) {
		return b[:n]
	}
	nb := make([]byte, n, max(n, 2*cap(b), 512))
	copy(nb, b)
	return nb
}
