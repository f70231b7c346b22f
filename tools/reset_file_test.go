package tools

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stratabroker/strata/tools/tooltest"
	"github.com/twmb/franz-go/pkg/kadm"
)

// TestResetOffsetsExportAndFromFile: --export prints the plan in the CSV
// that --from-file reads (Kafka's formats), and --from-file applies a plan
// per group, clamped to the log's range, with no scope needed.
func TestResetOffsetsExportAndFromFile(t *testing.T) {
	tg := tooltest.StartStrata(t, "group.initial.rebalance.delay.ms", "0", "offsets.topic.num.partitions", "2")
	bs := []string{"--bootstrap-server", tg.Addr}
	run := func(args ...string) tooltest.Result {
		t.Helper()
		return tool(t, "", append(append([]string{}, args...), bs...)...)
	}
	if r := run("topics", "--create", "--topic", "jobs", "--partitions", "2"); r.Code != 0 {
		t.Fatalf("create: %+v", r)
	}
	for p := range int32(2) {
		tooltest.Produce(t, tg.Addr, "jobs", p, [3]string{"a", "", ""}, [3]string{"b", "", ""}, [3]string{"c", "", ""}, [3]string{"d", "", ""})
	}
	adm := kadm.NewClient(tooltest.Client(t, tg.Addr))
	for _, g := range []string{"g1", "g2"} {
		offs := kadm.Offsets{}
		offs.AddOffset("jobs", 0, 1, -1)
		offs.AddOffset("jobs", 1, 1, -1)
		if _, err := adm.CommitOffsets(tooltest.Ctx(t), g, offs); err != nil {
			t.Fatal(err)
		}
	}

	r := run("consumer-groups", "--reset-offsets", "--group", "g1", "--all-topics", "--to-latest", "--export")
	if want := "jobs,0,4\njobs,1,4\n"; r.Code != 0 || r.Stdout != want {
		t.Fatalf("--export of one group: code %d, stdout %q, want %q (stderr %q)", r.Code, r.Stdout, want, r.Stderr)
	}
	r = run("consumer-groups", "--reset-offsets", "--group", "g1", "--group", "g2", "--topic", "jobs:1", "--to-earliest", "--export")
	if want := "g1,jobs,1,0\ng2,jobs,1,0\n"; r.Code != 0 || r.Stdout != want {
		t.Fatalf("--export of two groups: code %d, stdout %q, want %q", r.Code, r.Stdout, want)
	}

	dir := t.TempDir()
	single := filepath.Join(dir, "single.csv")
	if err := os.WriteFile(single, []byte("jobs,0,3\njobs,1,99\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run("consumer-groups", "--reset-offsets", "--group", "g1", "--from-file", single, "--execute"); r.Code != 0 {
		t.Fatalf("--from-file: %+v", r)
	}
	multi := filepath.Join(dir, "multi.csv")
	if err := os.WriteFile(multi, []byte("g2,jobs,0,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run("consumer-groups", "--reset-offsets", "--group", "g1", "--group", "g2", "--from-file", multi, "--execute"); r.Code != 0 ||
		r.Stdout != "\nError: No reset plan for group g1 found\n\nGROUP           TOPIC           PARTITION  NEW-OFFSET\ng2              jobs            0          2\n" {
		t.Fatalf("--from-file with two groups: code %d, stdout %q", r.Code, r.Stdout)
	}
	want := map[string][2]int64{"g1": {3, 4}, "g2": {2, 1}} // 99 clamped to the log end, 4
	for g, w := range want {
		got, err := adm.FetchOffsets(tooltest.Ctx(t), g)
		if err != nil {
			t.Fatal(err)
		}
		for p := range int32(2) {
			if o, _ := got.Lookup("jobs", p); o.At != w[p] {
				t.Errorf("group %s partition %d: committed %d, want %d", g, p, o.At, w[p])
			}
		}
	}
	if r := run("consumer-groups", "--reset-offsets", "--group", "g1", "--from-file", single, "--to-earliest"); r.Code != 2 {
		t.Fatalf("two scenarios: exit %d, want 2", r.Code)
	}
}
