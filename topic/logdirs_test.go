package topic

import (
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/partition"
)

func openDirs(t *testing.T, fs vfs.FS, dirs ...string) *Registry {
	t.Helper()
	r, err := Open(dirs[0], Options{FS: fs, Resolve: testResolve, ExtraDirs: dirs[1:]})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func parents(tp *Topic) []string {
	var out []string
	for _, l := range tp.Partitions {
		out = append(out, filepath.Dir(l.Dir()))
	}
	return out
}

// Every entry of log.dirs is used: new partitions go to the directory
// with the fewest, each directory has its own checkpoint files and
// marker, topics.json stays in the first, and a reopen finds every
// partition where it is.
func TestSeveralLogDirs(t *testing.T) {
	fs := vfs.NewMem()
	r := openDirs(t, fs, "/d1", "/d2", "/d3")
	a := create(t, r, "a", 4, nil)
	if got := parents(a); !reflect.DeepEqual(got, []string{"/d1", "/d2", "/d3", "/d1"}) {
		t.Fatalf("a's partitions in %q", got)
	}
	b := create(t, r, "b", 2, nil) // d2 and d3 have one each, d1 two
	if got := parents(b); !reflect.DeepEqual(got, []string{"/d2", "/d3"}) {
		t.Fatalf("b's partitions in %q", got)
	}
	appendN(t, a.Partitions[1], 3, false)
	appendN(t, b.Partitions[1], 2, false)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"/d1": {".strata_cleanshutdown", "a-0", "a-3", "log-start-offset-checkpoint", "recovery-point-offset-checkpoint", "topics.json"},
		"/d2": {".strata_cleanshutdown", "a-1", "b-0", "log-start-offset-checkpoint", "recovery-point-offset-checkpoint"},
		"/d3": {".strata_cleanshutdown", "a-2", "b-1", "log-start-offset-checkpoint", "recovery-point-offset-checkpoint"},
	}
	for d, names := range want {
		if got := listDir(t, fs, d); !reflect.DeepEqual(got, names) {
			t.Fatalf("%s: %q", d, got)
		}
	}
	for d, rp := range map[string]string{"/d1": "0\n2\na 0 0\na 3 0\n", "/d2": "0\n2\na 1 3\nb 0 0\n", "/d3": "0\n2\na 2 0\nb 1 2\n"} {
		if got := readFile(t, fs, filepath.Join(d, "recovery-point-offset-checkpoint")); got != rp {
			t.Fatalf("%s recovery points %q, want %q", d, got, rp)
		}
	}
	r = openDirs(t, fs, "/d1", "/d2", "/d3")
	defer r.Close()
	a, _ = r.Get("a")
	b, _ = r.Get("b")
	if got := append(parents(a), parents(b)...); !reflect.DeepEqual(got, []string{"/d1", "/d2", "/d3", "/d1", "/d2", "/d3"}) {
		t.Fatalf("after reopen: %q", got)
	}
	if a.Partitions[1].LogEndOffset() != 3 || b.Partitions[1].LogEndOffset() != 2 {
		t.Fatalf("log ends %d, %d", a.Partitions[1].LogEndOffset(), b.Partitions[1].LogEndOffset())
	}
	for _, d := range []string{"/d1", "/d2", "/d3"} {
		if exists(fs, filepath.Join(d, ".strata_cleanshutdown")) {
			t.Fatalf("%s: marker kept after Open", d)
		}
	}
	// AddPartitions balances too; Delete removes the topic from every
	// directory and its entries from every checkpoint file.
	if err := r.AddPartitions("b", 4, false); err != nil {
		t.Fatal(err)
	}
	b, _ = r.Get("b")
	if got := parents(b); !reflect.DeepEqual(got, []string{"/d2", "/d3", "/d1", "/d2"}) {
		t.Fatalf("b after AddPartitions: %q", got)
	}
	if err := r.Delete("a"); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, fs, "/d2/recovery-point-offset-checkpoint"); got != "0\n2\nb 0 0\nb 3 0\n" {
		t.Fatalf("d2 recovery points after delete %q", got)
	}
	if exists(fs, "/d2/a-1") || exists(fs, "/d3/a-2") {
		t.Fatal("a's directories kept")
	}
}

// A log directory added to log.dirs takes the new partitions first; one
// partition found in two directories stops Open (KAFKA_STORAGE_ERROR).
func TestLogDirAddedAndDuplicate(t *testing.T) {
	fs := vfs.NewMem()
	r := openDirs(t, fs, "/d1")
	create(t, r, "a", 2, nil)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r = openDirs(t, fs, "/d1", "/d2")
	if got := parents(create(t, r, "b", 3, nil)); !reflect.DeepEqual(got, []string{"/d2", "/d2", "/d1"}) {
		t.Fatalf("b's partitions in %q", got)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fs.MkdirAll("/d2/a-1", 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Open("/d1", Options{FS: fs, ExtraDirs: []string{"/d2"}})
	if !errors.Is(err, partition.ErrStorage) || err.Error() != "partition: storage error: partition a-1 is in two log directories, /d1 and /d2" {
		t.Fatalf("Open with a-1 twice: %v", err)
	}
	if _, err := Open("/d1", Options{FS: fs, ExtraDirs: []string{"/d1/"}}); err == nil {
		t.Fatal("a directory given twice was accepted")
	}
}
