package vfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
)

func TestMemPaths(t *testing.T) {
	m := NewMem()
	must(t, m.MkdirAll("/a/b", 0o755))
	writeFile(t, m, "a/b/f", []byte("x"))
	for _, name := range []string{"/a/b/f", "a/b/f", "/a/./b/f", "/a/c/../b/f", "//a/b//f"} {
		if got := readFile(t, m, name); string(got) != "x" {
			t.Fatalf("%s: %q", name, got)
		}
	}
	for _, dir := range []string{"/", ".", ""} {
		names, err := m.ReadDir(dir)
		if err != nil || !slices.Equal(names, []string{"a"}) {
			t.Fatalf("ReadDir(%q) = %q, %v", dir, names, err)
		}
	}
	st, err := m.Stat("/")
	must(t, err)
	if !st.IsDir() || st.Name() != "/" {
		t.Fatalf("Stat(/) = %v %q", st.IsDir(), st.Name())
	}
	_, err = m.Stat("")
	wantErr(t, `Stat("")`, err, fs.ErrNotExist)
	_, err = m.Open("")
	wantErr(t, `Open("")`, err, fs.ErrNotExist)
	_, err = m.Create("")
	wantErr(t, `Create("")`, err, fs.ErrNotExist)
	_, err = m.Create("/")
	wantErr(t, `Create("/")`, err, syscall.EISDIR)
	wantErr(t, `MkdirAll("")`, m.MkdirAll("", 0o755), fs.ErrNotExist)
	wantErr(t, `Remove("/")`, m.Remove("/"), syscall.EINVAL)
	wantErr(t, `RemoveAll(".")`, m.RemoveAll("."), syscall.EINVAL)
	wantErr(t, `RemoveAll("a/.")`, m.RemoveAll("a/."), syscall.EINVAL)
}

func TestMemSpecificErrors(t *testing.T) {
	m := NewMem()
	must(t, m.MkdirAll("/d/sub", 0o755))
	writeFile(t, m, "/d/f", []byte("abc"))
	_, err := m.Open("/d")
	wantPathErr(t, "Open of a directory", err, "/d", syscall.EISDIR)
	wantPathErr(t, "SyncDir of a file", m.SyncDir("/d/f"), "/d/f", syscall.ENOTDIR)
	_, err = m.Open("/d/f/x")
	wantPathErr(t, "Open under a file", err, "/d/f/x", syscall.ENOTDIR)
	wantErr(t, "Rename a dir into itself", m.Rename("/d", "/d/sub/d"), syscall.EINVAL)
	wantErr(t, "Rename a dir over a file", m.Rename("/d/sub", "/d/f"), syscall.ENOTDIR)

	f, err := m.OpenRW("/d/f")
	must(t, err)
	defer f.Close()
	_, err = f.WriteAt([]byte("x"), maxMemFileSize)
	wantPathErr(t, "WriteAt past the size limit", err, "/d/f", syscall.EFBIG)
	wantPathErr(t, "Truncate past the size limit", f.Truncate(maxMemFileSize+1), "/d/f", syscall.EFBIG)
	if size, _ := f.Size(); size != 3 {
		t.Fatalf("size %d, want 3", size)
	}
}

// crashFS builds a MemFS with a durable directory /d.
func crashFS(t *testing.T) *MemFS {
	m := NewMem()
	must(t, m.MkdirAll("/d", 0o755))
	must(t, m.SyncDir("/"))
	return m
}

// wantContents asserts that path holds exactly want in m.
func wantContents(t *testing.T, m *MemFS, path, want string) {
	t.Helper()
	if got := readFile(t, m, path); string(got) != want {
		t.Fatalf("%s = %q, want %q", path, got, want)
	}
}

func wantAbsent(t *testing.T, m *MemFS, path string) {
	t.Helper()
	if _, err := m.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat(%s) = %v, want ErrNotExist", path, err)
	}
}

func TestCrashCloneContents(t *testing.T) {
	m := crashFS(t)
	f, err := m.Create("/d/f")
	must(t, err)
	must(t, m.SyncDir("/d"))

	// Existence durable, contents not.
	_, err = f.WriteAt([]byte("abc"), 0)
	must(t, err)
	wantContents(t, m.CrashClone(CrashOptions{}), "/d/f", "")

	// Synced bytes kept, later ones lost.
	must(t, f.Sync())
	_, err = f.WriteAt([]byte("def"), 3)
	must(t, err)
	wantContents(t, m.CrashClone(CrashOptions{}), "/d/f", "abc")

	// An unsynced overwrite inside the synced part is lost too.
	_, err = f.WriteAt([]byte("X"), 1)
	must(t, err)
	wantContents(t, m.CrashClone(CrashOptions{}), "/d/f", "abc")
	must(t, f.Sync())
	wantContents(t, m.CrashClone(CrashOptions{}), "/d/f", "aXcdef")

	// An unsynced truncation is not durable.
	must(t, f.Truncate(2))
	wantContents(t, m.CrashClone(CrashOptions{}), "/d/f", "aXcdef")
	must(t, f.Sync())
	wantContents(t, m.CrashClone(CrashOptions{}), "/d/f", "aX")

	// Create of an existing file truncates it, not durably until Sync.
	g, err := m.Create("/d/f")
	must(t, err)
	wantContents(t, m.CrashClone(CrashOptions{}), "/d/f", "aX")
	must(t, g.Sync())
	wantContents(t, m.CrashClone(CrashOptions{}), "/d/f", "")

	// The original is unchanged by cloning and its files keep working.
	_, err = f.WriteAt([]byte("live"), 0)
	must(t, err)
	wantContents(t, m, "/d/f", "live")
}

func TestCrashCloneDirectoryEntries(t *testing.T) {
	m := crashFS(t)

	// A synced file whose entry was never synced is lost.
	writeFile(t, m, "/d/new", []byte("data"))
	c := m.CrashClone(CrashOptions{})
	wantAbsent(t, c, "/d/new")
	if names, err := c.ReadDir("/d"); err != nil || len(names) != 0 {
		t.Fatalf("ReadDir = %q, %v", names, err)
	}
	must(t, m.SyncDir("/d"))
	wantContents(t, m.CrashClone(CrashOptions{}), "/d/new", "data")

	// A directory made by MkdirAll needs SyncDir of its parent, and its
	// entries SyncDir of itself.
	must(t, m.MkdirAll("/d/p/q", 0o755))
	writeFile(t, m, "/d/p/q/f", []byte("F"))
	must(t, m.SyncDir("/d/p/q"))
	wantAbsent(t, m.CrashClone(CrashOptions{}), "/d/p")
	must(t, m.SyncDir("/d"))
	c = m.CrashClone(CrashOptions{})
	wantAbsent(t, c, "/d/p/q")
	if _, err := c.Stat("/d/p"); err != nil {
		t.Fatal(err)
	}
	must(t, m.SyncDir("/d/p"))
	wantContents(t, m.CrashClone(CrashOptions{}), "/d/p/q/f", "F")

	// A removal is durable only after SyncDir.
	must(t, m.Remove("/d/new"))
	wantContents(t, m.CrashClone(CrashOptions{}), "/d/new", "data")
	must(t, m.SyncDir("/d"))
	wantAbsent(t, m.CrashClone(CrashOptions{}), "/d/new")
	must(t, m.RemoveAll("/d/p"))
	wantContents(t, m.CrashClone(CrashOptions{}), "/d/p/q/f", "F")
	must(t, m.SyncDir("/d"))
	wantAbsent(t, m.CrashClone(CrashOptions{}), "/d/p")
}

func TestCrashCloneRename(t *testing.T) {
	m := crashFS(t)
	writeFile(t, m, "/d/final", []byte("old"))
	writeFile(t, m, "/d/tmp", []byte("new"))
	must(t, m.SyncDir("/d"))

	// The atomic-replace pattern: the rename is durable after SyncDir.
	must(t, m.Rename("/d/tmp", "/d/final"))
	c := m.CrashClone(CrashOptions{})
	wantContents(t, c, "/d/final", "old")
	wantContents(t, c, "/d/tmp", "new")
	must(t, m.SyncDir("/d"))
	c = m.CrashClone(CrashOptions{})
	wantContents(t, c, "/d/final", "new")
	wantAbsent(t, c, "/d/tmp")

	// Across directories, syncing only the new one leaves both names: one
	// file under two names, like a hard link.
	must(t, m.MkdirAll("/e", 0o755))
	must(t, m.SyncDir("/"))
	must(t, m.Rename("/d/final", "/e/moved"))
	must(t, m.SyncDir("/e"))
	c = m.CrashClone(CrashOptions{})
	wantContents(t, c, "/d/final", "new")
	wantContents(t, c, "/e/moved", "new")
	f, err := c.OpenRW("/e/moved")
	must(t, err)
	_, err = f.WriteAt([]byte("N"), 0)
	must(t, err)
	must(t, f.Close())
	wantContents(t, c, "/d/final", "New")
	must(t, m.SyncDir("/d"))
	wantAbsent(t, m.CrashClone(CrashOptions{}), "/d/final")
}

func TestCrashCloneIsDurableAndIndependent(t *testing.T) {
	m := crashFS(t)
	writeFile(t, m, "/d/f", []byte("synced"))
	must(t, m.SyncDir("/d"))
	f, err := m.OpenRW("/d/f")
	must(t, err)
	defer f.Close()
	_, err = f.WriteAt([]byte("+tail"), 6)
	must(t, err)

	c := m.CrashClone(CrashOptions{})
	// Everything in a clone is durable: crashing it again changes nothing.
	wantContents(t, c.CrashClone(CrashOptions{TearUnsynced: true}), "/d/f", "synced")

	// Writes to the clone do not reach the original, nor the reverse.
	g, err := c.OpenRW("/d/f")
	must(t, err)
	_, err = g.WriteAt([]byte("CLONE"), 0)
	must(t, err)
	must(t, g.Close())
	_, err = f.WriteAt([]byte("ORIG"), 0)
	must(t, err)
	wantContents(t, c, "/d/f", "CLONEd")
	wantContents(t, m, "/d/f", "ORIGed+tail")
}

func TestSnapshot(t *testing.T) {
	m := crashFS(t)
	writeFile(t, m, "/d/synced", []byte("durable"))
	must(t, m.SyncDir("/d"))
	f, err := m.OpenRW("/d/synced")
	must(t, err)
	defer f.Close()
	_, err = f.WriteAt([]byte("+more"), 7)
	must(t, err)
	g, err := m.Create("/d/unsynced")
	must(t, err)
	_, err = g.WriteAt([]byte("page cache"), 0)
	must(t, err)
	must(t, g.Close())

	s := m.Snapshot()
	wantContents(t, s, "/d/synced", "durable+more")
	wantContents(t, s, "/d/unsynced", "page cache")
	// The snapshot keeps the durability state: crashing it equals crashing m.
	c := s.CrashClone(CrashOptions{})
	wantContents(t, c, "/d/synced", "durable")
	wantAbsent(t, c, "/d/unsynced")
	// Independent of m.
	_, err = f.WriteAt([]byte("X"), 0)
	must(t, err)
	wantContents(t, s, "/d/synced", "durable+more")
}

func TestCrashCloneTear(t *testing.T) {
	const synced, full = "0123", "0123456789abcdefghij"
	build := func() *MemFS {
		m := crashFS(t)
		writeFile(t, m, "/d/f", []byte(synced))
		must(t, m.SyncDir("/d"))
		f, err := m.OpenRW("/d/f")
		must(t, err)
		_, err = f.WriteAt([]byte(full[len(synced):]), int64(len(synced)))
		must(t, err)
		must(t, f.Close())
		return m
	}
	m := build()
	lengths := map[int]bool{}
	for seed := range uint64(64) {
		c := m.CrashClone(CrashOptions{TearUnsynced: true, Rand: rand.New(rand.NewPCG(seed, 7))})
		got := string(readFile(t, c, "/d/f"))
		if len(got) < len(synced) || got != full[:len(got)] {
			t.Fatalf("seed %d: torn file %q is not a prefix of %q at least %q long", seed, got, full, synced)
		}
		lengths[len(got)] = true
		// The same seed gives the same tear.
		again := m.CrashClone(CrashOptions{TearUnsynced: true, Rand: rand.New(rand.NewPCG(seed, 7))})
		if got2 := string(readFile(t, again, "/d/f")); got2 != got {
			t.Fatalf("seed %d: %q then %q", seed, got, got2)
		}
	}
	// 64 draws from 17 lengths: the tears vary, from keeping nothing past
	// the synced part to keeping everything.
	if len(lengths) < 10 || !lengths[len(synced)] && !lengths[len(full)] {
		t.Fatalf("torn lengths seen: %v", lengths)
	}

	// A nil Rand works (fixed seed).
	got := string(readFile(t, m.CrashClone(CrashOptions{TearUnsynced: true}), "/d/f"))
	if got != full[:len(got)] || len(got) < len(synced) {
		t.Fatalf("nil Rand: %q", got)
	}

	// Garbled: the synced part is intact, the kept tail differs from the
	// written bytes in one run of 1..8 bytes.
	garbled := 0
	for seed := range uint64(64) {
		c := m.CrashClone(CrashOptions{TearUnsynced: true, Garble: true, Rand: rand.New(rand.NewPCG(seed, 9))})
		got := readFile(t, c, "/d/f")
		if len(got) < len(synced) || len(got) > len(full) || string(got[:len(synced)]) != synced {
			t.Fatalf("seed %d: garbled file %q", seed, got)
		}
		var diff []int
		for i := len(synced); i < len(got); i++ {
			if got[i] != full[i] {
				diff = append(diff, i)
			}
		}
		if len(got) == len(synced) {
			if len(diff) != 0 {
				t.Fatalf("seed %d: %q", seed, got)
			}
			continue
		}
		garbled++
		if len(diff) < 1 || len(diff) > 8 || diff[len(diff)-1]-diff[0] != len(diff)-1 {
			t.Fatalf("seed %d: garbled bytes at %v in %q, want one run of 1..8", seed, diff, got)
		}
	}
	if garbled == 0 {
		t.Fatal("no seed kept a tail to garble")
	}
}

// TestMemModel runs random writes, truncations and syncs against a MemFS
// file and a plain model of its current and synced bytes, checking the file,
// Snapshot and CrashClone against the model throughout.
func TestMemModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 42))
	m := crashFS(t)
	f, err := m.Create("/d/f")
	must(t, err)
	defer f.Close()
	must(t, m.SyncDir("/d"))
	var cur, synced []byte
	for step := range 3000 {
		switch op := rng.IntN(10); {
		case op < 5:
			off := rng.IntN(len(cur) + 64)
			p := make([]byte, 1+rng.IntN(48))
			for i := range p {
				p[i] = byte(1 + rng.IntN(255))
			}
			_, err := f.WriteAt(p, int64(off))
			must(t, err)
			if end := off + len(p); end > len(cur) {
				cur = append(cur, make([]byte, end-len(cur))...)
			}
			copy(cur[off:], p)
		case op < 7:
			size := rng.IntN(len(cur) + 32)
			must(t, f.Truncate(int64(size)))
			if size <= len(cur) {
				cur = cur[:size]
			} else {
				cur = append(cur, make([]byte, size-len(cur))...)
			}
		case op < 9:
			must(t, f.Sync())
			synced = slices.Clone(cur)
		default:
			wantContents(t, m.Snapshot(), "/d/f", string(cur))
		}
		if step%50 == 0 {
			wantContents(t, m.CrashClone(CrashOptions{}), "/d/f", string(synced))
		}
		wantContents(t, m, "/d/f", string(cur))
	}
}

// TestMemConcurrent has one writer append, overwrite and truncate a file
// while readers read it and others list, stat, clone and create files.
// Every byte the file ever holds is a function of its offset, so any byte a
// reader sees must equal that function. Run under -race.
func TestMemConcurrent(t *testing.T) {
	const block, blocks = 512, 200
	at := func(pos int64) byte { return byte(pos*7 + pos/block) }
	fill := func(p []byte, off int64) {
		for i := range p {
			p[i] = at(off + int64(i))
		}
	}
	m := crashFS(t)
	w, err := m.Create("/d/log")
	must(t, err)
	defer w.Close()
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 16)

	wg.Go(func() {
		defer close(done)
		buf := make([]byte, block)
		var size int64
		for i := range blocks {
			fill(buf, size)
			if _, err := w.WriteAt(buf, size); err != nil {
				errs <- err
				return
			}
			size += block
			switch i % 10 {
			case 3:
				if err := w.Sync(); err != nil {
					errs <- err
					return
				}
			case 7: // cut back one and a half blocks; the next writes redo them
				size -= block + block/2
				if err := w.Truncate(size); err != nil {
					errs <- err
					return
				}
			}
		}
	})
	for r := range 4 {
		wg.Go(func() {
			f, err := m.Open("/d/log")
			if err != nil {
				errs <- err
				return
			}
			defer f.Close()
			buf := make([]byte, block+r*100)
			rng := rand.New(rand.NewPCG(uint64(r), 1))
			for {
				select {
				case <-done:
					return
				default:
				}
				size, err := f.Size()
				if err != nil {
					errs <- err
					return
				}
				off := rng.Int64N(size + 1)
				n, err := f.ReadAt(buf, off)
				if err != nil && err != io.EOF {
					errs <- err
					return
				}
				for i := range n {
					if buf[i] != at(off+int64(i)) {
						errs <- fmt.Errorf("byte at %d = %d, want %d", off+int64(i), buf[i], at(off+int64(i)))
						return
					}
				}
			}
		})
	}
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			name := fmt.Sprintf("/d/x%d", i%8)
			if f, err := m.Create(name); err == nil {
				f.Close()
			}
			m.ReadDir("/d")
			m.Stat("/d/log")
			if i%4 == 0 {
				m.SyncDir("/d")
				c := m.CrashClone(CrashOptions{TearUnsynced: true, Rand: rand.New(rand.NewPCG(uint64(i), 3))})
				// The clone was taken at one instant: its log is a prefix of
				// what the writer wrote, byte for byte.
				got, err := readAll(c, "/d/log")
				if err != nil {
					errs <- err
					return
				}
				for j := range got {
					if got[j] != at(int64(j)) {
						errs <- fmt.Errorf("clone byte at %d = %d", j, got[j])
						return
					}
				}
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// The writer's final size: 200 blocks less 20 cuts of 1.5 blocks.
	want := int64(blocks*block - 20*(block+block/2))
	if size, _ := w.Size(); size != want {
		t.Fatalf("final size %d, want %d", size, want)
	}
	got := readFile(t, m, "/d/log")
	exp := make([]byte, want)
	fill(exp, 0)
	if !bytes.Equal(got, exp) {
		t.Fatal("final contents differ")
	}
}

// SyncFS makes everything below its directory durable, as a Sync of every
// file and a SyncDir of every directory would, and nothing outside it.
func TestSyncFSCrashClone(t *testing.T) {
	m := crashFS(t)
	must(t, m.MkdirAll("/other", 0o755))
	must(t, m.SyncDir("/"))
	// Below /d: a new subtree, a grown file, a file cut shorter, a rename
	// and a removal, none synced.
	writeFile(t, m, "/d/keep", []byte("0123456789"))
	writeFile(t, m, "/d/gone", []byte("x"))
	writeFile(t, m, "/d/old", []byte("renamed"))
	must(t, m.SyncDir("/d"))
	must(t, m.MkdirAll("/d/p/q", 0o755))
	f, err := m.Create("/d/p/q/new")
	must(t, err)
	_, err = f.WriteAt([]byte("unsynced"), 0)
	must(t, err)
	g, err := m.OpenRW("/d/keep")
	must(t, err)
	must(t, g.Truncate(4))
	_, err = g.WriteAt([]byte("AB"), 1)
	must(t, err)
	must(t, m.Rename("/d/old", "/d/p/moved"))
	must(t, m.Remove("/d/gone"))
	h, err := m.Create("/other/f") // outside /d: stays unsynced
	must(t, err)
	_, err = h.WriteAt([]byte("out"), 0)
	must(t, err)

	before := m.CrashClone(CrashOptions{})
	wantAbsent(t, before, "/d/p")
	wantContents(t, before, "/d/keep", "0123456789")
	wantContents(t, before, "/d/gone", "x")

	must(t, m.SyncFS("/d"))
	c := m.CrashClone(CrashOptions{TearUnsynced: true, Garble: true})
	wantContents(t, c, "/d/p/q/new", "unsynced")
	wantContents(t, c, "/d/keep", "0AB3")
	wantContents(t, c, "/d/p/moved", "renamed")
	wantAbsent(t, c, "/d/old")
	wantAbsent(t, c, "/d/gone")
	wantAbsent(t, c, "/other/f")
	if got, want := tree(t, c, "/d"), tree(t, m, "/d"); !slices.Equal(got, want) {
		t.Fatalf("crash clone below /d: %q, want %q", got, want)
	}
	// Writes after SyncFS are unsynced again.
	_, err = f.WriteAt([]byte("!"), 8)
	must(t, err)
	wantContents(t, m.CrashClone(CrashOptions{}), "/d/p/q/new", "unsynced")
	must(t, f.Close())
	must(t, g.Close())
	must(t, h.Close())
}

// tree lists the paths below dir with their sizes, depth first, sorted.
func tree(t *testing.T, fsys FS, dir string) []string {
	t.Helper()
	var out []string
	names, err := fsys.ReadDir(dir)
	must(t, err)
	for _, n := range names {
		p := filepath.Join(dir, n)
		fi, err := fsys.Stat(p)
		must(t, err)
		if fi.IsDir() {
			out = append(out, p+"/")
			out = append(out, tree(t, fsys, p)...)
		} else {
			out = append(out, fmt.Sprintf("%s %d", p, fi.Size()))
		}
	}
	return out
}
