package tools

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

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
