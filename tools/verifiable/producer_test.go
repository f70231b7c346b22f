package verifiable

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stratabroker/strata/tools/cli"
	"github.com/stratabroker/strata/tools/tooltest"
)

// One partition: each value i lands at offset i, and with the clock
// stopped every line is known, tool_data's avg_throughput included
// (acked/0 ms, which Jackson writes as the string "Infinity").
func TestVerifiableProducerOnePartition(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		createTopic(t, tg, "vp", 1)
		r := run(t, &cli.Env{Now: fixedClock}, "verifiable-producer", "--bootstrap-server", tg.Addr,
			"--topic", "vp", "--max-messages", "100", "--throughput", "-1")
		if r.Code != 0 || r.Stderr != "" {
			t.Fatalf("code %d, stderr %q", r.Code, r.Stderr)
		}
		var want strings.Builder
		want.WriteString(`{"timestamp":1000,"name":"startup_complete"}` + "\n")
		for i := 0; i < 100; i++ {
			fmt.Fprintf(&want, `{"timestamp":1000,"name":"producer_send_success","key":null,"value":"%d","topic":"vp","partition":0,"offset":%d}`+"\n", i, i)
		}
		want.WriteString(`{"timestamp":1000,"name":"shutdown_complete"}` + "\n")
		want.WriteString(`{"timestamp":1000,"name":"tool_data","sent":100,"acked":100,"target_throughput":-1,"avg_throughput":"Infinity"}` + "\n")
		if r.Stdout != want.String() {
			t.Fatalf("stdout:\n%s\nwant:\n%s", r.Stdout, want.String())
		}
		checkKeys(t, parse(t, r.Stdout))
		if got := endOffsets(t, tg, "vp"); got[0] != 100 {
			t.Fatalf("end offset %d, want 100", got[0])
		}
	})
}

// Three partitions: every value once, each partition's offsets 0..n-1 in
// order, n the partition's end offset, and 100 in all.
func TestVerifiableProducerPartitions(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		createTopic(t, tg, "vp3", 3)
		r := run(t, nil, "verifiable-producer", "--bootstrap-server", tg.Addr, "--topic", "vp3", "--max-messages", "100")
		if r.Code != 0 || r.Stderr != "" {
			t.Fatalf("code %d, stderr %q", r.Code, r.Stderr)
		}
		evs := parse(t, r.Stdout)
		checkKeys(t, evs)
		if evs[0].name() != "startup_complete" || evs[len(evs)-2].name() != "shutdown_complete" || evs[len(evs)-1].name() != "tool_data" {
			t.Fatalf("events out of order:\n%s", r.Stdout)
		}
		td := evs[len(evs)-1]
		if td.num("sent") != 100 || td.num("acked") != 100 || td.num("target_throughput") != -1 {
			t.Fatalf("tool_data: %s", td.line)
		}
		seen := map[string]bool{}
		next := map[int64]int64{}
		for _, ev := range evs[1 : len(evs)-2] {
			if ev.name() != "producer_send_success" {
				t.Fatalf("unexpected %s", ev.line)
			}
			v := ev.m["value"].(string)
			if seen[v] || ev.m["key"] != nil || ev.m["topic"] != "vp3" {
				t.Fatalf("duplicate or wrong: %s", ev.line)
			}
			seen[v] = true
			p := ev.num("partition")
			if ev.num("offset") != next[p] {
				t.Fatalf("partition %d: offset %d, want %d", p, ev.num("offset"), next[p])
			}
			next[p]++
		}
		if len(seen) != 100 {
			t.Fatalf("%d distinct values, want 100", len(seen))
		}
		end := endOffsets(t, tg, "vp3")
		var total int64
		for p := int32(0); p < 3; p++ {
			if end[p] != next[int64(p)] {
				t.Fatalf("partition %d: end offset %d, %d acked", p, end[p], next[int64(p)])
			}
			total += end[p]
		}
		if total != 100 {
			t.Fatalf("%d records in the topic, want 100", total)
		}
	})
}

// --value-prefix, --repeating-keys and --message-create-time reach the
// records: keys 0,1,2,0,..., values 7.i, and the first record's
// timestamp is the given one (the clock is stopped, so all are).
func TestVerifiableProducerKeysValuesTime(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		createTopic(t, tg, "vpk", 1)
		r := run(t, &cli.Env{Now: fixedClock}, "verifiable-producer", "--bootstrap-server", tg.Addr, "--topic", "vpk",
			"--max-messages", "5", "--value-prefix", "7", "--repeating-keys", "3", "--message-create-time", "1234567")
		if r.Code != 0 {
			t.Fatalf("code %d, stderr %q", r.Code, r.Stderr)
		}
		want := `{"timestamp":1000,"name":"startup_complete"}
{"timestamp":1000,"name":"producer_send_success","key":"0","value":"7.0","topic":"vpk","partition":0,"offset":0}
{"timestamp":1000,"name":"producer_send_success","key":"1","value":"7.1","topic":"vpk","partition":0,"offset":1}
{"timestamp":1000,"name":"producer_send_success","key":"2","value":"7.2","topic":"vpk","partition":0,"offset":2}
{"timestamp":1000,"name":"producer_send_success","key":"0","value":"7.3","topic":"vpk","partition":0,"offset":3}
{"timestamp":1000,"name":"producer_send_success","key":"1","value":"7.4","topic":"vpk","partition":0,"offset":4}
{"timestamp":1000,"name":"shutdown_complete"}
{"timestamp":1000,"name":"tool_data","sent":5,"acked":5,"target_throughput":-1,"avg_throughput":"Infinity"}
`
		if r.Stdout != want {
			t.Fatalf("stdout:\n%s\nwant:\n%s", r.Stdout, want)
		}
		cl := tooltest.Client(t, tg.Addr, kgo.ConsumeTopics("vpk"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		var got []string
		for len(got) < 5 {
			fs := cl.PollFetches(tooltest.Ctx(t))
			if err := fs.Err0(); err != nil {
				t.Fatal(err)
			}
			fs.EachRecord(func(r *kgo.Record) {
				got = append(got, fmt.Sprintf("%s=%s@%d", r.Key, r.Value, r.Timestamp.UnixMilli()))
			})
		}
		if s := strings.Join(got, " "); s != "0=7.0@1234567 1=7.1@1234567 2=7.2@1234567 0=7.3@1234567 1=7.4@1234567" {
			t.Fatalf("records: %s", s)
		}
	})
}

// Without --max-messages the producer runs until a signal, then flushes
// and ends with shutdown_complete and tool_data whose counts are the
// lines printed.
func TestVerifiableProducerSignal(t *testing.T) {
	tg := tooltest.StartStrata(t)
	createTopic(t, tg, "vps", 1)
	s := start(t, "verifiable-producer", "--bootstrap-server", tg.Addr, "--topic", "vps", "--throughput", "200")
	if ev := s.out.next(t, "producer"); ev.name() != "startup_complete" {
		t.Fatalf("first event %s", ev.line)
	}
	for i := 0; i < 5; i++ {
		if ev := s.out.next(t, "producer"); ev.name() != "producer_send_success" || ev.num("offset") != int64(i) {
			t.Fatalf("event %d: %s", i, ev.line)
		}
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	acked := int64(5)
	for {
		ev := s.out.next(t, "producer")
		if ev.name() == "producer_send_success" {
			if ev.num("offset") != acked {
				t.Fatalf("offset %d, want %d", ev.num("offset"), acked)
			}
			acked++
			continue
		}
		if ev.name() != "shutdown_complete" {
			t.Fatalf("unexpected %s", ev.line)
		}
		break
	}
	td := s.out.next(t, "producer")
	if td.name() != "tool_data" || td.num("sent") != acked || td.num("acked") != acked || td.num("target_throughput") != 200 {
		t.Fatalf("tool_data %s, %d lines acked", td.line, acked)
	}
	if end := endOffsets(t, tg, "vps"); end[0] != acked {
		t.Fatalf("end offset %d, %d acked", end[0], acked)
	}
}

// A record the broker refuses (over the topic's max.message.bytes) is a
// producer_send_error naming the Java client's exception and its text,
// and tool_data counts it as sent, not acked.
func TestVerifiableProducerSendError(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		adm := kadm.NewClient(tooltest.Client(t, tg.Addr))
		mmb := "50"
		resp, err := adm.CreateTopic(tooltest.Ctx(t), 1, 1, map[string]*string{"max.message.bytes": &mmb}, "vpe")
		if err != nil || resp.Err != nil {
			t.Fatalf("create: %v %v", err, resp.Err)
		}
		r := run(t, &cli.Env{Now: fixedClock}, "verifiable-producer", "--bootstrap-server", tg.Addr, "--topic", "vpe",
			"--max-messages", "1", "--repeating-keys", "1")
		if r.Code != 0 {
			t.Fatalf("code %d: %s", r.Code, r.Stderr)
		}
		want := `{"timestamp":1000,"name":"startup_complete"}
{"timestamp":1000,"name":"producer_send_error","topic":"vpe","key":"0","value":"0","exception":"class org.apache.kafka.common.errors.RecordTooLargeException","message":"The request included a message larger than the max message size the server will accept."}
{"timestamp":1000,"name":"shutdown_complete"}
{"timestamp":1000,"name":"tool_data","sent":1,"acked":0,"target_throughput":-1,"avg_throughput":"NaN"}
`
		if r.Stdout != want {
			t.Fatalf("stdout:\n%s\nwant:\n%s", r.Stdout, want)
		}
		checkKeys(t, parse(t, r.Stdout))
	})
}

// The producer's properties file is read and wins over the flags, as
// Kafka's tool loads it last: enable.idempotence=true with the tool's
// retries=0 is the Java producer's config error, so is it with acks=1;
// with retries=3 and acks=all it runs.
func TestVerifiableProducerConfigFile(t *testing.T) {
	tg := tooltest.StartStrata(t)
	createTopic(t, tg, "vpc", 1)
	cfg := filepath.Join(t.TempDir(), "p.properties")
	if err := os.WriteFile(cfg, []byte("enable.idempotence=true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, "verifiable-producer", "--bootstrap-server", tg.Addr, "--topic", "vpc", "--max-messages", "2", "--producer.config", cfg)
	if r.Code != cli.ExitUsage || r.Stdout != "" || r.Stderr != "strata verifiable-producer: Must set retries to non-zero when using the idempotent producer. (run strata verifiable-producer --help)\n" {
		t.Fatalf("code %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	if err := os.WriteFile(cfg, []byte("enable.idempotence=true\nretries=3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = run(t, nil, "verifiable-producer", "--bootstrap-server", tg.Addr, "--topic", "vpc", "--acks", "1", "--producer.config", cfg)
	if r.Code != cli.ExitUsage || r.Stderr != "strata verifiable-producer: Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence. (run strata verifiable-producer --help)\n" {
		t.Fatalf("acks 1: code %d, stderr %q", r.Code, r.Stderr)
	}
	r = run(t, nil, "verifiable-producer", "--bootstrap-server", tg.Addr, "--topic", "vpc", "--max-messages", "2", "--command-config", cfg)
	if r.Code != 0 || r.Stderr != "" || strings.Count(r.Stdout, "producer_send_success") != 2 {
		t.Fatalf("code %d, stderr %q, stdout:\n%s", r.Code, r.Stderr, r.Stdout)
	}
}

// A session as a user sees it, against Strata and kfake: the golden files
// in testdata/ show the event lines the tools print.
func TestVerifiableTranscript(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		createTopic(t, tg, "vt", 1)
		tr := tooltest.NewTranscript(t, tg, dispatch)
		tr.Normalize(`"timestamp":[0-9]+`, `"timestamp":<ms>`)
		tr.Normalize(`"avg_throughput":[^}]+`, `"avg_throughput":<avg>`)
		tr.Run("", "verifiable-producer", "--topic", "vt", "--max-messages", "4", "--value-prefix", "3", "--repeating-keys", "2")
		tr.Run("", "verifiable-consumer", "--topic", "vt", "--group-id", "gt", "--max-messages", "4", "--verbose")
		tr.Run("", "verifiable-producer", "--max-messages", "4")
		tr.Run("", "verifiable-consumer", "--topic", "vt", "--group-id", "gt", "--group-protocol", "consumer")
		tr.Check("verifiable")
	})
}

// --throughput 100 holds 50 messages to about half a second (Kafka's
// ThroughputThrottler: once the rate so far is over the target, sleep
// 1/target a message, in naps of at least 2 ms), none of them in a first
// unthrottled burst. Only the lower bound is checked: a slow machine takes
// longer.
func TestVerifiableProducerThroughput(t *testing.T) {
	tg := tooltest.StartStrata(t)
	createTopic(t, tg, "vpt", 1)
	start := time.Now()
	r := run(t, nil, "verifiable-producer", "--bootstrap-server", tg.Addr, "--topic", "vpt", "--max-messages", "50", "--throughput", "100")
	took := time.Since(start)
	if r.Code != 0 || strings.Count(r.Stdout, "producer_send_success") != 50 || !strings.Contains(r.Stdout, `"sent":50,"acked":50,"target_throughput":100,`) {
		t.Fatalf("code %d, stderr %q, stdout:\n%s", r.Code, r.Stderr, r.Stdout)
	}
	if took < 450*time.Millisecond {
		t.Fatalf("50 messages at 100/s took %v", took)
	}
	t.Logf("50 messages at --throughput 100: %v", took)
}
