package vfs

import (
	"errors"
	"io/fs"
	"syscall"
	"testing"
)

func TestWriteFileAtomicAndReadFile(t *testing.T) {
	for name, fsys := range map[string]FS{"os": OS, "mem": NewMem()} {
		t.Run(name, func(t *testing.T) {
			dir := "/d"
			if name == "os" {
				dir = t.TempDir()
			} else if err := fsys.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if _, err := ReadFile(fsys, dir+"/state", 10); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("ReadFile of a missing file: %v, want ErrNotExist", err)
			}
			if err := WriteFileAtomic(fsys, dir, "state", []byte("first")); err != nil {
				t.Fatal(err)
			}
			if err := WriteFileAtomic(fsys, dir, "state", []byte("second!")); err != nil {
				t.Fatal(err)
			}
			got, err := ReadFile(fsys, dir+"/state", 7)
			if err != nil || string(got) != "second!" {
				t.Fatalf("ReadFile = %q, %v; want %q", got, err, "second!")
			}
			if _, err := ReadFile(fsys, dir+"/state", 6); !errors.Is(err, ErrFileTooLarge) {
				t.Fatalf("ReadFile over the limit: %v, want ErrFileTooLarge", err)
			}
			names, err := fsys.ReadDir(dir)
			if err != nil || len(names) != 1 || names[0] != "state" {
				t.Fatalf("ReadDir = %q, %v; want only state (no temporary left)", names, err)
			}
		})
	}
}

func TestWriteFileAtomicIsAtomicAcrossCrashes(t *testing.T) {
	mem := NewMem()
	if err := mem.MkdirAll("/d", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := mem.SyncDir("/"); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(mem, "/d", "state", []byte("old")); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadFile(mem.CrashClone(CrashOptions{}), "/d/state", 10); err != nil || string(got) != "old" {
		t.Fatalf("after crash: %q, %v; want old", got, err)
	}
	// A failed rename leaves the old contents and no temporary.
	ff := NewFaulty(mem)
	ff.Inject(Fault{Op: OpRename, Err: syscall.EIO, Count: 1})
	if err := WriteFileAtomic(ff, "/d", "state", []byte("new")); !errors.Is(err, syscall.EIO) {
		t.Fatalf("WriteFileAtomic with a failing rename: %v, want EIO", err)
	}
	if got, err := ReadFile(mem, "/d/state", 10); err != nil || string(got) != "old" {
		t.Fatalf("after failed rename: %q, %v; want old", got, err)
	}
	if names, _ := mem.ReadDir("/d"); len(names) != 1 {
		t.Fatalf("ReadDir = %q; want only state", names)
	}
}
