package perf

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stratabroker/strata/tools/cli"
	"github.com/stratabroker/strata/tools/tooltest"
	"github.com/stratabroker/strata/tools/topics"
	"github.com/twmb/franz-go/pkg/kgo"
)

var dispatch tooltest.Dispatch = cli.Dispatcher(topics.Commands, Commands)

func tool(t *testing.T, stdin string, args ...string) tooltest.Result {
	t.Helper()
	return tooltest.Run(t, dispatch, &cli.Env{Stdin: strings.NewReader(stdin)}, args...)
}

func TestPerf(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		b := []string{"--bootstrap-server", tg.Addr}
		if r := tool(t, "", append([]string{"topics", "--create", "--topic", "perf", "--partitions", "1"}, b...)...); r.Code != 0 {
			t.Fatalf("create: %q", r.Stderr)
		}
		r := tool(t, "", append([]string{"producer-perf-test", "--topic", "perf", "--num-records", "3000", "--record-size", "100",
			"--throughput", "-1", "--producer-props", "acks=1", "linger.ms=1", "batch.size=16384", "--reporting-interval", "1"}, b...)...)
		if r.Code != cli.ExitOK {
			t.Fatalf("producer-perf-test: exit %d: %s", r.Code, r.Stderr)
		}
		lines := strings.Split(strings.TrimSuffix(r.Stdout, "\n"), "\n")
		final := regexp.MustCompile(`^3000 records sent, [0-9]+\.[0-9]{6} records/sec \([0-9]+\.[0-9]{2} MB/sec\), [0-9]+\.[0-9]{2} ms avg latency, [0-9]+\.00 ms max latency, [0-9]+ ms 50th, [0-9]+ ms 95th, [0-9]+ ms 99th, [0-9]+ ms 99\.9th\.$`)
		if !final.MatchString(lines[len(lines)-1]) {
			t.Errorf("final line %q", lines[len(lines)-1])
		}
		window := regexp.MustCompile(`^[0-9]+ records sent, [0-9]+\.[0-9] records/sec \([0-9]+\.[0-9]{2} MB/sec\), [0-9]+\.[0-9] ms avg latency, [0-9]+\.0 ms max latency\.$`)
		for _, l := range lines[:len(lines)-1] {
			if !window.MatchString(l) {
				t.Errorf("periodic line %q", l)
			}
		}
		r = tool(t, "", append([]string{"producer-perf-test", "--topic", "perf", "--num-records", "500", "--record-size", "10",
			"--throughput", "100000", "--producer-props", "compression.type=lz4", "--json"}, b...)...)
		if r.Code != cli.ExitOK || !regexp.MustCompile(`^\{"records":500,"records_per_sec":[0-9.e+]+,"mb_per_sec":[0-9.e+-]+,"avg_latency_ms":[0-9.e+-]+,"max_latency_ms":[0-9]+,"p50_ms":[0-9]+,"p95_ms":[0-9]+,"p99_ms":[0-9]+,"p999_ms":[0-9]+\}\n$`).MatchString(r.Stdout) {
			t.Errorf("producer-perf-test --json: exit %d, %q %q", r.Code, r.Stdout, r.Stderr)
		}
		// The payloads are uppercase letters from SplittableRandom(0).
		cl := tooltest.Client(t, tg.Addr, kgo.ConsumeTopics("perf"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		first := cl.PollRecords(tooltest.Ctx(t), 1).Records()
		want := make([]byte, 100)
		rnd := newSplittableRandom(0)
		for i := range want {
			want[i] = byte(rnd.nextIntn(26) + 65)
		}
		if len(first) != 1 || string(first[0].Value) != string(want) {
			t.Errorf("first payload %v, want %q", first, want)
		}

		r = tool(t, "", append([]string{"consumer-perf-test", "--topic", "perf", "--messages", "3500", "--timeout", "5000"}, b...)...)
		consumed := regexp.MustCompile(`^start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec\n[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}:[0-9]{3}, [0-9 :-]{23}, 0\.2909, [0-9.]+, 3500, [0-9.]+, 0, [0-9]+, [0-9.]+, [0-9.]+\n$`)
		if r.Code != cli.ExitOK || !consumed.MatchString(r.Stdout) {
			t.Errorf("consumer-perf-test: exit %d, %q %q", r.Code, r.Stdout, r.Stderr)
		}
		r = tool(t, "", "e2e-latency", tg.Addr, "latency", "3", "all", "20")
		e2e := regexp.MustCompile(`^Topic "latency" does not exist. Will create topic with 1 partition\(s\) and replication factor = 1\n0\t[0-9]+\.[0-9]+\nAvg latency: [0-9]+\.[0-9]{4} ms\nPercentiles: 50th = [0-9]+, 99th = [0-9]+, 99\.9th = [0-9]+\n$`)
		if r.Code != cli.ExitOK || !e2e.MatchString(r.Stdout) {
			t.Errorf("e2e-latency: exit %d, %q %q", r.Code, r.Stdout, r.Stderr)
		}
		r = tool(t, "", append([]string{"e2e-latency", "--topic", "latency", "--num-records", "2", "--producer-acks", "1", "--record-size", "5", "--json"}, b...)...)
		if r.Code != cli.ExitOK || !regexp.MustCompile(`^\{"records":2,"avg_latency_ms":[0-9.e+-]+,"max_latency_ms":[0-9]+,"p50_ms":[0-9]+,"p95_ms":[0-9]+,"p99_ms":[0-9]+,"p999_ms":[0-9]+\}\n$`).MatchString(r.Stdout) {
			t.Errorf("e2e-latency --json: exit %d, %q %q", r.Code, r.Stdout, r.Stderr)
		}
	})
}
