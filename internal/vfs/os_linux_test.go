package vfs

import (
	"path/filepath"
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
