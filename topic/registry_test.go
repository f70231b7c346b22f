package topic

import (
	"errors"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/partition"
)

// kafkaErr is an error with a Kafka message, like config.Error.
type kafkaErr string

func (e kafkaErr) Error() string        { return "test: " + string(e) }
func (e kafkaErr) KafkaMessage() string { return string(e) }

// testResolve understands three configs.
func testResolve(over map[string]string) (partition.Config, error) {
	cfg := partition.DefaultConfig()
	for _, k := range slices.Sorted(maps.Keys(over)) {
		v := over[k]
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case k != "retention.ms" && k != "retention.bytes" && k != "segment.bytes":
			return cfg, kafkaErr("Unknown topic config name: " + k)
		case err != nil:
			return cfg, kafkaErr("Invalid value " + v + " for configuration " + k + ": Not a number of type LONG")
		case k == "retention.ms":
			cfg.RetentionMs = n
		case k == "retention.bytes":
			cfg.RetentionBytes = n
		case k == "segment.bytes":
			cfg.SegmentBytes = n
		}
	}
	return cfg, nil
}

// forEachFS runs fn over the OS filesystem in a temporary directory and
// over an in-memory one.
func forEachFS(t *testing.T, fn func(t *testing.T, fs vfs.FS, dir string)) {
	t.Run("os", func(t *testing.T) { fn(t, vfs.OS, filepath.Join(t.TempDir(), "data")) })
	t.Run("mem", func(t *testing.T) { fn(t, vfs.NewMem(), "/data") })
}

func open(t *testing.T, fs vfs.FS, dir string) *Registry {
	t.Helper()
	r, err := Open(dir, Options{FS: fs, Resolve: testResolve})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func create(t *testing.T, r *Registry, name string, n int32, configs map[string]string) *Topic {
	t.Helper()
	tp, err := r.Create(name, n, configs, false)
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

func names(topics []*Topic) []string {
	var out []string
	for _, t := range topics {
		out = append(out, t.Name)
	}
	return out
}

// withCk is names and the registry's checkpoint files, sorted.
func withCk(names ...string) []string {
	return slices.Sorted(slices.Values(append(names, logStartName, recoveryPointName)))
}

func listDir(t *testing.T, fs vfs.FS, dir string) []string {
	t.Helper()
	ents, err := fs.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ents
}

func exists(fs vfs.FS, path string) bool {
	_, err := fs.Stat(path)
	return err == nil
}

// summary is what must survive a reopen.
type summary struct {
	ID         [16]byte
	Internal   bool
	Partitions int32
	Configs    map[string]string
}

func summarise(r *Registry) map[string]summary {
	m := map[string]summary{}
	for _, t := range r.List() {
		m[t.Name] = summary{t.ID, t.Internal, t.NumPartitions(), t.Configs}
	}
	return m
}

func TestCreateGetListDeleteReopen(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs vfs.FS, dir string) {
		r := open(t, fs, dir)
		if got := r.List(); len(got) != 0 {
			t.Fatalf("new registry lists %v", names(got))
		}
		orders := create(t, r, "orders", 3, map[string]string{"retention.ms": "1000"})
		audit := create(t, r, "audit", 1, nil)
		offsets := create(t, r, "__consumer_offsets", 2, nil)
		if orders.Name != "orders" || orders.NumPartitions() != 3 || orders.Internal || !offsets.Internal ||
			!reflect.DeepEqual(orders.Configs, map[string]string{"retention.ms": "1000"}) || audit.Configs != nil {
			t.Fatalf("created %+v %+v", orders, audit)
		}
		if orders.ID == audit.ID || orders.ID == ([16]byte{}) {
			t.Fatalf("IDs %x %x", orders.ID, audit.ID)
		}
		if got := names(r.List()); !reflect.DeepEqual(got, []string{"__consumer_offsets", "audit", "orders"}) {
			t.Fatalf("List %q", got)
		}
		if g, ok := r.Get("orders"); !ok || g != orders {
			t.Fatal("Get")
		}
		if g, ok := r.GetByID(audit.ID); !ok || g != audit {
			t.Fatal("GetByID")
		}
		if _, ok := r.Get("nope"); ok {
			t.Fatal("Get of a missing topic")
		}
		l, err := r.Partition("orders", 2)
		if err != nil || l != orders.Partitions[2] || l.Dir() != filepath.Join(dir, "orders-2") {
			t.Fatalf("Partition: %v", err)
		}
		if got := l.Config().RetentionMs; got != 1000 {
			t.Fatalf("retention.ms %d reached the log", got)
		}
		if got := audit.Partitions[0].Config(); got != partition.DefaultConfig() {
			t.Fatalf("audit config %+v", got)
		}
		if _, err := r.Partition("orders", 3); !errors.Is(err, ErrUnknownPartition) {
			t.Fatalf("partition 3: %v", err)
		}
		if _, err := r.Partition("orders", -1); !errors.Is(err, ErrUnknownPartition) {
			t.Fatalf("partition -1: %v", err)
		}
		if _, err := r.Partition("nope", 0); !errors.Is(err, ErrUnknownTopic) ||
			Message(err) != "This server does not host this topic-partition: topic 'nope' does not exist." {
			t.Fatalf("unknown topic: %v", err)
		}
		want := withCk("__consumer_offsets-0", "__consumer_offsets-1", "audit-0", "orders-0", "orders-1", "orders-2", "topics.json")
		if got := listDir(t, fs, dir); !reflect.DeepEqual(got, want) {
			t.Fatalf("dir %q", got)
		}
		before := summarise(r)
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}

		r = open(t, fs, dir)
		if got := summarise(r); !reflect.DeepEqual(got, before) {
			t.Fatalf("reopened\n%+v\nwant\n%+v", got, before)
		}
		l, _ = r.Partition("orders", 1)
		if l.Config().RetentionMs != 1000 {
			t.Fatal("config lost on reopen")
		}
		if err := r.Delete("orders"); err != nil {
			t.Fatal(err)
		}
		if err := r.Delete("orders"); !errors.Is(err, ErrUnknownTopic) {
			t.Fatalf("second delete: %v", err)
		}
		if _, ok := r.Get("orders"); ok {
			t.Fatal("deleted topic still there")
		}
		if got := listDir(t, fs, dir); !reflect.DeepEqual(got, withCk("__consumer_offsets-0", "__consumer_offsets-1", "audit-0", "topics.json")) {
			t.Fatalf("dir after delete %q", got)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		r = open(t, fs, dir)
		delete(before, "orders")
		if got := summarise(r); !reflect.DeepEqual(got, before) {
			t.Fatalf("reopened after delete %+v", got)
		}
		// The name is free again, with a new ID and no old data.
		again := create(t, r, "orders", 1, nil)
		if again.ID == orders.ID {
			t.Fatal("ID reused")
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestTopicsJSON(t *testing.T) {
	topics := []*Topic{
		{Name: "a", ID: [16]byte{1}, Partitions: make([]*partition.Log, 2)},
		{Name: "b", ID: [16]byte{2}, Partitions: make([]*partition.Log, 1), Configs: map[string]string{"retention.ms": "5", "cleanup.policy": "compact"}},
	}
	want := `{
  "version": 1,
  "topics": [
    {
      "name": "a",
      "id": "AQAAAAAAAAAAAAAAAAAAAA",
      "partitions": 2
    },
    {
      "name": "b",
      "id": "AgAAAAAAAAAAAAAAAAAAAA",
      "partitions": 1,
      "configs": {
        "cleanup.policy": "compact",
        "retention.ms": "5"
      }
    }
  ]
}
`
	if got := string(encodeMeta(topics)); got != want {
		t.Fatalf("topics.json\n%s\nwant\n%s", got, want)
	}
	metas, err := decodeMeta([]byte(want))
	if err != nil {
		t.Fatal(err)
	}
	wantMetas := []metaTopic{
		{Name: "a", ID: "AQAAAAAAAAAAAAAAAAAAAA", Partitions: 2},
		{Name: "b", ID: "AgAAAAAAAAAAAAAAAAAAAA", Partitions: 1, Configs: map[string]string{"retention.ms": "5", "cleanup.policy": "compact"}},
	}
	if !reflect.DeepEqual(metas, wantMetas) {
		t.Fatalf("decoded %+v", metas)
	}
	for _, bad := range []string{
		``, `{`, `[]`, `{"version":2,"topics":[]}`,
		`{"version":1,"topics":[{"name":"a b","id":"AQAAAAAAAAAAAAAAAAAAAA","partitions":1}]}`,
		`{"version":1,"topics":[{"name":"a","id":"x","partitions":1}]}`,
		`{"version":1,"topics":[{"name":"a","id":"AQAAAAAAAAAAAAAAAAAAAA","partitions":0}]}`,
		`{"version":1,"topics":[{"name":"a","id":"AQAAAAAAAAAAAAAAAAAAAA","partitions":10001}]}`,
		`{"version":1,"topics":[{"name":"a","id":"AQAAAAAAAAAAAAAAAAAAAA","partitions":1},{"name":"a","id":"AgAAAAAAAAAAAAAAAAAAAA","partitions":1}]}`,
		`{"version":1,"topics":[{"name":"a","id":"AQAAAAAAAAAAAAAAAAAAAA","partitions":1},{"name":"b","id":"AQAAAAAAAAAAAAAAAAAAAA","partitions":1}]}`,
	} {
		if _, err := decodeMeta([]byte(bad)); !errors.Is(err, errCorruptMeta) {
			t.Errorf("%s: err %v", bad, err)
		}
	}
}

func TestCreateErrors(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs vfs.FS, dir string) {
		r := open(t, fs, dir)
		defer r.Close()
		create(t, r, "orders_v1", 1, nil)
		tests := []struct {
			name       string
			partitions int32
			configs    map[string]string
			sentinels  []error
			msg        string
		}{
			{"orders_v1", 1, nil, []error{ErrTopicExists}, "Topic 'orders_v1' already exists."},
			{"orders.v1", 1, nil, []error{ErrTopicCollision, ErrInvalidTopic}, "Topic 'orders.v1' collides with existing topic: orders_v1"},
			{"bad name", 1, nil, []error{ErrInvalidTopic}, `Topic name "bad name" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`},
			{"x", 0, nil, []error{ErrInvalidPartitions}, "Number of partitions was set to an invalid non-positive value."},
			{"x", -1, nil, []error{ErrInvalidPartitions}, "Number of partitions was set to an invalid non-positive value."},
			{"x", 10001, nil, []error{ErrInvalidPartitions}, "Number of partitions 10001 exceeds the maximum of 10000."},
			{"x", 1, map[string]string{"retention.ms": "abc"}, []error{ErrInvalidConfig},
				"Invalid value abc for configuration retention.ms: Not a number of type LONG"},
			{"x", 1, map[string]string{"foo": "1"}, []error{ErrInvalidConfig}, "Unknown topic config name: foo"},
		}
		for _, tt := range tests {
			_, err := r.Create(tt.name, tt.partitions, tt.configs, false)
			for _, s := range tt.sentinels {
				if !errors.Is(err, s) {
					t.Errorf("%q: err %v is not %v", tt.name, err, s)
				}
			}
			if Message(err) != tt.msg {
				t.Errorf("%q: message %q\nwant %q", tt.name, Message(err), tt.msg)
			}
			_, err = r.Create(tt.name, tt.partitions, tt.configs, true)
			if Message(err) != tt.msg {
				t.Errorf("%q validateOnly: message %q", tt.name, Message(err))
			}
		}
		if got := listDir(t, fs, dir); !reflect.DeepEqual(got, withCk("orders_v1-0", "topics.json")) {
			t.Fatalf("failed creates left %q", got)
		}
		if got := names(r.List()); !reflect.DeepEqual(got, []string{"orders_v1"}) {
			t.Fatalf("List %q", got)
		}
	})
}

func TestValidateOnly(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs vfs.FS, dir string) {
		r := open(t, fs, dir)
		defer r.Close()
		tp, err := r.Create("orders", 4, map[string]string{"retention.ms": "5"}, true)
		if err != nil {
			t.Fatal(err)
		}
		if tp.Name != "orders" || tp.ID != ([16]byte{}) || len(tp.Partitions) != 4 || tp.Partitions[0] != nil ||
			!reflect.DeepEqual(tp.Configs, map[string]string{"retention.ms": "5"}) {
			t.Fatalf("validateOnly topic %+v", tp)
		}
		if got := listDir(t, fs, dir); !reflect.DeepEqual(got, withCk()) {
			t.Fatalf("validateOnly created %q", got)
		}
		if _, ok := r.Get("orders"); ok {
			t.Fatal("validateOnly topic is visible")
		}
		real := create(t, r, "orders", 2, nil)
		if err := r.AddPartitions("orders", 5, true); err != nil {
			t.Fatal(err)
		}
		if err := r.SetConfigs("orders", map[string]string{"retention.ms": "7"}, true); err != nil {
			t.Fatal(err)
		}
		if g, _ := r.Get("orders"); g != real || real.NumPartitions() != 2 || real.Configs != nil ||
			real.Partitions[0].Config() != partition.DefaultConfig() {
			t.Fatalf("validateOnly changed the topic: %+v", g)
		}
		if got := listDir(t, fs, dir); !reflect.DeepEqual(got, withCk("orders-0", "orders-1", "topics.json")) {
			t.Fatalf("dir %q", got)
		}
	})
}

func TestAddPartitions(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs vfs.FS, dir string) {
		r := open(t, fs, dir)
		old := create(t, r, "orders", 2, map[string]string{"retention.bytes": "2048"})
		if err := r.AddPartitions("orders", 5, false); err != nil {
			t.Fatal(err)
		}
		tp, _ := r.Get("orders")
		if tp.NumPartitions() != 5 || tp.ID != old.ID || tp.Partitions[0] != old.Partitions[0] || tp.Partitions[1] != old.Partitions[1] {
			t.Fatalf("after AddPartitions %+v", tp)
		}
		if old.NumPartitions() != 2 {
			t.Fatal("the old snapshot changed")
		}
		for p := range 5 {
			if got := tp.Partitions[p].Config().RetentionBytes; got != 2048 {
				t.Fatalf("partition %d retention.bytes %d", p, got)
			}
		}
		errTests := []struct {
			total int32
			msg   string
		}{
			{3, "Topic currently has 5 partitions, which is higher than the requested 3."},
			{5, "Topic already has 5 partition(s)."},
			{10001, "Number of partitions 10001 exceeds the maximum of 10000."},
		}
		for _, tt := range errTests {
			err := r.AddPartitions("orders", tt.total, false)
			if !errors.Is(err, ErrInvalidPartitions) || Message(err) != tt.msg {
				t.Errorf("AddPartitions(%d): %v", tt.total, err)
			}
		}
		if err := r.AddPartitions("nope", 3, false); !errors.Is(err, ErrUnknownTopic) {
			t.Fatalf("unknown topic: %v", err)
		}
		r.Close()
		r = open(t, fs, dir)
		defer r.Close()
		tp, _ = r.Get("orders")
		if tp.NumPartitions() != 5 || tp.Partitions[4].Config().RetentionBytes != 2048 {
			t.Fatalf("reopened %+v", tp)
		}
	})
}

func TestSetConfigs(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs vfs.FS, dir string) {
		r := open(t, fs, dir)
		old := create(t, r, "orders", 2, map[string]string{"retention.ms": "1000"})
		if err := r.SetConfigs("orders", map[string]string{"retention.bytes": "4096"}, false); err != nil {
			t.Fatal(err)
		}
		want := partition.DefaultConfig()
		want.RetentionBytes = 4096 // retention.ms is no longer overridden: the set is replaced
		for p, l := range old.Partitions {
			if got := l.Config(); got != want {
				t.Fatalf("partition %d config %+v", p, got)
			}
		}
		tp, _ := r.Get("orders")
		if !reflect.DeepEqual(tp.Configs, map[string]string{"retention.bytes": "4096"}) ||
			!reflect.DeepEqual(old.Configs, map[string]string{"retention.ms": "1000"}) {
			t.Fatalf("configs %v, old snapshot %v", tp.Configs, old.Configs)
		}
		err := r.SetConfigs("orders", map[string]string{"retention.bytes": "x"}, false)
		if !errors.Is(err, ErrInvalidConfig) || Message(err) != "Invalid value x for configuration retention.bytes: Not a number of type LONG" {
			t.Fatalf("invalid: %v", err)
		}
		if tp2, _ := r.Get("orders"); tp2 != tp || old.Partitions[0].Config() != want {
			t.Fatal("a refused SetConfigs changed the topic")
		}
		if err := r.SetConfigs("nope", nil, false); !errors.Is(err, ErrUnknownTopic) {
			t.Fatalf("unknown: %v", err)
		}
		if err := r.SetConfigs("orders", nil, false); err != nil {
			t.Fatal(err)
		}
		if tp, _ := r.Get("orders"); tp.Configs != nil || tp.Partitions[1].Config() != partition.DefaultConfig() {
			t.Fatalf("cleared: %+v", tp)
		}
		if err := r.SetConfigs("orders", map[string]string{"segment.bytes": "2097152"}, false); err != nil {
			t.Fatal(err)
		}
		r.Close()
		r = open(t, fs, dir)
		defer r.Close()
		tp, _ = r.Get("orders")
		if !reflect.DeepEqual(tp.Configs, map[string]string{"segment.bytes": "2097152"}) || tp.Partitions[0].Config().SegmentBytes != 2097152 {
			t.Fatalf("reopened %+v", tp)
		}
	})
}

func TestNoResolve(t *testing.T) {
	r, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tp, err := r.Create("a", 1, nil, false)
	if err != nil || tp.Partitions[0].Config() != partition.DefaultConfig() {
		t.Fatalf("%v", err)
	}
	if _, err := r.Create("b", 1, map[string]string{"retention.ms": "1"}, false); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("overrides without Resolve: %v", err)
	}
}

func TestCorruptTopicsJSONRecovery(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs vfs.FS, dir string) {
		r := open(t, fs, dir)
		a := create(t, r, "a", 3, map[string]string{"retention.ms": "5"})
		create(t, r, "b.c", 1, nil)
		r.Close()
		f, err := fs.Create(filepath.Join(dir, "topics.json"))
		if err != nil {
			t.Fatal(err)
		}
		garbage := []byte(`{"version":1,"topics":[{"name":`)
		f.WriteAt(garbage, 0)
		f.Close()

		r = open(t, fs, dir)
		got := summarise(r)
		ta := got["a"]
		if len(got) != 2 || ta.Partitions != 3 || ta.Configs != nil || ta.ID == a.ID || ta.ID == ([16]byte{}) || got["b.c"].Partitions != 1 {
			t.Fatalf("rebuilt %+v", got)
		}
		kept := readAll(t, fs, filepath.Join(dir, "topics.json.corrupt"))
		if string(kept) != string(garbage) {
			t.Fatalf("corrupt file kept as %q", kept)
		}
		r.Close()
		// topics.json was rewritten: the regenerated IDs are now stable.
		r = open(t, fs, dir)
		if again := summarise(r); !reflect.DeepEqual(again, got) {
			t.Fatalf("second open %+v", again)
		}
		r.Close()
	})
}

func readAll(t *testing.T, fs vfs.FS, path string) []byte {
	t.Helper()
	f, err := fs.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, _ := f.Size()
	b := make([]byte, n)
	if _, err := f.ReadAt(b, 0); err != nil && int64(len(b)) != n {
		t.Fatal(err)
	}
	return b
}

func TestMissingTopicsJSONRecovery(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs vfs.FS, dir string) {
		// Partition directories with a gap (no foo-1) and no topics.json.
		for _, d := range []string{"foo-0", "foo-2", "bar-0"} {
			if err := fs.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		r := open(t, fs, dir)
		got := summarise(r)
		if len(got) != 2 || got["foo"].Partitions != 3 || got["bar"].Partitions != 1 {
			t.Fatalf("rebuilt %+v", got)
		}
		if !exists(fs, filepath.Join(dir, "foo-1")) || !exists(fs, filepath.Join(dir, "topics.json")) {
			t.Fatal("missing partition or topics.json not created")
		}
		r.Close()
	})
}

func TestOrphanRemoval(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs vfs.FS, dir string) {
		r := open(t, fs, dir)
		create(t, r, "a", 2, nil)
		r.Close()
		for _, d := range []string{"b-0", "a-5", "x-0.abc-delete", "lost+found"} {
			if err := fs.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		f, _ := fs.Create(filepath.Join(dir, "a-5", "00000000000000000000.log"))
		f.Close()
		f, _ = fs.Create(filepath.Join(dir, "c-0")) // a file, not a directory: not a partition
		f.Close()
		f, _ = fs.Create(filepath.Join(dir, "topics.json.tmp"))
		f.Close()
		r = open(t, fs, dir)
		defer r.Close()
		want := withCk("a-0", "a-1", "c-0", "lost+found", "topics.json", "x-0.abc-delete")
		if got := listDir(t, fs, dir); !reflect.DeepEqual(got, want) {
			t.Fatalf("dir %q", got)
		}
		if got := names(r.List()); !reflect.DeepEqual(got, []string{"a"}) {
			t.Fatalf("List %q", got)
		}
	})
}

// A machine crash keeps every acknowledged change: topics.json and the
// partition directories are synced before Create or Delete returns.
func TestCrashKeepsCommittedChanges(t *testing.T) {
	mem := vfs.NewMem()
	r := open(t, mem, "/data")
	orders := create(t, r, "orders", 2, map[string]string{"retention.ms": "9"})
	create(t, r, "gone", 1, nil)
	if err := r.Delete("gone"); err != nil {
		t.Fatal(err)
	}
	crashed := mem.CrashClone(vfs.CrashOptions{})
	r.Close()

	r2 := open(t, crashed, "/data")
	defer r2.Close()
	got := summarise(r2)
	want := map[string]summary{"orders": {orders.ID, false, 2, map[string]string{"retention.ms": "9"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after crash %+v", got)
	}
	if exists(crashed, "/data/gone-0") {
		t.Fatal("deleted topic's directory survived")
	}
	if l, err := r2.Partition("orders", 1); err != nil || l.Config().RetentionMs != 9 {
		t.Fatalf("orders-1 after crash: %v", err)
	}
}

// A crash between topics.json and the directory removal of a Delete leaves
// orphans that the next Open removes.
func TestDeleteInterruptedBeforeRemoval(t *testing.T) {
	forEachFS(t, func(t *testing.T, fs vfs.FS, dir string) {
		r := open(t, fs, dir)
		create(t, r, "keep", 1, nil)
		create(t, r, "gone", 2, nil)
		r.Close()
		// Simulate the commit point only: topics.json without "gone".
		r = open(t, fs, dir)
		keep, _ := r.Get("keep")
		if err := writeMeta(fs, dir, encodeMeta([]*Topic{keep})); err != nil {
			t.Fatal(err)
		}
		r.Close()
		r = open(t, fs, dir)
		defer r.Close()
		if got := listDir(t, fs, dir); !reflect.DeepEqual(got, withCk("keep-0", "topics.json")) {
			t.Fatalf("dir %q", got)
		}
	})
}

// If topics.json cannot be written, the change fails and leaves nothing.
func TestFailedCommit(t *testing.T) {
	faulty := vfs.NewFaulty(vfs.NewMem())
	r := open(t, faulty, "/data")
	defer r.Close()
	create(t, r, "keep", 1, nil)
	faulty.Inject(vfs.Fault{Op: vfs.OpRename, Path: "topics.json"})
	_, err := r.Create("orders", 2, nil, false)
	if !errors.Is(err, partition.ErrStorage) {
		t.Fatalf("Create: %v", err)
	}
	if err := r.AddPartitions("keep", 3, false); !errors.Is(err, partition.ErrStorage) {
		t.Fatalf("AddPartitions: %v", err)
	}
	if err := r.SetConfigs("keep", map[string]string{"retention.ms": "1"}, false); !errors.Is(err, partition.ErrStorage) {
		t.Fatalf("SetConfigs: %v", err)
	}
	if err := r.Delete("keep"); !errors.Is(err, partition.ErrStorage) {
		t.Fatalf("Delete: %v", err)
	}
	faulty.Clear()
	if got := listDir(t, faulty, "/data"); !reflect.DeepEqual(got, withCk("keep-0", "topics.json")) {
		t.Fatalf("dir %q", got)
	}
	keep, ok := r.Get("keep")
	if !ok || keep.NumPartitions() != 1 || keep.Configs != nil || keep.Partitions[0].Config() != partition.DefaultConfig() {
		t.Fatalf("keep changed: %+v", keep)
	}
	if _, ok := r.Get("orders"); ok {
		t.Fatal("failed create is visible")
	}
}

func TestClose(t *testing.T) {
	r := open(t, vfs.NewMem(), "/data")
	create(t, r, "a", 1, nil)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := r.Create("b", 1, nil, false); !errors.Is(err, ErrClosed) {
		t.Fatalf("Create after Close: %v", err)
	}
	if err := r.Delete("a"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Delete after Close: %v", err)
	}
	if _, ok := r.Get("a"); ok || len(r.List()) != 0 {
		t.Fatal("a closed registry still lists topics")
	}
}

func TestOpenErrors(t *testing.T) {
	mem := vfs.NewMem()
	r := open(t, mem, "/data")
	create(t, r, "a", 1, map[string]string{"retention.ms": "5"})
	r.Close()
	// A stored override that no longer resolves stops Open rather than
	// running the topic with defaults (which could delete its data).
	_, err := Open("/data", Options{FS: mem, Resolve: func(map[string]string) (partition.Config, error) {
		return partition.Config{}, kafkaErr("nope")
	}})
	if !errors.Is(err, ErrInvalidConfig) || Message(err) != "nope" {
		t.Fatalf("Open: %v", err)
	}
	faulty := vfs.NewFaulty(mem)
	faulty.Inject(vfs.Fault{Op: vfs.OpOpen, Path: "topics.json"})
	if _, err := Open("/data", Options{FS: faulty, Resolve: testResolve}); !errors.Is(err, partition.ErrStorage) {
		t.Fatalf("unreadable topics.json: %v", err)
	}
	if _, err := decodeMeta(readAll(t, mem, "/data/topics.json")); err != nil {
		t.Fatalf("an unreadable topics.json was treated as corrupt: %v", err)
	}
}

// Readers never block on, or see half of, a change.
func TestConcurrentReadsDuringChanges(t *testing.T) {
	r := open(t, vfs.NewMem(), "/data")
	defer r.Close()
	create(t, r, "stable", 2, nil)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if tp, ok := r.Get("stable"); !ok || tp.NumPartitions() != 2 {
					errs <- "stable topic missing"
					return
				}
				if tp, ok := r.Get("churn"); ok && (tp.NumPartitions() != 3 || tp.Name != "churn") {
					errs <- "half-made churn topic"
					return
				}
				if l, err := r.Partition("churn", 2); err != nil && !errors.Is(err, ErrUnknownTopic) || err == nil && l == nil {
					errs <- "Partition: " + err.Error()
					return
				}
				for _, tp := range r.List() {
					if _, ok := r.GetByID(tp.ID); !ok && tp.Name == "stable" {
						errs <- "GetByID"
						return
					}
				}
			}
		})
	}
	for range 30 {
		create(t, r, "churn", 3, nil)
		if err := r.Delete("churn"); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestPartitionDoesNotAllocate(t *testing.T) {
	r := open(t, vfs.NewMem(), "/data")
	defer r.Close()
	create(t, r, "orders", 4, nil)
	n := testing.AllocsPerRun(100, func() {
		if _, err := r.Partition("orders", 3); err != nil {
			panic(err)
		}
	})
	if n != 0 {
		t.Fatalf("Partition allocates %v times", n)
	}
}

func BenchmarkPartition(b *testing.B) {
	r, err := Open("/data", Options{FS: vfs.NewMem()})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	for i := range 100 {
		if _, err := r.Create("topic-"+strconv.Itoa(i), 8, nil, false); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Partition("topic-42", 5); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzDecodeMeta: decodeMeta never panics, and what it accepts encodes
// and decodes again to the same topics.
func FuzzDecodeMeta(f *testing.F) {
	f.Add([]byte(`{"version":1,"topics":[{"name":"a","id":"AQAAAAAAAAAAAAAAAAAAAA","partitions":2,"configs":{"x":"y"}}]}`))
	f.Add([]byte(`{"version":1,"topics":[]}`))
	f.Add([]byte(`{"version":1,"topics":[{"name":"a","id":"AQAAAAAAAAAAAAAAAAAAAA","partitions":1},{"name":"a","id":"AgAAAAAAAAAAAAAAAAAAAA","partitions":1}]}`))
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		metas, err := decodeMeta(data)
		if err != nil {
			if !errors.Is(err, errCorruptMeta) {
				t.Fatalf("error %v is not errCorruptMeta", err)
			}
			return
		}
		topics := make([]*Topic, len(metas))
		for i, m := range metas {
			id, _ := ParseID(m.ID)
			topics[i] = &Topic{Name: m.Name, ID: id, Partitions: make([]*partition.Log, m.Partitions), Configs: cloneConfigs(m.Configs)}
		}
		again, err := decodeMeta(encodeMeta(topics))
		if err != nil {
			t.Fatal(err)
		}
		for i := range metas {
			m, a := metas[i], again[i]
			if m.Name != a.Name || m.Partitions != a.Partitions || len(m.Configs) != len(a.Configs) {
				t.Fatalf("%+v re-decoded as %+v", m, a)
			}
			if id1, _ := ParseID(m.ID); FormatID(id1) != a.ID {
				t.Fatalf("id %s re-decoded as %s", m.ID, a.ID)
			}
			for k, v := range m.Configs {
				if a.Configs[k] != v {
					t.Fatalf("config %s", k)
				}
			}
		}
	})
}
