package mmap

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// tempFile returns an open read-write file of the given contents.
func tempFile(t *testing.T, contents []byte) *os.File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, contents, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestMapReadsFile(t *testing.T) {
	want := bytes.Repeat([]byte("strata!"), 1000) // 7000 bytes: two pages, the second partial
	f := tempFile(t, want)
	m, err := Map(f.Fd(), len(want), false)
	if err != nil {
		t.Fatal(err)
	}
	if m.Writable() {
		t.Fatal("read-only mapping reports Writable")
	}
	if m.Len() != 7000 || !bytes.Equal(m.Bytes(), want) {
		t.Fatalf("mapping holds %d bytes, want the file's 7000", m.Len())
	}
	// A write through the file is visible through the mapping (one page cache).
	if _, err := f.WriteAt([]byte("XY"), 4097); err != nil {
		t.Fatal(err)
	}
	// want[4096:4100] is "trat" (4096 = 585*7+1); the write makes it "tXYt".
	if got := string(m.Bytes()[4096:4100]); got != "tXYt" {
		t.Fatalf("bytes 4096..4100 = %q, want %q", got, "tXYt")
	}
	if err := m.Unmap(); err != nil {
		t.Fatal(err)
	}
}

func TestMapWritesReachFile(t *testing.T) {
	f := tempFile(t, make([]byte, 8192))
	m, err := Map(f.Fd(), 8192, true)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Writable() {
		t.Fatal("writable mapping reports !Writable")
	}
	copy(m.Bytes()[8190:], "ok")
	copy(m.Bytes()[0:], "head")
	if err := m.Sync(); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 8192)
	if _, err := f.ReadAt(got, 0); err != nil {
		t.Fatal(err)
	}
	if string(got[:4]) != "head" || string(got[8190:]) != "ok" || !bytes.Equal(got[4:8190], make([]byte, 8186)) {
		t.Fatalf("file after writes through the mapping: %q...%q", got[:4], got[8190:])
	}
	// The mapping outlives the descriptor.
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if string(m.Bytes()[:4]) != "head" {
		t.Fatalf("after close, mapping starts %q", m.Bytes()[:4])
	}
	if err := m.Unmap(); err != nil {
		t.Fatal(err)
	}
}

func TestUnmapIdempotent(t *testing.T) {
	f := tempFile(t, make([]byte, 4096))
	m, err := Map(f.Fd(), 4096, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Unmap(); err != nil {
		t.Fatal(err)
	}
	if m.Bytes() != nil || m.Len() != 0 {
		t.Fatalf("after Unmap: Bytes() has %d bytes, Len() = %d; want nil, 0", len(m.Bytes()), m.Len())
	}
	if err := m.Unmap(); err != nil {
		t.Fatalf("second Unmap: %v", err)
	}
	if err := m.Sync(); !errors.Is(err, ErrUnmapped) {
		t.Fatalf("Sync after Unmap: %v, want ErrUnmapped", err)
	}
	if err := m.Advise(Random); !errors.Is(err, ErrUnmapped) {
		t.Fatalf("Advise after Unmap: %v, want ErrUnmapped", err)
	}
	var zero Mapping
	if zero.Bytes() != nil || zero.Unmap() != nil {
		t.Fatal("zero Mapping is not an unmapped Mapping")
	}
}

func TestMapErrors(t *testing.T) {
	f := tempFile(t, make([]byte, 4096))
	for _, size := range []int{0, -1} {
		if _, err := Map(f.Fd(), size, false); !errors.Is(err, ErrInvalidSize) {
			t.Errorf("Map size %d: %v, want ErrInvalidSize", size, err)
		}
	}
	// Writable shared mapping of a read-only descriptor.
	ro, err := os.Open(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := Map(ro.Fd(), 4096, true); !errors.Is(err, unix.EACCES) {
		t.Errorf("writable Map of a read-only fd: %v, want EACCES", err)
	}
	// A descriptor that is not open.
	closed := tempFile(t, make([]byte, 4096))
	fd := closed.Fd()
	closed.Close()
	if _, err := Map(fd, 4096, false); !errors.Is(err, unix.EBADF) {
		t.Errorf("Map of a closed fd: %v, want EBADF", err)
	}
}

func TestAdvise(t *testing.T) {
	f := tempFile(t, bytes.Repeat([]byte{7}, 8192))
	m, err := Map(f.Fd(), 8192, false)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Unmap()
	for _, a := range []Advice{Normal, Random, Sequential, WillNeed, DontNeed} {
		if err := m.Advise(a); err != nil {
			t.Errorf("Advise(%d): %v", a, err)
		}
	}
	// DontNeed on a shared file mapping drops the pages; reading refaults them from the file.
	if m.Bytes()[8191] != 7 {
		t.Fatalf("byte after DontNeed = %d, want 7", m.Bytes()[8191])
	}
	if err := m.Advise(Advice(99)); err == nil {
		t.Error("Advise(99) succeeded")
	}
}
