package topics

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/stratabroker/strata/tools/cli"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

const getOffsetsUsage = `Usage: strata get-offsets [flags]

Prints topic:partition:offset for each matching partition, as
kafka-get-offsets.sh (GetOffsetShell) does: sorted by "topic-partition" as a
string, and no line for a partition whose answer is no offset (a timestamp
after its last record, the largest timestamp of an empty partition, a tiered
offset where nothing is tiered).

Flags:
  --bootstrap-server S        the broker(s) to connect to (default localhost:9092)
  --command-config FILE       admin client properties from a file: client.id, request.timeout.ms,
                              default.api.timeout.ms; others are reported as not used
  --topic T                   topics to query, a regular expression matching whole names (default all)
  --partitions P              partitions to query: 0,1,4-6 (default all)
  --topic-partitions L        instead of --topic and --partitions, a comma-separated list of
                              TOPIC-REGEX[:PARTITIONS] patterns, PARTITIONS being N, N-M (M
                              excluded), N- or -M; :PARTITIONS alone matches any topic
  --time T                    -1 or latest (default), -2 or earliest, -3 or max-timestamp,
                              -4 or earliest-local, -5 or latest-tiered, -6 or
                              earliest-pending-upload, or a timestamp in ms: the first offset at
                              or after it
  --exclude-internal-topics   leave out internal topics
`

// timeSpecs are GetOffsetShell's --time names.
var timeSpecs = map[string]int64{
	"latest": -1, "earliest": -2, "max-timestamp": -3, "earliest-local": -4,
	"latest-tiered": -5, "earliest-pending-upload": -6,
}

// parseOffsetSpec is GetOffsetShell.parseOffsetSpec.
func parseOffsetSpec(s string) (int64, error) {
	if ts, ok := timeSpecs[s]; ok {
		return ts, nil
	}
	ts, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ts < -6 {
		return 0, fmt.Errorf("Malformed time argument %s. Please use -1 or latest / -2 or earliest / -3 or max-timestamp / -4 or earliest-local / -5 or latest-tiered / -6 or earliest-pending-upload, or a specified long format timestamp", s)
	}
	return ts, nil
}

// tpRule is one of GetOffsetShell's topic-partition filters: topics
// matching a regular expression, partitions in [lo, hi) or one partition.
type tpRule struct {
	topic  *regexp.Regexp
	lo, hi int64
	set    map[int32]bool // --partitions: these only (empty: all)
}

func (r tpRule) topicAllowed(t string) bool { return r.topic.MatchString(t) }

func (r tpRule) allowed(t string, p int32) bool {
	if !r.topicAllowed(t) {
		return false
	}
	if r.set != nil {
		return len(r.set) == 0 || r.set[p]
	}
	return int64(p) >= r.lo && int64(p) < r.hi
}

var topicPartitionPattern = regexp.MustCompile(`^([^:,]*)(?::(?:([0-9]*)|(?:([0-9]*)-([0-9]*))))?$`)

// parseTopicPartitionRules is createTopicPartitionFilterWithPatternList.
func parseTopicPartitionRules(s string) ([]tpRule, error) {
	specs := strings.Split(s, ",")
	for len(specs) > 0 && specs[len(specs)-1] == "" { // Java's split drops trailing empty strings
		specs = specs[:len(specs)-1]
	}
	var rules []tpRule
	for _, spec := range specs {
		m := topicPartitionPattern.FindStringSubmatch(spec)
		if m == nil {
			return nil, fmt.Errorf("Invalid rule specification: %s", spec)
		}
		topic := ".*"
		if m[1] != "" {
			topic = m[1]
		}
		re, err := includeList(topic)
		if err != nil {
			return nil, fmt.Errorf("Invalid rule specification: %s: %v", spec, err)
		}
		r := tpRule{topic: re, lo: 0, hi: math.MaxInt32}
		num := func(g string) (int64, error) {
			n, err := strconv.ParseInt(g, 10, 32)
			if err != nil {
				return 0, fmt.Errorf("Invalid rule specification: %s", spec)
			}
			return n, nil
		}
		if m[2] != "" {
			if r.lo, err = num(m[2]); err != nil {
				return nil, err
			}
			r.hi = r.lo + 1
		} else {
			if m[3] != "" {
				if r.lo, err = num(m[3]); err != nil {
					return nil, err
				}
			}
			if m[4] != "" {
				if r.hi, err = num(m[4]); err != nil {
					return nil, err
				}
			}
		}
		rules = append(rules, r)
	}
	return rules, nil
}

func runGetOffsets(args []string, e *cli.Env) int {
	f := cli.NewFlags("get-offsets", getOffsetsUsage)
	bootstrap := f.Bootstrap()
	brokerList := f.String("broker-list", "", "")
	topic := f.String("topic", "", "")
	partitions := f.String("partitions", "", "")
	topicPartitions := f.String("topic-partitions", "", "")
	timeArg := f.String("time", "latest", "")
	excludeInternal := f.Bool("exclude-internal-topics", false, "")
	cmdConfig := f.CommandConfig()
	if ok, code := f.Parse(args, e); !ok {
		return code
	}
	aopts, code := cmdConfig.AdminOptions(e, f)
	if code != cli.ExitOK {
		return code
	}
	if *brokerList != "" && !f.IsSet("bootstrap-server") {
		*bootstrap = *brokerList
	}
	if f.IsSet("topic-partitions") && (f.IsSet("topic") || f.IsSet("partitions")) {
		return f.UsageError(e, "--topic-partitions cannot be used with --topic or --partitions")
	}
	ts, err := parseOffsetSpec(*timeArg)
	if err != nil {
		return f.UsageError(e, "%v", err)
	}
	var rules []tpRule
	if f.IsSet("topic-partitions") {
		if rules, err = parseTopicPartitionRules(*topicPartitions); err != nil {
			return f.UsageError(e, "%v", err)
		}
	} else {
		r := tpRule{set: map[int32]bool{}}
		if *partitions != "" {
			ps, err := cli.ParseInt32List(*partitions)
			if err != nil {
				return f.UsageError(e, "--partitions expects a comma separated list of numeric partition ids, but received: %s", *partitions)
			}
			for _, p := range ps {
				r.set[p] = true
			}
		}
		t := ".*"
		if *topic != "" {
			t = *topic
		}
		if r.topic, err = includeList(t); err != nil {
			return f.UsageError(e, "--topic: %v", err)
		}
		rules = []tpRule{r}
	}

	ctx, cancel := e.Context()
	defer cancel()
	cl, err := cli.Connect(ctx, e, *bootstrap, append([]kgo.Opt{kgo.ClientID("GetOffsetShell")}, aopts...)...)
	if err != nil {
		return cli.Fail(e, "get-offsets", err)
	}
	defer cl.Close()
	adm := cli.Admin(e, cl)
	ctx, cancelOp := e.OpContext(ctx)
	defer cancelOp()
	details, err := adm.ListTopicsWithInternal(ctx)
	if err != nil {
		return cli.Fail(e, "get-offsets", err)
	}
	parts := map[string][]int32{}
	n := 0
	for _, d := range details {
		if d.IsInternal && *excludeInternal {
			continue
		}
		for _, p := range d.Partitions {
			for _, r := range rules {
				if r.allowed(d.Topic, p.Partition) {
					parts[d.Topic] = append(parts[d.Topic], p.Partition)
					n++
					break
				}
			}
		}
	}
	if n == 0 {
		return cli.Fail(e, "get-offsets", errors.New("Could not match any topic-partitions with the specified filters"))
	}
	rows, err := listOffsetsAt(ctx, cl, ts, parts)
	if err != nil {
		return cli.Fail(e, "get-offsets", err)
	}
	// GetOffsetShell's TreeMap orders by TopicPartition.toString().
	sort.Slice(rows, func(i, j int) bool { return rows[i].name < rows[j].name })
	for _, o := range rows {
		if o.err != nil {
			fmt.Fprintf(e.Stderr, "Skip getting offsets for topic-partition %s due to error: %s\n", o.name, cli.ErrText(o.err))
			continue
		}
		if o.offset != -1 { // ListOffsetsResponse.UNKNOWN_OFFSET: no line
			fmt.Fprintf(e.Stdout, "%s:%d:%d\n", o.topic, o.partition, o.offset)
		}
	}
	return cli.ExitOK
}

type listedOffset struct {
	name      string // topic-partition
	topic     string
	partition int32
	offset    int64
	err       error
}

// listOffsetsAt sends one ListOffsets for timestamp ts (kgo splits it by
// partition leader) and returns each partition's answer as the broker gave
// it: -1 stays -1.
func listOffsetsAt(ctx context.Context, cl *kgo.Client, ts int64, parts map[string][]int32) ([]listedOffset, error) {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	for t, ps := range parts {
		rt := kmsg.NewListOffsetsRequestTopic()
		rt.Topic = t
		for _, p := range ps {
			rp := kmsg.NewListOffsetsRequestTopicPartition()
			rp.Partition, rp.Timestamp, rp.CurrentLeaderEpoch = p, ts, -1
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
	}
	var out []listedOffset
	for _, shard := range cl.RequestSharded(ctx, req) {
		if shard.Err != nil {
			return nil, shard.Err
		}
		resp := shard.Resp.(*kmsg.ListOffsetsResponse)
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				out = append(out, listedOffset{
					name: t.Topic + "-" + strconv.Itoa(int(p.Partition)), topic: t.Topic, partition: p.Partition,
					offset: p.Offset, err: kerr.ErrorForCode(p.ErrorCode),
				})
			}
		}
	}
	return out, nil
}
