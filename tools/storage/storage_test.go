package storage

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/xdg-go/scram"

	"github.com/stratabroker/strata/internal/metaprops"
	"github.com/stratabroker/strata/internal/scramcred"
	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/tools/cli"
	"github.com/stratabroker/strata/tools/tooltest"
)

var dispatch = cli.Dispatcher(Commands)

// writeConfig writes a server.properties in the current directory.
func writeConfig(t *testing.T, name string, lines ...string) string {
	t.Helper()
	if err := os.WriteFile(name, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// transcript is a transcript of storage runs in a fresh working directory
// (so that relative log dirs, as Kafka's quickstart uses, give the same
// output every run), with uuids and dates normalized.
func transcript(t *testing.T) (*tooltest.Transcript, string) {
	dir := t.TempDir()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	goldenDir = wd
	t.Chdir(dir)
	tr := tooltest.NewTranscript(t, tooltest.Target{}, tooltest.Dispatch(dispatch))
	tr.Normalize(`(directory\.id=)[A-Za-z0-9_-]{22}`, "${1}<dir-id>")
	tr.Normalize(`(?m)^[A-Za-z0-9_-]{22}$`, "<uuid>")
	tr.Normalize(`(initial\.controllers=\d+@[a-z]+\\:\d+\\:)[A-Za-z0-9_-]{22}`, "${1}<voter-dir-id>")
	tr.Normalize(`#[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d [A-Z]+ \d{4}`, "#<date>")
	return tr, dir
}

// goldenDir is the package directory, where testdata/ is.
var goldenDir string

// check compares tr with testdata/<name>.golden.
func check(t *testing.T, tr *tooltest.Transcript, name string) {
	t.Helper()
	if err := os.Chdir(goldenDir); err != nil { // t.Chdir's cleanup restores the test's directory anyway
		t.Fatal(err)
	}
	tr.Check(name)
}

// cat records a file's contents in the transcript.
func cat(t *testing.T, tr *tooltest.Transcript, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tr.Record([]string{"(cat " + path + ")"}, tooltest.Result{Stdout: string(b)})
}

// TestStorageGolden: format, info, --ignore-formatted, a dir added later,
// the files written, version-mapping, feature-dependencies and random-uuid,
// with Kafka 4.1's output.
func TestStorageGolden(t *testing.T) {
	tr, _ := transcript(t)
	cfg := writeConfig(t, "server.properties", "process.roles=broker", "node.id=1", "log.dirs=data1,data2", "metadata.log.dir=meta")
	tr.Run("", "storage", "info", "--config", cfg)
	tr.Run("", "storage", "format", "--config", cfg, "--cluster-id", "XcZZOzUqS4yHOjhMQB6JLQ")
	tr.Run("", "storage", "info", "-c", cfg)
	cat(t, tr, filepath.Join("data1", "meta.properties"))
	cat(t, tr, filepath.Join("meta", "strata.bootstrap.properties"))
	tr.Run("", "storage", "format", "--config", cfg, "--cluster-id", "XcZZOzUqS4yHOjhMQB6JLQ")
	tr.Run("", "storage", "format", "--config", cfg, "--cluster-id", "XcZZOzUqS4yHOjhMQB6JLQ", "--ignore-formatted")
	cfg = writeConfig(t, "server.properties", "process.roles=broker", "node.id=1", "log.dirs=data1,data2,data3", "metadata.log.dir=meta")
	tr.Run("", "storage", "format", "-c", cfg, "-t", "XcZZOzUqS4yHOjhMQB6JLQ", "-g", "--release-version", "3.9-IV0")
	cat(t, tr, filepath.Join("data3", "strata.bootstrap.properties"))
	tr.Run("", "storage", "format", "-c", cfg, "-t", "OtherClusterAAAAAAAAAA", "-g")
	tr.Run("", "storage", "info", "--config", cfg)
	for _, d := range []string{"data1", "data2", "data3", "meta"} {
		if err := os.Remove(filepath.Join(d, "meta.properties")); err != nil {
			t.Fatal(err)
		}
	}
	tr.Run("", "storage", "version-mapping")
	tr.Run("", "storage", "version-mapping", "--release-version", "3.9-IV0")
	tr.Run("", "storage", "version-mapping", "-r", "4.0")
	tr.Run("", "storage", "version-mapping", "--release-version", "9.9")
	tr.Run("", "storage", "feature-dependencies", "--feature", "metadata.version=27", "--feature", "transaction.version=2", "-f", "group.version=1")
	tr.Run("", "storage", "feature-dependencies", "--feature", "share.version=5")
	tr.Run("", "storage", "feature-dependencies", "--feature", "metadata.version=99")
	tr.Run("", "storage", "feature-dependencies", "--feature", "streams.version=1")
	tr.Run("", "storage", "feature-dependencies", "--feature", "group.version=x")
	tr.Run("", "storage", "random-uuid")
	check(t, tr, "storage")
}

// TestStorageQuorumGolden: --standalone on a controller (Kafka 4.1's
// quickstart configuration) formats the metadata dir as the voter's, its
// directory.id the voter's; --initial-controllers names the voter's
// directory; the refusals Kafka makes for the quorum options.
func TestStorageQuorumGolden(t *testing.T) {
	tr, _ := transcript(t)
	kraft := []string{"process.roles=broker,controller", "node.id=1", "controller.quorum.bootstrap.servers=localhost:9093",
		"listeners=PLAINTEXT://:9092,CONTROLLER://:9093", "controller.listener.names=CONTROLLER", "log.dirs=kraft-combined-logs"}
	cfg := writeConfig(t, "server.properties", kraft...)
	tr.Run("", "storage", "format", "--config", cfg, "--cluster-id", "XcZZOzUqS4yHOjhMQB6JLQ")
	tr.Run("", "storage", "format", "--config", cfg, "--cluster-id", "XcZZOzUqS4yHOjhMQB6JLQ", "--standalone")
	cat(t, tr, filepath.Join("kraft-combined-logs", "strata.bootstrap.properties"))
	standalone, err := metaprops.Read(fsys, "kraft-combined-logs")
	if err != nil {
		t.Fatal(err)
	}
	boot, err := metaprops.ReadBootstrap(fsys, "kraft-combined-logs")
	if want := "1@localhost:9093:" + standalone.DirectoryID.String(); err != nil || boot.InitialControllers != want {
		t.Fatalf("initial controllers %q, %v; want %q", boot.InitialControllers, err, want)
	}
	cfg = writeConfig(t, "two.properties", append(kraft[:5:5], "log.dirs=voter,data")...)
	tr.Run("", "storage", "format", "-c", cfg, "-t", "XcZZOzUqS4yHOjhMQB6JLQ", "--initial-controllers", "1@localhost:9093:JEXY6aqzQY-32P5TStzaFg,2@localhost:9094:MvDxzVmcRsaTz33bUuRU6A")
	cat(t, tr, filepath.Join("voter", "meta.properties"))
	cfg = writeConfig(t, "three.properties", append(kraft[:5:5], "log.dirs=nonvoter")...)
	tr.Run("", "storage", "format", "-c", cfg, "-t", "XcZZOzUqS4yHOjhMQB6JLQ", "-I", "2@localhost:9094:MvDxzVmcRsaTz33bUuRU6A")
	tr.Run("", "storage", "format", "-c", cfg, "-t", "XcZZOzUqS4yHOjhMQB6JLQ", "-I", "2@localhost:9094")
	cfg = writeConfig(t, "static.properties", "process.roles=controller", "node.id=1", "controller.quorum.voters=1@localhost:9093", "log.dirs=static")
	tr.Run("", "storage", "format", "-c", cfg, "-t", "XcZZOzUqS4yHOjhMQB6JLQ", "--standalone")
	cfg = writeConfig(t, "broker.properties", "process.roles=broker", "node.id=2", "log.dirs=broker")
	tr.Run("", "storage", "format", "-c", cfg, "-t", "XcZZOzUqS4yHOjhMQB6JLQ", "--standalone")
	tr.Run("", "storage", "format", "-c", cfg, "-t", "XcZZOzUqS4yHOjhMQB6JLQ", "--no-initial-controllers")
	if got := string(mustRead(t, filepath.Join("voter", "meta.properties"))); !strings.Contains(got, "directory.id=JEXY6aqzQY-32P5TStzaFg\n") {
		t.Fatalf("the voter dir's directory.id is not the one of --initial-controllers:\n%s", got)
	}
	check(t, tr, "storage-quorum")
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStorageBadInput: bad command lines are one line on stderr and exit 2;
// bad values and refusals are Kafka's message on one line and exit 1;
// nothing is written by a refused format.
func TestStorageBadInput(t *testing.T) {
	tr, dir := transcript(t)
	cfg := writeConfig(t, "server.properties", "process.roles=broker", "node.id=1", "log.dirs=data")
	tr.Run("", "storage")
	tr.Run("", "storage", "check")
	tr.Run("", "storage", "format", "--cluster-id", "XcZZOzUqS4yHOjhMQB6JLQ")
	tr.Run("", "storage", "format", "--config", cfg)
	tr.Run("", "storage", "info")
	tr.Run("", "storage", "info", "--config", "missing.properties")
	tr.Run("", "storage", "format", "--config", "missing.properties", "--cluster-id", "XcZZOzUqS4yHOjhMQB6JLQ")
	tr.Run("", "storage", "format", "--config", cfg, "--cluster-id", "XcZZOzUqS4yHOjhMQB6JLQ", "--unknown")
	tr.Run("", "storage", "format", "--config", cfg, "--cluster-id", "XcZZOzUqS4yHOjhMQB6JLQ", "--standalone", "--no-initial-controllers")
	for _, bad := range []string{
		"SCRAM-SHA-256",
		"SCRAM-SHA-1=[name=alice,password=alice-secret]",
		"SCRAM-SHA-256=name=alice,password=alice-secret]",
		"SCRAM-SHA-256=[password=alice-secret]",
		"SCRAM-SHA-256=[name=alice]",
		"SCRAM-SHA-256=[name=alice,saltedpassword=AAAA]",
		"SCRAM-SHA-256=[name=alice,password=x,iterations=4095]",
		"SCRAM-SHA-512=[name=alice,password=x,iterations=16385]",
		"SCRAM-SHA-256=[name=alice,password=x,colour=blue]",
		"SCRAM-SHA-256=[name=alice,password]",
	} {
		tr.Run("", "storage", "format", "--config", cfg, "--cluster-id", "XcZZOzUqS4yHOjhMQB6JLQ", "--add-scram", bad)
	}
	tr.Run("", "storage", "format", "--config", cfg, "--cluster-id", "XcZZOzUqS4yHOjhMQB6JLQ", "--release-version", "4.2-IV0")
	tr.Run("", "storage", "format", "--config", cfg, "--cluster-id", "XcZZOzUqS4yHOjhMQB6JLQ", "--release-version", "2.8")
	tr.Run("", "storage", "format", "--config", cfg, "--cluster-id", "XcZZOzUqS4yHOjhMQB6JLQ", "--release-version", "4.1", "--feature", "metadata.version=27")
	tr.Run("", "storage", "format", "--config", cfg, "--cluster-id", "XcZZOzUqS4yHOjhMQB6JLQ", "--feature", "kraft.version=1")
	tr.Run("", "storage", "format", "--config", cfg, "--cluster-id", "XcZZOzUqS4yHOjhMQB6JLQ", "--feature", "group.version")
	tr.Run("", "storage", "format", "--config", cfg, "--cluster-id", "XcZZOzUqS4yHOjhMQB6JLQ", "--feature", "group.version=2")
	tr.Run("", "storage", "format", "--config", cfg, "--cluster-id", "XcZZOzUqS4yHOjhMQB6JLQ", "--feature", "group.version=1")
	tr.Run("", "storage", "format", "--config", cfg, "--cluster-id", "XcZZOzUqS4yHOjhMQB6JLQ", "--feature", "share.version=99")
	neg := writeConfig(t, "negative.properties", "process.roles=broker", "node.id=-1", "log.dirs=data")
	tr.Run("", "storage", "format", "--config", neg, "--cluster-id", "XcZZOzUqS4yHOjhMQB6JLQ")
	if _, err := os.Stat(filepath.Join(dir, "data")); !os.IsNotExist(err) {
		t.Fatalf("a refused format created the log dir: %v", err)
	}
	// Kafka 4.1's format takes any string as the cluster id (the uuid check
	// of 3.x's tool is gone), and so does Strata's.
	tr.Run("", "storage", "format", "--config", cfg, "--cluster-id", "not-a-uuid")
	tr.Run("", "storage", "info", "--config", cfg)
	// Another node's dir, a ZooKeeper-era (version 0) dir, two clusters.
	other := writeConfig(t, "node2.properties", "process.roles=broker", "node.id=2", "log.dirs=data")
	tr.Run("", "storage", "format", "--config", other, "--cluster-id", "not-a-uuid", "--ignore-formatted")
	if err := os.MkdirAll("zk", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("zk", "meta.properties"), []byte("#\n#Mon Jan 01 00:00:00 UTC 2024\ncluster.id=zk-cluster\nversion=0\nbroker.id=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	zk := writeConfig(t, "zk.properties", "process.roles=broker", "node.id=1", "log.dirs=zk")
	tr.Run("", "storage", "info", "--config", zk)
	both := writeConfig(t, "both.properties", "process.roles=broker", "node.id=1", "log.dirs=data,zk,nowhere")
	tr.Run("", "storage", "info", "--config", both)
	check(t, tr, "storage-bad-input")
}

// TestFormattedDirsStartBroker: a broker started on dirs the tool
// formatted takes their cluster id and keeps their directory ids; one
// configured as another node refuses them.
func TestFormattedDirsStartBroker(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	cfg := writeConfig(t, filepath.Join(dir, "server.properties"), "node.id=4", "log.dirs="+a+","+b)
	r := tooltest.Run(t, dispatch, &cli.Env{}, "storage", "format", "--config", cfg, "--cluster-id", "XcZZOzUqS4yHOjhMQB6JLQ", "--standalone", "--release-version", "3.7")
	if r.Code != 0 {
		t.Fatalf("format: %+v", r)
	}
	before := string(mustRead(t, filepath.Join(a, "meta.properties"))) + string(mustRead(t, filepath.Join(b, "meta.properties")))
	tg := tooltest.StartStrata(t, "node.id", "4", "log.dirs", a+","+b)
	meta, err := kadm.NewClient(tooltest.Client(t, tg.Addr)).BrokerMetadata(tooltest.Ctx(t))
	if err != nil || meta.Cluster != "XcZZOzUqS4yHOjhMQB6JLQ" {
		t.Fatalf("cluster %q, %v", meta.Cluster, err)
	}
	after := string(mustRead(t, filepath.Join(a, "meta.properties"))) + string(mustRead(t, filepath.Join(b, "meta.properties")))
	if after != before {
		t.Fatalf("the broker rewrote the formatted files:\n%s\nwas:\n%s", after, before)
	}
	// The broker finalized the release the format named: 3.7's last
	// metadata.version, 3.7-IV4 (level 19).
	req := kmsg.NewPtrApiVersionsRequest()
	req.ClientSoftwareName, req.ClientSoftwareVersion = "strata-test", "1"
	resp, err := req.RequestWith(tooltest.Ctx(t), tooltest.Client(t, tg.Addr))
	if err != nil {
		t.Fatal(err)
	}
	var levels []string
	for _, f := range resp.FinalizedFeatures {
		levels = append(levels, fmt.Sprintf("%s=%d-%d", f.Name, f.MinVersionLevel, f.MaxVersionLevel))
	}
	if strings.Join(levels, ",") != "metadata.version=19-19" {
		t.Fatalf("finalized features %q, want metadata.version=19-19", levels)
	}
}

// TestJavaHashOrder: the order a JVM's HashMap iterated these paths in
// when put in sorted order (OpenJDK, printed by HashMap.keySet().toString()),
// whatever order hashOrder is given them in.
func TestJavaHashOrder(t *testing.T) {
	got := hashOrder([]string{"/x/data3", "/x/data2", "/x/data1", "/tmp/kraft-combined-logs", "/tmp/kafka-logs", "/tmp/b", "/tmp/a"})
	want := "/tmp/kafka-logs /tmp/b /tmp/a /tmp/kraft-combined-logs /x/data1 /x/data3 /x/data2"
	if strings.Join(got, " ") != want {
		t.Fatalf("%v\nwant %s", got, want)
	}
}

// TestStorageFormatAddScram: --add-scram writes salted credentials that
// xdg-go/scram's client derives too, and no password.
func TestStorageFormatAddScram(t *testing.T) {
	_, dir := transcript(t)
	cfg := writeConfig(t, "server.properties", "process.roles=broker", "node.id=1", "log.dirs=data")
	res := tooltest.Run(t, tooltest.Dispatch(dispatch), &cli.Env{}, "storage", "format", "--config", cfg, "--cluster-id", "XcZZOzUqS4yHOjhMQB6JLQ",
		"--add-scram", "SCRAM-SHA-256=[name=admin,password=admin-secret]",
		"-S", `SCRAM-SHA-512=[name="alice",password="alice-secret",iterations=8192,salt="c2FsdA=="]`)
	if res.Code != 0 {
		t.Fatalf("format: %d %s", res.Code, res.Stderr)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "data", scramcred.File))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "secret") {
		t.Fatalf("the credentials file holds a password: %s", raw)
	}
	users, err := scramcred.Load(vfs.OS, filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		user, mech, pass string
		hash             scram.HashGeneratorFcn
		iters            int
	}{{"admin", "SCRAM-SHA-256", "admin-secret", scram.SHA256, 4096}, {"alice", "SCRAM-SHA-512", "alice-secret", scram.SHA512, 8192}} {
		got, ok := users[c.user][c.mech]
		if !ok || got.Iterations != c.iters {
			t.Fatalf("%s %s: %+v", c.user, c.mech, got)
		}
		cl, _ := c.hash.NewClient(c.user, c.pass, "")
		want := cl.GetStoredCredentials(scram.KeyFactors{Salt: string(got.Salt), Iters: got.Iterations})
		if !bytes.Equal(want.StoredKey, got.StoredKey) || !bytes.Equal(want.ServerKey, got.ServerKey) {
			t.Fatalf("%s: keys do not match the password", c.user)
		}
	}
	if string(users["alice"]["SCRAM-SHA-512"].Salt) != "salt" {
		t.Fatalf("alice's salt %q", users["alice"]["SCRAM-SHA-512"].Salt)
	}
}
