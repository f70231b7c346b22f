package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestGetOffsetsShell holds get-offsets to GetOffsetShell: a partition
// whose answer is offset -1 (a timestamp after every record, the largest
// timestamp of an empty partition, latest-tiered with no tiered storage)
// prints no line; lines are sorted as TopicPartition strings ("t-10"
// before "t-2"); --topic-partitions takes GetOffsetShell's patterns; -4
// (earliest-local) is the log start offset when nothing is tiered.
func TestGetOffsetsShell(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg target) {
		b := []string{"--bootstrap-server", tg.addr}
		run := func(args ...string) result {
			t.Helper()
			return tool(t, "", append(args, b...)...)
		}
		for _, c := range [][]string{{"g", "2"}, {"many", "11"}} {
			if r := run("topics", "--create", "--topic", c[0], "--partitions", c[1]); r.code != exitOK {
				t.Fatal(r.stderr)
			}
		}
		produce(t, tg.addr, "g", 0, [3]string{"a", "", "1000"}, [3]string{"b", "", "2000"}, [3]string{"c", "", "3000"})
		produce(t, tg.addr, "many", 10, [3]string{"x", "", "1000"})
		produce(t, tg.addr, "many", 2, [3]string{"y", "", "1000"}, [3]string{"z", "", "1000"})
		check := func(want string, args ...string) {
			t.Helper()
			r := run(append([]string{"get-offsets"}, args...)...)
			if r.code != exitOK || r.stdout != want || r.stderr != "" {
				t.Errorf("get-offsets %v: exit %d\n--- stdout\n%s--- want\n%s--- stderr\n%s", args, r.code, r.stdout, want, r.stderr)
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
		if tg.name == "strata" { // kfake answers these as timestamps
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
			if r := run("delete-records", "--offset-json-file", file); r.code != exitOK {
				t.Fatal(r.stderr)
			}
			check("g:0:1\n", "--topic-partitions", "g:0", "--time", "-4")
		}
		r := run("get-offsets", "--topic-partitions", "g", "--topic", "g")
		if r.code != exitUsage || r.stderr != "strata get-offsets: --topic-partitions cannot be used with --topic or --partitions (run strata get-offsets --help)\n" {
			t.Errorf("--topic-partitions with --topic: exit %d, stderr %q", r.code, r.stderr)
		}
		r = run("get-offsets", "--topic-partitions", "g:x")
		if r.code != exitUsage || r.stderr != "strata get-offsets: Invalid rule specification: g:x (run strata get-offsets --help)\n" {
			t.Errorf("bad rule: exit %d, stderr %q", r.code, r.stderr)
		}
		r = run("get-offsets", "--topic-partitions", "nothing:0")
		if r.code != exitError || r.stderr != "strata get-offsets: Could not match any topic-partitions with the specified filters\n" {
			t.Errorf("no match: exit %d, stderr %q", r.code, r.stderr)
		}
		r = run("get-offsets", "--time", "soon")
		want := "strata get-offsets: Malformed time argument soon. Please use -1 or latest / -2 or earliest / -3 or max-timestamp / -4 or earliest-local / -5 or latest-tiered / -6 or earliest-pending-upload, or a specified long format timestamp (run strata get-offsets --help)\n"
		if r.code != exitUsage || r.stderr != want {
			t.Errorf("bad time: exit %d, stderr %q", r.code, r.stderr)
		}
	})
}
