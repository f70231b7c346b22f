package server

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Real group consumers: kafka-python and confluent-kafka (librdkafka)
// join, consume, commit, and a second consumer of the group resumes after
// the commits.

// TestGroupKafkaPython runs the user's snippets: a KafkaConsumer iterating
// messages, and subscribe() then poll() in a group, whose commits a second
// consumer resumes from.
func TestGroupKafkaPython(t *testing.T) {
	needPython(t, "kafka")
	s := startGroupServer(t)
	script := `
import sys, time
from kafka import KafkaProducer, KafkaConsumer
addr = sys.argv[1]
p = KafkaProducer(bootstrap_servers=addr)
for i in range(10):
    p.send('test', value=b'm%d' % i)
p.flush()
p.close()

consumer = KafkaConsumer('test', bootstrap_servers=addr, auto_offset_reset='earliest', enable_auto_commit=True)
n = 0
for message in consumer:
    n += 1
    if n == 10:
        break
consumer.close()
print(n)

def poll_n(c, n):
    got = []
    deadline = time.time() + 60
    while len(got) < n and time.time() < deadline:
        for tp, msgs in c.poll(timeout_ms=500, max_records=n - len(got)).items():
            got += [m.value.decode() for m in msgs]
    return got

c = KafkaConsumer(bootstrap_servers=addr, group_id='kp', auto_offset_reset='earliest', enable_auto_commit=True)
c.subscribe(topics=['test'])
print(' '.join(poll_n(c, 6)))
c.commit()
c.close()
c2 = KafkaConsumer(bootstrap_servers=addr, group_id='kp', auto_offset_reset='earliest', enable_auto_commit=True)
c2.subscribe(topics=['test'])
print(' '.join(poll_n(c2, 4)))
c2.close()
`
	out := runTool(t, "", python, "-c", script, s.Addr().String())
	if want := "10\nm0 m1 m2 m3 m4 m5\nm6 m7 m8 m9\n"; out != want {
		t.Fatalf("kafka-python printed %q, want %q", out, want)
	}
	adm := newAdmin(t, s)
	offs, err := adm.FetchOffsets(testCtx(t), "kp")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := offs.Lookup("test", 0); o.At != 10 {
		t.Fatalf("committed %d, want 10", o.At)
	}
}

// TestGroupConfluentKafka: librdkafka's group consumer.
func TestGroupConfluentKafka(t *testing.T) {
	needPython(t, "confluent_kafka")
	s := startGroupServer(t)
	script := `
import sys, time
from confluent_kafka import Producer, Consumer
addr = sys.argv[1]
p = Producer({'bootstrap.servers': addr})
for i in range(100):
    p.produce('ckg', value=('v%d' % i).encode(), partition=i % 2)
assert p.flush(30) == 0
from confluent_kafka.admin import AdminClient

def consume(n):
    c = Consumer({'bootstrap.servers': addr, 'group.id': 'ckg', 'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
    c.subscribe(['ckg'])
    got = []
    deadline = time.time() + 60
    while len(got) < n and time.time() < deadline:
        for m in c.consume(n - len(got), 1.0):
            assert not m.error(), m.error()
            got.append(m.value().decode())
    c.commit(asynchronous=False)
    c.close()
    return got

a = consume(100)
print(len(a), len(set(a)))
for i in range(100, 110):
    p.produce('ckg', value=('v%d' % i).encode(), partition=i % 2)
assert p.flush(30) == 0
print(' '.join(sorted(consume(10), key=lambda v: int(v[1:]))))
`
	if _, err := s.topics.Create("ckg", 2, nil, false); err != nil {
		t.Fatal(err)
	}
	out := runTool(t, "", python, "-c", script, s.Addr().String())
	var want strings.Builder
	want.WriteString("100 100\n")
	for i := 100; i < 110; i++ {
		if i > 100 {
			want.WriteString(" ")
		}
		want.WriteString("v" + itoa(i))
	}
	want.WriteString("\n")
	if out != want.String() {
		t.Fatalf("confluent-kafka printed %q, want %q", out, want.String())
	}
}

// TestGroupKafkaJS: kafkajs 2.2.4 (npm, server/testdata/kafkajs) consumes
// with eachMessage in a group and commits; a second run resumes after the
// commits.
func TestGroupKafkaJS(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	dir := filepath.Join("testdata", "kafkajs")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "kafkajs")); err != nil {
		t.Skip("kafkajs not installed: npm ci --prefix server/testdata/kafkajs")
	}
	s := startGroupServer(t)
	if _, err := s.topics.Create("js", 2, nil, false); err != nil {
		t.Fatal(err)
	}
	produceKeyed(t, s, "js", 30, 0)
	script := filepath.Join(dir, "group.js")
	out := runTool(t, "", node, script, s.Addr().String(), "js", "jsg", "30")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 30 {
		t.Fatalf("first run read %d messages: %q", len(lines), out)
	}
	produceKeyed(t, s, "js", 2, 30)
	out = runTool(t, "", node, script, s.Addr().String(), "js", "jsg", "2")
	if out != "v30\nv31\n" && out != "v31\nv30\n" {
		t.Fatalf("second run read %q, want v30 and v31", out)
	}
}
