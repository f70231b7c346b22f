package verifiable

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/stratabroker/strata/tools/cli"
	"github.com/stratabroker/strata/tools/tooltest"
)

// produceN writes n records to topic with verifiable-producer.
func produceN(t *testing.T, tg tooltest.Target, topic string, n int) {
	t.Helper()
	r := run(t, nil, "verifiable-producer", "--bootstrap-server", tg.Addr, "--topic", topic, "--max-messages", fmt.Sprint(n))
	if r.Code != 0 || strings.Count(r.Stdout, "producer_send_success") != n {
		t.Fatalf("producing: code %d, %s %s", r.Code, r.Stdout, r.Stderr)
	}
}

func partitionsOf(ev event) string {
	var s []string
	for _, it := range ev.m["partitions"].([]any) {
		m := it.(map[string]any)
		s = append(s, fmt.Sprintf("%s-%s", m["topic"], m["partition"]))
	}
	return strings.Join(s, " ")
}

// committed reads group's committed offsets of topic.
func committed(t *testing.T, tg tooltest.Target, group string) map[int32]int64 {
	t.Helper()
	adm := kadm.NewClient(tooltest.Client(t, tg.Addr))
	offs, err := adm.FetchOffsets(tooltest.Ctx(t), group)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	offs.Each(func(o kadm.OffsetResponse) { out[o.Partition] = o.At })
	return out
}

// verifiable-consumer --max-messages 100 in a new group: assigned all
// three partitions, records_consumed summing to exactly 100, each poll
// committed at its last offsets + 1, the last commits equal to the end
// offsets (and the group's committed offsets), the partitions revoked on
// leaving, shutdown_complete last.
func TestVerifiableConsumerGroup(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		if !tg.Groups {
			t.Skip("the broker does not serve groups")
		}
		createTopic(t, tg, "vc", 3)
		produceN(t, tg, "vc", 100)
		end := endOffsets(t, tg, "vc")
		r := run(t, nil, "verifiable-consumer", "--bootstrap-server", tg.Addr, "--topic", "vc", "--group-id", "g", "--max-messages", "100")
		if r.Code != 0 || r.Stderr != "" {
			t.Fatalf("code %d, stderr %q", r.Code, r.Stderr)
		}
		evs := parse(t, r.Stdout)
		checkKeys(t, evs)
		if evs[0].name() != "startup_complete" || evs[1].name() != "partitions_assigned" || partitionsOf(evs[1]) != "vc-0 vc-1 vc-2" {
			t.Fatalf("start:\n%s", r.Stdout)
		}
		last := evs[len(evs)-1]
		if last.name() != "shutdown_complete" || evs[len(evs)-2].name() != "partitions_revoked" || partitionsOf(evs[len(evs)-2]) != "vc-0 vc-1 vc-2" {
			t.Fatalf("end:\n%s", r.Stdout)
		}
		total := int64(0)
		lastCommit := map[int64]int64{}
		for i := 2; i < len(evs)-2; i += 2 {
			rc, oc := evs[i], evs[i+1]
			if rc.name() != "records_consumed" || oc.name() != "offsets_committed" || oc.m["success"] != true {
				t.Fatalf("want records_consumed then a successful offsets_committed:\n%s\n%s", rc.line, oc.line)
			}
			var want []string
			sum := int64(0)
			for _, it := range rc.m["partitions"].([]any) {
				ps := event{m: it.(map[string]any)}
				n := ps.num("count")
				if ps.num("maxOffset")-ps.num("minOffset")+1 != n {
					t.Fatalf("count %d for offsets %d..%d: %s", n, ps.num("minOffset"), ps.num("maxOffset"), rc.line)
				}
				if p := ps.num("partition"); ps.num("minOffset") != lastCommit[p] {
					t.Fatalf("partition %d resumed at %d, committed %d", p, ps.num("minOffset"), lastCommit[p])
				}
				want = append(want, fmt.Sprintf(`{"topic":"vc","partition":%d,"offset":%d}`, ps.num("partition"), ps.num("maxOffset")+1))
				lastCommit[ps.num("partition")] = ps.num("maxOffset") + 1
				sum += n
			}
			if rc.num("count") < sum {
				t.Fatalf("count %d under the partitions' %d: %s", rc.num("count"), sum, rc.line)
			}
			sort.Strings(want)
			if got := oc.line[strings.Index(oc.line, `"offsets":`):]; got != `"offsets":[`+strings.Join(want, ",")+`],"success":true}` {
				t.Fatalf("committed %s, want %v", got, want)
			}
			total += sum
		}
		if total != 100 {
			t.Fatalf("consumed %d, want 100:\n%s", total, r.Stdout)
		}
		got := committed(t, tg, "g")
		for p := int32(0); p < 3; p++ {
			if lastCommit[int64(p)] != end[p] || got[p] != end[p] {
				t.Fatalf("partition %d: end %d, last offsets_committed %d, group committed %d", p, end[p], lastCommit[int64(p)], got[p])
			}
		}
	})
}

// --verbose prints a record_data line for every record, in Kafka's field
// order; --max-messages cuts a poll short.
func TestVerifiableConsumerVerbose(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		if !tg.Groups {
			t.Skip("the broker does not serve groups")
		}
		createTopic(t, tg, "vcv", 1)
		r := run(t, nil, "verifiable-producer", "--bootstrap-server", tg.Addr, "--topic", "vcv", "--max-messages", "10", "--repeating-keys", "2")
		if r.Code != 0 {
			t.Fatal(r.Stderr)
		}
		r = run(t, &cli.Env{Now: fixedClock}, "verifiable-consumer", "--bootstrap-server", tg.Addr, "--topic", "vcv", "--group-id", "gv",
			"--max-messages", "3", "--verbose")
		if r.Code != 0 || r.Stderr != "" {
			t.Fatalf("code %d, stderr %q", r.Code, r.Stderr)
		}
		evs := parse(t, r.Stdout)
		checkKeys(t, evs)
		var got []string
		for _, ev := range evs {
			if ev.name() == "records_consumed" {
				// count is the poll's, which may hold more than the three.
				ev.line = strings.Replace(ev.line, `"count":`+fmt.Sprint(ev.num("count"))+`,`, `"count":N,`, 1)
			}
			got = append(got, ev.line)
		}
		want := `{"timestamp":1000,"name":"startup_complete"}
{"timestamp":1000,"name":"partitions_assigned","partitions":[{"topic":"vcv","partition":0}]}
{"timestamp":1000,"name":"record_data","key":"0","value":"0","topic":"vcv","partition":0,"offset":0}
{"timestamp":1000,"name":"record_data","key":"1","value":"1","topic":"vcv","partition":0,"offset":1}
{"timestamp":1000,"name":"record_data","key":"0","value":"2","topic":"vcv","partition":0,"offset":2}
{"timestamp":1000,"name":"records_consumed","count":N,"partitions":[{"topic":"vcv","partition":0,"count":3,"minOffset":0,"maxOffset":2}]}
{"timestamp":1000,"name":"offsets_committed","offsets":[{"topic":"vcv","partition":0,"offset":3}],"success":true}
{"timestamp":1000,"name":"partitions_revoked","partitions":[{"topic":"vcv","partition":0}]}
{"timestamp":1000,"name":"shutdown_complete"}`
		if s := strings.Join(got, "\n"); s != want {
			t.Fatalf("stdout:\n%s\nwant:\n%s", s, want)
		}
	})
}

// Two members of one group split the partitions: the first is assigned
// all four, then (eager, range) revoked and given two when the second
// joins with the other two. A signal ends each with shutdown_complete.
func TestVerifiableConsumerTwoMembers(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		if !tg.Groups {
			t.Skip("the broker does not serve groups")
		}
		createTopic(t, tg, "vc2", 4)
		args := []string{"verifiable-consumer", "--bootstrap-server", tg.Addr, "--topic", "vc2", "--group-id", "g2", "--session-timeout", "10000"}
		a := start(t, args...)
		if ev := a.out.next(t, "a"); ev.name() != "startup_complete" {
			t.Fatalf("a: %s", ev.line)
		}
		if ev := a.out.next(t, "a"); ev.name() != "partitions_assigned" || partitionsOf(ev) != "vc2-0 vc2-1 vc2-2 vc2-3" {
			t.Fatalf("a: %s", ev.line)
		}
		b := start(t, args...)
		if ev := b.out.next(t, "b"); ev.name() != "startup_complete" {
			t.Fatalf("b: %s", ev.line)
		}
		if ev := a.out.next(t, "a"); ev.name() != "partitions_revoked" || partitionsOf(ev) != "vc2-0 vc2-1 vc2-2 vc2-3" {
			t.Fatalf("a: %s", ev.line)
		}
		ea, eb := a.out.next(t, "a"), b.out.next(t, "b")
		if ea.name() != "partitions_assigned" || eb.name() != "partitions_assigned" {
			t.Fatalf("a: %s\nb: %s", ea.line, eb.line)
		}
		pa, pb := partitionsOf(ea), partitionsOf(eb)
		if pa > pb {
			pa, pb = pb, pa
		}
		if pa != "vc2-0 vc2-1" || pb != "vc2-2 vc2-3" {
			t.Fatalf("split %q and %q", pa, pb)
		}
		for _, s := range []*started{b, a} {
			if code := s.stop(t); code != 0 {
				t.Fatalf("exit code %d", code)
			}
		}
		// b leaves first: a may rebalance once more before its own end.
		for _, s := range []*started{a, b} {
			for {
				ev := s.out.next(t, "member")
				if ev.name() == "shutdown_complete" {
					break
				}
				if ev.name() != "partitions_revoked" && ev.name() != "partitions_assigned" {
					t.Fatalf("unexpected %s", ev.line)
				}
			}
		}
	})
}

// --reset-policy none with nothing committed: the Java client's
// NoOffsetForPartitionException (partitions in order: 2 before 10) ends
// the tool, after leaving the group.
func TestVerifiableConsumerResetNone(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		if !tg.Groups {
			t.Skip("the broker does not serve groups")
		}
		createTopic(t, tg, "vcn", 11)
		produceN(t, tg, "vcn", 4)
		r := run(t, &cli.Env{Now: fixedClock}, "verifiable-consumer", "--bootstrap-server", tg.Addr, "--topic", "vcn", "--group-id", "gn", "--reset-policy", "none")
		var names, list []string
		for p := 0; p < 11; p++ {
			names = append(names, fmt.Sprintf("vcn-%d", p))
			list = append(list, fmt.Sprintf(`{"topic":"vcn","partition":%d}`, p))
		}
		if r.Code != cli.ExitError || r.Stderr != "strata verifiable-consumer: Undefined offset with no reset policy for partitions: ["+strings.Join(names, ", ")+"]\n" {
			t.Fatalf("code %d, stderr %q", r.Code, r.Stderr)
		}
		parts := "[" + strings.Join(list, ",") + "]"
		want := `{"timestamp":1000,"name":"startup_complete"}
{"timestamp":1000,"name":"partitions_assigned","partitions":` + parts + `}
{"timestamp":1000,"name":"partitions_revoked","partitions":` + parts + `}
{"timestamp":1000,"name":"shutdown_complete"}
`
		if r.Stdout != want {
			t.Fatalf("stdout:\n%s\nwant:\n%s", r.Stdout, want)
		}
	})
}

// The properties file is read (--consumer.config, or --command-config as
// Kafka 4.2 names it): max.poll.records=2 makes each poll at most two
// records, so five records are polls of 2, 2 and 1.
func TestVerifiableConsumerConfigFile(t *testing.T) {
	tg := tooltest.StartStrata(t)
	if !tg.Groups {
		t.Skip("the broker does not serve groups")
	}
	createTopic(t, tg, "vcf", 1)
	produceN(t, tg, "vcf", 5)
	cfg := filepath.Join(t.TempDir(), "c.properties")
	if err := os.WriteFile(cfg, []byte("max.poll.records=2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i, flag := range []string{"--consumer.config", "--command-config"} {
		r := run(t, nil, "verifiable-consumer", "--bootstrap-server", tg.Addr, "--topic", "vcf", "--group-id", fmt.Sprint("gf", i),
			"--max-messages", "5", flag, cfg)
		if r.Code != 0 || r.Stderr != "" {
			t.Fatalf("%s: code %d, stderr %q", flag, r.Code, r.Stderr)
		}
		var counts []string
		for _, ev := range parse(t, r.Stdout) {
			if ev.name() == "records_consumed" {
				counts = append(counts, fmt.Sprint(ev.num("count")))
			}
		}
		if s := strings.Join(counts, " "); s != "2 2 1" {
			t.Fatalf("%s: poll sizes %q, want 2 2 1:\n%s", flag, s, r.Stdout)
		}
	}
	r := run(t, nil, "verifiable-consumer", "--topic", "vcf", "--group-id", "g", "--consumer.config", cfg, "--command-config", cfg)
	if r.Code != cli.ExitUsage || !strings.Contains(r.Stderr, "options --consumer.config and --command-config cannot be specified together") {
		t.Fatalf("both files: code %d, %q", r.Code, r.Stderr)
	}
}

// --enable-autocommit: no offsets_committed lines (the Java tool prints
// them only for its own commits), and the offsets are committed all the
// same, at the latest on leaving the group.
func TestVerifiableConsumerAutocommit(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		if !tg.Groups {
			t.Skip("the broker does not serve groups")
		}
		createTopic(t, tg, "vca", 2)
		produceN(t, tg, "vca", 20)
		end := endOffsets(t, tg, "vca")
		r := run(t, nil, "verifiable-consumer", "--bootstrap-server", tg.Addr, "--topic", "vca", "--group-id", "ga",
			"--max-messages", "20", "--enable-autocommit")
		if r.Code != 0 || r.Stderr != "" || strings.Contains(r.Stdout, "offsets_committed") {
			t.Fatalf("code %d, stderr %q, stdout:\n%s", r.Code, r.Stderr, r.Stdout)
		}
		checkKeys(t, parse(t, r.Stdout))
		got := committed(t, tg, "ga")
		if got[0] != end[0] || got[1] != end[1] {
			t.Fatalf("committed %v, end offsets %v", got, end)
		}
	})
}

// CooperativeStickyAssignor: one member is assigned every partition and
// consumes them; on leaving, the partitions it owns are revoked.
func TestVerifiableConsumerCooperative(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		if !tg.Groups {
			t.Skip("the broker does not serve groups")
		}
		createTopic(t, tg, "vcc", 2)
		produceN(t, tg, "vcc", 10)
		r := run(t, nil, "verifiable-consumer", "--bootstrap-server", tg.Addr, "--topic", "vcc", "--group-id", "gc",
			"--max-messages", "10", "--assignment-strategy", "org.apache.kafka.clients.consumer.CooperativeStickyAssignor")
		if r.Code != 0 || r.Stderr != "" {
			t.Fatalf("code %d, stderr %q", r.Code, r.Stderr)
		}
		evs := parse(t, r.Stdout)
		checkKeys(t, evs)
		if partitionsOf(evs[1]) != "vcc-0 vcc-1" || evs[len(evs)-2].name() != "partitions_revoked" || partitionsOf(evs[len(evs)-2]) != "vcc-0 vcc-1" {
			t.Fatalf("stdout:\n%s", r.Stdout)
		}
		total := int64(0)
		for _, ev := range evs {
			if ev.name() == "records_consumed" {
				for _, it := range ev.m["partitions"].([]any) {
					total += event{m: it.(map[string]any)}.num("count")
				}
			}
		}
		if total != 10 {
			t.Fatalf("consumed %d, want 10", total)
		}
	})
}

// --group-instance-id makes the member static: it joins under that id,
// and (as the Java client) does not leave the group on close, so the
// group still lists it until its session times out.
func TestVerifiableConsumerStatic(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		if !tg.Groups {
			t.Skip("the broker does not serve groups")
		}
		createTopic(t, tg, "vcs", 1)
		produceN(t, tg, "vcs", 3)
		r := run(t, nil, "verifiable-consumer", "--bootstrap-server", tg.Addr, "--topic", "vcs", "--group-id", "gs",
			"--group-instance-id", "static-1", "--max-messages", "3", "--session-timeout", "30000")
		if r.Code != 0 || r.Stderr != "" {
			t.Fatalf("code %d, stderr %q", r.Code, r.Stderr)
		}
		adm := kadm.NewClient(tooltest.Client(t, tg.Addr))
		groups, err := adm.DescribeGroups(tooltest.Ctx(t), "gs")
		if err != nil {
			t.Fatal(err)
		}
		g := groups["gs"]
		if len(g.Members) != 1 || g.Members[0].InstanceID == nil || *g.Members[0].InstanceID != "static-1" {
			t.Fatalf("group gs: %+v", g)
		}
	})
}

// With one partition and two members, one member owns nothing. Leaving,
// it prints no partitions_revoked (it owned nothing: the Java client calls
// the listener only for a non-empty set); rejoining (eager), it prints
// its empty revocation, as the Java client's onJoinPrepare does.
func TestVerifiableConsumerIdleMember(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		if !tg.Groups {
			t.Skip("the broker does not serve groups")
		}
		createTopic(t, tg, "vci", 1)
		args := []string{"verifiable-consumer", "--bootstrap-server", tg.Addr, "--topic", "vci", "--group-id", "gi"}
		expect := func(s *started, who string, want ...string) {
			t.Helper()
			for _, w := range want {
				ev := s.out.next(t, who)
				got := ev.name()
				if _, ok := ev.m["partitions"]; ok {
					got += " " + partitionsOf(ev)
				}
				if got != w {
					t.Fatalf("%s: %s, want %q", who, ev.line, w)
				}
			}
		}
		// join starts a second member beside owner (which has vci-0) and
		// returns the two after the rebalance: who owns vci-0, who is idle.
		join := func(owner *started) (busy, idle *started) {
			t.Helper()
			n := start(t, args...)
			expect(n, "new", "startup_complete")
			expect(owner, "owner", "partitions_revoked vci-0")
			eo, en := owner.out.next(t, "owner"), n.out.next(t, "new")
			switch {
			case partitionsOf(eo) == "vci-0" && partitionsOf(en) == "":
				return owner, n
			case partitionsOf(eo) == "" && partitionsOf(en) == "vci-0":
				return n, owner
			}
			t.Fatalf("owner: %s\nnew: %s", eo.line, en.line)
			return nil, nil
		}
		a := start(t, args...)
		expect(a, "a", "startup_complete", "partitions_assigned vci-0")
		busy, idle := join(a)
		idle.stop(t)
		expect(idle, "idle", "shutdown_complete")
		expect(busy, "busy", "partitions_revoked vci-0", "partitions_assigned vci-0")

		busy, idle = join(busy)
		busy.stop(t)
		expect(busy, "busy", "partitions_revoked vci-0", "shutdown_complete")
		expect(idle, "idle", "partitions_revoked ", "partitions_assigned vci-0")
	})
}
