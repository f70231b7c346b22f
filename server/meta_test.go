package server

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stratabroker/strata/internal/dirlock"
	"github.com/stratabroker/strata/internal/metaprops"
)

// metaAt is the time the meta tests give the server, for exact date lines.
var metaAt = time.Date(2026, 12, 8, 1, 8, 5, 0, time.UTC)

func metaOpts() Options { return Options{Now: func() time.Time { return metaAt }} }

func readMetaFile(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "meta.properties"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestMetaPropertiesAsKafkaWritesIt: a first start writes meta.properties
// byte for byte as Kafka 4.1 does (Properties.store: "#", the date line,
// then node.id, directory.id, version, cluster.id), with a directory.id
// that is a valid, unreserved Uuid; a restart leaves the file unchanged.
func TestMetaPropertiesAsKafkaWritesIt(t *testing.T) {
	dir := t.TempDir()
	s := startServerIn(t, dir, metaOpts(), "node.id", "7")
	got := readMetaFile(t, dir)
	p, err := metaprops.Read(s.fs, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := "#\n#Tue Dec 08 01:08:05 UTC 2026\nnode.id=7\ndirectory.id=" + p.DirectoryID.String() +
		"\nversion=1\ncluster.id=" + s.ClusterID() + "\n"
	if got != want {
		t.Fatalf("meta.properties:\n%s\nwant:\n%s", got, want)
	}
	if len(p.DirectoryID.String()) != 22 || metaprops.ReservedDirectoryID(p.DirectoryID) {
		t.Fatalf("directory.id %s", p.DirectoryID)
	}
	if _, err := metaprops.ParseUuid(s.ClusterID()); err != nil {
		t.Fatalf("cluster id %q: %v", s.ClusterID(), err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	later := Options{Now: func() time.Time { return metaAt.Add(time.Hour) }}
	startServerIn(t, dir, later, "node.id", "7")
	if again := readMetaFile(t, dir); again != got {
		t.Fatalf("restart rewrote meta.properties:\n%s", again)
	}
}

// TestOtherNodeIDRefused: a log dir formatted for node 1 refuses a broker
// configured as node 2, with Kafka's message naming the file and both
// ids, and leaves the dir unlocked and its file unchanged.
func TestOtherNodeIDRefused(t *testing.T) {
	dir := t.TempDir()
	s := startServerIn(t, dir, metaOpts(), "node.id", "1")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	before := readMetaFile(t, dir)
	_, err := Start(testConfig(t, dir, "node.id", "2"), metaOpts())
	want := "server: bad meta.properties: Stored node id 1 doesn't match previous node id 2 in " +
		filepath.Join(dir, "meta.properties") + ". If you moved your data, make sure your configured node id " +
		"matches. If you intend to create a new node, you should remove all data in your data directories."
	if !errors.Is(err, ErrMeta) || err.Error() != want {
		t.Fatalf("Start as node 2:\n%v\nwant:\n%s", err, want)
	}
	l, err := dirlock.Acquire(dir)
	if err != nil {
		t.Fatalf("dir still locked after the refused start: %v", err)
	}
	l.Unlock()
	if after := readMetaFile(t, dir); after != before {
		t.Fatalf("refused start changed meta.properties:\n%s", after)
	}
}

// TestNewLogDirJoinsNode: a dir added to log.dirs beside a formatted one
// is formatted for the same cluster and node with a directory.id of its
// own; the first dir's file is not rewritten.
func TestNewLogDirJoinsNode(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	s := startServerIn(t, a, metaOpts(), "node.id", "3")
	id := s.ClusterID()
	s.Close()
	before := readMetaFile(t, a)
	s2 := startServerIn(t, a, metaOpts(), "node.id", "3", "log.dirs", a+","+b)
	if s2.ClusterID() != id {
		t.Fatalf("cluster id %s after adding a dir, want %s", s2.ClusterID(), id)
	}
	if after := readMetaFile(t, a); after != before {
		t.Fatalf("first dir rewritten:\n%s", after)
	}
	pa, err := metaprops.Read(s2.fs, a)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := metaprops.Read(s2.fs, b)
	if err != nil {
		t.Fatal(err)
	}
	want := "#\n#Tue Dec 08 01:08:05 UTC 2026\nnode.id=3\ndirectory.id=" + pb.DirectoryID.String() +
		"\nversion=1\ncluster.id=" + id + "\n"
	if got := readMetaFile(t, b); got != want || pb.DirectoryID == pa.DirectoryID {
		t.Fatalf("new dir's meta.properties:\n%s\nwant:\n%s(first dir's id %s)", got, want, pa.DirectoryID)
	}
}

// TestOlderMetaPropertiesGainDirectoryID: a file without directory.id
// (Strata before this change, Kafka before KIP-858) and a ZooKeeper-era
// version 0 file naming broker.id and cluster.id are accepted, as Kafka 4.1
// accepts them, and rewritten with a directory.id, keeping their version;
// a version 0 file without cluster.id is refused with Kafka's message.
func TestOlderMetaPropertiesGainDirectoryID(t *testing.T) {
	cases := []struct {
		name, file, want string
	}{
		{"strata", "#Written by Strata\nversion=1\ncluster.id=AAAAAAAAAAAAAAAAAAAAAQ\nnode.id=1\n",
			"#\n#Tue Dec 08 01:08:05 UTC 2026\nnode.id=1\ndirectory.id=ID\nversion=1\ncluster.id=AAAAAAAAAAAAAAAAAAAAAQ\n"},
		{"v0", "#\n#Mon Jan 01 00:00:00 UTC 2024\ncluster.id=zk-cluster\nversion=0\nbroker.id=1\n",
			"#\n#Tue Dec 08 01:08:05 UTC 2026\nbroker.id=1\ndirectory.id=ID\nversion=0\ncluster.id=zk-cluster\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "meta.properties"), []byte(c.file), 0o644); err != nil {
				t.Fatal(err)
			}
			s := startServerIn(t, dir, metaOpts())
			p, err := metaprops.Read(s.fs, dir)
			if err != nil || !p.HasDirectoryID {
				t.Fatalf("read: %+v %v", p, err)
			}
			want := strings.Replace(c.want, "=ID", "="+p.DirectoryID.String(), 1)
			if got := readMetaFile(t, dir); got != want {
				t.Fatalf("rewritten:\n%s\nwant:\n%s", got, want)
			}
		})
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "meta.properties"), []byte("version=0\nbroker.id=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Start(testConfig(t, dir), metaOpts())
	if want := "server: bad meta.properties: Error: cluster ID not found in " + dir; err == nil || err.Error() != want {
		t.Fatalf("v0 without cluster.id: %v, want %s", err, want)
	}
}

// TestBadMetaPropertiesRefused: an unreadable file is refused with Kafka's
// reason and the file's path.
func TestBadMetaPropertiesRefused(t *testing.T) {
	for file, reason := range map[string]string{
		"version=1\ncluster.id=x\n":                                                 "Failed to find node.id",
		"version=1\nnode.id=1\n":                                                    "cluster.id was not found.",
		"version=2\nnode.id=1\ncluster.id=x\n":                                      "Unknown meta.properties version number 2",
		"version=1\nnode.id=one\ncluster.id=x\n":                                    "Unable to read node.id as a base-10 number.",
		"version=1\nnode.id=1\ncluster.id=x\ndirectory.id=AAAAAAAAAAAAAAAAAAAAAA\n": "Invalid reserved directory ID AAAAAAAAAAAAAAAAAAAAAA found in DIR",
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "meta.properties"), []byte(file), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Start(testConfig(t, dir), metaOpts())
		want := "server: bad meta.properties: Error while reading meta.properties file " + filepath.Join(dir, "meta.properties") + ": " + reason
		if strings.Contains(reason, "DIR") {
			want = "server: bad meta.properties: " + strings.Replace(reason, "DIR", dir, 1)
		}
		if !errors.Is(err, ErrMeta) || err.Error() != want {
			t.Errorf("%q:\n%v\nwant:\n%s", file, err, want)
		}
	}
}
