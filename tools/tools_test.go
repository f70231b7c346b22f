package tools

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stratabroker/strata/tools/cli"
	"github.com/stratabroker/strata/tools/tooltest"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestTopics(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		tr := newTranscript(t, tg)
		tr.Run("", "topics", "--create", "--topic", "orders", "--partitions", "3", "--replication-factor", "1", "--config", "retention.ms=123456", "--config", "cleanup.policy=compact")
		tr.Run("", "topics", "--create", "--topic", "my_events.v1")
		tr.Run("", "topics", "--create", "--topic", "orders")
		tr.Run("", "topics", "--create", "--topic", "orders", "--if-not-exists")
		tr.Run("", "topics", "--list")
		tr.Run("", "topics", "--describe", "--topic", "orders")
		tr.Run("", "topics", "--alter", "--topic", "orders", "--partitions", "4")
		tr.Run("", "topics", "--describe", "--topic", "ord.*")
		tr.Run("", "topics", "--alter", "--topic", "orders", "--partitions", "2")
		tr.Run("", "topics", "--describe", "--topic", "missing")
		tr.Run("", "topics", "--describe", "--topic", "missing", "--if-exists")
		tr.Run("", "topics", "--delete", "--topic", "my_events.v1")
		tr.Run("", "topics", "--delete", "--topic", "missing")
		tr.Run("", "topics", "--list", "--exclude-internal")
		tr.Check("topics")
	})
}

func TestConsoleProducerConsumer(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		tr := newTranscript(t, tg)
		tr.Run("", "topics", "--create", "--topic", "lines", "--partitions", "1")
		tr.Run("k1:hello\nk2:world\n:no key\nnull:null value\n", "console-producer", "--topic", "lines",
			"--property", "parse.key=true", "key.separator=:", "--property", "null.marker=null", "--request-required-acks", "1")
		tr.Run("h1:a,h2:b\tk3\t"+strings.Repeat("v3", 40)+"\n", "console-producer", "--topic", "lines", "--property", "parse.headers=true",
			"--property", "parse.key=true", "--compression-codec", "gzip")
		tr.Run("", "console-consumer", "--topic", "lines", "--from-beginning", "--max-messages", "5",
			"--property", "print.key=true", "print.offset=true", "print.partition=true", "print.headers=true", "print.timestamp=true")
		tr.Run("", "console-consumer", "--topic", "lines", "--partition", "0", "--offset", "3", "--timeout-ms", "300",
			"--property", "print.key=true", "--property", "key.separator= => ", "--property", "null.literal=<null>")
		tr.Run("", "console-consumer", "--topic", "lines", "--timeout-ms", "200")
		tr.Run("no separator\n", "console-producer", "--topic", "lines", "--property", "parse.key=true")
		tr.Run("", "console-consumer", "--topic", "lines", "--from-beginning", "--max-messages", "1", "--isolation-level", "read_committed")
		tr.Check("console")
		if tg.Name == "strata" {
			// The gzip batch is stored as produced.
			r := tool(t, "", "dump-log", "--files", filepath.Join(tg.Dir, "lines-0", "00000000000000000000.log"))
			if r.Code != 0 || !strings.Contains(r.Stdout, "compresscodec: gzip") {
				t.Fatalf("dump-log of the live segment: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
			}
			if !strings.Contains(r.Stdout, "bytes of zeros at the end of 00000000000000000000.log: preallocated space of an active segment") {
				t.Errorf("the active segment's zero tail is not reported:\n%s", r.Stdout)
			}
		}
	})
}

func TestGetOffsetsAndDeleteRecords(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		tr := newTranscript(t, tg)
		tr.Run("", "topics", "--create", "--topic", "ts", "--partitions", "2")
		tooltest.Produce(t, tg.Addr, "ts", 0, [3]string{"a", "", "1000"}, [3]string{"b", "", "3000"}, [3]string{"c", "", "2000"}, [3]string{"d", "", "4000"})
		tooltest.Produce(t, tg.Addr, "ts", 1, [3]string{"x", "", "5000"})
		tr.Run("", "get-offsets", "--topic", "ts")
		tr.Run("", "get-offsets", "--topic", "ts", "--time", "-2")
		tr.Run("", "get-offsets", "--topic", "ts", "--time", "max-timestamp")
		tr.Run("", "get-offsets", "--topic", "ts", "--time", "2500", "--partitions", "0")
		tr.Run("", "get-offsets", "--topic", "ts", "--time", "9000")
		tr.Run("", "get-offsets", "--topic", "nope")
		file := filepath.Join(t.TempDir(), "offsets.json")
		if err := os.WriteFile(file, []byte(`{"partitions":[{"topic":"ts","partition":0,"offset":2},{"topic":"ts","partition":1,"offset":-1}],"version":1}`), 0o644); err != nil {
			t.Fatal(err)
		}
		r := tr.Run("", "delete-records", "--offset-json-file", file)
		tr.Run("", "get-offsets", "--topic", "ts", "--time", "earliest")
		tr.Run("", "delete-records", "--offset-json-file", filepath.Join(filepath.Dir(file), "none.json"))
		tr.Normalize(regexp.QuoteMeta(file), "<offsets.json>")
		tr.Normalize(regexp.QuoteMeta(filepath.Dir(file)), "<tmp>")
		_ = r
		tr.Check("offsets")
	})
}

func TestConfigsAndLogDirs(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		tr := newTranscript(t, tg)
		tr.Run("", "topics", "--create", "--topic", "cfg", "--partitions", "2", "--config", "retention.ms=1000000")
		tooltest.Produce(t, tg.Addr, "cfg", 1, [3]string{"v", "k", "1700000000000"})
		tr.Run("", "configs", "--entity-type", "topics", "--entity-name", "cfg", "--describe")
		tr.Run("", "configs", "--entity-type", "topics", "--entity-name", "cfg", "--alter", "--add-config", "segment.ms=600000,cleanup.policy=[compact,delete]", "--delete-config", "retention.ms")
		tr.Run("", "configs", "--entity-type", "topics", "--entity-name", "cfg", "--describe")
		tr.Run("", "configs", "--topic", "cfg", "--alter", "--add-config", "retention.ms=-7")
		tr.Run("", "configs", "--entity-type", "topics", "--entity-name", "nope", "--describe")
		tr.Run("", "configs", "--entity-type", "brokers", "--describe")
		tr.Run("", "configs", "--entity-type", "brokers", "--entity-default", "--alter", "--add-config", "log.retention.ms=7200000")
		tr.Run("", "configs", "--entity-type", "brokers", "--entity-default", "--describe", "--all")
		tr.Run("", "log-dirs", "--describe", "--topic-list", "cfg")
		tr.Check("configs")
	})
}

// TestConsumerGroups runs against kfake always and against Strata once it
// serves groups (it advertises JoinGroup).
func TestConsumerGroups(t *testing.T) {
	for _, name := range []string{"strata", "kfake"} {
		t.Run(name, func(t *testing.T) {
			var tg tooltest.Target
			if name == "strata" {
				tg = tooltest.StartStrata(t)
				if !tg.Groups {
					r := tool(t, "", "consumer-groups", "--bootstrap-server", tg.Addr, "--list")
					if r.Code != cli.ExitError || !strings.Contains(r.Stderr, "does not support consumer groups") {
						t.Fatalf("against a broker without groups: exit %d, %q", r.Code, r.Stderr)
					}
					t.Log("Strata does not advertise JoinGroup yet: only the refusal was checked; the group tests run against kfake")
					return
				}
			} else {
				tg = tooltest.StartKfake(t)
			}
			consumerGroups(t, tg)
		})
	}
}

func consumerGroups(t *testing.T, tg tooltest.Target) {
	tr := newTranscript(t, tg)
	tr.Normalize(`strata-tools-[0-9a-f-]{36}`, "<member-id>")
	tr.Normalize(`member-[0-9a-f-]{32,36}`, "<member-id>")
	tr.Normalize(`/?127\.0\.0\.1(:[0-9]+)?`, "<host>")
	tr.Run("", "topics", "--create", "--topic", "jobs", "--partitions", "1")
	tooltest.Produce(t, tg.Addr, "jobs", 0, [3]string{"j0", "", "1000"}, [3]string{"j1", "", "2000"}, [3]string{"j2", "", "3000"}, [3]string{"j3", "", "4000"}, [3]string{"j4", "", "5000"})
	tr.Run("", "console-consumer", "--topic", "jobs", "--group", "workers", "--from-beginning", "--max-messages", "3")
	tr.Run("", "consumer-groups", "--list")
	tr.Run("", "consumer-groups", "--describe", "--group", "workers")
	tr.Run("", "consumer-groups", "--describe", "--group", "workers", "--state")
	tr.Run("", "consumer-groups", "--reset-offsets", "--group", "workers", "--topic", "jobs", "--to-earliest")
	tr.Run("", "consumer-groups", "--reset-offsets", "--group", "workers", "--all-topics", "--to-offset", "1", "--execute")
	tr.Run("", "consumer-groups", "--describe", "--group", "workers", "--offsets")
	tr.Run("", "consumer-groups", "--reset-offsets", "--group", "workers", "--all-topics", "--shift-by", "10", "--dry-run")
	tr.Run("", "consumer-groups", "--reset-offsets", "--group", "workers", "--topic", "jobs:0", "--to-datetime", "1970-01-01T00:00:02.500", "--execute")
	tr.Run("", "consumer-groups", "--describe", "--group", "workers")
	tr.Run("", "consumer-groups", "--describe", "--group", "nobody")

	// A live member: describe shows its assignment.
	assigned := make(chan struct{}, 1)
	member := tooltest.Client(t, tg.Addr, kgo.ConsumerGroup("live"), kgo.ConsumeTopics("jobs"), kgo.ClientID("member"),
		kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) {
			select {
			case assigned <- struct{}{}:
			default:
			}
		}))
	go member.PollFetches(tooltest.Ctx(t))
	select {
	case <-assigned:
	case <-time.After(30 * time.Second):
		t.Fatal("the live member was never assigned")
	}
	tr.Run("", "consumer-groups", "--describe", "--group", "live", "--members", "--verbose")
	tr.Run("", "consumer-groups", "--describe", "--group", "live", "--state")
	tr.Run("", "consumer-groups", "--reset-offsets", "--group", "live", "--all-topics", "--to-earliest")
	member.Close()

	tr.Run("", "consumer-groups", "--delete-offsets", "--group", "workers", "--topic", "jobs")
	tr.Run("", "consumer-groups", "--delete", "--group", "workers")
	tr.Run("", "consumer-groups", "--describe", "--group", "workers")
	if _, err := os.Stat(filepath.Join("testdata", "groups."+tg.Name+".golden")); tg.Name == "strata" && os.IsNotExist(err) && !tooltest.Updating() {
		// Until Strata's own golden file is written (go test -update once
		// it serves groups), hold it to kfake's output but for column
		// widths and node ids.
		t.Log("no groups.strata.golden yet: comparing with groups.kfake.golden, column widths and node ids aside")
		want, err := os.ReadFile(filepath.Join("testdata", "groups.kfake.golden"))
		if err != nil {
			t.Fatal(err)
		}
		if got := loose(tr.Normalized()); got != loose(string(want)) {
			t.Errorf("Strata's consumer-groups output differs from kfake's:\n--- strata\n%s\n--- kfake\n%s", got, loose(string(want)))
		}
		return
	}
	tr.Check("groups")
}

var (
	nodeID = regexp.MustCompile(`\([0-9]+\)`)
	blanks = regexp.MustCompile(`[ \t]+`)
)

// loose collapses runs of blanks and hides node ids.
func loose(s string) string {
	s = blanks.ReplaceAllString(nodeID.ReplaceAllString(s, "(N)"), " ")
	return strings.ReplaceAll(s, " \n", "\n")
}

// TestPerf checks the perf tools' report lines and counts.
// protocolCommands are the subcommands that talk to a broker, each with
// arguments that are valid but for the broker.
var protocolCommands = [][]string{
	{"topics", "--list"},
	{"console-producer", "--topic", "t"},
	{"console-consumer", "--topic", "t"},
	{"consumer-groups", "--list"},
	{"get-offsets", "--topic", "t"},
	{"delete-records", "--offset-json-file", "OFFSETS"},
	{"configs", "--entity-type", "topics", "--entity-name", "t", "--describe"},
	{"log-dirs", "--describe"},
	{"producer-perf-test", "--topic", "t", "--num-records", "1", "--record-size", "1", "--throughput", "-1"},
	{"consumer-perf-test", "--topic", "t", "--messages", "1"},
	{"e2e-latency", "--topic", "t", "--num-records", "1", "--producer-acks", "1", "--record-size", "1"},
	{"verifiable-producer", "--topic", "t", "--max-messages", "1"},
	{"verifiable-consumer", "--topic", "t", "--group-id", "g", "--max-messages", "1"},
	{"streams-application-reset", "--application-id", "app", "--input-topics", "t"},
	{"client-metrics", "--list"},
}

func oneLine(t *testing.T, what string, r tooltest.Result, code int) {
	t.Helper()
	if r.Code != code {
		t.Errorf("%s: exit %d, want %d (stdout %q, stderr %q)", what, r.Code, code, r.Stdout, r.Stderr)
	}
	if strings.Count(r.Stderr, "\n") != 1 || !strings.HasPrefix(r.Stderr, "strata ") {
		t.Errorf("%s: want one line of error, got %q", what, r.Stderr)
	}
}

// TestBadInput: unknown flags, missing values and a missing topic give one
// line and exit status 2 or 1; so does an unreachable broker, within the
// timeout.
func TestBadInput(t *testing.T) {
	offsets := filepath.Join(t.TempDir(), "offsets.json")
	if err := os.WriteFile(offsets, []byte(`{"partitions":[{"topic":"t","partition":0,"offset":1}],"version":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	args := func(c []string) []string {
		out := append([]string(nil), c...)
		for i, a := range out {
			if a == "OFFSETS" {
				out[i] = offsets
			}
		}
		return out
	}
	for _, c := range append(protocolCommands, []string{"dump-log", "--files", "x.log"}) {
		r := tool(t, "", append(args(c), "--no-such-flag")...)
		oneLine(t, c[0]+" --no-such-flag", r, cli.ExitUsage)
		r = tool(t, "", c[0], "stray")
		oneLine(t, c[0]+" stray", r, cli.ExitUsage)
		r = tool(t, "", c[0], "--help")
		if r.Code != cli.ExitOK || !strings.HasPrefix(r.Stdout, "Usage: strata "+c[0]) {
			t.Errorf("%s --help: exit %d, %q", c[0], r.Code, r.Stdout)
		}
	}
	for _, c := range [][]string{
		{"topics"}, {"topics", "--create"}, {"topics", "--list", "--describe"}, {"topics", "--create", "--topic", "x", "--partitions", "0"},
		{"topics", "--alter", "--topic", "x"}, {"console-producer"}, {"console-consumer"}, {"console-consumer", "--topic", "t", "--offset", "3"},
		{"console-consumer", "--topic", "t", "--partition", "0", "--offset", "soon"}, {"console-consumer", "--topic", "t", "--isolation-level", "maybe"},
		{"consumer-groups"}, {"consumer-groups", "--describe"}, {"consumer-groups", "--reset-offsets", "--group", "g", "--to-earliest"},
		{"consumer-groups", "--reset-offsets", "--group", "g", "--all-topics"}, {"consumer-groups", "--reset-offsets", "--group", "g", "--all-topics", "--by-duration", "10m"},
		{"get-offsets", "--time", "yesterday"}, {"get-offsets", "--partitions", "x"}, {"delete-records"}, {"configs", "--describe"},
		{"configs", "--entity-type", "users", "--alter"}, {"configs", "--entity-type", "clients", "--alter"}, {"configs", "--entity-type", "topics", "--entity-name", "t", "--alter"},
		{"log-dirs"}, {"dump-log"}, {"producer-perf-test", "--topic", "t"}, {"producer-perf-test", "--topic", "t", "--num-records", "1", "--record-size", "1", "--throughput", "1", "--producer-props", "acks=2"},
		{"consumer-perf-test", "--topic", "t"}, {"e2e-latency", "a", "b"}, {"e2e-latency", "h:1", "t", "1", "0", "1"},
		{"console-producer", "--topic", "t", "--compression-codec", "brotli"},
	} {
		oneLine(t, strings.Join(c, " "), tool(t, "", c...), cli.ExitUsage)
	}

	t.Run("missing topic", func(t *testing.T) {
		tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
			for _, c := range [][]string{
				{"console-consumer", "--topic", "absent", "--max-messages", "1"},
				{"get-offsets", "--topic", "absent"},
				{"topics", "--describe", "--topic", "absent"},
				{"topics", "--delete", "--topic", "absent"},
				{"consumer-perf-test", "--topic", "absent", "--messages", "1"},
				{"log-dirs", "--describe", "--topic-list", "absent"},
			} {
				oneLine(t, strings.Join(c, " "), tool(t, "", append(c, "--bootstrap-server", tg.Addr)...), cli.ExitError)
			}
		})
	})

	t.Run("unreachable", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		for _, c := range protocolCommands {
			t.Run(c[0], func(t *testing.T) {
				t.Parallel()
				start := time.Now()
				r := toolEnv(t, &cli.Env{ReachTimeout: 2 * time.Second}, append(args(c), "--bootstrap-server", addr)...)
				if c[0] == "e2e-latency" {
					r = toolEnv(t, &cli.Env{ReachTimeout: 2 * time.Second}, "e2e-latency", addr, "t", "1", "1", "1")
				}
				oneLine(t, c[0], r, cli.ExitError)
				if !strings.Contains(r.Stderr, "cannot reach a broker at "+addr) {
					t.Errorf("%s: %q", c[0], r.Stderr)
				}
				if d := time.Since(start); d > 10*time.Second {
					t.Errorf("%s took %v to give up", c[0], d)
				}
			})
		}
	})
}
