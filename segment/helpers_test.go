package segment

import (
	"bytes"
	"errors"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/recordbatch"
)

// fsCase is a filesystem the tests run over, with a directory in it.
type fsCase struct {
	name string
	fs   vfs.FS
	dir  string
}

// forEachFS runs fn over vfs.OS (a t.TempDir, where the log is mapped) and
// over vfs.NewMem (where it is read with ReadAt).
func forEachFS(t *testing.T, fn func(t *testing.T, c fsCase)) {
	t.Run("os", func(t *testing.T) { fn(t, fsCase{"os", vfs.OS, t.TempDir()}) })
	t.Run("mem", func(t *testing.T) {
		m := vfs.NewMem()
		if err := m.MkdirAll("/p", 0o755); err != nil {
			t.Fatal(err)
		}
		fn(t, fsCase{"mem", m, "/p"})
	})
}

// mkBatch builds a batch at base holding one record per timestamp, each
// with a value of valueSize bytes.
func mkBatch(t testing.TB, base int64, valueSize int, ts ...int64) []byte {
	t.Helper()
	b := recordbatch.NewBuilder()
	b.BaseOffset = base
	for i, x := range ts {
		v := bytes.Repeat([]byte{byte('a' + i%26)}, valueSize)
		b.Add(&recordbatch.Record{Timestamp: x, Value: v})
	}
	out, err := b.AppendTo(nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mkBuilt builds a batch with a prepared Builder.
func mkBuilt(t testing.TB, b *recordbatch.Builder, base int64, ts ...int64) []byte {
	t.Helper()
	b.Reset()
	b.BaseOffset = base
	for _, x := range ts {
		b.Add(&recordbatch.Record{Timestamp: x, Value: []byte("value")})
	}
	out, err := b.AppendTo(nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustCreate(t testing.TB, c fsCase, base int64, opts Options) *Segment {
	t.Helper()
	s, err := Create(c.fs, c.dir, base, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustOpen(t testing.TB, c fsCase, base int64, opts Options) *Segment {
	t.Helper()
	s, err := Open(c.fs, c.dir, base, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustAppend(t testing.TB, s *Segment, batches ...[]byte) {
	t.Helper()
	for _, b := range batches {
		if err := s.Append(b); err != nil {
			t.Fatal(err)
		}
	}
}

func mustClose(t testing.TB, s *Segment) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// layout is where each appended batch lies.
type layout struct {
	pos, size  int64
	base, last int64
}

// appendAll appends the batches and returns their layout.
func appendAll(t testing.TB, s *Segment, batches [][]byte) []layout {
	t.Helper()
	var out []layout
	pos := s.Size()
	for _, b := range batches {
		h := recordbatch.Header(b)
		mustAppend(t, s, b)
		out = append(out, layout{pos: pos, size: int64(len(b)), base: h.BaseOffset(), last: h.LastOffset()})
		pos += int64(len(b))
	}
	return out
}

// readFile returns a file's bytes.
func readFile(t testing.TB, fsys vfs.FS, path string) []byte {
	t.Helper()
	f, err := fsys.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := f.Size()
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, n)
	if _, err := f.ReadAt(b, 0); err != nil && n > 0 {
		t.Fatal(err)
	}
	return b
}

// writeFile replaces a file's bytes.
func writeFile(t testing.TB, fsys vfs.FS, path string, b []byte) {
	t.Helper()
	f, err := fsys.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(b, 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func exists(t testing.TB, fsys vfs.FS, path string) bool {
	t.Helper()
	_, err := fsys.Stat(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

func base(p string) string { return filepath.Base(p) }

// sliceBytes reads a Slice's bytes.
func sliceBytes(t testing.TB, sl Slice) []byte {
	t.Helper()
	b := make([]byte, sl.Len)
	if sl.Len > 0 {
		if _, err := sl.File.ReadAt(b, sl.Pos); err != nil {
			t.Fatal(err)
		}
	}
	return b
}
