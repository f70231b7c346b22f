package server

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stratabroker/strata/internal/dirlock"
	"github.com/stratabroker/strata/internal/metaprops"
)

// TestSecondServerOnOneDirRefused: a second server on the same log dir
// fails to start with the lock error, touching nothing; the first keeps
// serving and its data is intact; once it is closed the dir is free.
func TestSecondServerOnOneDirRefused(t *testing.T) {
	dir := t.TempDir()
	s1, err := Start(testConfig(t, dir), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s1.topics.Create("owned", 1, nil, false); err != nil {
		t.Fatal(err)
	}
	cl := newClient(t, s1)
	sent := produceN(t, cl, "owned", 100)

	s2, err := Start(testConfig(t, dir), Options{})
	if err == nil {
		s2.Close()
		t.Fatal("a second server started on a locked log dir")
	}
	if !errors.Is(err, dirlock.ErrLocked) || !strings.Contains(err.Error(), dir) ||
		!strings.Contains(err.Error(), "is using this directory") {
		t.Fatalf("second Start: %v", err)
	}
	// The first still serves, with every record.
	equalParts(t, consumeAll(t, s1, "owned", 100), sent)
	r, err := cl.ProduceSync(testCtx(t), &kgo.Record{Topic: "owned", Value: []byte("more")}).First()
	if err != nil || r.Offset != 100 {
		t.Fatalf("produce after the refused start: offset %d, %v", r.Offset, err)
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	s3 := startServerIn(t, dir, Options{})
	if hw := mustTopic(t, s3, "owned").Partitions[0].HighWatermark(); hw != 101 {
		t.Fatalf("after restart: high watermark %d, want 101", hw)
	}
}

// TestEveryLogDirLockedAndStamped: each entry of log.dirs gets its lock
// and a meta.properties with the one cluster ID; a dir of another cluster
// is refused and the others stay unlocked.
func TestEveryLogDirLockedAndStamped(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	s := startServerIn(t, a, Options{}, "log.dirs", a+","+b)
	for _, d := range []string{a, b} {
		if _, err := dirlock.Acquire(d); !errors.Is(err, dirlock.ErrLocked) {
			t.Fatalf("%s not locked by the server: %v", d, err)
		}
		p, err := metaprops.Read(s.fs, d)
		if err != nil || p.ClusterID != s.ClusterID() || p.NodeID != 1 || !p.HasDirectoryID {
			t.Fatalf("%s: %+v, %v; want cluster.id %q", d, p, err, s.ClusterID())
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	other := t.TempDir()
	o := startServerIn(t, other, Options{})
	otherID := o.ClusterID()
	o.Close()
	_, err := Start(testConfig(t, a, "log.dirs", a+","+other), Options{})
	want := "server: bad meta.properties: Invalid cluster.id in: " + filepath.Join(other, "meta.properties") +
		". Expected " + s.ClusterID() + ", but read " + otherID
	if !errors.Is(err, ErrMeta) || err.Error() != want {
		t.Fatalf("Start over dirs of two clusters:\n%v\nwant:\n%s", err, want)
	}
	for _, d := range []string{a, other} {
		l, err := dirlock.Acquire(d)
		if err != nil {
			t.Fatalf("%s still locked after the refused start: %v", d, err)
		}
		l.Unlock()
	}
}

// TestFailedBindTouchesNoDir: a broker that cannot bind its listener
// writes nothing into a new log dir (no meta.properties, no lock file).
func TestFailedBindTouchesNoDir(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dir := filepath.Join(t.TempDir(), "new")
	_, err = Start(testConfig(t, dir, "listeners", "PLAINTEXT://"+taken.Addr().String()), Options{})
	if err == nil || !strings.Contains(err.Error(), "listen on") {
		t.Fatalf("Start on a taken port: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("log dir after a failed bind: %v, want it not created", err)
	}
}

// TestSeveralLogDirs: with log.dirs=a,b new partitions are spread over
// both (the one with fewer first), DescribeLogDirs names each partition's
// own dir, and after a restart every record is back; listing the dirs in
// the other order finds the same topics (topics.json is looked for in
// every dir, so the topics keep their IDs and configs); topics.json in
// two dirs is refused.
func TestSeveralLogDirs(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	s, err := Start(testConfig(t, a, "log.dirs", a+","+b), Options{})
	if err != nil {
		t.Fatal(err)
	}
	created, err := s.topics.Create("spread", 4, map[string]string{"retention.ms": "-1"}, false)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(s.Addr().String()), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	sent := produceN(t, cl, "spread", 400)
	cl.Close()
	dirs, err := newAdmin(t, s).DescribeAllLogDirs(testCtx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	where := map[int32]string{}
	for _, d := range dirs.Sorted() {
		if d.Err != nil {
			t.Fatal(d.Err)
		}
		d.Topics.Each(func(p kadm.DescribedLogDirPartition) {
			if p.Topic == "spread" {
				where[p.Partition] = d.Dir
			}
		})
	}
	perDir := map[string]int{}
	for p := int32(0); p < 4; p++ {
		if _, err := os.Stat(filepath.Join(where[p], fmt.Sprintf("spread-%d", p))); err != nil {
			t.Fatalf("partition %d described in %q: %v", p, where[p], err)
		}
		perDir[where[p]]++
	}
	if perDir[a] != 2 || perDir[b] != 2 {
		t.Fatalf("partitions per dir %v, want 2 in each of %s and %s", perDir, a, b)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, order := range []string{a + "," + b, b + "," + a} {
		s2, err := Start(testConfig(t, a, "log.dirs", order), Options{})
		if err != nil {
			t.Fatalf("restart with log.dirs=%s: %v", order, err)
		}
		got := consumeAll(t, s2, "spread", 400)
		if tp := mustTopic(t, s2, "spread"); tp.ID != created.ID || tp.Configs["retention.ms"] != "-1" {
			t.Errorf("log.dirs=%s: topic %x %v, want %x with retention.ms=-1", order, tp.ID, tp.Configs, created.ID)
		}
		if _, err := os.Stat(filepath.Join(b, "topics.json")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("log.dirs=%s: topics.json written into %s too: %v", order, b, err)
		}
		if err := s2.Close(); err != nil {
			t.Fatal(err)
		}
		equalParts(t, got, sent)
	}
	if err := os.WriteFile(filepath.Join(b, "topics.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Start(testConfig(t, a, "log.dirs", a+","+b), Options{}); err == nil || !strings.Contains(err.Error(), "topics.json is in two log directories") {
		t.Fatalf("Start with topics.json in both dirs: %v", err)
	}
}
