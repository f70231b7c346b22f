package vfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

// fsImpls returns every FS implementation, each with a fresh empty directory
// to work in. The conformance tests hold all of them to the same behaviour.
func fsImpls() []struct {
	name string
	make func(t *testing.T) (FS, string)
} {
	memDir := func(t *testing.T) (FS, string) {
		m := NewMem()
		must(t, m.MkdirAll("/mem/conf", 0o755))
		return m, "/mem/conf"
	}
	osDir := func(t *testing.T) (FS, string) { return OS, t.TempDir() }
	return []struct {
		name string
		make func(t *testing.T) (FS, string)
	}{
		{"os", osDir},
		{"mem", memDir},
		{"faulty-os", func(t *testing.T) (FS, string) { f, d := osDir(t); return NewFaulty(f), d }},
		{"faulty-mem", func(t *testing.T) (FS, string) { f, d := memDir(t); return NewFaulty(f), d }},
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// writeFile creates path holding data, synced and closed.
func writeFile(t *testing.T, fsys FS, path string, data []byte) {
	t.Helper()
	f, err := fsys.Create(path)
	must(t, err)
	if n, err := f.WriteAt(data, 0); err != nil || n != len(data) {
		t.Fatalf("WriteAt = %d, %v", n, err)
	}
	must(t, f.Sync())
	must(t, f.Close())
}

// readFile returns the whole contents of path.
func readFile(t *testing.T, fsys FS, path string) []byte {
	t.Helper()
	b, err := readAll(fsys, path)
	must(t, err)
	return b
}

// readAll returns the whole contents of path (for goroutines other than the
// test's).
func readAll(fsys FS, path string) ([]byte, error) {
	f, err := fsys.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return nil, err
	}
	buf := make([]byte, size)
	if n, err := f.ReadAt(buf, 0); n != len(buf) || (err != nil && err != io.EOF) {
		return nil, fmt.Errorf("ReadAt(%s) = %d, %v", path, n, err)
	}
	return buf, nil
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error %v, want %v", what, err, target)
	}
}

func wantPathErr(t *testing.T, what string, err error, path string, target error) {
	t.Helper()
	wantErr(t, what, err, target)
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Path != path {
		t.Fatalf("%s: error %#v, want *fs.PathError for %q", what, err, path)
	}
}

func TestConformance(t *testing.T) {
	checks := []struct {
		name string
		run  func(t *testing.T, fsys FS, dir string)
	}{
		{"WriteAtReadAt", checkWriteRead},
		{"CreateTruncatesOpenRWKeeps", checkCreateOpenRW},
		{"OpenReadOnly", checkOpenReadOnly},
		{"Truncate", checkTruncate},
		{"Closed", checkClosed},
		{"Allocate", checkAllocate},
		{"ReadDir", checkReadDir},
		{"Rename", checkRename},
		{"Remove", checkRemove},
		{"MkdirAllRemoveAll", checkMkdirRemoveAll},
		{"Stat", checkStat},
		{"Sync", checkSync},
		{"SyncFS", checkSyncFS},
	}
	for _, impl := range fsImpls() {
		t.Run(impl.name, func(t *testing.T) {
			for _, c := range checks {
				t.Run(c.name, func(t *testing.T) {
					fsys, dir := impl.make(t)
					c.run(t, fsys, dir)
				})
			}
		})
	}
}

func checkWriteRead(t *testing.T, fsys FS, dir string) {
	name := filepath.Join(dir, "f")
	f, err := fsys.Create(name)
	must(t, err)
	defer f.Close()
	if f.Name() != name {
		t.Fatalf("Name = %q, want %q", f.Name(), name)
	}
	if n, err := f.WriteAt([]byte("hello"), 0); n != 5 || err != nil {
		t.Fatalf("WriteAt = %d, %v", n, err)
	}
	// Past the end: the gap reads as zeros.
	if n, err := f.WriteAt([]byte("XY"), 10); n != 2 || err != nil {
		t.Fatalf("WriteAt = %d, %v", n, err)
	}
	if size, err := f.Size(); size != 12 || err != nil {
		t.Fatalf("Size = %d, %v", size, err)
	}
	buf := make([]byte, 12)
	if n, err := f.ReadAt(buf, 0); n != 12 || err != nil {
		t.Fatalf("ReadAt = %d, %v", n, err)
	}
	if want := []byte("hello\x00\x00\x00\x00\x00XY"); !bytes.Equal(buf, want) {
		t.Fatalf("read %q, want %q", buf, want)
	}
	// Overwrite in the middle.
	if n, err := f.WriteAt([]byte("abc"), 3); n != 3 || err != nil {
		t.Fatalf("WriteAt = %d, %v", n, err)
	}
	// A read crossing the end returns what there is and io.EOF.
	buf = make([]byte, 10)
	n, err := f.ReadAt(buf, 4)
	if n != 8 || err != io.EOF || !bytes.Equal(buf[:n], []byte("bc\x00\x00\x00\x00XY")) {
		t.Fatalf("ReadAt(4) = %d, %v, %q", n, err, buf[:n])
	}
	if n, err := f.ReadAt(buf[:1], 12); n != 0 || err != io.EOF {
		t.Fatalf("ReadAt(12) = %d, %v", n, err)
	}
	if n, err := f.ReadAt(nil, 100); n != 0 || err != nil {
		t.Fatalf("ReadAt(empty, 100) = %d, %v", n, err)
	}
	if _, err := f.ReadAt(buf, -1); err == nil {
		t.Fatal("ReadAt(-1) succeeded")
	}
	if _, err := f.WriteAt(buf, -1); err == nil {
		t.Fatal("WriteAt(-1) succeeded")
	}
	if size, _ := f.Size(); size != 12 {
		t.Fatalf("Size after failed writes = %d, want 12", size)
	}
	// Another handle sees the same bytes at once.
	if got := readFile(t, fsys, name); !bytes.Equal(got, []byte("helabc\x00\x00\x00\x00XY")) {
		t.Fatalf("other handle read %q", got)
	}
}

func checkCreateOpenRW(t *testing.T, fsys FS, dir string) {
	name := filepath.Join(dir, "f")
	writeFile(t, fsys, name, []byte("abcdef"))

	f, err := fsys.OpenRW(name)
	must(t, err)
	if size, _ := f.Size(); size != 6 {
		t.Fatalf("OpenRW size = %d, want 6", size)
	}
	_, err = f.WriteAt([]byte("Z"), 6)
	must(t, err)
	must(t, f.Close())
	if got := readFile(t, fsys, name); string(got) != "abcdefZ" {
		t.Fatalf("after OpenRW write: %q", got)
	}

	f, err = fsys.Create(name)
	must(t, err)
	if size, _ := f.Size(); size != 0 {
		t.Fatalf("Create of an existing file: size %d, want 0", size)
	}
	must(t, f.Close())

	// OpenRW creates an absent file.
	fresh := filepath.Join(dir, "fresh")
	f, err = fsys.OpenRW(fresh)
	must(t, err)
	if size, _ := f.Size(); size != 0 {
		t.Fatalf("OpenRW of an absent file: size %d", size)
	}
	must(t, f.Close())
	if _, err := fsys.Stat(fresh); err != nil {
		t.Fatal(err)
	}

	missing := filepath.Join(dir, "nodir", "f")
	_, err = fsys.Create(missing)
	wantPathErr(t, "Create in a missing dir", err, missing, fs.ErrNotExist)
	_, err = fsys.OpenRW(missing)
	wantPathErr(t, "OpenRW in a missing dir", err, missing, fs.ErrNotExist)
	under := filepath.Join(name, "x")
	_, err = fsys.Create(under)
	wantPathErr(t, "Create under a file", err, under, syscall.ENOTDIR)
	_, err = fsys.Create(dir)
	wantPathErr(t, "Create of a directory", err, dir, syscall.EISDIR)
}

func checkOpenReadOnly(t *testing.T, fsys FS, dir string) {
	name := filepath.Join(dir, "f")
	missing := filepath.Join(dir, "missing")
	_, err := fsys.Open(missing)
	wantPathErr(t, "Open missing", err, missing, fs.ErrNotExist)

	writeFile(t, fsys, name, []byte("0123456789"))
	f, err := fsys.Open(name)
	must(t, err)
	defer f.Close()
	_, err = f.WriteAt([]byte("x"), 0)
	wantPathErr(t, "WriteAt on a read-only file", err, name, syscall.EBADF)
	err = f.Truncate(2)
	wantPathErr(t, "Truncate on a read-only file", err, name, syscall.EINVAL)
	buf := make([]byte, 4)
	if n, err := f.ReadAt(buf, 3); n != 4 || err != nil || string(buf) != "3456" {
		t.Fatalf("ReadAt = %d, %v, %q", n, err, buf)
	}
	if got := readFile(t, fsys, name); string(got) != "0123456789" {
		t.Fatalf("contents changed: %q", got)
	}
}

func checkTruncate(t *testing.T, fsys FS, dir string) {
	name := filepath.Join(dir, "f")
	f, err := fsys.Create(name)
	must(t, err)
	defer f.Close()
	_, err = f.WriteAt([]byte("abcdefgh"), 0)
	must(t, err)
	must(t, f.Truncate(3))
	if size, _ := f.Size(); size != 3 {
		t.Fatalf("size %d, want 3", size)
	}
	// Growing again must not resurrect the cut bytes.
	must(t, f.Truncate(6))
	buf := make([]byte, 6)
	if n, err := f.ReadAt(buf, 0); n != 6 || err != nil || string(buf) != "abc\x00\x00\x00" {
		t.Fatalf("ReadAt = %d, %v, %q", n, err, buf)
	}
	// So must a write past the end.
	must(t, f.Truncate(1))
	_, err = f.WriteAt([]byte("Z"), 4)
	must(t, err)
	buf = buf[:5]
	if n, err := f.ReadAt(buf, 0); n != 5 || err != nil || string(buf) != "a\x00\x00\x00Z" {
		t.Fatalf("ReadAt = %d, %v, %q", n, err, buf)
	}
	must(t, f.Truncate(0))
	if size, _ := f.Size(); size != 0 {
		t.Fatalf("size %d, want 0", size)
	}
	wantPathErr(t, "Truncate(-1)", f.Truncate(-1), name, syscall.EINVAL)
}

func checkClosed(t *testing.T, fsys FS, dir string) {
	name := filepath.Join(dir, "f")
	f, err := fsys.Create(name)
	must(t, err)
	_, err = f.WriteAt([]byte("abc"), 0)
	must(t, err)
	must(t, f.Close())
	if f.Name() != name {
		t.Fatalf("Name after Close = %q", f.Name())
	}
	buf := make([]byte, 1)
	_, err = f.ReadAt(buf, 0)
	wantPathErr(t, "ReadAt", err, name, os.ErrClosed)
	_, err = f.WriteAt(buf, 0)
	wantPathErr(t, "WriteAt", err, name, os.ErrClosed)
	wantPathErr(t, "Sync", f.Sync(), name, os.ErrClosed)
	wantPathErr(t, "Truncate", f.Truncate(0), name, os.ErrClosed)
	_, err = f.Size()
	wantPathErr(t, "Size", err, name, os.ErrClosed)
	wantPathErr(t, "Allocate", f.Allocate(0, 4096), name, os.ErrClosed)
	wantPathErr(t, "Close", f.Close(), name, os.ErrClosed)
	if got := readFile(t, fsys, name); string(got) != "abc" {
		t.Fatalf("contents %q", got)
	}
}

func checkAllocate(t *testing.T, fsys FS, dir string) {
	name := filepath.Join(dir, "f")
	f, err := fsys.Create(name)
	must(t, err)
	defer f.Close()
	must(t, f.Allocate(0, 1<<20))
	if size, _ := f.Size(); size != 0 {
		t.Fatalf("size after Allocate = %d, want 0", size)
	}
	_, err = f.WriteAt([]byte("abc"), 0)
	must(t, err)
	must(t, f.Allocate(3, 1<<20))
	must(t, f.Allocate(0, 0))
	if size, _ := f.Size(); size != 3 {
		t.Fatalf("size = %d, want 3", size)
	}
	if st, _ := fsys.Stat(name); st.Size() != 3 {
		t.Fatalf("Stat size = %d, want 3", st.Size())
	}
	wantPathErr(t, "Allocate(-1, n)", f.Allocate(-1, 10), name, syscall.EINVAL)

	ro, err := fsys.Open(name)
	must(t, err)
	defer ro.Close()
	wantPathErr(t, "Allocate on a read-only file", ro.Allocate(0, 4096), name, syscall.EBADF)
}

func checkReadDir(t *testing.T, fsys FS, dir string) {
	for _, n := range []string{"b", "a", "c1", "B"} {
		writeFile(t, fsys, filepath.Join(dir, n), nil)
	}
	must(t, fsys.MkdirAll(filepath.Join(dir, "sub", "deeper"), 0o755))
	got, err := fsys.ReadDir(dir)
	must(t, err)
	if want := []string{"B", "a", "b", "c1", "sub"}; !slices.Equal(got, want) {
		t.Fatalf("ReadDir = %q, want %q", got, want)
	}
	got, err = fsys.ReadDir(filepath.Join(dir, "sub", "deeper"))
	if err != nil || len(got) != 0 {
		t.Fatalf("ReadDir(empty) = %q, %v", got, err)
	}
	missing := filepath.Join(dir, "missing")
	_, err = fsys.ReadDir(missing)
	wantPathErr(t, "ReadDir missing", err, missing, fs.ErrNotExist)
	file := filepath.Join(dir, "a")
	_, err = fsys.ReadDir(file)
	wantPathErr(t, "ReadDir of a file", err, file, syscall.ENOTDIR)
}

func checkRename(t *testing.T, fsys FS, dir string) {
	a, b, c := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	writeFile(t, fsys, a, []byte("A"))
	writeFile(t, fsys, b, []byte("B"))
	held, err := fsys.OpenRW(a)
	must(t, err)
	defer held.Close()

	// Replace b with a.
	must(t, fsys.Rename(a, b))
	if got := readFile(t, fsys, b); string(got) != "A" {
		t.Fatalf("b = %q, want A", got)
	}
	_, err = fsys.Stat(a)
	wantErr(t, "Stat of the old name", err, fs.ErrNotExist)
	// A handle opened before the rename writes to the renamed file.
	_, err = held.WriteAt([]byte("2"), 1)
	must(t, err)
	if got := readFile(t, fsys, b); string(got) != "A2" {
		t.Fatalf("b = %q, want A2", got)
	}

	err = fsys.Rename(c, a)
	wantErr(t, "Rename of a missing file", err, fs.ErrNotExist)
	var le *os.LinkError
	if !errors.As(err, &le) || le.Old != c || le.New != a {
		t.Fatalf("Rename error %#v, want *os.LinkError", err)
	}
	wantErr(t, "Rename into a missing dir", fsys.Rename(b, filepath.Join(dir, "nodir", "x")), fs.ErrNotExist)

	// Directories move with their contents.
	sub, moved := filepath.Join(dir, "sub"), filepath.Join(dir, "moved")
	must(t, fsys.MkdirAll(sub, 0o755))
	writeFile(t, fsys, filepath.Join(sub, "x"), []byte("X"))
	must(t, fsys.Rename(sub, moved))
	if got := readFile(t, fsys, filepath.Join(moved, "x")); string(got) != "X" {
		t.Fatalf("moved/x = %q", got)
	}
	// A file cannot replace a directory.
	wantErr(t, "Rename onto a directory", fsys.Rename(b, moved), syscall.EEXIST)
	names, err := fsys.ReadDir(dir)
	must(t, err)
	if want := []string{"b", "moved"}; !slices.Equal(names, want) {
		t.Fatalf("ReadDir = %q, want %q", names, want)
	}
	// Renaming a file to itself changes nothing.
	must(t, fsys.Rename(b, b))
	if got := readFile(t, fsys, b); string(got) != "A2" {
		t.Fatalf("b = %q, want A2", got)
	}
}

func checkRemove(t *testing.T, fsys FS, dir string) {
	name := filepath.Join(dir, "f")
	writeFile(t, fsys, name, []byte("data"))
	held, err := fsys.Open(name)
	must(t, err)
	defer held.Close()
	must(t, fsys.Remove(name))
	_, err = fsys.Stat(name)
	wantErr(t, "Stat after Remove", err, fs.ErrNotExist)
	wantPathErr(t, "Remove twice", fsys.Remove(name), name, fs.ErrNotExist)
	// An open file outlives its name.
	buf := make([]byte, 4)
	if n, err := held.ReadAt(buf, 0); n != 4 || err != nil || string(buf) != "data" {
		t.Fatalf("ReadAt of a removed file = %d, %v, %q", n, err, buf)
	}

	sub := filepath.Join(dir, "sub")
	must(t, fsys.MkdirAll(sub, 0o755))
	writeFile(t, fsys, filepath.Join(sub, "x"), nil)
	wantPathErr(t, "Remove of a non-empty dir", fsys.Remove(sub), sub, syscall.ENOTEMPTY)
	must(t, fsys.Remove(filepath.Join(sub, "x")))
	must(t, fsys.Remove(sub))
	if names, err := fsys.ReadDir(dir); err != nil || len(names) != 0 {
		t.Fatalf("ReadDir = %q, %v, want empty", names, err)
	}
}

func checkMkdirRemoveAll(t *testing.T, fsys FS, dir string) {
	deep := filepath.Join(dir, "a", "b", "c")
	must(t, fsys.MkdirAll(deep, 0o755))
	must(t, fsys.MkdirAll(deep, 0o755)) // exists: fine
	writeFile(t, fsys, filepath.Join(deep, "f"), []byte("x"))
	writeFile(t, fsys, filepath.Join(dir, "a", "g"), []byte("y"))
	st, err := fsys.Stat(filepath.Join(dir, "a", "b"))
	must(t, err)
	if !st.IsDir() || st.Name() != "b" {
		t.Fatalf("Stat = %v %q", st.IsDir(), st.Name())
	}
	file := filepath.Join(dir, "a", "g")
	wantPathErr(t, "MkdirAll over a file", fsys.MkdirAll(file, 0o755), file, syscall.ENOTDIR)

	must(t, fsys.RemoveAll(filepath.Join(dir, "a")))
	_, err = fsys.Stat(filepath.Join(dir, "a"))
	wantErr(t, "Stat after RemoveAll", err, fs.ErrNotExist)
	must(t, fsys.RemoveAll(filepath.Join(dir, "a"))) // missing: fine
	writeFile(t, fsys, filepath.Join(dir, "h"), nil)
	must(t, fsys.RemoveAll(filepath.Join(dir, "h"))) // a file
	if names, err := fsys.ReadDir(dir); err != nil || len(names) != 0 {
		t.Fatalf("ReadDir = %q, %v, want empty", names, err)
	}
}

func checkStat(t *testing.T, fsys FS, dir string) {
	name := filepath.Join(dir, "file.log")
	writeFile(t, fsys, name, []byte("12345"))
	st, err := fsys.Stat(name)
	must(t, err)
	if st.Name() != "file.log" || st.Size() != 5 || st.IsDir() || !st.Mode().IsRegular() {
		t.Fatalf("Stat = %q size %d dir %v mode %v", st.Name(), st.Size(), st.IsDir(), st.Mode())
	}
	st, err = fsys.Stat(dir)
	must(t, err)
	if !st.IsDir() || !st.Mode().IsDir() || st.Name() != filepath.Base(dir) {
		t.Fatalf("Stat(dir) = %q dir %v mode %v", st.Name(), st.IsDir(), st.Mode())
	}
	missing := filepath.Join(dir, "nope")
	_, err = fsys.Stat(missing)
	wantPathErr(t, "Stat missing", err, missing, fs.ErrNotExist)
}

func checkSync(t *testing.T, fsys FS, dir string) {
	name := filepath.Join(dir, "f")
	f, err := fsys.Create(name)
	must(t, err)
	_, err = f.WriteAt([]byte("abc"), 0)
	must(t, err)
	must(t, f.Sync())
	must(t, f.Close())
	must(t, fsys.SyncDir(dir))
	ro, err := fsys.Open(name)
	must(t, err)
	must(t, ro.Sync()) // fsync of a read-only file is allowed
	must(t, ro.Close())
	missing := filepath.Join(dir, "nodir")
	wantErr(t, "SyncDir missing", fsys.SyncDir(missing), fs.ErrNotExist)
}

func checkSyncFS(t *testing.T, fsys FS, dir string) {
	sub := filepath.Join(dir, "a", "b")
	must(t, fsys.MkdirAll(sub, 0o755))
	f, err := fsys.Create(filepath.Join(sub, "f"))
	must(t, err)
	_, err = f.WriteAt([]byte("abc"), 0)
	must(t, err)
	must(t, fsys.SyncFS(dir))
	must(t, fsys.SyncFS(sub))
	must(t, f.Close())
	if got := readFile(t, fsys, filepath.Join(sub, "f")); string(got) != "abc" {
		t.Fatalf("after SyncFS: %q", got)
	}
	missing := filepath.Join(dir, "nodir")
	wantPathErr(t, "SyncFS missing", fsys.SyncFS(missing), missing, fs.ErrNotExist)
	file := filepath.Join(sub, "f")
	wantPathErr(t, "SyncFS of a file", fsys.SyncFS(file), file, syscall.ENOTDIR)
}
