package server

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stratabroker/strata/recordbatch"
)

// Real-client tests: kafka-python, kcat and confluent-kafka against an
// in-process server. CI installs the tools (make deps); a test skips only
// when its tool is absent.

const python = "/usr/bin/python3"

func needPython(t *testing.T, modules ...string) {
	t.Helper()
	if _, err := os.Stat(python); err != nil {
		t.Skip("no " + python)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, python, "-c", "import "+strings.Join(modules, ", ")).CombinedOutput(); err != nil {
		t.Skipf("python modules %v missing: %s", modules, out)
	}
}

func needKcat(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("kcat not installed")
	}
	return p
}

// runTool runs a command with a deadline and returns its stdout; a failure
// fails the test with its stderr.
func runTool(t *testing.T, stdin string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(name), strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// storedCodecs returns the codec of every batch in a partition's segment
// files.
func storedCodecs(t *testing.T, s *Server, topicName string, p int32) []recordbatch.Codec {
	t.Helper()
	dir := filepath.Join(s.dataDir, topicName+"-"+string(rune('0'+p)))
	logs, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("no segments in %s: %v", dir, err)
	}
	var out []recordbatch.Codec
	for _, path := range logs {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		// An active segment may be preallocated: zeros after the last batch.
		for len(b) > 0 && !allZero(b) {
			n, err := recordbatch.BatchSize(b)
			if err != nil || n > len(b) {
				t.Fatalf("%s: bad batch: %v", path, err)
			}
			out = append(out, recordbatch.Header(b[:n]).Codec())
			b = b[n:]
		}
	}
	return out
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func TestKafkaPython(t *testing.T) {
	needPython(t, "kafka", "snappy", "lz4")
	s := startServer(t)
	addr := s.Addr().String()
	script := `
import sys
from kafka import KafkaProducer, KafkaConsumer
addr, topic, codec, repeat = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
p = KafkaProducer(bootstrap_servers=addr, compression_type=None if codec == "none" else codec)
p.send(topic=topic, value=b'Hello, Kafka!' * repeat)
p.flush()
p.close()
c = KafkaConsumer(topic, bootstrap_servers=addr, auto_offset_reset='earliest', group_id=None, consumer_timeout_ms=10000)
for m in c:
    print(m.offset, m.value.decode()[:13], len(m.value))
    break
c.close()
`
	for _, codec := range []string{"none", "gzip", "snappy", "lz4"} {
		t.Run(codec, func(t *testing.T) {
			// The snippet, uncompressed; a compressible value with a
			// codec (kafka-python sends a batch uncompressed when
			// compression does not shrink it).
			topicName, repeat := "test", 1
			if codec != "none" {
				topicName, repeat = "test-"+codec, 100
			}
			out := runTool(t, "", python, "-c", script, addr, topicName, codec, strconv.Itoa(repeat))
			if out != "0 Hello, Kafka! "+strconv.Itoa(13*repeat)+"\n" {
				t.Fatalf("kafka-python read %q", out)
			}
			want := map[string]recordbatch.Codec{"none": recordbatch.CodecNone, "gzip": recordbatch.CodecGzip, "snappy": recordbatch.CodecSnappy, "lz4": recordbatch.CodecLZ4}[codec]
			if got := storedCodecs(t, s, topicName, 0); len(got) != 1 || got[0] != want {
				t.Fatalf("stored codecs %v, want [%v]", got, want)
			}
		})
	}
}

func TestKcat(t *testing.T) {
	kcat := needKcat(t)
	s := startServer(t)
	addr := s.Addr().String()
	for _, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		t.Run(codec, func(t *testing.T) {
			topicName := "kcat-" + codec
			var in strings.Builder
			for i := range 50 {
				// Compressible values: librdkafka sends a batch uncompressed
				// when the codec does not shrink it.
				in.WriteString("key" + string(rune('a'+i%26)) + ":value-" + itoa(i) + strings.Repeat("-pad", 50) + "\n")
			}
			runTool(t, in.String(), kcat, "-b", addr, "-t", topicName, "-P", "-K:", "-z", codec)
			out := runTool(t, "", kcat, "-b", addr, "-t", topicName, "-C", "-o", "beginning", "-e", "-f", "%k=%s@%o\n")
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(lines) != 50 {
				t.Fatalf("consumed %d lines: %q", len(lines), out)
			}
			for i, l := range lines {
				if want := "key" + string(rune('a'+i%26)) + "=value-" + itoa(i) + strings.Repeat("-pad", 50) + "@" + itoa(i); l != want {
					t.Fatalf("line %d: %q, want %q", i, l, want)
				}
			}
			if out := runTool(t, "", kcat, "-b", addr, "-t", topicName, "-C", "-o", "-3", "-e", "-f", "%o\n"); out != "47\n48\n49\n" {
				t.Fatalf("-o -3: %q", out)
			}
			if out := runTool(t, "", kcat, "-b", addr, "-t", topicName, "-C", "-o", "end", "-e", "-f", "%s\n"); out != "" {
				t.Fatalf("-o end: %q", out)
			}
			want := map[string]recordbatch.Codec{"none": recordbatch.CodecNone, "gzip": recordbatch.CodecGzip, "snappy": recordbatch.CodecSnappy, "lz4": recordbatch.CodecLZ4, "zstd": recordbatch.CodecZstd}[codec]
			for i, c := range storedCodecs(t, s, topicName, 0) {
				if c != want {
					t.Fatalf("batch %d stored with %v, want %v", i, c, want)
				}
			}
		})
	}
	meta := runTool(t, "", kcat, "-b", addr, "-L")
	for _, want := range []string{"1 brokers:", "broker 1 at " + addr, `topic "kcat-gzip" with 1 partitions`} {
		if !strings.Contains(meta, want) {
			t.Fatalf("kcat -L lacks %q:\n%s", want, meta)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestConfluentKafka(t *testing.T) {
	needPython(t, "confluent_kafka")
	s := startServer(t)
	script := `
import sys, time
from confluent_kafka import Producer, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic, NewPartitions, ConfigResource
addr = sys.argv[1]
a = AdminClient({'bootstrap.servers': addr})
for f in a.create_topics([NewTopic('ck', num_partitions=2, replication_factor=1, config={'retention.ms': '86400000'})]).values():
    f.result()
assert 'ck' in a.list_topics(timeout=10).topics
for f in a.create_partitions([NewPartitions('ck', 3)]).values():
    f.result()
assert len(a.list_topics(timeout=10).topics['ck'].partitions) == 3
for f in a.describe_configs([ConfigResource('topic', 'ck')]).values():
    cfg = f.result()
    assert cfg['retention.ms'].value == '86400000', cfg['retention.ms']
    assert cfg['cleanup.policy'].value == 'delete'
total = 0
for codec in ['none', 'gzip', 'snappy', 'lz4', 'zstd']:
    topic = 'ck-' + codec
    p = Producer({'bootstrap.servers': addr, 'compression.codec': codec, 'enable.idempotence': True, 'linger.ms': 5})
    errors = []
    def cb(err, msg):
        if err: errors.append(err)
    for i in range(10000):
        p.produce(topic, key=str(i % 10).encode(), value=('%s-%d' % (codec, i)).encode(), timestamp=1700000000000 + i, on_delivery=cb)
        if i % 1000 == 0: p.poll(0)
    assert p.flush(30) == 0
    assert not errors, errors
    c = Consumer({'bootstrap.servers': addr, 'group.id': 'unused', 'enable.auto.commit': False})
    c.assign([TopicPartition(topic, 0, 0)])
    got = []
    deadline = time.time() + 60
    while len(got) < 10000 and time.time() < deadline:
        for m in c.consume(1000, 1.0):
            assert not m.error(), m.error()
            got.append(m.value().decode())
    assert got == ['%s-%d' % (codec, i) for i in range(10000)], (codec, len(got))
    lo, hi = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    assert (lo, hi) == (0, 10000), (lo, hi)
    off = c.offsets_for_times([TopicPartition(topic, 0, 1700000000000 + 1234)], timeout=10)
    assert off[0].offset == 1234, off
    c.close()
    total += len(got)
for f in a.delete_topics(['ck']).values():
    f.result()
assert 'ck' not in a.list_topics(timeout=10).topics
print(total)
`
	if out := runTool(t, "", python, "-c", script, s.Addr().String()); out != "50000\n" {
		t.Fatalf("confluent-kafka script printed %q", out)
	}
}
