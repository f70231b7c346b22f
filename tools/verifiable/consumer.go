package verifiable

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/tools/cli"
)

const consumerUsage = `Usage: strata verifiable-consumer --topic T --group-id G [flags]

Consumes messages from a topic in a consumer group and emits consumer
events (group rebalances, records received, offsets committed) as JSON
objects on stdout, one a line (kafka-verifiable-consumer.sh, for Kafka's
system tests): startup_complete, partitions_assigned, partitions_revoked,
records_consumed per poll, record_data per record with --verbose,
offsets_committed after each poll when auto-commit is off, and
shutdown_complete (after --max-messages, or on SIGINT/SIGTERM).

Flags:
  --topic TOPIC                 consume messages from this topic (required)
  --group-id G                  the group shared among the members (required)
  --bootstrap-server S          the broker(s) (default localhost:9092)
  --group-instance-id ID        a unique identifier of this member (static membership)
  --group-protocol P            classic (default) or consumer; consumer (KIP-848)
                                is not served by Strata yet
  --group-remote-assignor A     the consumer protocol's server assignor
  --max-messages N              consume this many messages; -1 (default): until killed
  --session-timeout MS          the consumer's session timeout (default 30000)
  --verbose                     print a record_data line for each record
  --enable-autocommit           commit offsets automatically (default: after each poll)
  --reset-policy P              earliest (default), latest or none
  --assignment-strategy C[,C]   Java class names of the classic protocol's assignors:
                                org.apache.kafka.clients.consumer.RangeAssignor (default),
                                RoundRobinAssignor, StickyAssignor or
                                CooperativeStickyAssignor
  --consumer.config FILE        consumer properties (or --command-config); the
                                flags win over them
`

const rangeAssignor = "org.apache.kafka.clients.consumer.RangeAssignor"

// balancers maps partition.assignment.strategy's Java class names to kgo's
// balancers of the same assignment.
var balancers = map[string]func() kgo.GroupBalancer{
	rangeAssignor: kgo.RangeBalancer,
	"org.apache.kafka.clients.consumer.RoundRobinAssignor":        kgo.RoundRobinBalancer,
	"org.apache.kafka.clients.consumer.StickyAssignor":            kgo.StickyBalancer,
	"org.apache.kafka.clients.consumer.CooperativeStickyAssignor": kgo.CooperativeStickyBalancer,
}

// strategyBalancers maps partition.assignment.strategy's list of class
// names to kgo balancers; cooperative is whether all of them are
// cooperative (then the Java client, as kgo, rebalances cooperatively).
func strategyBalancers(strategy string) (bals []kgo.GroupBalancer, cooperative bool, err error) {
	cooperative = true
	for _, name := range cli.SplitList(strategy) {
		mk, ok := balancers[name]
		if !ok {
			return nil, false, fmt.Errorf("Invalid value %s for configuration partition.assignment.strategy: Class %s could not be found.", strategy, name)
		}
		bals = append(bals, mk())
		cooperative = cooperative && name == "org.apache.kafka.clients.consumer.CooperativeStickyAssignor"
	}
	if len(bals) == 0 {
		return nil, false, fmt.Errorf("Invalid value %s for configuration partition.assignment.strategy: no assignor given", strategy)
	}
	return bals, cooperative, nil
}

// consumerArgs is the command line of verifiable-consumer, checked.
type consumerArgs struct {
	topic          string
	maxMessages    int64 // < 0: no limit
	verbose        bool
	autoCommit     bool
	reset          string
	cooperative    bool
	maxPollRecords int
}

func runConsumer(args []string, e *cli.Env) int {
	const cmd = "verifiable-consumer"
	f := cli.NewFlags(cmd, consumerUsage)
	bootstrap := f.Bootstrap()
	topic := f.String("topic", "", "")
	groupProtocol := f.String("group-protocol", "classic", "")
	f.String("group-remote-assignor", "", "")
	groupID := f.String("group-id", "", "")
	instanceID := f.String("group-instance-id", "", "")
	maxMessages := f.String("max-messages", "-1", "")
	sessionTimeout := f.String("session-timeout", "30000", "")
	verbose := f.Bool("verbose", false, "")
	autoCommit := f.Bool("enable-autocommit", false, "")
	resetPolicy := f.String("reset-policy", "earliest", "")
	strategy := f.String("assignment-strategy", rangeAssignor, "")
	client := f.ClientConfig([]string{"consumer.config", "command-config"}, nil)
	if ok, code := f.Parse(args, e); !ok {
		return code
	}
	switch {
	case *topic == "":
		return f.UsageError(e, "--topic is required")
	case *groupID == "":
		return f.UsageError(e, "--group-id is required")
	}
	ca := consumerArgs{topic: *topic, verbose: *verbose, autoCommit: *autoCommit, reset: *resetPolicy, maxPollRecords: 500}
	maxN, err := strconv.ParseInt(strings.TrimSpace(*maxMessages), 10, 32)
	if err != nil {
		return f.UsageError(e, "argument --max-messages: could not convert '%s' to Integer", *maxMessages)
	}
	ca.maxMessages = maxN
	if _, err := strconv.ParseInt(strings.TrimSpace(*sessionTimeout), 10, 32); err != nil {
		return f.UsageError(e, "argument --session-timeout: could not convert '%s' to Integer", *sessionTimeout)
	}

	// As createFromArgs: the file first, the flags over it.
	props, err := client.Load(f)
	if err != nil {
		return f.UsageError(e, "%v", err)
	}
	protocol := *groupProtocol
	if v, ok := props["group.protocol"]; ok && !f.IsSet("group-protocol") {
		protocol = v
	}
	switch strings.ToLower(strings.TrimSpace(protocol)) {
	case "classic":
	case "consumer":
		return cli.Fail(e, cmd, errors.New("group.protocol=consumer (KIP-848) is not supported yet: use --group-protocol classic"))
	default:
		return f.UsageError(e, "Invalid value %s for configuration group.protocol: String must be one of (case insensitive): CLASSIC, CONSUMER", protocol)
	}
	if v, ok := props["max.poll.records"]; ok {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
		if err != nil || n < 1 {
			return f.UsageError(e, "invalid value %q for consumer property max.poll.records", v)
		}
		ca.maxPollRecords = int(n)
	}
	instance := *instanceID // the file's, unless the flag is given
	if instance == "" {
		instance = props["group.instance.id"]
	}
	for _, k := range []string{"group.protocol", "group.remote.assignor", "partition.assignment.strategy", "group.instance.id", "max.poll.records"} {
		delete(props, k)
	}
	props["group.id"] = *groupID
	props["bootstrap.servers"] = *bootstrap
	props["enable.auto.commit"] = strconv.FormatBool(*autoCommit)
	props["auto.offset.reset"] = *resetPolicy
	props["session.timeout.ms"] = strings.TrimSpace(*sessionTimeout)
	cc, err := cli.ConsumerOpts(props)
	if err != nil {
		return f.UsageError(e, "%v", err)
	}
	cli.WarnUnused(e, cmd, "consumer", cc.Ignored)

	bals, cooperative, err := strategyBalancers(*strategy)
	if err != nil {
		return f.UsageError(e, "%v", err)
	}
	ca.cooperative = cooperative

	opts := []kgo.Opt{
		kgo.ClientID("consumer-" + *groupID + "-1"),
		kgo.FetchMaxWait(500 * time.Millisecond), // fetch.max.wait.ms's default
		kgo.RebalanceTimeout(300 * time.Second),  // max.poll.interval.ms's default
		kgo.AutoCommitInterval(5 * time.Second),  // auto.commit.interval.ms's default
		kgo.HeartbeatInterval(3 * time.Second),   // heartbeat.interval.ms's default
		kgo.FetchMaxPartitionBytes(1 << 20),      // max.partition.fetch.bytes's default
		kgo.FetchMaxBytes(50 << 20),              // fetch.max.bytes's default
		kgo.ConsumeTopics(ca.topic), kgo.ConsumerGroup(*groupID), kgo.Balancers(bals...),
	}
	opts = append(opts, cc.Opts...)
	if instance != "" {
		opts = append(opts, kgo.InstanceID(instance))
	}
	switch ca.reset {
	case "earliest":
		opts = append(opts, kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	case "latest":
		opts = append(opts, kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()))
	case "none":
		opts = append(opts, kgo.ConsumeResetOffset(kgo.NoResetOffset()))
	}
	if !ca.autoCommit {
		opts = append(opts, kgo.DisableAutoCommit())
	}

	ctx, cancel := e.Context()
	defer cancel()
	c := &consumer{e: e, args: ca, p: &printer{w: e.Stdout, now: e.Now}}
	c.ctx, c.stop = context.WithCancel(ctx)
	defer c.stop()
	opts = append(opts, kgo.BlockRebalanceOnPoll(),
		kgo.OnPartitionsAssigned(c.onAssigned),
		kgo.OnPartitionsRevoked(c.onRevoked),
		kgo.OnPartitionsLost(c.onLost),
		kgo.OnOffsetsFetched(c.onOffsetsFetched))
	// Reach a broker with a plain client first: a group client would
	// start joining before we know the broker serves groups.
	probe, err := cli.Connect(ctx, e, *bootstrap)
	if err != nil {
		return cli.Fail(e, cmd, err)
	}
	err = cli.RequireGroups(ctx, probe)
	probe.Close()
	if err != nil {
		return cli.Fail(e, cmd, err)
	}
	// The Java consumer does no I/O before its first poll, so
	// startup_complete always comes first; a kgo group client starts
	// joining as soon as it exists, and its assignment callback could
	// otherwise print before it.
	c.p.print(c.p.event("startup_complete"))
	cl, err := cli.Connect(ctx, e, *bootstrap, opts...)
	if err != nil {
		return cli.Fail(e, cmd, err)
	}
	c.cl = cl
	if err := c.run(); err != nil {
		return cli.Fail(e, cmd, err)
	}
	return cli.ExitOK
}

// consumer is one run of VerifiableConsumer.
type consumer struct {
	e    *cli.Env
	args consumerArgs
	p    *printer
	cl   *kgo.Client
	ctx  context.Context
	stop context.CancelFunc

	consumed int64

	mu      sync.Mutex
	closing bool
	fatal   error
}

func (c *consumer) finished() bool {
	return c.args.maxMessages >= 0 && c.consumed >= c.args.maxMessages
}

func (c *consumer) fail(err error) {
	c.mu.Lock()
	if c.fatal == nil {
		c.fatal = err
	}
	c.mu.Unlock()
	c.stop()
}

// run is VerifiableConsumer.run: poll, summarize, commit, until the limit,
// a signal or an error; then close (leaving the group) and
// shutdown_complete. The error, if any, is what ended it.
func (c *consumer) run() error {
	for !c.finished() && c.ctx.Err() == nil {
		fetches := c.cl.PollRecords(c.ctx, c.args.maxPollRecords)
		fetches.EachError(func(t string, p int32, err error) {
			var gs *kgo.ErrGroupSession
			switch {
			case errors.Is(err, context.Canceled), errors.Is(err, kgo.ErrClientClosed):
			case errors.As(err, &gs), kerr.IsRetriable(err):
				fmt.Fprintf(c.e.Stderr, "strata verifiable-consumer: %s\n", cli.ErrText(err))
			case t == "":
				c.fail(fmt.Errorf("consuming: %s", cli.ErrText(err)))
			default:
				c.fail(fmt.Errorf("fetching %s-%d: %s", t, p, cli.ErrText(err)))
			}
		})
		if c.ctx.Err() == nil && fetches.NumRecords() > 0 {
			offsets := c.onRecords(fetches)
			if !c.args.autoCommit {
				c.commit(offsets)
			}
		}
		c.cl.AllowRebalance()
	}
	c.mu.Lock()
	c.closing = true
	err := c.fatal
	c.mu.Unlock()
	c.cl.AllowRebalance()
	c.cl.Close() // leaves the group: partitions_revoked for what was assigned
	c.p.print(c.p.event("shutdown_complete"))
	return err
}

// onRecords is onRecordsReceived: one records_consumed line for the poll,
// cut at --max-messages, and the offsets to commit after it.
func (c *consumer) onRecords(fetches kgo.Fetches) map[string]map[int32]kgo.EpochOffset {
	offsets := map[string]map[int32]kgo.EpochOffset{}
	var summaries []*obj
	done := false
	fetches.EachPartition(func(ftp kgo.FetchTopicPartition) {
		recs := ftp.Records
		if done || len(recs) == 0 {
			return
		}
		if c.args.maxMessages >= 0 && c.consumed+int64(len(recs)) > c.args.maxMessages {
			recs = recs[:c.args.maxMessages-c.consumed]
		}
		if len(recs) == 0 {
			return
		}
		minOff, maxOff := recs[0].Offset, recs[len(recs)-1].Offset
		if offsets[ftp.Topic] == nil {
			offsets[ftp.Topic] = map[int32]kgo.EpochOffset{}
		}
		offsets[ftp.Topic][ftp.Partition] = kgo.EpochOffset{Epoch: -1, Offset: maxOff + 1}
		summaries = append(summaries, newObj().str("topic", ftp.Topic).num("partition", int64(ftp.Partition)).
			num("count", int64(len(recs))).num("minOffset", minOff).num("maxOffset", maxOff))
		if c.args.verbose {
			for _, r := range recs {
				c.p.print(c.p.event("record_data").bytes("key", r.Key, r.Key == nil).bytes("value", r.Value, r.Value == nil).
					str("topic", r.Topic).num("partition", int64(r.Partition)).num("offset", r.Offset))
			}
		}
		c.consumed += int64(len(recs))
		done = c.finished()
	})
	c.p.print(c.p.event("records_consumed").num("count", int64(fetches.NumRecords())).array("partitions", summaries))
	return offsets
}

// commit is commitSync: the offsets after the poll's last records, and
// one offsets_committed line with the outcome.
func (c *consumer) commit(offsets map[string]map[int32]kgo.EpochOffset) {
	// Not c.ctx: a signal during the commit still lets it finish.
	ctx, cancel := c.e.OpContext(context.Background())
	defer cancel()
	var commitErr error
	c.cl.CommitOffsetsSync(ctx, offsets, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			commitErr = err
			return
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil && commitErr == nil {
					commitErr = err
				}
			}
		}
	})
	var list []*obj
	for _, t := range sortedTopics(offsets) {
		parts := make([]int32, 0, len(offsets[t]))
		for p := range offsets[t] {
			parts = append(parts, p)
		}
		sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
		for _, p := range parts {
			list = append(list, newObj().str("topic", t).num("partition", int64(p)).num("offset", offsets[t][p].Offset))
		}
	}
	ev := c.p.event("offsets_committed").array("offsets", list)
	if commitErr != nil {
		_, msg := javaException(commitErr)
		ev.str("error", msg) // @JsonInclude(NON_NULL): only on failure
	}
	c.p.print(ev.boolean("success", commitErr == nil))
}

func sortedTopics[V any](m map[string]V) []string {
	ts := make([]string, 0, len(m))
	for t := range m {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return ts
}

// partitionList is a rebalance callback's partitions as Kafka's
// TopicPartition serializer writes them, sorted as the coordinator sorts
// them (topic, then partition).
func partitionList(m map[string][]int32) []*obj {
	var list []*obj
	for _, t := range sortedTopics(m) {
		ps := append([]int32(nil), m[t]...)
		sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
		for _, p := range ps {
			list = append(list, newObj().str("topic", t).num("partition", int64(p)))
		}
	}
	return list
}

func count(m map[string][]int32) int {
	n := 0
	for _, ps := range m {
		n += len(ps)
	}
	return n
}

// onAssigned: the Java client calls onPartitionsAssigned after every join,
// even with nothing new (eager: the whole assignment; cooperative: what
// was added), as kgo calls this.
func (c *consumer) onAssigned(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	c.p.print(c.p.event("partitions_assigned").array("partitions", partitionList(m)))
}

// onRevoked: the Java client calls onPartitionsRevoked when an eager
// member rejoins (even owning nothing), and otherwise (cooperative
// rejoins, leaving the group on close) only when something is revoked.
// With auto-commit on, it commits first, as the Java client's onJoinPrepare
// and close do.
func (c *consumer) onRevoked(ctx context.Context, cl *kgo.Client, m map[string][]int32) {
	c.mu.Lock()
	closing := c.closing
	c.mu.Unlock()
	if c.args.autoCommit {
		cl.CommitUncommittedOffsets(ctx) //nolint:errcheck // as the Java client, a failed commit before revoking is logged, not fatal
	}
	if count(m) > 0 || (!c.args.cooperative && !closing) {
		c.p.print(c.p.event("partitions_revoked").array("partitions", partitionList(m)))
	}
}

// onLost: ConsumerRebalanceListener.onPartitionsLost defaults to
// onPartitionsRevoked, and the client calls it only when something was
// owned.
func (c *consumer) onLost(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	if count(m) > 0 {
		c.p.print(c.p.event("partitions_revoked").array("partitions", partitionList(m)))
	}
}

// onOffsetsFetched enforces --reset-policy none as the Java client does:
// a partition without a committed offset is NoOffsetForPartitionException,
// which ends the tool.
func (c *consumer) onOffsetsFetched(_ context.Context, _ *kgo.Client, resp *kmsg.OffsetFetchResponse) error {
	if c.args.reset != "none" {
		return nil
	}
	missing := map[string][]int32{} // kgo may fill both forms of the response
	check := func(topic string, partition int32, offset int64) {
		if offset < 0 && !slices.Contains(missing[topic], partition) {
			missing[topic] = append(missing[topic], partition)
		}
	}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			check(t.Topic, p.Partition, p.Offset)
		}
	}
	for _, g := range resp.Groups {
		for _, t := range g.Topics {
			for _, p := range t.Partitions {
				check(t.Topic, p.Partition, p.Offset)
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	var tps []string
	for _, t := range sortedTopics(missing) {
		slices.Sort(missing[t])
		for _, p := range missing[t] {
			tps = append(tps, t+"-"+strconv.Itoa(int(p)))
		}
	}
	err := fmt.Errorf("Undefined offset with no reset policy for partitions: [%s]", strings.Join(tps, ", "))
	c.fail(err)
	return err
}
