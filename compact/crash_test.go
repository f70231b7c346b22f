package compact

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/segment"
)

// stepFS is a MemFS that takes what a machine crash would leave after
// every rename, removal and directory sync while armed.
type stepFS struct {
	*vfs.MemFS
	mu     sync.Mutex // the flusher and background removals call in too
	armed  bool
	steps  []string
	clones []*vfs.MemFS
}

func (f *stepFS) arm(on bool) {
	f.mu.Lock()
	f.armed = on
	f.mu.Unlock()
}

func (f *stepFS) step(op, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.armed {
		f.steps = append(f.steps, op+" "+name[strings.LastIndexByte(name, '/')+1:])
		f.clones = append(f.clones, f.MemFS.CrashClone(vfs.CrashOptions{}))
	}
}

func (f *stepFS) Rename(a, b string) error {
	err := f.MemFS.Rename(a, b)
	f.step("rename", a+"->"+b[strings.LastIndexByte(b, '/')+1:])
	return err
}

func (f *stepFS) Remove(name string) error {
	err := f.MemFS.Remove(name)
	f.step("remove", name)
	return err
}

func (f *stepFS) SyncDir(dir string) error {
	err := f.MemFS.SyncDir(dir)
	f.step("syncdir", dir)
	return err
}

// TestCrashAtEachStepOfTheSwap: a pass that swaps in two cleaned groups
// (segment.bytes lets two segments merge into one), with a machine crash
// after every rename, removal and directory sync of the pass; each crash
// image is opened: every key's latest value is served, offsets are
// strictly increasing (no duplicates), every record read is one the log
// held before, every record the cleaned log keeps is there, the indexes
// find every offset, and no .cleaned, .swap or .deleted file is left.
func TestCrashAtEachStepOfTheSwap(t *testing.T) {
	fs := &stepFS{MemFS: vfs.NewMem()}
	c := newClock()
	l := manyKeysLog(t, fs, c, 200, 2)
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	before, _ := readLog(t, l)
	nsegs := len(l.CleanerView().Segments)
	cfg := cleanConfig()
	cfg.SegmentBytes = 2 * l.CleanerView().Segments[0].Size()
	fs.arm(true)
	st, err := NewCleaner(1<<20, 4096, nil).Clean(l, 0, cfg, c.now())
	fs.arm(false)
	if err != nil {
		t.Fatal(err)
	}
	cleaned, _ := readLog(t, l)
	l.Close()
	if st.Groups < 2 || st.Groups >= nsegs {
		t.Fatalf("%d groups from %d segments: want merged groups, at least two", st.Groups, nsegs)
	}
	if len(fs.clones) < 10 {
		t.Fatalf("only %d crash points: %v", len(fs.clones), fs.steps)
	}
	key := func(g got) string { return fmt.Sprint(g) }
	wantLatest := strs(latest(before))
	for i, img := range fs.clones {
		l2, err := openLogErr(img, c)
		if err != nil {
			t.Fatalf("crash after %q: Open: %v", fs.steps[i], err)
		}
		all, _ := readLog(t, l2)
		for j := 1; j < len(all); j++ {
			if all[j].offset <= all[j-1].offset {
				t.Fatalf("crash after %q: offset %d after %d", fs.steps[i], all[j].offset, all[j-1].offset)
			}
		}
		if got := strs(latest(all)); !slices.Equal(got, wantLatest) {
			t.Fatalf("crash after %q: latest values differ", fs.steps[i])
		}
		have := map[string]bool{}
		for _, g := range all {
			have[key(g)] = true
		}
		for _, g := range cleaned {
			if !have[key(g)] {
				t.Fatalf("crash after %q: record %v lost", fs.steps[i], g)
			}
		}
		old := map[string]bool{}
		for _, g := range before {
			old[key(g)] = true
		}
		for _, g := range all {
			if !old[key(g)] {
				t.Fatalf("crash after %q: record %v was never written", fs.steps[i], g)
			}
		}
		for _, g := range before {
			r, err := l2.Read(g.offset, 1)
			if err != nil || len(r.Slices) != 1 || r.Slices[0].LastOffset < g.offset {
				t.Fatalf("crash after %q: Read(%d) = %v, %v", fs.steps[i], g.offset, r, err)
			}
			r.Release()
		}
		names, _ := img.ReadDir("/data/t-0")
		for _, n := range names {
			if strings.HasSuffix(n, segment.CleanedSuffix) || strings.HasSuffix(n, segment.SwapSuffix) || strings.HasSuffix(n, segment.DeletedSuffix) {
				t.Fatalf("crash after %q: %s left", fs.steps[i], n)
			}
		}
		l2.Close()
	}
}
