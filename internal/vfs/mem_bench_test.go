package vfs

import "testing"

// BenchmarkMemAppendSync appends 4 KiB and syncs, over a file that grows to
// b.N*4 KiB: Sync copies only what changed, so the cost per op stays flat.
func BenchmarkMemAppendSync(b *testing.B) {
	m := NewMem()
	f, err := m.Create("/f")
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 4096)
	b.SetBytes(int64(len(buf)))
	var off int64
	for b.Loop() {
		if _, err := f.WriteAt(buf, off); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		off += int64(len(buf))
	}
}

// BenchmarkMemReadAt reads 4 KiB at a time from a 1 MiB file.
func BenchmarkMemReadAt(b *testing.B) {
	m := NewMem()
	f, err := m.Create("/f")
	if err != nil {
		b.Fatal(err)
	}
	if err := f.Truncate(1 << 20); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 4096)
	b.SetBytes(int64(len(buf)))
	var off int64
	for b.Loop() {
		if _, err := f.ReadAt(buf, off); err != nil {
			b.Fatal(err)
		}
		off = (off + 4096) % (1 << 20)
	}
}
