package tools

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stratabroker/strata/tools/cli"
	"github.com/stratabroker/strata/tools/tooltest"
)

// TestGetOffsetsShell holds get-offsets to GetOffsetShell: a partition
// whose answer is offset -1 (a timestamp after every record, the largest
// timestamp of an empty partition, latest-tiered with no tiered storage)
// prints no line; lines are sorted as TopicPartition strings ("t-10"
// before "t-2"); --topic-partitions takes GetOffsetShell's patterns; -4
// (earliest-local) is the log start offset when nothing is tiered.
func TestGetOffsetsShell(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		b := []string{"--bootstrap-server", tg.Addr}
		run := func(args ...string) tooltest.Result {
			t.Helper()
			return tool(t, "", append(args, b...)...)
		}
		for _, c := range [][]string{{"g", "2"}, {"many", "11"}} {
			if r := run("topics", "--create", "--topic", c[0], "--partitions", c[1]); r.Code != cli.ExitOK {
				t.Fatal(r.Stderr)
			}
		}
		tooltest.Produce(t, tg.Addr, "g", 0, [3]string{"a", "", "1000"}, [3]string{"b", "", "2000"}, [3]string{"c", "", "3000"})
		tooltest.Produce(t, tg.Addr, "many", 10, [3]string{"x", "", "1000"})
		tooltest.Produce(t, tg.Addr, "many", 2, [3]string{"y", "", "1000"}, [3]string{"z", "", "1000"})
		check := func(want string, args ...string) {
			t.Helper()
			r := run(append([]string{"get-offsets"}, args...)...)
			if r.Code != cli.ExitOK || r.Stdout != want || r.Stderr != "" {
				t.Errorf("get-offsets %v: exit %d\n--- stdout\n%s--- want\n%s--- stderr\n%s", args, r.Code, r.Stdout, want, r.Stderr)
			}
		}
		check("", "--topic", "g", "--time", "9000")
		check("g:0:2\n", "--topic", "g", "--time", "2500")
		check("g:0:2\n", "--topic", "g", "--time", "-3")
		check("g:0:2\n", "--topic", "g", "--time", "max-timestamp")
		check("many:0:0\nmany:1:0\nmany:10:1\nmany:2:2\nmany:3:0\n", "--topic", "many", "--partitions", "0,1,2,3,10")
		check("g:0:3\ng:1:0\nmany:10:1\nmany:2:2\n", "--topic-partitions", "g,many:2,many:10-")
		check("many:0:0\nmany:1:0\nmany:10:1\nmany:2:2\n", "--topic-partitions", "many:-3,many:10")
		check("g:1:0\nmany:1:0\n", "--topic-partitions", ":1")
		check("g:0:3\nmany:2:2\n", "--topic-partitions", "g:0-1,many:2-3", "--time", "latest")
		if tg.Name == "strata" { // kfake answers these as timestamps
			check("g:0:0\ng:1:0\n", "--topic", "g", "--time", "-4")
			check("g:0:0\ng:1:0\n", "--topic", "g", "--time", "earliest-local")
			check("", "--topic", "g", "--time", "-5")
			check("", "--topic", "g", "--time", "latest-tiered")
			check("", "--topic", "g", "--time", "-6")
			check("", "--topic", "g", "--time", "earliest-pending-upload")
			file := filepath.Join(t.TempDir(), "d.json")
			if err := os.WriteFile(file, []byte(`{"partitions":[{"topic":"g","partition":0,"offset":1}],"version":1}`), 0o644); err != nil {
				t.Fatal(err)
			}
			if r := run("delete-records", "--offset-json-file", file); r.Code != cli.ExitOK {
				t.Fatal(r.Stderr)
			}
			check("g:0:1\n", "--topic-partitions", "g:0", "--time", "-4")
		}
		r := run("get-offsets", "--topic-partitions", "g", "--topic", "g")
		if r.Code != cli.ExitUsage || r.Stderr != "strata get-offsets: --topic-partitions cannot be used with --topic or --partitions (run strata get-offsets --help)\n" {
			t.Errorf("--topic-partitions with --topic: exit %d, stderr %q", r.Code, r.Stderr)
		}
		r = run("get-offsets", "--topic-partitions", "g:x")
		if r.Code != cli.ExitUsage || r.Stderr != "strata get-offsets: Invalid rule specification: g:x (run strata get-offsets --help)\n" {
			t.Errorf("bad rule: exit %d, stderr %q", r.Code, r.Stderr)
		}
		r = run("get-offsets", "--topic-partitions", "nothing:0")
		if r.Code != cli.ExitError || r.Stderr != "strata get-offsets: Could not match any topic-partitions with the specified filters\n" {
			t.Errorf("no match: exit %d, stderr %q", r.Code, r.Stderr)
		}
		r = run("get-offsets", "--time", "soon")
		want := "strata get-offsets: Malformed time argument soon. Please use -1 or latest / -2 or earliest / -3 or max-timestamp / -4 or earliest-local / -5 or latest-tiered / -6 or earliest-pending-upload, or a specified long format timestamp (run strata get-offsets --help)\n"
		if r.Code != cli.ExitUsage || r.Stderr != want {
			t.Errorf("bad time: exit %d, stderr %q", r.Code, r.Stderr)
		}
	})
}
