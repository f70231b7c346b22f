package index

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/stratabroker/strata/internal/mmap"
	"github.com/stratabroker/strata/internal/vfs"
)

// backend is a filesystem an index runs over: vfs.OS in a temporary
// directory (the mmap path) or vfs.MemFS (the heap path).
type backend struct {
	name string
	fs   vfs.FS
	dir  string
	mem  *vfs.MemFS // nil for vfs.OS
}

// forEachFS runs fn once over vfs.OS (mmap path) and once over vfs.MemFS
// (heap path).
func forEachFS(t *testing.T, fn func(t *testing.T, b *backend)) {
	t.Run("mmap", func(t *testing.T) {
		fn(t, &backend{name: "mmap", fs: vfs.OS, dir: t.TempDir()})
	})
	t.Run("heap", func(t *testing.T) {
		fn(t, newMemBackend(t))
	})
}

func newMemBackend(t testing.TB) *backend {
	m := vfs.NewMem()
	const dir = "data/topic-0"
	if err := m.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &backend{name: "heap", fs: m, dir: dir, mem: m}
}

func (b *backend) path(name string) string { return filepath.Join(b.dir, name) }

func (b *backend) size(t *testing.T, name string) int64 {
	t.Helper()
	fi, err := b.fs.Stat(b.path(name))
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func (b *backend) read(t testing.TB, name string) []byte {
	t.Helper()
	f, err := b.fs.Open(b.path(name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := f.Size()
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, n)
	if got, _ := f.ReadAt(buf, 0); int64(got) != n {
		t.Fatalf("read %d of %d bytes of %s", got, n, name)
	}
	return buf
}

func (b *backend) write(t testing.TB, name string, data []byte) {
	t.Helper()
	f, err := b.fs.Create(b.path(name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// checkBackend fails unless s uses the mmap path over vfs.OS (on platforms
// that support it) and the heap path otherwise.
func (b *backend) checkBackend(t *testing.T, s *store) {
	t.Helper()
	s.rw.RLock()
	defer s.rw.RUnlock()
	wantMmap := b.name == "mmap" && mmap.Supported
	if (s.fd != nil) != wantMmap || (s.m != nil) != (wantMmap && len(s.buf) > 0) {
		t.Fatalf("%s backend: fd=%v mapping=%v buf=%d bytes", b.name, s.fd != nil, s.m != nil, len(s.buf))
	}
}

// abandon drops an index as a crash would: no write-back, no trim, no
// Close; the mapping and the file are released so the test can reopen.
func abandon(s *store) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rw.Lock()
	if s.m != nil {
		_ = s.m.Unmap()
		s.m = nil
	}
	s.buf, s.closed = nil, true
	s.n.Store(0)
	s.rw.Unlock()
	_ = s.f.Close()
}

func openOffset(t *testing.T, b *backend, name string, base int64, maxBytes int) *Offset {
	t.Helper()
	x, err := OpenOffset(b.fs, b.path(name), base, maxBytes)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

func openTime(t *testing.T, b *backend, name string, base int64, maxBytes int) *Time {
	t.Helper()
	x, err := OpenTime(b.fs, b.path(name), base, maxBytes)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

type offPos struct{ off, pos int64 }

func offsetEntries(x *Offset) []offPos {
	var es []offPos
	for i := range x.Entries() {
		o, p := x.Entry(i)
		es = append(es, offPos{o, p})
	}
	return es
}

func timeEntries(x *Time) []offPos {
	var es []offPos
	for i := range x.Entries() {
		ts, o := x.Entry(i)
		es = append(es, offPos{ts, o})
	}
	return es
}

func mustAppend(t *testing.T, x *Offset, entries ...offPos) {
	t.Helper()
	for _, e := range entries {
		if err := x.Append(e.off, e.pos); err != nil {
			t.Fatalf("Append(%d, %d): %v", e.off, e.pos, err)
		}
	}
}

func mustMaybeAppend(t *testing.T, x *Time, entries ...offPos) {
	t.Helper()
	for _, e := range entries {
		if err := x.MaybeAppend(e.off, e.pos); err != nil {
			t.Fatalf("MaybeAppend(%d, %d): %v", e.off, e.pos, err)
		}
	}
}

// beBytes is a big-endian encoding helper for expected file contents.
func beBytes(fields ...any) []byte {
	var buf bytes.Buffer
	for _, f := range fields {
		switch v := f.(type) {
		case uint32:
			buf.Write([]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
		case int64:
			u := uint64(v)
			buf.Write([]byte{byte(u >> 56), byte(u >> 48), byte(u >> 40), byte(u >> 32),
				byte(u >> 24), byte(u >> 16), byte(u >> 8), byte(u)})
		default:
			panic("beBytes: unsupported type")
		}
	}
	return buf.Bytes()
}
