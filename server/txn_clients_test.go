package server

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
)

// Real transactional clients: confluent-kafka (librdkafka), kafkajs,
// sarama (txn_sarama_test.go).

func TestTxnConfluentKafka(t *testing.T) { confluentTxn(t, false) }

// TestTxnConfluentKafkaTV2: with transaction.version 2 finalized,
// confluent-kafka 2.0.2 (EndTxn up to v3, AddPartitionsToTxn and
// AddOffsetsToTxn sent) works as before, as Kafka lets it.
func TestTxnConfluentKafkaTV2(t *testing.T) { confluentTxn(t, true) }

func confluentTxn(t *testing.T, tv2 bool) {
	needPython(t, "confluent_kafka")
	s := startServer(t, "group.initial.rebalance.delay.ms", "0")
	if tv2 {
		finalizeTV2(t, s)
	}
	script := `
import sys, time
from confluent_kafka import Producer, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
addr = sys.argv[1]
a = AdminClient({'bootstrap.servers': addr})
for f in a.create_topics([NewTopic(n, num_partitions=2, replication_factor=1) for n in ['ct', 'ctp-in', 'ctp-out']]).values():
    f.result()

def read(topic, level, want):
    c = Consumer({'bootstrap.servers': addr, 'group.id': 'reader-' + level + topic, 'isolation.level': level,
                  'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
    c.subscribe([topic])
    got = []
    deadline = time.time() + 60
    while len(got) < want and time.time() < deadline:
        for m in c.consume(500, 0.5):
            assert not m.error(), m.error()
            got.append(m.value().decode())
    # nothing more within a second
    for m in c.consume(500, 1.0):
        got.append(m.value().decode())
    c.close()
    return sorted(got)

# 1. commit and abort.
p = Producer({'bootstrap.servers': addr, 'transactional.id': 'ck-txn'})
p.init_transactions(30)
p.begin_transaction()
for i in range(100):
    p.produce('ct', value=('c-%03d' % i).encode(), partition=i % 2)
p.commit_transaction(30)
p.begin_transaction()
for i in range(50):
    p.produce('ct', value=('a-%03d' % i).encode(), partition=i % 2)
p.flush(30)
p.abort_transaction(30)
assert read('ct', 'read_committed', 100) == ['c-%03d' % i for i in range(100)]
assert len(read('ct', 'read_uncommitted', 150)) == 150

# 2. consume-transform-produce with send_offsets_to_transaction.
src = Producer({'bootstrap.servers': addr})
for i in range(200):
    src.produce('ctp-in', value=('in-%03d' % i).encode(), partition=i % 2)
assert src.flush(30) == 0
c = Consumer({'bootstrap.servers': addr, 'group.id': 'ctp', 'isolation.level': 'read_committed',
              'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
c.subscribe(['ctp-in'])
tp = Producer({'bootstrap.servers': addr, 'transactional.id': 'ctp-txn'})
tp.init_transactions(30)
done = 0
deadline = time.time() + 60
while done < 200 and time.time() < deadline:
    msgs = c.consume(50, 0.5)
    if not msgs:
        continue
    tp.begin_transaction()
    for m in msgs:
        assert not m.error(), m.error()
        tp.produce('ctp-out', value=m.value().decode().replace('in', 'out').encode(), partition=m.partition())
    tp.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 30)
    tp.commit_transaction(30)
    done += len(msgs)
assert done == 200, done
committed = c.committed([TopicPartition('ctp-in', 0), TopicPartition('ctp-in', 1)], timeout=10)
assert [x.offset for x in committed] == [100, 100], committed
c.close()
assert read('ctp-out', 'read_committed', 200) == ['out-%03d' % i for i in range(200)]
print('ok')
`
	if out := runTool(t, "", python, "-c", script, s.Addr().String()); out != "ok\n" {
		t.Fatalf("confluent-kafka script printed %q", out)
	}
	d, err := kadm.NewClient(newClient(t, s)).DescribeTransactions(testCtx(t), "ck-txn", "ctp-txn")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"ck-txn", "ctp-txn"} {
		if st := d[id]; st.State != "CompleteAbort" && st.State != "CompleteCommit" || st.ProducerEpoch != 0 {
			t.Fatalf("%s: %s at epoch %d", id, st.State, st.ProducerEpoch)
		}
	}
}

// TestTxnKafkaJS: kafkajs 2.2.4 (server/testdata/kafkajs) transactional
// producer commits and aborts; its read_committed consumer sees the
// committed records only.
func TestTxnKafkaJS(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	dir := filepath.Join("testdata", "kafkajs")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "kafkajs")); err != nil {
		t.Skip("kafkajs not installed: npm ci --prefix server/testdata/kafkajs")
	}
	s := startServer(t, "group.initial.rebalance.delay.ms", "0")
	mustCreate(t, s, "kjs", 2)
	if out := runTool(t, "", node, filepath.Join(dir, "txn.js"), s.Addr().String()); out != "committed 40 read 40\n" {
		t.Fatalf("kafkajs printed %q", out)
	}
}
