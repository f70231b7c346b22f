package streams

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/tools/cli"
	"github.com/stratabroker/strata/tools/tooltest"
)

var dispatch tooltest.Dispatch = cli.Dispatcher(Commands)

// app is the application of the tests: group "app", input topic "in" (3
// partitions of 5, 3 and 4 records), its two internal topics, an
// intermediate topic "mid", and topics that are not the app's.
type app struct {
	t  *testing.T
	tg tooltest.Target
}

// admin is a new admin client: kadm answers ListTopics from its client's
// metadata cache, which would still hold the topics a run deleted.
func (a *app) admin() *kadm.Client {
	return kadm.NewClient(tooltest.Client(a.t, a.tg.Addr))
}

var internalTopics = []string{"app-KSTREAM-AGG-0000000001-repartition", "app-store-changelog"}

// allTopics is every topic the test creates, sorted.
var allTopics = []string{"app-KSTREAM-AGG-0000000001-repartition", "app-output", "app-store-changelog", "in", "mid", "other-changelog"}

func newApp(t *testing.T, tg tooltest.Target) *app {
	a := &app{t: t, tg: tg}
	ctx := tooltest.Ctx(t)
	adm := a.admin()
	for _, tp := range []struct {
		name string
		n    int32
	}{{"in", 3}, {"mid", 2}, {"app-output", 1}, {"other-changelog", 1}} {
		if _, err := adm.CreateTopic(ctx, tp.n, 1, nil, tp.name); err != nil {
			t.Fatalf("create %s: %v", tp.name, err)
		}
	}
	// Records with timestamps (ms) for --to-datetime: in-0 1000..5000,
	// in-1 1000..3000, in-2 1500..4500.
	rec := func(ts ...int) [][3]string {
		var out [][3]string
		for _, x := range ts {
			out = append(out, [3]string{fmt.Sprint("v", x), "", fmt.Sprint(x)})
		}
		return out
	}
	tooltest.Produce(t, tg.Addr, "in", 0, rec(1000, 2000, 3000, 4000, 5000)...)
	tooltest.Produce(t, tg.Addr, "in", 1, rec(1000, 2000, 3000)...)
	tooltest.Produce(t, tg.Addr, "in", 2, rec(1500, 2500, 3500, 4500)...)
	tooltest.Produce(t, tg.Addr, "mid", 0, rec(1000, 2000)...)
	tooltest.Produce(t, tg.Addr, "mid", 1, rec(1000)...)
	a.baseline()
	return a
}

// baseline (re)creates the internal topics and commits in-0=3, in-1=1,
// in-2=2 for the group.
func (a *app) baseline() {
	a.t.Helper()
	ctx := tooltest.Ctx(a.t)
	for _, name := range internalTopics {
		if _, err := a.admin().CreateTopic(ctx, 1, 1, nil, name); err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			a.t.Fatalf("create %s: %v", name, err)
		}
	}
	offs := kadm.Offsets{}
	offs.AddOffset("in", 0, 3, -1)
	offs.AddOffset("in", 1, 1, -1)
	offs.AddOffset("in", 2, 2, -1)
	resps, err := a.admin().CommitOffsets(ctx, "app", offs)
	if err == nil {
		err = resps.Error()
	}
	if err != nil {
		a.t.Fatalf("commit: %v", err)
	}
	a.expect("in-0=3 in-1=1 in-2=2", allTopics)
}

// expect asserts the group's committed offsets ("topic-p=offset ...",
// sorted) and the topics that exist.
func (a *app) expect(offsets string, topics []string) {
	a.t.Helper()
	ctx := tooltest.Ctx(a.t)
	adm := a.admin()
	fetched, err := adm.FetchOffsets(ctx, "app")
	if err != nil {
		a.t.Fatalf("fetch offsets: %v", err)
	}
	var got []string
	for _, o := range fetched.Sorted() {
		if o.Err != nil {
			a.t.Fatalf("fetch offsets %s-%d: %v", o.Topic, o.Partition, o.Err)
		}
		got = append(got, fmt.Sprintf("%s-%d=%d", o.Topic, o.Partition, o.At))
	}
	if g := strings.Join(got, " "); g != offsets {
		a.t.Errorf("committed offsets of app: %q, want %q", g, offsets)
	}
	listed, err := adm.ListTopics(ctx)
	if err != nil {
		a.t.Fatalf("list topics: %v", err)
	}
	names := listed.Names()
	sort.Strings(names)
	if !slices.Equal(names, topics) {
		a.t.Errorf("topics %v, want %v", names, topics)
	}
}

// members returns the member ids of the group.
func (a *app) members() []string {
	a.t.Helper()
	described, err := a.admin().DescribeGroups(tooltest.Ctx(a.t), "app")
	if err != nil {
		a.t.Fatal(err)
	}
	var ids []string
	for _, m := range described["app"].Members {
		ids = append(ids, m.MemberID)
	}
	return ids
}

// joinStoppedMember makes a member of the group that joined, was assigned
// in-0..2 and then stopped without leaving: it stays for its session
// timeout (a minute), as an application instance killed with a long
// session.timeout.ms does.
func (a *app) joinStoppedMember() {
	a.t.Helper()
	ctx := tooltest.Ctx(a.t)
	cl := tooltest.Client(a.t, a.tg.Addr, kgo.ClientID("app-instance-1"))
	meta := kmsg.NewConsumerMemberMetadata()
	meta.Topics = []string{"in"}
	join := kmsg.NewPtrJoinGroupRequest()
	join.Group = "app"
	join.SessionTimeoutMillis = 60000
	join.RebalanceTimeoutMillis = 60000
	join.ProtocolType = "consumer"
	proto := kmsg.NewJoinGroupRequestProtocol()
	proto.Name = "range"
	proto.Metadata = meta.AppendTo(nil)
	join.Protocols = append(join.Protocols, proto)
	var jr *kmsg.JoinGroupResponse
	for range 2 {
		resp, err := join.RequestWith(ctx, cl)
		if err != nil {
			a.t.Fatalf("join: %v", err)
		}
		jr = resp
		if resp.ErrorCode != kerr.MemberIDRequired.Code {
			break
		}
		join.MemberID = resp.MemberID
	}
	if err := kerr.ErrorForCode(jr.ErrorCode); err != nil {
		a.t.Fatalf("join: %v", err)
	}
	asg := kmsg.NewConsumerMemberAssignment()
	at := kmsg.NewConsumerMemberAssignmentTopic()
	at.Topic, at.Partitions = "in", []int32{0, 1, 2}
	asg.Topics = append(asg.Topics, at)
	sync := kmsg.NewPtrSyncGroupRequest()
	sync.Group, sync.Generation, sync.MemberID = "app", jr.Generation, jr.MemberID
	sync.ProtocolType, sync.Protocol = kmsg.StringPtr("consumer"), kmsg.StringPtr("range")
	ga := kmsg.NewSyncGroupRequestGroupAssignment()
	ga.MemberID, ga.MemberAssignment = jr.MemberID, asg.AppendTo(nil)
	sync.GroupAssignment = append(sync.GroupAssignment, ga)
	sr, err := sync.RequestWith(ctx, cl)
	if err != nil {
		a.t.Fatalf("sync: %v", err)
	}
	if err := kerr.ErrorForCode(sr.ErrorCode); err != nil {
		a.t.Fatalf("sync: %v", err)
	}
	if ids := a.members(); !slices.Equal(ids, []string{jr.MemberID}) {
		a.t.Fatalf("members %v, want [%s]", ids, jr.MemberID)
	}
}

func startTarget(t *testing.T, name string) tooltest.Target {
	if name == "kfake" {
		return tooltest.StartKfake(t)
	}
	tg := tooltest.StartStrata(t, "group.initial.rebalance.delay.ms", "0")
	if !tg.Groups {
		t.Skip("Strata does not serve groups")
	}
	return tg
}

// TestStreamsReset runs the tool against Strata and kfake through a
// transcript of its runs (testdata/reset.<target>.golden), asserting after
// each run the group's committed offsets and the topics that exist: a dry
// run changes nothing; --to-earliest commits the log starts and deletes
// exactly the two internal topics; --to-offset, --shift-by, --to-datetime
// and --from-file commit exact offsets, with Kafka's lines for positions
// brought into the log; a stopped member still in the group refuses the
// run (exit 1, nothing changed) and --force removes it first; a bad
// --internal-topics fails after the offsets were reset, as Kafka's does.
func TestStreamsReset(t *testing.T) {
	for _, name := range []string{"strata", "kfake"} {
		t.Run(name, func(t *testing.T) {
			tg := startTarget(t, name)
			a := newApp(t, tg)
			tr := tooltest.NewTranscript(t, tg, dispatch)
			tr.Normalize(`memberId=[^,]+`, "memberId=<id>")
			tr.Normalize(`host=[^,]+`, "host=<host>")
			reset := func(code int, args ...string) {
				t.Helper()
				r := tr.Run("", append([]string{cmdName, "--application-id", "app"}, args...)...)
				if r.Code != code {
					t.Errorf("%v: exit %d, want %d; stderr %q", args, r.Code, code, r.Stderr)
				}
			}
			remaining := []string{"app-output", "in", "mid", "other-changelog"}

			reset(0, "--input-topics", "in", "--to-earliest", "--dry-run")
			a.expect("in-0=3 in-1=1 in-2=2", allTopics)

			reset(0, "--input-topics", "in", "--to-earliest")
			a.expect("in-0=0 in-1=0 in-2=0", remaining)

			a.baseline()
			reset(0, "--input-topics", "in", "--to-offset", "4")
			a.expect("in-0=4 in-1=3 in-2=4", remaining)

			a.baseline()
			reset(0, "--input-topics", "in", "--shift-by", "-2")
			a.expect("in-0=1 in-1=0 in-2=0", remaining)

			a.baseline()
			reset(0, "--input-topics", "in", "--to-datetime", "1970-01-01T00:00:04.200")
			a.expect("in-0=4 in-1=3 in-2=3", remaining)

			a.baseline()
			plan := filepath.Join(t.TempDir(), "plan.csv")
			if err := os.WriteFile(plan, []byte("in,0,2\nin,1,9\nin,2,0\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			tr.Normalize(regexp.QuoteMeta(plan), "<plan.csv>")
			reset(0, "--input-topics", "in", "--from-file", plan, "--dry-run")
			a.expect("in-0=3 in-1=1 in-2=2", allTopics)

			a.joinStoppedMember()
			reset(1, "--input-topics", "in", "--to-earliest")
			a.expect("in-0=3 in-1=1 in-2=2", allTopics)
			reset(0, "--input-topics", "in", "--to-earliest", "--force")
			a.expect("in-0=0 in-1=0 in-2=0", remaining)
			if ids := a.members(); len(ids) != 0 {
				t.Errorf("members after --force: %v", ids)
			}

			a.baseline()
			reset(1, "--input-topics", "in", "--to-latest", "--internal-topics", "other-changelog")
			a.expect("in-0=5 in-1=3 in-2=4", allTopics)
			reset(0, "--input-topics", "in", "--internal-topics", "app-store-changelog")
			a.expect("in-0=0 in-1=0 in-2=0", []string{"app-KSTREAM-AGG-0000000001-repartition", "app-output", "in", "mid", "other-changelog"})

			a.baseline()
			reset(0)
			a.expect("in-0=3 in-1=1 in-2=2", remaining)

			a.baseline()
			reset(1, "--input-topics", "in,nope", "--intermediate-topics", "mid,gone", "--to-offset", "1")
			a.expect("in-0=1 in-1=1 in-2=1 mid-0=2 mid-1=1", remaining)

			// --by-duration: records 3 h, 2 h and 30 min old.
			if _, err := a.admin().CreateTopic(tooltest.Ctx(t), 1, 1, nil, "recent"); err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			var recs [][3]string
			for _, age := range []time.Duration{3 * time.Hour, 2 * time.Hour, 30 * time.Minute} {
				recs = append(recs, [3]string{"r", "", fmt.Sprint(now.Add(-age).UnixMilli())})
			}
			tooltest.Produce(t, tg.Addr, "recent", 0, recs...)
			reset(0, "--input-topics", "recent", "--by-duration", "PT1H", "--dry-run")
			reset(0, "--input-topics", "recent", "--by-duration", "PT2H30M", "--dry-run")
			reset(0, "--input-topics", "recent", "--by-duration", "P1D", "--dry-run")
			// --shift-by without a committed offset starts where the Java
			// consumer would: auto.offset.reset, latest by default.
			reset(0, "--input-topics", "recent", "--shift-by", "-1", "--dry-run")
			dir := t.TempDir()
			tr.Normalize(regexp.QuoteMeta(dir), "<dir>")
			for name, text := range map[string]string{"earliest": "auto.offset.reset=earliest\nclient.id=resetter\n", "none": "auto.offset.reset=none\nfoo.bar=1\n"} {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			reset(0, "--input-topics", "recent", "--shift-by", "-1", "--dry-run", "--command-config", filepath.Join(dir, "earliest"))
			reset(1, "--input-topics", "recent", "--shift-by", "-1", "--config-file", filepath.Join(dir, "none"))
			a.expect("in-0=1 in-1=1 in-2=1 mid-0=2 mid-1=1", append(remaining, "recent"))
			tr.Check("reset")
		})
	}
}

// TestStreamsResetBadInput: a bad command line is one line on stderr and
// exit 2; an unreachable broker or a missing file one line and exit 1;
// nothing prints a stack trace.
func TestStreamsResetBadInput(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	missing := filepath.Join(t.TempDir(), "missing.properties")
	const u = " (run strata streams-application-reset --help)\n"
	for _, c := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"--input-topics", "in"}, 2, "strata streams-application-reset: Missing required option(s) [application-id]" + u},
		{[]string{"--application-id", "app", "--to-earliest", "--shift-by", "1"}, 2,
			`strata streams-application-reset: Option "[to-earliest]" can't be used with option "[shift-by]"` + u},
		{[]string{"--application-id", "app", "--to-latest", "--to-offset", "1"}, 2,
			`strata streams-application-reset: Option "[to-offset]" can't be used with option "[to-latest]"` + u},
		{[]string{"--application-id", "app", "--config-file", "a", "--command-config", "b"}, 2,
			`strata streams-application-reset: Option "[config-file]" can't be used with option "[command-config]"` + u},
		{[]string{"--application-id", "app", "--bogus"}, 2, "strata streams-application-reset: unknown flag --bogus" + u},
		{[]string{"--application-id", "app", "--to-offset", "x"}, 2,
			`strata streams-application-reset: invalid value "x" for flag -to-offset: parse error` + u},
		{[]string{"--application-id", "app", "--to-datetime", "yesterday"}, 2,
			`strata streams-application-reset: --to-datetime: "yesterday" is not YYYY-MM-DDTHH:mm:SS.sss[zone]` + u},
		{[]string{"--application-id", "app", "--by-duration", "1h"}, 2,
			`strata streams-application-reset: --by-duration: "1h" is not an ISO-8601 duration PnDTnHnMnS` + u},
		{[]string{"--application-id", "app", "--bootstrap-server", dead}, 1, ""},
		{[]string{"--application-id", "app", "--command-config", missing}, 2,
			"strata streams-application-reset: --command-config: open " + missing + ": no such file or directory" + u},
		{[]string{"--application-id", "app", "--from-file", missing}, 1,
			"strata streams-application-reset: --from-file: open " + missing + ": no such file or directory\n"},
	} {
		r := tooltest.Run(t, dispatch, &cli.Env{}, append([]string{cmdName}, c.args...)...)
		if r.Code != c.code || strings.Count(r.Stderr, "\n") != 1 || r.Stdout != "" {
			t.Errorf("%v: exit %d, want %d; stdout %q; stderr %q", c.args, r.Code, c.code, r.Stdout, r.Stderr)
		}
		if c.stderr != "" && r.Stderr != c.stderr {
			t.Errorf("%v: stderr\n%q\nwant\n%q", c.args, r.Stderr, c.stderr)
		}
		if c.stderr == "" && !strings.HasPrefix(r.Stderr, "strata streams-application-reset: cannot reach a broker at "+dead) {
			t.Errorf("%v: stderr %q", c.args, r.Stderr)
		}
	}
	// --help and no arguments print the usage.
	r := tooltest.Run(t, dispatch, &cli.Env{}, cmdName, "--help")
	if r.Code != 0 || r.Stdout != usage || r.Stderr != "" {
		t.Errorf("--help: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	r = tooltest.Run(t, dispatch, &cli.Env{}, cmdName)
	if r.Code != 2 || r.Stderr != usage || r.Stdout != "" {
		t.Errorf("no arguments: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	r = tooltest.Run(t, dispatch, &cli.Env{}, cmdName, "--version")
	if r.Code != 0 || r.Stdout != buildVersion()+"\n" || r.Stderr != "" {
		t.Errorf("--version: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
}

// TestInternalTopicFormat: Kafka's matchesInternalTopicFormat and the
// application prefix, input and intermediate topics excepted.
func TestInternalTopicFormat(t *testing.T) {
	o := &options{appID: "app", input: []string{"app-in-changelog"}, intermediate: []string{"app-mid-repartition"}}
	for topic, want := range map[string]bool{
		"app-store-changelog":                                           true,
		"app-KSTREAM-AGG-0000000001-repartition":                        true,
		"app-x-subscription-registration-topic":                         true,
		"app-x-subscription-response-topic":                             true,
		"app-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000012-topic": true,
		"app-KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-7-topic":              true,
		"app-KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-x-topic":              false,
		"app-output":            false,
		"app-changelog":         true, // Kafka's test too: only the prefix and suffix count
		"other-changelog":       false,
		"app2-store-changelog":  false,
		"appstore-changelog":    false,
		"app-in-changelog":      false, // an input topic
		"app-mid-repartition":   false, // an intermediate topic
		"app-store-changelog-1": false,
	} {
		if got := o.isInferredInternalTopic(topic); got != want {
			t.Errorf("%s: %v, want %v", topic, got, want)
		}
	}
}
