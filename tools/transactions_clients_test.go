package tools

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/stratabroker/strata/tools/cli"
	"github.com/stratabroker/strata/tools/tooltest"
)

// TestConsoleConsumerReadCommitted: with --isolation-level read_committed
// (or isolation.level=read_committed in --consumer-property) the console
// consumer prints the committed transactions' records only, none of the
// aborted one and none from the open one on; read_uncommitted prints them
// all.
func TestConsoleConsumerReadCommitted(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		ok, err := cli.Advertises(tooltest.Ctx(t), tooltest.Client(t, tg.Addr), kmsg.EndTxn)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			t.Skip(tg.Name + " does not serve transactions")
		}
		tr := newTranscript(t, tg)
		tr.Run("", "topics", "--create", "--topic", "txn", "--partitions", "1")
		ctx := tooltest.Ctx(t)
		produce := func(id string, end *kgo.TransactionEndTry, values ...string) {
			cl := tooltest.Client(t, tg.Addr, kgo.TransactionalID(id), kgo.DefaultProduceTopic("txn"))
			if err := cl.BeginTransaction(); err != nil {
				t.Fatal(err)
			}
			for _, v := range values {
				if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(v)}).FirstErr(); err != nil {
					t.Fatal(err)
				}
			}
			if end != nil {
				if err := cl.EndTransaction(ctx, *end); err != nil {
					t.Fatal(err)
				}
			}
		}
		commit, abort := kgo.TryCommit, kgo.TryAbort
		produce("a", &commit, "committed-1", "committed-2")
		produce("b", &abort, "aborted")
		produce("c", &commit, "committed-3")
		produce("d", nil, "open")
		tr.Run("", "console-consumer", "--topic", "txn", "--from-beginning", "--timeout-ms", "500", "--isolation-level", "read_committed")
		tr.Run("", "console-consumer", "--topic", "txn", "--from-beginning", "--timeout-ms", "500", "--consumer-property", "isolation.level=read_committed")
		tr.Run("", "console-consumer", "--topic", "txn", "--from-beginning", "--timeout-ms", "500")
		tr.Run("", "console-consumer", "--topic", "txn", "--from-beginning", "--timeout-ms", "500", "--isolation-level", "committed")
		tr.Check("read_committed")
	})
}

// TestDescribeGroupPendingTxnOffsets: consumer-groups --describe shows the
// committed offsets only, as Kafka's tool (listConsumerGroupOffsets without
// requireStable): a transaction's offset appears once it commits.
func TestDescribeGroupPendingTxnOffsets(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		ok, err := cli.Advertises(tooltest.Ctx(t), tooltest.Client(t, tg.Addr), kmsg.EndTxn)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			t.Skip(tg.Name + " does not serve transactions")
		}
		ctx := tooltest.Ctx(t)
		tr := newTranscript(t, tg)
		tr.Run("", "topics", "--create", "--topic", "src", "--partitions", "1")
		tooltest.Produce(t, tg.Addr, "src", 0, [3]string{"a", "", ""}, [3]string{"b", "", ""}, [3]string{"c", "", ""}, [3]string{"d", "", ""}, [3]string{"e", "", ""})
		adm := kadm.NewClient(tooltest.Client(t, tg.Addr))
		plain := kadm.Offsets{}
		plain.Add(kadm.Offset{Topic: "src", Partition: 0, At: 2, LeaderEpoch: -1})
		if err := adm.CommitAllOffsets(ctx, "g", plain); err != nil {
			t.Fatal(err)
		}
		// TxnOffsetCommit v3 names topics (v6 takes IDs).
		cl := tooltest.Client(t, tg.Addr, kgo.TransactionalID("tx-g"), kgo.DefaultProduceTopic("src"), kgo.MaxVersions(kversion.V3_0_0()))
		if err := cl.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte("out")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
		pid, epoch, err := cl.ProducerID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		add := kmsg.NewPtrAddOffsetsToTxnRequest()
		add.TransactionalID, add.ProducerID, add.ProducerEpoch, add.Group = "tx-g", pid, epoch, "g"
		if resp, err := add.RequestWith(ctx, cl); err != nil || resp.ErrorCode != 0 {
			t.Fatalf("AddOffsetsToTxn: %v %+v", err, resp)
		}
		commit := kmsg.NewPtrTxnOffsetCommitRequest()
		commit.TransactionalID, commit.Group, commit.ProducerID, commit.ProducerEpoch = "tx-g", "g", pid, epoch
		rp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
		rp.Partition, rp.Offset, rp.LeaderEpoch = 0, 4, -1
		commit.Topics = []kmsg.TxnOffsetCommitRequestTopic{{Topic: "src", Partitions: []kmsg.TxnOffsetCommitRequestTopicPartition{rp}}}
		if resp, err := commit.RequestWith(ctx, cl); err != nil || resp.Topics[0].Partitions[0].ErrorCode != 0 {
			t.Fatalf("TxnOffsetCommit: %v %+v", err, resp)
		}
		tr.Run("", "consumer-groups", "--describe", "--group", "g")
		if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
			t.Fatal(err)
		}
		// EndTxn answers once the commit is prepared; the markers follow.
		// Wait (bounded) until the group's offset is stable at 4.
		for i := 0; ; i++ {
			offs, err := adm.FetchOffsets(kadm.RequireStable(ctx), "g")
			if err == nil && offs.Error() == nil {
				if o, ok := offs.Lookup("src", 0); ok && o.At == 4 {
					break
				}
			}
			if i == 200 {
				t.Fatalf("offset not stable at 4: %v %v", offs, err)
			}
			time.Sleep(25 * time.Millisecond)
		}
		tr.Run("", "consumer-groups", "--describe", "--group", "g")
		tr.Check("pending_offsets")
	})
}
