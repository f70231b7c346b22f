package transactions

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/tools/cli"
	"github.com/stratabroker/strata/tools/tooltest"
)

var dispatch = cli.Dispatcher(Commands)

// TestPrintTable: Kafka's ToolsUtils.prettyPrintTable, byte for byte:
// each cell padded to its column's widest in UTF-16 units, then a tab.
func TestPrintTable(t *testing.T) {
	var b bytes.Buffer
	printTable(&b, []string{"A", "Header"}, [][]string{{"wide-cell", "x"}, {"é😀", "yy"}})
	want := "A        \tHeader\t\nwide-cell\tx     \t\né😀      \tyy    \t\n"
	if b.String() != want {
		t.Fatalf("got\n%q\nwant\n%q", b.String(), want)
	}
}

// TestSplitArgs: global flags before the command, the command's after.
func TestSplitArgs(t *testing.T) {
	g, cmd, rest := splitArgs([]string{"--bootstrap-server", "list", "describe", "--transactional-id", "list"})
	if len(g) != 2 || cmd != "describe" || len(rest) != 2 || rest[1] != "list" {
		t.Fatalf("global %q, command %q, rest %q", g, cmd, rest)
	}
}

// openTxn leaves a transaction of txnID open with one record in t-0, and
// commits one of txnID+"-done"; it returns the open one's producer ID.
func openTxn(t *testing.T, addr, txnID string) {
	t.Helper()
	ctx := tooltest.Ctx(t)
	adm := kadm.NewClient(tooltest.Client(t, addr))
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "t"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{txnID + "-done", txnID} {
		cl := tooltest.Client(t, addr, kgo.TransactionalID(id), kgo.DefaultProduceTopic("t"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
		if err := cl.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(id)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
		if id != txnID {
			if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// advertisesTxns reports whether the target serves the transaction
// tools' APIs.
func advertisesTxns(t *testing.T, addr string) bool {
	ok, err := cli.Advertises(tooltest.Ctx(t), tooltest.Client(t, addr), kmsg.ListTransactions)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestTransactions(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		if !advertisesTxns(t, tg.Addr) {
			t.Skip(tg.Name + " does not serve ListTransactions")
		}
		openTxn(t, tg.Addr, "tx-open")
		tr := tooltest.NewTranscript(t, tg, dispatch)
		// describe's start time and duration, then every time in ms;
		// producer IDs (kfake's are random) with their column's padding.
		tr.Normalize(`(Ongoing +\t[0-9]+ +\t)1[0-9]{12} *\t[0-9]+ *\t`, "$1<start-ms>\t<duration-ms>\t")
		tr.Normalize(`\b1[0-9]{12} *\t`, "<ms>\t")
		tr.Normalize(`\b[0-9]{14,19} *\t`, "<pid>\t")
		tr.Normalize(`ProducerId *\t`, "ProducerId\t")
		tr.Run("", "transactions", "list")
		tr.Run("", "transactions", "list", "--duration-filter", "3600000")
		tr.Run("", "transactions", "list", "--transactional-id-pattern", "tx-o.*n$")
		tr.Run("", "transactions", "describe", "--transactional-id", "tx-open")
		tr.Run("", "transactions", "describe", "--transactional-id", "missing")
		tr.Run("", "transactions", "describe-producers", "--topic", "t", "--partition", "0")
		tr.Run("", "transactions", "find-hanging", "--topic", "t", "--max-transaction-timeout", "0")
		tr.Run("", "transactions", "abort", "--topic", "t", "--partition", "0", "--start-offset", "7")
		tr.Run("", "transactions", "abort", "--topic", "t", "--partition", "0", "--start-offset", "2")
		tr.Run("", "transactions", "describe-producers", "--topic", "t", "--partition", "0")
		// Bad command lines.
		tr.Run("", "transactions")
		tr.Run("", "transactions", "describe")
		tr.Run("", "transactions", "abort", "--topic", "t", "--partition", "0")
		tr.Run("", "transactions", "abort", "--topic", "t", "--partition", "0", "--producer-id", "1")
		tr.Run("", "transactions", "find-hanging")
		tr.Run("", "transactions", "find-hanging", "--partition", "0")
		tr.Run("", "transactions", "find-hanging", "--broker-id", "0", "--partition", "0")
		tr.Run("", "transactions", "list", "--bogus")
		tr.Check("transactions")
	})
}

// TestTransactionsUnreachable: one line and exit 1.
func TestTransactionsUnreachable(t *testing.T) {
	r := tooltest.Run(t, dispatch, &cli.Env{}, "transactions", "--bootstrap-server", "127.0.0.1:1", "list")
	if r.Code != cli.ExitError || r.Stdout != "" || bytes.Count([]byte(r.Stderr), []byte("\n")) != 1 {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
}

// TestFindHangingAndAbort (Strata): a transactional batch written to a
// partition its transaction never added (verification off, as before
// KIP-890) is left open when the transaction commits elsewhere: find-hanging
// reports it, abort --start-offset closes it, and find-hanging then finds
// nothing; abort with --producer-id/--producer-epoch/--coordinator-epoch
// writes its marker too.
func TestFindHangingAndAbort(t *testing.T) {
	tg := tooltest.StartStrata(t, "transaction.partition.verification.enable", "false")
	ctx := tooltest.Ctx(t)
	adm := kadm.NewClient(tooltest.Client(t, tg.Addr))
	if _, err := adm.CreateTopics(ctx, 2, 1, nil, "t", "other"); err != nil {
		t.Fatal(err)
	}
	cl := tooltest.Client(t, tg.Addr, kgo.TransactionalID("tx-hang"), kgo.DefaultProduceTopic("other"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	pid, epoch, err := cl.ProducerID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tds, err := adm.ListTopics(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	tid := tds["t"].ID
	// Two minutes old, so that Duration(min) is 2.
	stray := func(p int32) {
		b := recordbatch.NewBuilder()
		b.ProducerID, b.ProducerEpoch, b.BaseSequence, b.Transactional = pid, epoch, 0, true
		b.Add(&recordbatch.Record{Timestamp: time.Now().Add(-2*time.Minute - time.Second).UnixMilli(), Value: []byte("stray")})
		batch, err := b.AppendTo(nil)
		if err != nil {
			t.Fatal(err)
		}
		req := kmsg.NewPtrProduceRequest()
		req.TransactionID, req.Acks, req.TimeoutMillis = kmsg.StringPtr("tx-hang"), -1, 5000
		rt := kmsg.NewProduceRequestTopic()
		rt.Topic, rt.TopicID = "t", tid // v13 names topics by ID
		rp := kmsg.NewProduceRequestTopicPartition()
		rp.Partition, rp.Records = p, batch
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctx, cl)
		if err != nil || resp.Topics[0].Partitions[0].ErrorCode != 0 {
			t.Fatalf("stray produce: %v %+v", err, resp)
		}
	}
	stray(0)
	stray(1)
	if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	tr := tooltest.NewTranscript(t, tg, dispatch)
	tr.Normalize(`\b1[0-9]{12} *\t`, "<ms>\t")
	tr.Run("", "transactions", "find-hanging", "--topic", "t")
	tr.Run("", "transactions", "find-hanging", "--broker-id", "1", "--max-transaction-timeout", "1")
	tr.Run("", "transactions", "describe-producers", "--topic", "t", "--partition", "0", "--broker-id", "1")
	tr.Run("", "transactions", "abort", "--topic", "t", "--partition", "0", "--start-offset", "0")
	tr.Run("", "transactions", "abort", "--topic", "t", "--partition", "1", "--producer-id", strconv.FormatInt(pid, 10),
		"--producer-epoch", strconv.Itoa(int(epoch)), "--coordinator-epoch", "-1")
	tr.Run("", "transactions", "find-hanging", "--topic", "t", "--max-transaction-timeout", "0")
	tr.Run("", "transactions", "describe-producers", "--topic", "t", "--partition", "1")
	tr.Run("", "transactions", "describe-producers", "--topic", "t", "--partition", "0", "--broker-id", "7")
	tr.Check("hanging")
}
