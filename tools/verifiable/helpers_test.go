package verifiable

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/stratabroker/strata/tools/cli"
	"github.com/stratabroker/strata/tools/tooltest"
)

var dispatch tooltest.Dispatch = cli.Dispatcher(Commands)

// fixedClock is a clock stopped at 1000 ms since the epoch, so that every
// event's timestamp is known.
func fixedClock() time.Time { return time.UnixMilli(1000) }

func run(t *testing.T, e *cli.Env, args ...string) tooltest.Result {
	t.Helper()
	if e == nil {
		e = &cli.Env{}
	}
	return tooltest.Run(t, dispatch, e, args...)
}

// createTopic creates topic with n partitions on tg.
func createTopic(t *testing.T, tg tooltest.Target, topic string, n int32) {
	t.Helper()
	adm := kadm.NewClient(tooltest.Client(t, tg.Addr))
	resp, err := adm.CreateTopic(tooltest.Ctx(t), n, 1, nil, topic)
	if err != nil || resp.Err != nil {
		t.Fatalf("create %s: %v %v", topic, err, resp.Err)
	}
}

// endOffsets returns topic's end offset per partition.
func endOffsets(t *testing.T, tg tooltest.Target, topic string) map[int32]int64 {
	t.Helper()
	adm := kadm.NewClient(tooltest.Client(t, tg.Addr))
	lo, err := adm.ListEndOffsets(tooltest.Ctx(t), topic)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	lo.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			t.Fatalf("end offset %s-%d: %v", o.Topic, o.Partition, o.Err)
		}
		out[o.Partition] = o.Offset
	})
	return out
}

// event is one parsed line: its keys in order and its values.
type event struct {
	keys []string
	m    map[string]any
	line string
}

func (ev event) name() string { return ev.m["name"].(string) }

func (ev event) num(k string) int64 {
	f, ok := ev.m[k].(json.Number)
	if !ok {
		panic(fmt.Sprintf("%s: %q is not a number in %s", ev.name(), k, ev.line))
	}
	n, err := f.Int64()
	if err != nil {
		panic(err)
	}
	return n
}

// objKeys reads one JSON object from dec, returning its keys in order and
// its values (numbers as json.Number, nested objects as map[string]any
// with their key order under "\x00keys").
func objKeys(dec *json.Decoder) ([]string, map[string]any, error) {
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, fmt.Errorf("want an object, got %v %v", tok, err)
	}
	var keys []string
	m := map[string]any{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		k := tok.(string)
		keys = append(keys, k)
		v, err := value(dec)
		if err != nil {
			return nil, nil, err
		}
		m[k] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, err
	}
	m["\x00keys"] = keys
	return keys, m, nil
}

func value(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		return nil, fmt.Errorf("nested object where a value was expected")
	case json.Delim('['):
		var list []any
		for dec.More() {
			_, m, err := objKeys(dec)
			if err != nil {
				return nil, err
			}
			list = append(list, m)
		}
		_, err := dec.Token()
		return list, err
	}
	return tok, nil
}

// parse checks every line of out is one JSON object and returns them.
func parse(t *testing.T, out string) []event {
	t.Helper()
	var evs []event
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		dec := json.NewDecoder(strings.NewReader(line))
		dec.UseNumber()
		// An array value's objects are read through objKeys: rewind the
		// outer object by hand.
		keys, m, err := objKeys(dec)
		if err != nil || dec.More() {
			t.Fatalf("not one JSON object: %q: %v", line, err)
		}
		evs = append(evs, event{keys: keys, m: m, line: line})
	}
	return evs
}

// wantKeys are the keys of each event, in Kafka's order.
var wantKeys = map[string]string{
	"startup_complete":      "timestamp name",
	"shutdown_complete":     "timestamp name",
	"producer_send_success": "timestamp name key value topic partition offset",
	"producer_send_error":   "timestamp name topic key value exception message",
	"tool_data":             "timestamp name sent acked target_throughput avg_throughput",
	"partitions_assigned":   "timestamp name partitions",
	"partitions_revoked":    "timestamp name partitions",
	"records_consumed":      "timestamp name count partitions",
	"record_data":           "timestamp name key value topic partition offset",
	"offsets_committed":     "timestamp name offsets success",
}

// checkKeys checks each event has exactly Kafka's fields in Kafka's order,
// nested ones too.
func checkKeys(t *testing.T, evs []event) {
	t.Helper()
	nested := map[string]string{
		"partitions_assigned": "topic partition",
		"partitions_revoked":  "topic partition",
		"records_consumed":    "topic partition count minOffset maxOffset",
		"offsets_committed":   "topic partition offset",
	}
	for _, ev := range evs {
		want, ok := wantKeys[ev.name()]
		if ev.name() == "offsets_committed" && ev.m["success"] == false {
			want = "timestamp name offsets error success"
		}
		if got := strings.Join(ev.keys, " "); !ok || got != want {
			t.Fatalf("%s keys %q, want %q: %s", ev.name(), got, want, ev.line)
		}
		if n, ok := nested[ev.name()]; ok {
			field := "partitions"
			if ev.name() == "offsets_committed" {
				field = "offsets"
			}
			list, _ := ev.m[field].([]any)
			for _, it := range list {
				if got := strings.Join(it.(map[string]any)["\x00keys"].([]string), " "); got != n {
					t.Fatalf("%s %s keys %q, want %q: %s", ev.name(), field, got, n, ev.line)
				}
			}
		}
	}
}

// lines is a stdout that hands each complete line to a channel, for tests
// that act on events while the tool runs.
type lines struct {
	mu  sync.Mutex
	buf bytes.Buffer
	ch  chan string
}

func newLines() *lines { return &lines{ch: make(chan string, 10000)} }

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	for {
		i := bytes.IndexByte(l.buf.Bytes(), '\n')
		if i < 0 {
			return len(p), nil
		}
		l.ch <- string(l.buf.Next(i + 1))
	}
}

// next returns the next line, failing the test after a while.
func (l *lines) next(t *testing.T, who string) event {
	t.Helper()
	select {
	case line := <-l.ch:
		return parse(t, line)[0]
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: no event within 30s", who)
	}
	return event{}
}

// started runs a tool in the background with stdout in a lines and a
// signal channel; wait returns its exit code.
type started struct {
	out     *lines
	stderr  *lines
	signals chan os.Signal
	done    chan int
}

func start(t *testing.T, args ...string) *started {
	s := &started{out: newLines(), stderr: newLines(), signals: make(chan os.Signal, 1), done: make(chan int, 1)}
	e := &cli.Env{Stdout: s.out, Stderr: s.stderr, Signals: s.signals, ReachTimeout: 3 * time.Second, OpTimeout: 20 * time.Second}
	go func() { s.done <- dispatch(args, e) }()
	t.Cleanup(func() {
		select {
		case s.signals <- os.Interrupt:
		default:
		}
		select {
		case <-s.done:
		case <-time.After(60 * time.Second):
			t.Errorf("%s did not stop", args[0])
		}
	})
	return s
}

func (s *started) stop(t *testing.T) int {
	t.Helper()
	s.signals <- os.Interrupt
	select {
	case code := <-s.done:
		s.done <- code // for the cleanup
		return code
	case <-time.After(60 * time.Second):
		t.Fatal("tool did not stop on a signal")
	}
	return -1
}
