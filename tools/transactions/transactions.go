package transactions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/tools/cli"
)

const usage = `Usage: strata transactions [--bootstrap-server host:port] [--command-config FILE] COMMAND [flags]

Analyzes the transactional state of producers in the cluster; detects and
recovers from hanging transactions, as kafka-transactions.sh does.

Commands:
  list                         list transactions
    --duration-filter MS         only transactions running longer than MS (< 0: all)
    --transactional-id-pattern RE  only transactional IDs matching RE (re2 syntax)
  describe                     describe the state of an active transactional-id
    --transactional-id ID        (required)
  describe-producers           describe the states of active producers for a topic partition
    --topic T --partition P      (required)
    --broker-id N                describe the producer state on a specific replica
  abort                        abort a hanging transaction (requires administrative privileges)
    --topic T --partition P      (required)
    --start-offset O             the start offset of the transaction (brokers 3.0 and above), or
    --producer-id ID --producer-epoch E --coordinator-epoch C   (older brokers)
  find-hanging                 find hanging transactions
    --broker-id N                broker id to search for hanging transactions
    --topic T [--partition P]    topic (and partition) to limit the search to
    --max-transaction-timeout M  maximum transaction timeout in minutes (default 15)
Flags (before the command):
  --bootstrap-server S         the broker(s) to connect to (default localhost:9092)
  --command-config FILE        admin client properties: client.id, request.timeout.ms,
                               default.api.timeout.ms; others are reported as not used
`

// commands are the subcommands, in Kafka's order.
var commands = []string{"list", "describe", "describe-producers", "abort", "find-hanging"}

// globalValued are the global flags that take a value.
var globalValued = map[string]bool{"bootstrap-server": true, "command-config": true}

// splitArgs cuts args at the subcommand: the global flags before it, its
// name and its own flags.
func splitArgs(args []string) (global []string, cmd string, rest []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if slices.Contains(commands, a) {
			return args[:i], a, args[i+1:]
		}
		if name := strings.TrimLeft(a, "-"); name != a && !strings.Contains(name, "=") && globalValued[name] {
			i++
		}
	}
	return args, "", nil
}

// job is one run: the client and what every subcommand needs.
type job struct {
	e   *cli.Env
	ctx context.Context
	cl  *kgo.Client
	adm *kadm.Client
}

func run(args []string, e *cli.Env) int {
	global, cmd, rest := splitArgs(args)
	f := cli.NewFlags("transactions", usage)
	bootstrap := f.Bootstrap()
	cmdConfig := f.CommandConfig()
	if ok, code := f.Parse(global, e); !ok {
		return code
	}
	if cmd == "" {
		return f.UsageError(e, "a command is required: %s", strings.Join(commands, ", "))
	}
	sf := cli.NewFlags("transactions "+cmd, usage)
	var sub func(*job) int
	switch cmd {
	case "list":
		sub = listFlags(sf)
	case "describe":
		sub = describeFlags(sf)
	case "describe-producers":
		sub = describeProducersFlags(sf)
	case "abort":
		sub = abortFlags(sf)
	case "find-hanging":
		sub = findHangingFlags(sf)
	}
	if ok, code := sf.Parse(rest, e); !ok {
		return code
	}
	if code := checkFlags(cmd, sf, e); code != cli.ExitOK {
		return code
	}
	aopts, code := cmdConfig.AdminOptions(e, f)
	if code != cli.ExitOK {
		return code
	}
	ctx, cancel := e.Context()
	defer cancel()
	cl, err := cli.Connect(ctx, e, *bootstrap, aopts...)
	if err != nil {
		return cli.Fail(e, "transactions", err)
	}
	defer cl.Close()
	octx, ocancel := e.OpContext(ctx)
	defer ocancel()
	return sub(&job{e: e, ctx: octx, cl: cl, adm: cli.Admin(e, cl)})
}

// checkFlags checks the flags argparse requires.
func checkFlags(cmd string, f *cli.Flags, e *cli.Env) int {
	var required []string
	switch cmd {
	case "describe":
		required = []string{"transactional-id"}
	case "describe-producers", "abort":
		required = []string{"topic", "partition"}
	}
	var missing []string
	for _, r := range required {
		if !f.IsSet(r) {
			missing = append(missing, "--"+r)
		}
	}
	if len(missing) > 0 {
		return f.UsageError(e, "argument(s) %s are required", strings.Join(missing, ", "))
	}
	return cli.ExitOK
}

// failf prints Kafka's printErrorAndExit message and returns ExitError.
func (j *job) failf(format string, args ...any) int {
	fmt.Fprintf(j.e.Stderr, "strata transactions: %s\n", fmt.Sprintf(format, args...))
	return cli.ExitError
}

// fail prints msg with its cause, as Kafka's printErrorAndExit(message, t).
func (j *job) fail(msg string, cause error) int {
	return j.failf("%s: %s. Enable debug logging for additional detail.", msg, causeText(cause))
}

// causeText is the message of the exception Kafka's admin client would
// fail with: a broker's error code gives its description.
func causeText(err error) string {
	var ke *kerr.Error
	if errors.As(err, &ke) && err == error(ke) {
		return ke.Description
	}
	return err.Error()
}

// txnError is an error the admin client makes up, with a Kafka error code.
type txnError struct {
	code *kerr.Error
	msg  string
}

func (e *txnError) Error() string { return e.msg }
func (e *txnError) Unwrap() error { return e.code }

// printTable prints headers and rows as Kafka's ToolsUtils.prettyPrintTable:
// each cell padded to its column's widest (in UTF-16 units, as Java's
// String.length) and followed by a tab.
func printTable(w io.Writer, headers []string, rows [][]string) {
	width := func(s string) int { return len(utf16.Encode([]rune(s))) }
	widths := make([]int, len(headers))
	for i, h := range headers {
		widths[i] = width(h)
	}
	for _, r := range rows {
		for i := range headers {
			widths[i] = max(widths[i], width(r[i]))
		}
	}
	var b strings.Builder
	line := func(r []string) {
		b.Reset()
		for i, c := range r {
			b.WriteString(c)
			b.WriteString(strings.Repeat(" ", widths[i]-width(c)))
			b.WriteByte('\t')
		}
		b.WriteByte('\n')
		io.WriteString(w, b.String())
	}
	line(headers)
	for _, r := range rows {
		line(r)
	}
}

// stateName is a transaction state as Kafka's admin TransactionState
// prints it; a name it does not know is "Unknown".
func stateName(s string) string {
	switch s {
	case "Ongoing", "PrepareAbort", "PrepareCommit", "CompleteAbort", "CompleteCommit", "Empty", "PrepareEpochFence":
		return s
	}
	return "Unknown"
}

func itoa[T ~int16 | ~int32 | ~int64 | ~int](v T) string { return strconv.FormatInt(int64(v), 10) }

// ---- list -------------------------------------------------------------

var listHeaders = []string{"TransactionalId", "Coordinator", "ProducerId", "TransactionState"}

func listFlags(f *cli.Flags) func(*job) int {
	dur := f.Int64("duration-filter", -1, "")
	pattern := f.String("transactional-id-pattern", "", "")
	return func(j *job) int {
		var pat *string
		if *pattern != "" {
			pat = pattern
		}
		listed, err := j.listAll(nil, *dur, pat)
		if err != nil {
			return j.fail("Failed to list transactions", err)
		}
		rows := make([][]string, 0, len(listed))
		for _, l := range listed {
			rows = append(rows, []string{l.TxnID, itoa(l.Coordinator), itoa(l.ProducerID), stateName(l.State)})
		}
		printTable(j.e.Stdout, listHeaders, rows)
		return cli.ExitOK
	}
}

// listAll sends ListTransactions to every broker (Kafka's
// AllBrokersStrategy) and returns the listings by broker ID, then
// transactional ID. duration < 0 and a nil pattern filter nothing.
func (j *job) listAll(producerIDs []int64, duration int64, pattern *string) ([]kadm.ListedTransaction, error) {
	meta, err := j.adm.BrokerMetadata(j.ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]int32, 0, len(meta.Brokers))
	for _, b := range meta.Brokers {
		ids = append(ids, b.NodeID)
	}
	slices.Sort(ids)
	var out []kadm.ListedTransaction
	for _, id := range ids {
		req := kmsg.NewPtrListTransactionsRequest()
		req.ProducerIDFilters = producerIDs
		req.DurationFilterMillis = duration
		req.TransactionalIDPattern = pattern
		var resp *kmsg.ListTransactionsResponse
		for {
			resp, err = req.RequestWith(j.ctx, j.cl.Broker(int(id)))
			switch {
			case err != nil:
				return nil, err
			case duration >= 0 && req.Version < 1:
				return nil, errors.New("Duration filter can be set only when using API version 1 or higher. If client is connected to an older broker, do not specify duration filter or set duration filter to -1.")
			case pattern != nil && req.Version < 2:
				return nil, errors.New("Transactional ID pattern filter can be set only when using API version 2 or higher. If client is connected to an older broker, do not specify the pattern filter.")
			}
			if resp.ErrorCode != kerr.CoordinatorLoadInProgress.Code {
				break
			}
			if err := j.ctx.Err(); err != nil { // Kafka's admin retries until its timeout
				return nil, err
			}
		}
		switch code := resp.ErrorCode; {
		case code == kerr.CoordinatorNotAvailable.Code:
			return nil, &txnError{kerr.CoordinatorNotAvailable, fmt.Sprintf("ListTransactions request sent to broker %d failed because the coordinator is shutting down", id)}
		case code != 0:
			return nil, &txnError{kerr.ErrorForCode(code).(*kerr.Error), fmt.Sprintf("ListTransactions request sent to broker %d failed with an unexpected exception", id)}
		}
		start := len(out)
		for _, s := range resp.TransactionStates {
			out = append(out, kadm.ListedTransaction{Coordinator: id, TxnID: s.TransactionalID, ProducerID: s.ProducerID, State: s.TransactionState})
		}
		slices.SortFunc(out[start:], func(a, b kadm.ListedTransaction) int { return strings.Compare(a.TxnID, b.TxnID) })
	}
	return out, nil
}

// ---- describe ----------------------------------------------------------

var describeHeaders = []string{
	"CoordinatorId", "TransactionalId", "ProducerId", "ProducerEpoch", "TransactionState",
	"TransactionTimeoutMs", "CurrentTransactionStartTimeMs", "TransactionDurationMs", "TopicPartitions",
}

func describeFlags(f *cli.Flags) func(*job) int {
	id := f.String("transactional-id", "", "")
	return func(j *job) int {
		d, err := j.describe(*id)
		if err != nil {
			return j.fail("Failed to describe transaction state of transactional-id `"+*id+"`", err)
		}
		start, dur := "None", "None"
		if d.StartTimestamp >= 0 {
			start, dur = itoa(d.StartTimestamp), itoa(j.e.Now().UnixMilli()-d.StartTimestamp)
		}
		row := []string{
			itoa(d.Coordinator), *id, itoa(d.ProducerID), itoa(d.ProducerEpoch), stateName(d.State),
			itoa(d.TimeoutMillis), start, dur, joinPartitions(d.Topics),
		}
		printTable(j.e.Stdout, describeHeaders, [][]string{row})
		return cli.ExitOK
	}
}

// describe describes one transactional ID, with the admin client's
// messages for its errors (DescribeTransactionsHandler).
func (j *job) describe(id string) (kadm.DescribedTransaction, error) {
	ds, err := j.adm.DescribeTransactions(j.ctx, id)
	if err != nil && len(ds) == 0 {
		var se *kadm.ShardErrors
		if errors.As(err, &se) && len(se.Errs) > 0 {
			err = se.Errs[0].Err
		}
		return kadm.DescribedTransaction{}, describeErr(id, err)
	}
	d, ok := ds[id]
	if !ok {
		return d, describeErr(id, kerr.TransactionalIDNotFound)
	}
	if d.Err != nil {
		return d, describeErr(id, d.Err)
	}
	return d, nil
}

func describeErr(id string, err error) error {
	var ke *kerr.Error
	if !errors.As(err, &ke) {
		return err
	}
	prefix := "DescribeTransactions request for transactionalId `" + id + "` "
	switch ke {
	case kerr.TransactionalIDAuthorizationFailed:
		return &txnError{ke, prefix + "failed due to authorization failure"}
	case kerr.TransactionalIDNotFound:
		return &txnError{ke, prefix + "failed because the ID could not be found"}
	}
	return &txnError{ke, prefix + "failed due to unexpected error"}
}

// joinPartitions lists a transaction's partitions as Kafka's
// TopicPartition.toString, comma-separated, by topic then partition.
func joinPartitions(ts kadm.TopicsSet) string {
	var parts []string
	for _, tp := range ts.Sorted() {
		for _, p := range tp.Partitions {
			parts = append(parts, tp.Topic+"-"+itoa(p))
		}
	}
	return strings.Join(parts, ",")
}
