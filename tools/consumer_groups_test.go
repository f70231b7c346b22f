package tools

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stratabroker/strata/tools/cli"
	"github.com/stratabroker/strata/tools/tooltest"
	"github.com/twmb/franz-go/pkg/kadm"
)

// TestResetOffsetsWarnings: --reset-offsets without --execute or
// --dry-run prints ConsumerGroupCommandOptions' warning that nothing will
// be done; an offset out of the log's range (--to-offset, --shift-by,
// --from-file) is clamped with checkOffsetsRange's warning for each
// partition; --members of an Empty group prints only that it has no
// active members.
func TestResetOffsetsWarnings(t *testing.T) {
	for _, name := range []string{"strata", "kfake"} {
		t.Run(name, func(t *testing.T) {
			var tg tooltest.Target
			if name == "strata" {
				if tg = tooltest.StartStrata(t); !tg.Groups {
					t.Skip("Strata does not serve groups")
				}
			} else {
				tg = tooltest.StartKfake(t)
			}
			b := []string{"--bootstrap-server", tg.Addr}
			run := func(args ...string) tooltest.Result {
				t.Helper()
				return tool(t, "", append(args, b...)...)
			}
			if r := run("topics", "--create", "--topic", "jobs", "--partitions", "1"); r.Code != cli.ExitOK {
				t.Fatal(r.Stderr)
			}
			tooltest.Produce(t, tg.Addr, "jobs", 0, [3]string{"a", "", ""}, [3]string{"b", "", ""}, [3]string{"c", "", ""}, [3]string{"d", "", ""}, [3]string{"e", "", ""})
			if r := run("console-consumer", "--topic", "jobs", "--group", "w", "--from-beginning", "--max-messages", "3"); r.Code != cli.ExitOK {
				t.Fatal(r.Stderr)
			}
			const noExecute = "WARN: No action will be performed as the --execute option is missing.In a future major release, the default behavior of this command will be to prompt the user before executing the reset rather than doing a dry run. You should add the --dry-run option explicitly if you are scripting this command and want to keep the current default behavior without prompting.\n"
			table := func(off string) string {
				return "\nGROUP           TOPIC           PARTITION  NEW-OFFSET\nw               jobs            0          " + off + "\n"
			}
			check := func(stdout, stderr string, args ...string) {
				t.Helper()
				r := run(append([]string{"consumer-groups"}, args...)...)
				if r.Code != cli.ExitOK || r.Stdout != stdout || r.Stderr != stderr {
					t.Errorf("consumer-groups %v: exit %d\n--- stdout\n%q\n--- want\n%q\n--- stderr\n%q\n--- want\n%q", args, r.Code, r.Stdout, stdout, r.Stderr, stderr)
				}
			}
			high := "WARN New offset (10) is higher than latest offset for topic partition jobs-0. Value will be set to 5\n"
			check(table("5"), noExecute+high, "--reset-offsets", "--group", "w", "--topic", "jobs", "--to-offset", "10")
			check(table("5"), high, "--reset-offsets", "--group", "w", "--topic", "jobs", "--to-offset", "10", "--dry-run")
			check(table("1"), noExecute, "--reset-offsets", "--group", "w", "--topic", "jobs", "--to-offset", "1")

			file := filepath.Join(t.TempDir(), "d.json")
			if err := os.WriteFile(file, []byte(`{"partitions":[{"topic":"jobs","partition":0,"offset":2}],"version":1}`), 0o644); err != nil {
				t.Fatal(err)
			}
			if r := run("delete-records", "--offset-json-file", file); r.Code != cli.ExitOK {
				t.Fatal(r.Stderr)
			}
			low := "WARN New offset (-2) is lower than earliest offset for topic partition jobs-0. Value will be set to 2\n"
			check(table("2"), low, "--reset-offsets", "--group", "w", "--topic", "jobs", "--shift-by", "-5", "--execute")
			plan := filepath.Join(t.TempDir(), "plan.csv")
			if err := os.WriteFile(plan, []byte("jobs,0,0\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			check(table("2"),
				"WARN New offset (0) is lower than earliest offset for topic partition jobs-0. Value will be set to 2\n",
				"--reset-offsets", "--group", "w", "--from-file", plan, "--dry-run")
			check("", "\nConsumer group 'w' has no active members.\n", "--describe", "--group", "w", "--members")
			check("", "\nConsumer group 'w' has no active members.\n", "--describe", "--group", "w", "--members", "--verbose")
		})
	}
}

// TestResetOffsetsProgress: --reset-offsets over many groups shows a
// progress bar on a terminal only, cleared at the end, and prints the same
// table either way.
func TestResetOffsetsProgress(t *testing.T) {
	tg := tooltest.StartStrata(t)
	if r := tool(t, "", "topics", "--create", "--topic", "jobs", "--partitions", "2", "--bootstrap-server", tg.Addr); r.Code != cli.ExitOK {
		t.Fatal(r.Stderr)
	}
	tooltest.Produce(t, tg.Addr, "jobs", 0, [3]string{"a", "", ""}, [3]string{"b", "", ""})
	adm := kadm.NewClient(tooltest.Client(t, tg.Addr))
	for i := range 25 {
		offs := kadm.Offsets{}
		offs.Add(kadm.Offset{Topic: "jobs", Partition: 0, At: 2, LeaderEpoch: -1})
		if _, err := adm.CommitOffsets(tooltest.Ctx(t), fmt.Sprintf("g%02d", i), offs); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"consumer-groups", "--reset-offsets", "--all-groups", "--topic", "jobs:0", "--to-earliest", "--execute", "--bootstrap-server", tg.Addr}
	tty := toolEnv(t, &cli.Env{IsTTY: true}, args...)
	piped := toolEnv(t, &cli.Env{}, args...)
	if tty.Code != cli.ExitOK || piped.Code != cli.ExitOK {
		t.Fatalf("exit %d / %d: %q %q", tty.Code, piped.Code, tty.Stderr, piped.Stderr)
	}
	if !strings.HasPrefix(tty.Stderr, "\rresetting offsets of groups   0% |") || !strings.HasSuffix(tty.Stderr, "\r") {
		t.Errorf("terminal stderr %q", tty.Stderr)
	}
	if piped.Stderr != "" || tty.Stdout != piped.Stdout || strings.Count(piped.Stdout, " jobs ") != 25 {
		t.Errorf("piped stderr %q; stdout %q vs %q", piped.Stderr, piped.Stdout, tty.Stdout)
	}
}
