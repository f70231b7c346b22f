package server

import (
	"fmt"
	"testing"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestTxnSarama: sarama's transactional producer commits and aborts; a
// read_committed reader sees the committed messages only.
func TestTxnSarama(t *testing.T) { saramaTxn(t, false) }

// TestTxnSaramaTV2: with transaction.version 2 finalized, sarama (which
// knows only EndTxn up to v4 and sends AddPartitionsToTxn) works as
// before, as Kafka lets it: its epoch is never bumped.
func TestTxnSaramaTV2(t *testing.T) { saramaTxn(t, true) }

func saramaTxn(t *testing.T, tv2 bool) {
	s := startServer(t)
	mustCreate(t, s, "sar", 2)
	if tv2 {
		finalizeTV2(t, s)
	}
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	cfg.Producer.Idempotent = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Return.Successes = true
	cfg.Producer.Transaction.ID = "sarama-txn"
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	cfg.Net.MaxOpenRequests = 1
	p, err := sarama.NewSyncProducer([]string{s.Addr().String()}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	send := func(prefix string, n int, commit bool) {
		t.Helper()
		if err := p.BeginTxn(); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			msg := &sarama.ProducerMessage{Topic: "sar", Partition: int32(i % 2), Value: sarama.StringEncoder(fmt.Sprintf("%s-%d", prefix, i))}
			if _, _, err := p.SendMessage(msg); err != nil {
				t.Fatal(err)
			}
		}
		if commit {
			err = p.CommitTxn()
		} else {
			err = p.AbortTxn()
		}
		if err != nil {
			t.Fatalf("end (commit %v): %v", commit, err)
		}
	}
	send("c", 20, true)
	send("a", 20, false)
	send("d", 20, true)
	got := readValues(t, s, "sar", kgo.ReadCommitted(), 40)
	for _, prefix := range []string{"c", "d"} {
		for i := range 20 {
			if v := fmt.Sprintf("%s-%d", prefix, i); got[v] != 1 {
				t.Fatalf("%s read %d times", v, got[v])
			}
		}
	}
	if len(got) != 40 {
		t.Fatalf("read_committed read %d values, want 40: %v", len(got), got)
	}
	d, err := kadm.NewClient(newClient(t, s)).DescribeTransactions(testCtx(t), "sarama-txn")
	if err != nil {
		t.Fatal(err)
	}
	if st := d["sarama-txn"]; st.State != "CompleteCommit" || st.ProducerEpoch != 0 {
		t.Fatalf("sarama-txn: %s at epoch %d", st.State, st.ProducerEpoch)
	}
}
