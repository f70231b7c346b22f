package server

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stratabroker/strata/internal/vfs"
)

// TestPIDFile: every log dir holds strata.pid with this process's pid while
// the server runs, and none after Close; a stale file is overwritten.
func TestPIDFile(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	// A stale file, as a broker killed with SIGKILL leaves: another pid.
	if err := os.WriteFile(filepath.Join(b, PIDFile), []byte("999999999\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Start(testConfig(t, a, "log.dirs", a+","+b), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := strconv.Itoa(os.Getpid()) + "\n"
	for _, dir := range []string{a, b} {
		got, err := os.ReadFile(filepath.Join(dir, PIDFile))
		if err != nil {
			s.Close()
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s holds %q, want %q", PIDFile, got, want)
		}
		if _, err := os.Stat(filepath.Join(dir, PIDFile+vfs.TempSuffix)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("temporary pid file left behind: %v", err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{a, b} {
		if _, err := os.Stat(filepath.Join(dir, PIDFile)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s after Close: %v, want it removed", filepath.Join(dir, PIDFile), err)
		}
	}
}

// TestPIDFileDurable: the pid file is synced before Start returns, so a
// crash right after start (only synced bytes kept) still finds it whole.
func TestPIDFileDurable(t *testing.T) {
	mem := vfs.NewMem()
	s := startServerIn(t, "data", Options{FS: mem})
	_ = s
	crashed := mem.CrashClone(vfs.CrashOptions{})
	got, err := vfs.ReadFile(crashed, filepath.Join("data", PIDFile), 64)
	if err != nil {
		t.Fatal(err)
	}
	if want := strconv.Itoa(os.Getpid()) + "\n"; string(got) != want {
		t.Errorf("after a crash %s holds %q, want %q", PIDFile, got, want)
	}
}

// TestPIDFileRemovedOnFailedStart: a start that fails after writing the pid
// files (here: meta.properties of another cluster in the second dir)
// leaves none behind.
func TestPIDFileRemovedOnFailedStart(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(b, "meta.properties"), []byte("version=1\ncluster.id=AAAAAAAAAAAAAAAAAAAAAA\nnode.id=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Start(testConfig(t, a, "log.dirs", a+","+b, "cluster.id", "BBBBBBBBBBBBBBBBBBBBBB"), Options{})
	if err == nil {
		s.Close()
		t.Fatal("Start succeeded on a log dir of another cluster")
	}
	for _, dir := range []string{a, b} {
		if _, err := os.Stat(filepath.Join(dir, PIDFile)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s after a failed Start: %v, want none", filepath.Join(dir, PIDFile), err)
		}
	}
}
