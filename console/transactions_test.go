package console

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/tools/tooltest"
)

// txnClient is a transactional producer of topic with timeout d (0: kgo's).
func (s *site) txnClient(id, topic string, d time.Duration) *kgo.Client {
	opts := []kgo.Opt{kgo.TransactionalID(id), kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.ManualPartitioner())}
	if d > 0 {
		opts = append(opts, kgo.TransactionTimeout(d))
	}
	return tooltest.Client(s.t, s.tg.Addr, opts...)
}

func (s *site) inTxn(cl *kgo.Client, partition int32, values ...string) {
	s.t.Helper()
	if err := cl.BeginTransaction(); err != nil {
		s.t.Fatal(err)
	}
	for _, v := range values {
		if err := cl.ProduceSync(tooltest.Ctx(s.t), &kgo.Record{Partition: partition, Value: []byte(v)}).FirstErr(); err != nil {
			s.t.Fatal(err)
		}
	}
}

// TestTransactionsPage: the nav links the page when the cluster serves
// ListTransactions; the page lists each transaction with its state,
// producer, partitions and age, and the partitions an open transaction
// holds with their LSO lag.
func TestTransactionsPage(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		s := startSite(t, tg)
		s.createTopic("orders", 2, nil)
		done := s.txnClient("tx-done", "orders", 0)
		s.inTxn(done, 1, "a")
		if err := done.EndTransaction(tooltest.Ctx(t), kgo.TryCommit); err != nil {
			t.Fatal(err)
		}
		open := s.txnClient("tx-open", "orders", 0)
		s.inTxn(open, 0, "b", "c")
		body := s.ok("/transactions")
		if !strings.Contains(body, `<a href="/transactions" class="on" aria-current="page">Transactions</a>`) {
			t.Errorf("nav entry:\n%s", body[:min(len(body), 2000)])
		}
		rows := table(t, body, "transactions")
		openPID, _, _ := open.ProducerID(tooltest.Ctx(t))
		donePID, _, _ := done.ProducerID(tooltest.Ctx(t))
		coord := map[string]string{"strata": "1", "kfake": "0"}[tg.Name]
		doneState := map[string]string{"strata": "CompleteCommit | " + itoa(donePID) + " | 0", "kfake": "Empty | " + itoa(donePID) + " | 1"}[tg.Name]
		if len(rows) != 3 || rows[0] != "Transactional ID | State | Producer ID | Epoch | Partitions | Age | Timeout | Coordinator | Hanging" ||
			rows[1] != "tx-done | "+doneState+" |  |  | 40s | "+coord+" |" ||
			!strings.HasPrefix(rows[2], "tx-open | Ongoing | "+itoa(openPID)+" | 0 | orders-0 | ") || !strings.HasSuffix(rows[2], " | 40s | "+coord+" |") {
			t.Errorf("transactions:\n%s", strings.Join(rows, "\n"))
		}
		held := table(t, body, "held")
		if len(held) != 2 || !strings.HasPrefix(held[1], "orders | 0 | 0 | 2 | 2 | "+itoa(openPID)+" | 0 | 0 | ") || !strings.HasSuffix(held[1], " | tx-open |") {
			t.Errorf("held partitions:\n%s", strings.Join(held, "\n"))
		}
		if err := open.EndTransaction(tooltest.Ctx(t), kgo.TryAbort); err != nil {
			t.Fatal(err)
		}
	})
}

// TestTransactionsPageHanging (Strata): a transaction open longer than its
// timeout is flagged (the coordinator's abort check is an hour away), and
// so is a partition whose LSO a batch holds that its transaction never
// added (verification off, as before KIP-890), open for 20 minutes.
func TestTransactionsPageHanging(t *testing.T) {
	tg := tooltest.StartStrata(t, "transaction.partition.verification.enable", "false",
		"transaction.abort.timed.out.transaction.cleanup.interval.ms", "3600000")
	s := startSite(t, tg)
	s.createTopic("orders", 2, nil)
	slow := s.txnClient("tx-slow", "orders", time.Second)
	s.inTxn(slow, 0, "a")
	pid, epoch, err := slow.ProducerID(tooltest.Ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	// A stray batch of the same producer in orders-1, 20 minutes old.
	b := recordbatch.NewBuilder()
	b.ProducerID, b.ProducerEpoch, b.BaseSequence, b.Transactional = pid, epoch, 0, true
	b.Add(&recordbatch.Record{Timestamp: time.Now().Add(-20 * time.Minute).UnixMilli(), Value: []byte("stray")})
	batch, err := b.AppendTo(nil)
	if err != nil {
		t.Fatal(err)
	}
	tds, err := s.adm.ListTopics(tooltest.Ctx(t), "orders")
	if err != nil {
		t.Fatal(err)
	}
	req := kmsg.NewPtrProduceRequest()
	req.TransactionID, req.Acks, req.TimeoutMillis = kmsg.StringPtr("tx-slow"), -1, 5000
	req.Topics = []kmsg.ProduceRequestTopic{{Topic: "orders", TopicID: tds["orders"].ID,
		Partitions: []kmsg.ProduceRequestTopicPartition{{Partition: 1, Records: batch}}}}
	if resp, err := req.RequestWith(tooltest.Ctx(t), slow); err != nil || resp.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Fatalf("stray produce: %v %+v", err, resp)
	}
	var body string
	for range 100 { // until the transaction is older than its 1 s timeout
		body = s.ok("/transactions")
		if rows := table(t, body, "transactions"); len(rows) == 2 && strings.Contains(rows[1], "hanging open ") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	rows := table(t, body, "transactions")
	p := itoa(pid)
	if want := regexp.MustCompile(`^tx-slow \| Ongoing \| ` + p + ` \| 0 \| orders-0 \| ([0-9]+)s \| 1s \| 1 \| hanging open ([0-9]+)s, longer than its timeout \(1s\)$`); len(rows) != 2 || !want.MatchString(rows[1]) {
		t.Errorf("transactions:\n%s", strings.Join(rows, "\n"))
	}
	held := table(t, body, "held")
	want0 := regexp.MustCompile(`^orders \| 0 \| 0 \| 1 \| 1 \| ` + p + ` \| 0 \| 0 \| [0-9]+s \| tx-slow \| hanging LSO held [0-9]+s, longer than the transaction's timeout \(1s\)$`)
	want1 := regexp.MustCompile(`^orders \| 1 \| 0 \| 1 \| 1 \| ` + p + ` \| 0 \| 0 \| 20m0[0-9]s \|  \| hanging LSO held 20m0[0-9]s by a transaction no coordinator lists for this partition$`)
	if len(held) != 3 || !want0.MatchString(held[1]) || !want1.MatchString(held[2]) {
		t.Errorf("held partitions:\n%s", strings.Join(held, "\n"))
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
