package metaprops

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/stratabroker/strata/internal/vfs"
)

var at = time.Date(2026, 12, 8, 1, 8, 5, 0, time.UTC)

// TestEncodeAsJava: the bytes java.util.Properties.store(Writer, "") wrote
// for the same entries on a JVM (OpenJDK, TZ=UTC), for a version 1 and a
// version 0 file.
func TestEncodeAsJava(t *testing.T) {
	dirID, _ := ParseUuid("ZdAcXJLCTlWzm2SJT7XT-w")
	v1 := Props{Version: V1, ClusterID: "XcZZOzUqS4yHOjhMQB6JLQ", HasClusterID: true, NodeID: 1, HasNodeID: true,
		DirectoryID: dirID, HasDirectoryID: true}
	want := "#\n#Tue Dec 08 01:08:05 UTC 2026\nnode.id=1\ndirectory.id=ZdAcXJLCTlWzm2SJT7XT-w\nversion=1\ncluster.id=XcZZOzUqS4yHOjhMQB6JLQ\n"
	if got := string(v1.Encode(at)); got != want {
		t.Fatalf("v1:\n%s\nwant:\n%s", got, want)
	}
	v0 := Props{Version: V0, ClusterID: "c", HasClusterID: true, NodeID: 1, HasNodeID: true}
	want = "#\n#Tue Dec 08 01:08:05 UTC 2026\nbroker.id=1\nversion=0\ncluster.id=c\n"
	if got := string(v0.Encode(at)); got != want {
		t.Fatalf("v0:\n%s\nwant:\n%s", got, want)
	}
	// Properties.saveConvert: separators and comment characters escaped,
	// a value's leading blank only.
	odd := Props{Version: V1, ClusterID: " a=b:c#d!e f\\", HasClusterID: true, NodeID: 2, HasNodeID: true}
	want = "#\n#Tue Dec 08 01:08:05 UTC 2026\nnode.id=2\nversion=1\ncluster.id=\\ a\\=b\\:c\\#d\\!e f\\\\\n"
	if got := string(odd.Encode(at)); got != want {
		t.Fatalf("escapes:\n%s\nwant:\n%s", got, want)
	}
	back, err := Parse(odd.Encode(at))
	if err != nil || back != odd {
		t.Fatalf("round trip: %+v %v", back, err)
	}
}

func TestUuid(t *testing.T) {
	for s, msg := range map[string]string{
		"not-a-uuid":                   "Input string `not-a-uuid` decoded as 7 bytes, which is not equal to the expected 16 bytes of a base64-encoded UUID",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAA": "Input string with prefix `AAAAAAAAAAAAAAAAAAAAAAAA` is too long to be decoded as a base64 UUID",
	} {
		if _, err := ParseUuid(s); !errors.Is(err, ErrUuid) || err.Error() != ErrUuid.Error()+": "+msg {
			t.Errorf("%s: %v", s, err)
		}
	}
	u, err := ParseUuid("XcZZOzUqS4yHOjhMQB6JLQ")
	if err != nil || u.String() != "XcZZOzUqS4yHOjhMQB6JLQ" {
		t.Fatalf("%s %v", u, err)
	}
	for range 1000 {
		r := RandomUuid()
		if s := r.String(); len(s) != 22 || s[0] == '-' || r[6]>>4 != 4 {
			t.Fatalf("random %s", s)
		}
	}
	if !ReservedDirectoryID(Uuid{15: 99}) || ReservedDirectoryID(Uuid{15: 100}) || ReservedDirectoryID(Uuid{0: 1}) {
		t.Fatal("reserved range")
	}
}

// TestVerify: Kafka's messages for each disagreement.
func TestVerify(t *testing.T) {
	id := func(s string) Uuid { u, _ := ParseUuid(s); return u }
	p := func(cluster string, node int32, dir string) Props {
		return Props{Version: V1, ClusterID: cluster, HasClusterID: true, NodeID: node, HasNodeID: true, DirectoryID: id(dir), HasDirectoryID: dir != ""}
	}
	cases := []struct {
		props   map[string]Props
		cluster string
		node    int32
		want    string
	}{
		{map[string]Props{"/a": p("c1", 1, "ZdAcXJLCTlWzm2SJT7XT-w"), "/b": p("c1", 1, "XcZZOzUqS4yHOjhMQB6JLQ")}, "", 1, ""},
		{map[string]Props{"/a": p("c1", 1, ""), "/b": p("c2", 1, "")}, "", 1, "metaprops: Invalid cluster.id in: /b/meta.properties. Expected c1, but read c2"},
		{map[string]Props{"/a": p("c1", 1, "")}, "c0", 1, "metaprops: Invalid cluster.id in: /a/meta.properties. Expected c0, but read c1"},
		{map[string]Props{"/a": p("c1", 1, ""), "/b": p("c1", 2, "")}, "", -1, "metaprops: Stored node id 2 doesn't match previous node id 1 in /b/meta.properties. If you moved your data, make sure your configured node id matches. If you intend to create a new node, you should remove all data in your data directories."},
		{map[string]Props{"/a": p("c1", 1, "XcZZOzUqS4yHOjhMQB6JLQ"), "/b": p("c1", 1, "XcZZOzUqS4yHOjhMQB6JLQ")}, "", 1, "metaprops: Duplicate directory ID Optional[XcZZOzUqS4yHOjhMQB6JLQ] found. It was the ID of /a, but also of /b"},
	}
	for i, c := range cases {
		err := (&Ensemble{Props: c.props}).Verify(c.cluster, c.node)
		if (c.want == "" && err != nil) || (c.want != "" && (err == nil || err.Error() != c.want)) {
			t.Errorf("case %d: %v, want %q", i, err, c.want)
		}
	}
}

// TestOpenFormatsAndKeeps: Open over a MemFS formats empty dirs with one
// cluster and distinct directory ids, and a second Open changes nothing.
func TestOpenFormatsAndKeeps(t *testing.T) {
	fsys := vfs.NewMem()
	for _, d := range []string{"/a", "/b"} {
		if err := fsys.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	st, err := Open(fsys, []string{"/b", "/a"}, "", 4, at)
	if err != nil || len(st.Formatted) != 2 || st.Formatted[0] != "/a" || len(st.Rewritten) != 0 {
		t.Fatalf("%+v %v", st, err)
	}
	pa, _ := Read(fsys, "/a")
	pb, _ := Read(fsys, "/b")
	if pa.ClusterID != st.ClusterID || pb.ClusterID != st.ClusterID || pa.DirectoryID == pb.DirectoryID || pa.NodeID != 4 {
		t.Fatalf("%+v %+v", pa, pb)
	}
	st2, err := Open(fsys, []string{"/a", "/b"}, st.ClusterID, 4, at.Add(time.Hour))
	if err != nil || st2.ClusterID != st.ClusterID || len(st2.Formatted)+len(st2.Rewritten) != 0 {
		t.Fatalf("%+v %v", st2, err)
	}
	if _, err := Read(fsys, "/c"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
	if _, err := Open(fsys, []string{"/a"}, "", 5, at); err == nil || !strings.Contains(err.Error(), "Stored node id 4 doesn't match previous node id 5 in /a/meta.properties.") {
		t.Fatalf("node 5: %v", err)
	}
}

func TestBootstrapRoundTrip(t *testing.T) {
	fsys := vfs.NewMem()
	_ = fsys.MkdirAll("/a", 0o755)
	b := Bootstrap{Features: map[string]int16{"metadata.version": 27, "group.version": 1, "kraft.version": 0}, InitialControllers: "1@localhost:9093:XcZZOzUqS4yHOjhMQB6JLQ"}
	want := "#\n#Tue Dec 08 01:08:05 UTC 2026\ngroup.version=1\ninitial.controllers=1@localhost\\:9093\\:XcZZOzUqS4yHOjhMQB6JLQ\nkraft.version=0\nmetadata.version=27\n"
	if got := string(b.Encode(at)); got != want {
		t.Fatalf("%s\nwant:\n%s", got, want)
	}
	if err := WriteBootstrap(fsys, "/a", b, at); err != nil {
		t.Fatal(err)
	}
	got, err := ReadBootstrap(fsys, "/a")
	if err != nil || got.InitialControllers != b.InitialControllers || len(got.Features) != 3 || got.Features["metadata.version"] != 27 {
		t.Fatalf("%+v %v", got, err)
	}
}

// TestPath: the file's path as Java's new File(dir, "meta.properties")
// prints it in Kafka's messages.
func TestPath(t *testing.T) {
	for dir, want := range map[string]string{"./data": "./data/meta.properties", "/a/": "/a/meta.properties", "/": "/meta.properties", "data": "data/meta.properties"} {
		if got := Path(dir); got != want {
			t.Errorf("Path(%q) = %q, want %q", dir, got, want)
		}
	}
}
