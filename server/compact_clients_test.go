package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Real clients on compacted topics: kafka-python, kcat and kgo produce
// keyed records (several versions per key, some tombstones) to a topic
// with cleanup.policy=compact, segment.ms=100, min.cleanable.dirty.ratio
// 0.01 and a short delete.retention.ms. Filler records (one key, written
// by kgo) roll the active segment, which wakes the cleaner. Each client
// then reads the topic from the beginning and must see exactly the last
// record of every key at the offset it was written at, tombstones
// included; once delete.retention.ms has passed, the tombstones are gone.
// A keyless record is refused with Kafka's INVALID_RECORD, each client
// reporting it its own way.

// kv is one record of the workload; a nil value is a tombstone.
type kv struct {
	Offset int64   `json:"o"`
	Key    string  `json:"k"`
	Value  *string `json:"v"`
}

func (r kv) String() string {
	v := "<null>"
	if r.Value != nil {
		v = *r.Value
	}
	return fmt.Sprintf("%d:%s=%s", r.Offset, r.Key, v)
}

const fillerKey = "~filler"

// compactWorkload is versions records for each of keys keys, interleaved,
// then a tombstone for each of the first tombstones keys; record i is
// written at offset i.
func compactWorkload(keys, versions, tombstones int) []kv {
	var out []kv
	for i := range keys * versions {
		v := "v" + strconv.Itoa(i)
		out = append(out, kv{Offset: int64(i), Key: "k" + strconv.Itoa(i%keys), Value: &v})
	}
	for k := range tombstones {
		out = append(out, kv{Offset: int64(len(out)), Key: "k" + strconv.Itoa(k)})
	}
	return out
}

// compactedView is what a from-beginning read of a cleaned log holds of
// recs: the last record of every key, in offset order; without
// tombstones once they are due.
func compactedView(recs []kv, tombstones bool) []kv {
	last := map[string]kv{}
	for _, r := range recs {
		last[r.Key] = r
	}
	var out []kv
	for _, r := range last {
		if r.Value != nil || tombstones {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b kv) int { return int(a.Offset - b.Offset) })
	return out
}

// withoutFiller drops the filler records.
func withoutFiller(recs []kv) []kv {
	return slices.DeleteFunc(slices.Clone(recs), func(r kv) bool { return r.Key == fillerKey })
}

func sameView(a, b []kv) bool {
	return slices.EqualFunc(a, b, func(x, y kv) bool { return x.String() == y.String() })
}

// kgoReadAll reads a partition from the beginning to its end with kgo.
func kgoReadAll(t *testing.T, addr, topic string) []kv {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	end, _ := ends.Lookup(topic, 0)
	var out []kv
	for next := int64(-1); next+1 < end.Offset; {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("reading %s: %v", topic, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			var v *string
			if r.Value != nil {
				s := string(r.Value)
				v = &s
			}
			out = append(out, kv{Offset: r.Offset, Key: string(r.Key), Value: v})
			next = r.Offset
		})
	}
	return out
}

// produceFiller writes one filler record with kgo: it rolls the active
// segment (older than segment.ms) and so wakes the cleaner.
func produceFiller(t *testing.T, cl *kgo.Client, topic string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Key: []byte(fillerKey), Value: []byte("f")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// awaitView produces fillers until kgo reads want (fillers aside), within
// a bound.
func awaitView(t *testing.T, cl *kgo.Client, addr, topic string, want []kv) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var got []kv
	for time.Now().Before(deadline) {
		produceFiller(t, cl, topic)
		if got = withoutFiller(kgoReadAll(t, addr, topic)); sameView(got, want) {
			return
		}
		time.Sleep(150 * time.Millisecond) // past segment.ms, so the next filler rolls
	}
	t.Fatalf("%s never became %v; last read %v", topic, want, got)
}

// compactClient is one client under test.
type compactClient struct {
	name    string
	produce func(t *testing.T, addr, topic string, recs []kv)
	read    func(t *testing.T, addr, topic string) []kv
	// keyless produces a record without a key and returns how the client
	// reported the refusal.
	keyless func(t *testing.T, addr, topic string) string
	// refused is what keyless must contain.
	refused string
}

func TestCompactedTopicRealClients(t *testing.T) {
	s := startServer(t, "log.cleaner.backoff.ms", "100")
	addr := s.Addr().String()
	adm := newAdmin(t, s)
	filler := newClient(t, s)
	clients := []compactClient{kgoCompactClient()}
	if kcat, err := exec.LookPath("kcat"); err == nil {
		clients = append(clients, kcatCompactClient(kcat))
	} else {
		t.Log("kcat not installed: skipped")
	}
	if pythonHas("kafka") {
		clients = append(clients, pythonCompactClient())
	} else {
		t.Log("kafka-python not installed: skipped")
	}
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			topic := "compacted-" + c.name
			resp, err := adm.CreateTopic(testCtx(t), 1, 1, map[string]*string{
				"cleanup.policy": sp("compact"), "segment.ms": sp("100"),
				"min.cleanable.dirty.ratio": sp("0.01"), "delete.retention.ms": sp("5000"),
			}, topic)
			if err != nil || resp.Err != nil {
				t.Fatalf("create: %v %v", err, resp.Err)
			}
			recs := compactWorkload(10, 5, 3)
			c.produce(t, addr, topic, recs)
			if got := kgoReadAll(t, addr, topic); !sameView(got, recs) {
				t.Fatalf("before cleaning, read %v\nwant %v", got, recs)
			}
			began := time.Now()
			withTombstones := compactedView(recs, true)
			awaitView(t, filler, addr, topic, withTombstones)
			if got := withoutFiller(c.read(t, addr, topic)); !sameView(got, withTombstones) {
				t.Fatalf("%s read after cleaning %v\nwant %v", c.name, got, withTombstones)
			}
			t.Logf("compacted view after %v", time.Since(began).Round(time.Millisecond))
			live := compactedView(recs, false)
			awaitView(t, filler, addr, topic, live)
			if got := withoutFiller(c.read(t, addr, topic)); !sameView(got, live) {
				t.Fatalf("%s read after delete.retention.ms %v\nwant %v", c.name, got, live)
			}
			t.Logf("tombstones gone after %v", time.Since(began).Round(time.Millisecond))
			if got := c.keyless(t, addr, topic); !strings.Contains(got, c.refused) {
				t.Fatalf("keyless produce reported %q, want it to contain %q", got, c.refused)
			}
		})
	}
}

func kgoCompactClient() compactClient {
	return compactClient{
		name: "kgo",
		produce: func(t *testing.T, addr, topic string, recs []kv) {
			cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic))
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			var rs []*kgo.Record
			for _, r := range recs {
				rec := &kgo.Record{Key: []byte(r.Key)}
				if r.Value != nil {
					rec.Value = []byte(*r.Value)
				}
				rs = append(rs, rec)
			}
			if err := cl.ProduceSync(context.Background(), rs...).FirstErr(); err != nil {
				t.Fatal(err)
			}
		},
		read: kgoReadAll,
		keyless: func(t *testing.T, addr, topic string) string {
			cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic))
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			err = cl.ProduceSync(context.Background(), &kgo.Record{Value: []byte("x")}).FirstErr()
			if !errors.Is(err, kerr.InvalidRecord) {
				t.Errorf("kgo keyless: %v, want INVALID_RECORD", err)
			}
			return fmt.Sprint(err)
		},
		refused: "INVALID_RECORD",
	}
}

func kcatCompactClient(kcat string) compactClient {
	return compactClient{
		name: "kcat",
		produce: func(t *testing.T, addr, topic string, recs []kv) {
			var in strings.Builder
			for _, r := range recs {
				v := ""
				if r.Value != nil {
					v = *r.Value
				}
				in.WriteString(r.Key + ":" + v + "\n")
			}
			// -Z: an empty value is a null one (a tombstone); gzip: the
			// cleaner keeps the batches' codec.
			runTool(t, in.String(), kcat, "-b", addr, "-t", topic, "-p", "0", "-P", "-K:", "-Z", "-z", "gzip")
		},
		read: func(t *testing.T, addr, topic string) []kv {
			out := runTool(t, "", kcat, "-b", addr, "-t", topic, "-p", "0", "-C", "-o", "beginning", "-e", "-Z", "-f", "%o\t%k\t%s\n")
			var recs []kv
			for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				f := strings.Split(line, "\t")
				if len(f) != 3 {
					t.Fatalf("kcat line %q", line)
				}
				o, _ := strconv.ParseInt(f[0], 10, 64)
				r := kv{Offset: o, Key: f[1]}
				if f[2] != "NULL" {
					r.Value = &f[2]
				}
				recs = append(recs, r)
			}
			return recs
		},
		keyless: func(t *testing.T, addr, topic string) string {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, kcat, "-b", addr, "-t", topic, "-p", "0", "-P", "-X", "message.send.max.retries=0")
			cmd.Stdin = strings.NewReader("no key\n")
			out, _ := cmd.CombinedOutput()
			return string(out)
		},
		refused: "Broker: Broker failed to validate record", // librdkafka's text for INVALID_RECORD
	}
}

// pythonHas reports whether the system python has the modules.
func pythonHas(modules ...string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return exec.CommandContext(ctx, python, "-c", "import "+strings.Join(modules, ", ")).Run() == nil
}

const pythonCompactProduce = `
import sys, json
from kafka import KafkaProducer
addr, topic = sys.argv[1], sys.argv[2]
p = KafkaProducer(bootstrap_servers=addr, max_in_flight_requests_per_connection=1)
for line in sys.stdin:
    r = json.loads(line)
    v = r["v"]
    p.send(topic, key=r["k"].encode(), value=None if v is None else v.encode(), partition=0)
p.flush()
p.close()
`

const pythonCompactRead = `
import sys, json
from kafka import KafkaConsumer, TopicPartition
addr, topic = sys.argv[1], sys.argv[2]
tp = TopicPartition(topic, 0)
c = KafkaConsumer(bootstrap_servers=addr, group_id=None, enable_auto_commit=False)
c.assign([tp])
c.seek_to_beginning(tp)
end = c.end_offsets([tp])[tp]
while c.position(tp) < end:
    for recs in c.poll(timeout_ms=1000).values():
        for m in recs:
            print(json.dumps({"o": m.offset, "k": m.key.decode(), "v": None if m.value is None else m.value.decode()}))
c.close()
`

const pythonCompactKeyless = `
import sys
from kafka import KafkaProducer
addr, topic = sys.argv[1], sys.argv[2]
p = KafkaProducer(bootstrap_servers=addr, retries=0)
try:
    p.send(topic, value=b"no key", partition=0).get(timeout=30)
    print("accepted")
except Exception as e:
    print(type(e).__name__, e)
p.close()
`

func pythonCompactClient() compactClient {
	return compactClient{
		name: "kafka-python",
		produce: func(t *testing.T, addr, topic string, recs []kv) {
			var in strings.Builder
			for _, r := range recs {
				b, _ := json.Marshal(r)
				in.Write(append(b, '\n'))
			}
			runTool(t, in.String(), python, "-c", pythonCompactProduce, addr, topic)
		},
		read: func(t *testing.T, addr, topic string) []kv {
			out := runTool(t, "", python, "-c", pythonCompactRead, addr, topic)
			var recs []kv
			for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				var r kv
				if err := json.Unmarshal([]byte(line), &r); err != nil {
					t.Fatalf("kafka-python line %q: %v", line, err)
				}
				recs = append(recs, r)
			}
			return recs
		},
		keyless: func(t *testing.T, addr, topic string) string {
			return runTool(t, "", python, "-c", pythonCompactKeyless, addr, topic)
		},
		// kafka-python 2.0 predates error code 87 (INVALID_RECORD): it
		// reports the code it does not know as UnknownError.
		refused: "UnknownError",
	}
}
