package clients

import (
	"bufio"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stratabroker/strata/tools/cli"

	"github.com/twmb/franz-go/pkg/kgo"
)

const consoleConsumerUsage = `Usage: strata console-consumer --topic T [flags]

Prints records to standard output, one per line, as kafka-console-consumer.sh
does (its DefaultMessageFormatter). Runs until --max-messages, --timeout-ms
without a record, or SIGINT; then prints "Processed a total of N messages" to
standard error.

Flags:
  --bootstrap-server S     the broker(s) to connect to (default localhost:9092)
  --topic T                the topic to consume (or --include REGEX)
  --include REGEX          consume every topic matching REGEX
  --from-beginning         start at the earliest offset (without a committed one)
  --partition P            consume only partition P, from its end unless --offset or
                           --from-beginning says otherwise
  --offset O               with --partition: earliest, latest (default) or an offset; past
                           the log end (or before its start) the consumer goes where
                           auto.offset.reset says (latest unless --from-beginning)
  --group G                consume as a member of group G, committing what was printed
                           (unless enable.auto.commit=false)
  --max-messages N         exit after N records
  --timeout-ms MS          exit after MS milliseconds without a record
  --isolation-level L      read_uncommitted (default) or read_committed
  --formatter-property K=V formatting (repeatable; --property is the older name):
                           print.key print.value print.timestamp print.offset
                           print.partition print.headers (true/false), key.separator (tab),
                           line.separator (newline), headers.separator (,), null.literal (null)
  --formatter-config FILE  formatting properties from a file; --formatter-property wins
  --command-property K=V   a Java consumer property (repeatable; --consumer-property is the
                           older name): group.id, auto.offset.reset (earliest, latest, none),
                           isolation.level, client.id, enable.auto.commit, fetch.max.bytes,
                           max.partition.fetch.bytes, fetch.min.bytes, fetch.max.wait.ms,
                           session.timeout.ms, heartbeat.interval.ms, max.poll.interval.ms,
                           auto.commit.interval.ms, client.rack; others are reported as not used
  --command-config FILE    Java consumer properties from a file; --command-property wins
                           (--consumer.config is the older name)
  --skip-message-on-error  accepted for Kafka's sake: the default formatter has no
                           per-message error to skip
`

// formatter is Kafka's DefaultMessageFormatter.
type formatter struct {
	printTimestamp, printKey, printOffset, printPartition, printHeaders, printValue bool
	keySep, lineSep, headersSep, nullLiteral                                        string
}

func newFormatter(p map[string]string) *formatter {
	f := &formatter{printValue: true, keySep: "\t", lineSep: "\n", headersSep: ",", nullLiteral: "null"}
	for k, v := range p {
		b := strings.EqualFold(strings.TrimSpace(v), "true")
		switch k {
		case "print.timestamp":
			f.printTimestamp = b
		case "print.key":
			f.printKey = b
		case "print.offset":
			f.printOffset = b
		case "print.partition":
			f.printPartition = b
		case "print.headers":
			f.printHeaders = b
		case "print.value":
			f.printValue = b
		case "key.separator":
			f.keySep = v
		case "line.separator":
			f.lineSep = v
		case "headers.separator":
			f.headersSep = v
		case "null.literal":
			f.nullLiteral = v
		}
	}
	return f
}

func (f *formatter) sep(w *bufio.Writer, column bool) {
	if column {
		w.WriteString(f.keySep)
	} else {
		w.WriteString(f.lineSep)
	}
}

func (f *formatter) bytes(w *bufio.Writer, b []byte) {
	if b == nil {
		w.WriteString(f.nullLiteral)
		return
	}
	w.Write(b)
}

// write prints r as Kafka's DefaultMessageFormatter.writeTo does.
func (f *formatter) write(w *bufio.Writer, r *kgo.Record) {
	if f.printTimestamp {
		switch r.Attrs.TimestampType() {
		case 0:
			w.WriteString("CreateTime:" + strconv.FormatInt(r.Timestamp.UnixMilli(), 10))
		case 1:
			w.WriteString("LogAppendTime:" + strconv.FormatInt(r.Timestamp.UnixMilli(), 10))
		default:
			w.WriteString("NO_TIMESTAMP")
		}
		f.sep(w, f.printPartition || f.printOffset || f.printHeaders || f.printKey || f.printValue)
	}
	if f.printPartition {
		w.WriteString("Partition:" + strconv.Itoa(int(r.Partition)))
		f.sep(w, f.printOffset || f.printHeaders || f.printKey || f.printValue)
	}
	if f.printOffset {
		w.WriteString("Offset:" + strconv.FormatInt(r.Offset, 10))
		f.sep(w, f.printHeaders || f.printKey || f.printValue)
	}
	if f.printHeaders {
		if len(r.Headers) == 0 {
			w.WriteString("NO_HEADERS")
		}
		for i, h := range r.Headers {
			w.WriteString(h.Key + ":")
			f.bytes(w, h.Value)
			if i < len(r.Headers)-1 {
				w.WriteString(f.headersSep)
			}
		}
		f.sep(w, f.printKey || f.printValue)
	}
	if f.printKey {
		f.bytes(w, r.Key)
		f.sep(w, f.printValue)
	}
	if f.printValue {
		f.bytes(w, r.Value)
		w.WriteString(f.lineSep)
	}
}

func runConsoleConsumer(args []string, e *cli.Env) int {
	f := cli.NewFlags("console-consumer", consoleConsumerUsage)
	bootstrap := f.Bootstrap()
	topic := f.String("topic", "", "")
	include := f.String("include", "", "")
	fromBeginning := f.Bool("from-beginning", false, "")
	partition := f.Int("partition", -1, "")
	offset := f.String("offset", "latest", "")
	group := f.String("group", "", "")
	maxMessages := f.Int64("max-messages", -1, "")
	timeoutMs := f.Int64("timeout-ms", -1, "")
	isolation := f.String("isolation-level", "read_uncommitted", "")
	props := f.MultiValue("property", "")
	formatterProps := f.MultiValue("formatter-property", "")
	formatterConfig := f.String("formatter-config", "", "")
	client := f.ClientConfig([]string{"consumer.config", "command-config"}, []string{"consumer-property", "command-property"})
	f.Bool("skip-message-on-error", false, "") // the default formatter has no per-message error to skip
	if ok, code := f.Parse(args, e); !ok {
		return code
	}
	if (*topic == "") == (*include == "") {
		return f.UsageError(e, "exactly one of --topic or --include is required")
	}
	fp := map[string]string{}
	var err error
	if *formatterConfig != "" {
		if fp, err = cli.LoadPropsFile(*formatterConfig); err != nil {
			return f.UsageError(e, "--formatter-config: %v", err)
		}
	}
	argFP, err := cli.ParseProps(append(append([]string(nil), *props...), *formatterProps...))
	if err != nil {
		return f.UsageError(e, "%v", err)
	}
	for k, v := range argFP {
		fp[k] = v
	}
	cp, err := client.Load(f)
	if err != nil {
		return f.UsageError(e, "%v", err)
	}
	// ConsoleConsumerOptions.checkConsumerGroup: one group id, wherever given.
	var groups []string
	for _, g := range []struct {
		v  string
		ok bool
	}{{*group, f.IsSet("group")}, {client.FromFile["group.id"], hasKey(client.FromFile, "group.id")}, {client.FromArgs["group.id"], hasKey(client.FromArgs, "group.id")}} {
		if g.ok && !slices.Contains(groups, g.v) {
			groups = append(groups, g.v)
		}
	}
	if len(groups) > 1 {
		return f.UsageError(e, "The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. Detected group ids: '%s'", strings.Join(groups, "', '"))
	}
	if len(groups) == 1 {
		*group = groups[0]
	}
	cc, err := cli.ConsumerOpts(cp)
	if err != nil {
		return f.UsageError(e, "%v", err)
	}
	cli.WarnUnused(e, "console-consumer", "consumer", cc.Ignored)
	// ConsoleConsumerOptions.setAutoOffsetResetValue.
	if cc.Reset != "" && *fromBeginning && cc.Reset != "earliest" {
		fmt.Fprintf(e.Stderr, "Can't simultaneously specify --from-beginning and 'auto.offset.reset=%s', please remove one option\n", cc.Reset)
		return cli.ExitError
	}
	if cc.Reset == "" {
		cc.Reset = "latest"
		if *fromBeginning {
			cc.Reset = "earliest"
		}
	}
	// maybeMergeOptions: --isolation-level given wins over the property.
	if v, ok := cp["isolation.level"]; ok && !f.IsSet("isolation-level") {
		*isolation = v
	}
	opts := cc.Opts
	switch *isolation {
	case "read_uncommitted":
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadUncommitted()))
	case "read_committed":
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	default:
		return f.UsageError(e, "--isolation-level must be read_committed or read_uncommitted, not %q", *isolation)
	}
	// reset is where a partition with no committed offset starts, and
	// where the consumer goes after OFFSET_OUT_OF_RANGE.
	reset := kgo.NewOffset().AtEnd()
	switch cc.Reset {
	case "earliest":
		reset = kgo.NewOffset().AtStart()
	case "none":
		reset = kgo.NoResetOffset()
	}
	opts = append(opts, kgo.ConsumeResetOffset(reset))
	// With --partition the consumer is assigned and seeks: to the
	// beginning with --from-beginning, else to --offset (default latest).
	start := kgo.NewOffset().AtEnd()
	if *fromBeginning {
		start = kgo.NewOffset().AtStart()
	}
	if f.IsSet("partition") {
		if *partition < 0 {
			return f.UsageError(e, "--partition must be at least 0")
		}
		if *group != "" {
			return f.UsageError(e, "options --group and --partition cannot be specified together")
		}
		if *topic == "" {
			return f.UsageError(e, "--partition needs --topic")
		}
	}
	if f.IsSet("offset") {
		if !f.IsSet("partition") {
			return f.UsageError(e, "the partition is required when offset is specified")
		}
		if *fromBeginning {
			return f.UsageError(e, "options --from-beginning and --offset cannot be specified together")
		}
		switch strings.ToLower(*offset) {
		case "earliest":
			start = kgo.NewOffset().AtStart()
		case "latest":
			start = kgo.NewOffset().AtEnd()
		default:
			o, err := strconv.ParseInt(*offset, 10, 64)
			if err != nil || o < 0 {
				return f.UsageError(e, "--offset must be earliest, latest or a non-negative number, not %q", *offset)
			}
			start = kgo.NewOffset().At(o)
		}
	}
	switch {
	case f.IsSet("partition"):
		opts = append(opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{*topic: {int32(*partition): start}}))
	case *include != "":
		opts = append(opts, kgo.ConsumeRegex(), kgo.ConsumeTopics(strings.ReplaceAll(*include, ",", "|")))
	default:
		opts = append(opts, kgo.ConsumeTopics(*topic))
	}
	commit := *group != "" && cc.AutoCommit
	if *group != "" {
		opts = append(opts, kgo.ConsumerGroup(*group), kgo.AutoCommitMarks())
	}

	ctx, cancel := e.Context()
	defer cancel()
	cl, err := cli.Connect(ctx, e, *bootstrap, opts...)
	if err != nil {
		return cli.Fail(e, "console-consumer", err)
	}
	defer cl.Close()
	if *topic != "" {
		n, err := cli.TopicPartitions(ctx, cl, *topic, false)
		if err != nil {
			return cli.Fail(e, "console-consumer", err)
		}
		if f.IsSet("partition") && int32(*partition) >= n {
			return cli.Fail(e, "console-consumer", fmt.Errorf("topic '%s' has %d partitions, no partition %d", *topic, n, *partition))
		}
	}
	if *group != "" {
		if err := cli.RequireGroups(ctx, cl); err != nil {
			return cli.Fail(e, "console-consumer", err)
		}
	}

	w := bufio.NewWriterSize(e.Stdout, 64<<10)
	fm := newFormatter(fp)
	var count int64
	err = cli.ConsumeLoop(ctx, e, cl, *maxMessages, time.Duration(*timeoutMs)*time.Millisecond, func(r *kgo.Record) {
		fm.write(w, r)
		count++
		if commit {
			cl.MarkCommitRecords(r)
		}
	}, func() { w.Flush() })
	w.Flush()
	if commit {
		cctx, ccancel := e.OpContext(context.Background())
		if cerr := cl.CommitMarkedOffsets(cctx); cerr != nil && err == nil {
			err = fmt.Errorf("committing offsets of group %s: %s", *group, cli.ErrText(cerr))
		}
		ccancel()
	}
	fmt.Fprintf(e.Stderr, "Processed a total of %d messages\n", count)
	if err != nil {
		return cli.Fail(e, "console-consumer", err)
	}
	return cli.ExitOK
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}
