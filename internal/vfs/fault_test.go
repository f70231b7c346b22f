package vfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// faultOps performs one call of each Op through fsys, in dir, and returns
// its error. Each needs the files that setupFaultOps makes.
var faultOps = []struct {
	op  Op
	run func(fsys FS, f File, dir string) error
}{
	{OpCreate, func(fsys FS, _ File, dir string) error {
		g, err := fsys.Create(filepath.Join(dir, "created"))
		if err == nil {
			g.Close()
		}
		return err
	}},
	{OpOpen, func(fsys FS, _ File, dir string) error {
		g, err := fsys.Open(filepath.Join(dir, "f"))
		if err == nil {
			g.Close()
		}
		return err
	}},
	{OpWrite, func(_ FS, f File, _ string) error { _, err := f.WriteAt([]byte("w"), 0); return err }},
	{OpSync, func(_ FS, f File, _ string) error { return f.Sync() }},
	{OpTruncate, func(_ FS, f File, _ string) error { return f.Truncate(1) }},
	{OpAllocate, func(_ FS, f File, _ string) error { return f.Allocate(0, 4096) }},
	{OpRename, func(fsys FS, _ File, dir string) error {
		return fsys.Rename(filepath.Join(dir, "r1"), filepath.Join(dir, "r2"))
	}},
	{OpRemove, func(fsys FS, _ File, dir string) error { return fsys.Remove(filepath.Join(dir, "rm")) }},
	{OpSyncDir, func(fsys FS, _ File, dir string) error { return fsys.SyncDir(dir) }},
	{OpRead, func(_ FS, f File, _ string) error { _, err := f.ReadAt(make([]byte, 1), 0); return err }},
	{OpMkdir, func(fsys FS, _ File, dir string) error { return fsys.MkdirAll(filepath.Join(dir, "sub"), 0o755) }},
	{OpReadDir, func(fsys FS, _ File, dir string) error { _, err := fsys.ReadDir(dir); return err }},
	{OpStat, func(fsys FS, _ File, dir string) error { _, err := fsys.Stat(filepath.Join(dir, "f")); return err }},
	{OpSyncFS, func(fsys FS, _ File, dir string) error { return fsys.SyncFS(dir) }},
}

// setupFaultOps makes the files faultOps uses (on the base FS) and opens f
// through fsys.
func setupFaultOps(t *testing.T, base, fsys FS, dir string) File {
	t.Helper()
	writeFile(t, base, filepath.Join(dir, "f"), []byte("abc"))
	writeFile(t, base, filepath.Join(dir, "r1"), nil)
	writeFile(t, base, filepath.Join(dir, "rm"), nil)
	f, err := fsys.OpenRW(filepath.Join(dir, "f"))
	must(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

func faultBases() []struct {
	name string
	make func(t *testing.T) (FS, string)
} {
	return []struct {
		name string
		make func(t *testing.T) (FS, string)
	}{
		{"mem", func(t *testing.T) (FS, string) { return NewMem(), "/x" }},
		{"os", func(t *testing.T) (FS, string) { return OS, t.TempDir() }},
	}
}

// TestFaultEachOp injects a fault on one Op and runs every operation: only
// that Op's call fails, with the injected error in a *fs.PathError
// (*os.LinkError for Rename), and every call is counted.
func TestFaultEachOp(t *testing.T) {
	for _, b := range faultBases() {
		t.Run(b.name, func(t *testing.T) {
			for _, target := range faultOps {
				t.Run(target.op.String(), func(t *testing.T) {
					base, dir := b.make(t)
					must(t, base.MkdirAll(dir, 0o755))
					fsys := NewFaulty(base)
					f := setupFaultOps(t, base, fsys, dir)
					opened := fsys.Calls(OpOpen)
					fsys.Inject(Fault{Op: target.op, Err: syscall.EIO, Count: 1})
					for _, o := range faultOps {
						err := o.run(fsys, f, dir)
						if o.op != target.op {
							if err != nil {
								t.Fatalf("%v failed: %v", o.op, err)
							}
							continue
						}
						wantErr(t, o.op.String(), err, syscall.EIO)
						var pe *fs.PathError
						var le *os.LinkError
						if !errors.As(err, &pe) && !(o.op == OpRename && errors.As(err, &le)) {
							t.Fatalf("%v: error %#v is not a *fs.PathError", o.op, err)
						}
					}
					for _, o := range faultOps {
						want := 1
						if o.op == OpOpen {
							want += opened
						}
						if got := fsys.Calls(o.op); got != want {
							t.Fatalf("Calls(%v) = %d, want %d", o.op, got, want)
						}
					}
					if got, want := fsys.Calls(OpAny), len(faultOps)+opened; got != want {
						t.Fatalf("Calls(OpAny) = %d, want %d", got, want)
					}
				})
			}
		})
	}
}

func TestFaultNothingDone(t *testing.T) {
	base := NewMem()
	fsys := NewFaulty(base)
	writeFile(t, base, "/f", []byte("abc"))
	f, err := fsys.OpenRW("/f")
	must(t, err)
	defer f.Close()
	fsys.Inject(Fault{Op: OpAny, Path: "/f"})
	_, err = f.WriteAt([]byte("XYZW"), 0)
	wantPathErr(t, "WriteAt", err, "/f", syscall.EIO) // nil Err means EIO
	wantErr(t, "Truncate", f.Truncate(0), syscall.EIO)
	wantErr(t, "Rename", fsys.Rename("/f", "/g"), syscall.EIO)
	wantErr(t, "Remove", fsys.Remove("/f"), syscall.EIO)
	wantErr(t, "RemoveAll", fsys.RemoveAll("/f"), syscall.EIO)
	// The base was not touched.
	wantContents(t, base, "/f", "abc")
	// Close is not an Op: it passes through.
	g, err := base.Open("/f")
	must(t, err)
	must(t, (&faultFile{fs: fsys, f: g}).Close())
}

func TestFaultCountAfterPath(t *testing.T) {
	base := NewMem()
	fsys := NewFaulty(base)
	a, err := fsys.Create("/dir/a.log")
	wantErr(t, "Create in a missing dir", err, fs.ErrNotExist) // base errors pass through
	must(t, fsys.MkdirAll("/dir", 0o755))
	a, err = fsys.Create("/dir/a.log")
	must(t, err)
	b, err := fsys.Create("/dir/b.index")
	must(t, err)
	write := func(f File) error { _, err := f.WriteAt([]byte("x"), 0); return err }

	// Count: two matching writes fail, then the fault is spent.
	fsys.Inject(Fault{Op: OpWrite, Path: "a.log", Err: syscall.ENOSPC, Count: 2})
	must(t, write(b))
	wantErr(t, "write 1", write(a), syscall.ENOSPC)
	must(t, write(b))
	wantErr(t, "write 2", write(a), syscall.ENOSPC)
	must(t, write(a))
	must(t, write(a))

	// After: two matching syncs succeed, the third fails, then it is spent.
	fsys.Inject(Fault{Op: OpSync, Path: "/dir/", After: 2, Count: 1})
	must(t, b.Sync())
	must(t, a.Sync())
	wantErr(t, "sync 3", b.Sync(), syscall.EIO)
	must(t, a.Sync())

	// Count <= 0: every matching call fails until Clear; After still applies.
	fsys.Inject(Fault{Op: OpRead, Path: ".index", After: 1})
	buf := make([]byte, 1)
	_, err = b.ReadAt(buf, 0)
	must(t, err)
	for range 5 {
		_, err = b.ReadAt(buf, 0)
		wantErr(t, "read", err, syscall.EIO)
		_, err = a.ReadAt(buf, 0)
		must(t, err)
	}
	fsys.Clear()
	_, err = b.ReadAt(buf, 0)
	must(t, err)

	// Faults fire in injection order; the first to fire decides, and later
	// ones do not see the call.
	fsys.Inject(Fault{Op: OpTruncate, Err: syscall.EROFS, Count: 1})
	fsys.Inject(Fault{Op: OpTruncate, Err: syscall.EIO, Count: 1, After: 1})
	wantErr(t, "truncate 1", a.Truncate(0), syscall.EROFS)
	must(t, a.Truncate(0)) // the second fault's After absorbs this call
	wantErr(t, "truncate 3", a.Truncate(0), syscall.EIO)
	must(t, a.Truncate(0))

	// Rename matches either name.
	fsys.Inject(Fault{Op: OpRename, Path: "b.index", Count: 2})
	wantErr(t, "rename from", fsys.Rename("/dir/b.index", "/dir/c"), syscall.EIO)
	wantErr(t, "rename to", fsys.Rename("/dir/a.log", "/dir/b.index"), syscall.EIO)
	must(t, fsys.Rename("/dir/a.log", "/dir/b.index"))

	if got := fsys.Calls(OpWrite); got != 6 {
		t.Fatalf("Calls(OpWrite) = %d, want 6", got)
	}
	if got := fsys.Calls(OpSync); got != 4 {
		t.Fatalf("Calls(OpSync) = %d, want 4", got)
	}
	if got := fsys.Calls(OpCreate); got != 3 {
		t.Fatalf("Calls(OpCreate) = %d, want 3", got)
	}
	if got := fsys.Calls(Op(99)); got != 0 {
		t.Fatalf("Calls(99) = %d", got)
	}
	if s := Op(99).String(); s != "op(?)" {
		t.Fatalf("Op(99).String() = %q", s)
	}
	must(t, a.Close())
	must(t, b.Close())
}

func TestFaultSetFull(t *testing.T) {
	for _, b := range faultBases() {
		t.Run(b.name, func(t *testing.T) {
			base, dir := b.make(t)
			must(t, base.MkdirAll(dir, 0o755))
			fsys := NewFaulty(base)
			name := filepath.Join(dir, "f")
			f, err := fsys.Create(name)
			must(t, err)
			defer f.Close()
			_, err = f.WriteAt([]byte("0123456789"), 0)
			must(t, err)

			fsys.SetFull(true)
			// A write within the current size works, one past it writes nothing.
			_, err = f.WriteAt([]byte("ab"), 8)
			must(t, err)
			n, err := f.WriteAt([]byte("xyz"), 8)
			wantPathErr(t, "extending WriteAt", err, name, syscall.ENOSPC)
			if n != 0 {
				t.Fatalf("n = %d", n)
			}
			wantPathErr(t, "Allocate", f.Allocate(0, 4096), name, syscall.ENOSPC)
			other := filepath.Join(dir, "g")
			_, err = fsys.Create(other)
			wantPathErr(t, "Create", err, other, syscall.ENOSPC)
			_, err = fsys.OpenRW(other)
			wantPathErr(t, "OpenRW of a new file", err, other, syscall.ENOSPC)
			sub := filepath.Join(dir, "sub")
			wantPathErr(t, "MkdirAll of a new dir", fsys.MkdirAll(sub, 0o755), sub, syscall.ENOSPC)
			wantAbsent := func(p string) {
				t.Helper()
				if _, err := base.Stat(p); !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("%s exists: %v", p, err)
				}
			}
			wantAbsent(other)
			wantAbsent(sub)
			// What needs no space still works.
			must(t, fsys.MkdirAll(dir, 0o755))
			g, err := fsys.OpenRW(name)
			must(t, err)
			must(t, g.Close())
			must(t, f.Sync())
			must(t, fsys.SyncDir(dir))
			must(t, f.Truncate(9))
			if got := readFile(t, fsys, name); string(got) != "01234567a" {
				t.Fatalf("contents %q", got)
			}

			fsys.SetFull(false)
			_, err = f.WriteAt([]byte("xyz"), 9)
			must(t, err)
			must(t, f.Allocate(0, 4096))
			g, err = fsys.Create(other)
			must(t, err)
			must(t, g.Close())
			if got := readFile(t, base, name); string(got) != "01234567axyz" {
				t.Fatalf("contents %q", got)
			}
		})
	}
}

func TestFaultFileIsNotFdFile(t *testing.T) {
	fsys := NewFaulty(OS)
	f, err := fsys.Create(filepath.Join(t.TempDir(), "f"))
	must(t, err)
	defer f.Close()
	if _, ok := f.(FdFile); ok {
		t.Fatal("a FaultFS file implements FdFile")
	}
}

// TestFaultConcurrent injects and clears faults while goroutines write, read
// and sync through the FaultFS. Run under -race.
func TestFaultConcurrent(t *testing.T) {
	fsys := NewFaulty(NewMem())
	f, err := fsys.Create("/f")
	must(t, err)
	defer f.Close()
	done := make(chan struct{})
	calls := make(chan int, 3)
	for g := range 3 {
		go func() {
			n := 0
			buf := []byte{byte(g)}
			for {
				select {
				case <-done:
					calls <- n
					return
				default:
				}
				f.WriteAt(buf, int64(g))
				f.ReadAt(buf, int64(g))
				f.Sync()
				n += 3
			}
		}()
	}
	for i := range 200 {
		fsys.Inject(Fault{Op: Op(1 + i%int(numOps-1)), Count: 1 + i%3})
		fsys.SetFull(i%2 == 0)
		if i%10 == 0 {
			fsys.Clear()
		}
	}
	close(done)
	total := 0
	for range 3 {
		total += <-calls
	}
	if got := fsys.Calls(OpWrite) + fsys.Calls(OpRead) + fsys.Calls(OpSync); got != total {
		t.Fatalf("counted %d calls, made %d", got, total)
	}
}
