package vfs

import (
	"errors"
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestOSFdFile checks that OS files expose their descriptor, and that it is
// the descriptor the File reads and writes through.
func TestOSFdFile(t *testing.T) {
	name := filepath.Join(t.TempDir(), "f")
	for _, open := range []func(string) (File, error){OS.Create, OS.OpenRW, OS.Open} {
		f, err := open(name)
		must(t, err)
		if _, ok := f.(FdFile); !ok {
			t.Fatalf("%T does not implement FdFile", f)
		}
		must(t, f.Close())
	}

	f, err := OS.OpenRW(name)
	must(t, err)
	defer f.Close()
	_, err = f.WriteAt([]byte("through the seam"), 0)
	must(t, err)
	fd := int(f.(FdFile).Fd())
	buf := make([]byte, 7)
	if n, err := unix.Pread(fd, buf, 8); n != 7 || err != nil || string(buf) != "the sea" {
		t.Fatalf("pread = %d, %v, %q", n, err, buf)
	}
	var st unix.Stat_t
	must(t, unix.Fstat(fd, &st))
	if st.Size != 16 {
		t.Fatalf("fstat size = %d, want 16", st.Size)
	}
}

// TestOSAllocateReserves checks that Allocate reserves blocks without
// changing the size, where the filesystem supports fallocate.
func TestOSAllocateReserves(t *testing.T) {
	name := filepath.Join(t.TempDir(), "f")
	f, err := OS.Create(name)
	must(t, err)
	defer f.Close()
	fd := int(f.(FdFile).Fd())
	if err := unix.Fallocate(fd, unix.FALLOC_FL_KEEP_SIZE, 0, 4096); err != nil {
		t.Skipf("the filesystem under t.TempDir cannot fallocate: %v", err)
	}
	must(t, f.Allocate(0, 1<<20))
	var st unix.Stat_t
	must(t, unix.Fstat(fd, &st))
	if st.Size != 0 || st.Blocks*512 < 1<<20 {
		t.Fatalf("after Allocate: size %d, %d bytes of blocks; want 0 and >= 1 MiB", st.Size, st.Blocks*512)
	}
}

// syncfsReportsErrors reads the kernel's release: Linux 5.8 is the first
// whose syncfs(2) reports writeback errors.
func TestSyncfsReportsErrors(t *testing.T) {
	for release, want := range map[string]bool{
		"6.18.0-1-amd64": true, "5.8.0": true, "5.10.102.1-microsoft-standard-WSL2": true,
		"5.7.19": false, "4.19.0-25-amd64": false, "3.10.0-1160.el7.x86_64": false,
		"": false, "garbage": false, "5": false,
	} {
		if got := releaseReportsSyncfsErrors(release); got != want {
			t.Errorf("%q: %v, want %v", release, got, want)
		}
	}
}

// The fallback for kernels before 5.8 fsyncs every file and directory
// below dir; it fails as SyncFS does on a missing path or a file.
func TestOSSyncTree(t *testing.T) {
	dir := t.TempDir()
	must(t, OS.MkdirAll(filepath.Join(dir, "a", "b"), 0o755))
	writeFile(t, OS, filepath.Join(dir, "a", "b", "f"), []byte("x"))
	writeFile(t, OS, filepath.Join(dir, "g"), []byte("y"))
	n, err := syncTree(dir)
	if err != nil || n != 5 { // dir, a, a/b, a/b/f, g
		t.Fatalf("syncTree = %d, %v; want 5 fsyncs", n, err)
	}
	if _, err := syncTree(filepath.Join(dir, "nope")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
	if _, err := syncTree(filepath.Join(dir, "g")); !errors.Is(err, syscall.ENOTDIR) {
		t.Fatalf("a file: %v", err)
	}
}
