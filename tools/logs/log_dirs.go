package logs

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/stratabroker/strata/tools/cli"

	"github.com/twmb/franz-go/pkg/kadm"
)

const logDirsUsage = `Usage: strata log-dirs --describe [--topic-list T1,T2] [--broker-list 1,2] [--bootstrap-server host:port]
       [--command-config FILE]

Prints the brokers' log directories and the size of every partition in them,
as kafka-log-dirs.sh does (JSON).

--command-config FILE holds admin client properties: client.id, request.timeout.ms,
default.api.timeout.ms; others are reported as not used.
`

func runLogDirs(args []string, e *cli.Env) int {
	f := cli.NewFlags("log-dirs", logDirsUsage)
	bootstrap := f.Bootstrap()
	describe := f.Bool("describe", false, "")
	topicList := f.String("topic-list", "", "")
	brokerList := f.String("broker-list", "", "")
	cmdConfig := f.CommandConfig()
	if ok, code := f.Parse(args, e); !ok {
		return code
	}
	aopts, code := cmdConfig.AdminOptions(e, f)
	if code != cli.ExitOK {
		return code
	}
	if !*describe {
		return f.UsageError(e, "--describe is required")
	}
	var brokers []int32
	if *brokerList != "" {
		var err error
		if brokers, err = cli.ParseInt32List(*brokerList); err != nil {
			return f.UsageError(e, "--broker-list: %v", err)
		}
	}

	ctx, cancel := e.Context()
	defer cancel()
	cl, err := cli.Connect(ctx, e, *bootstrap, aopts...)
	if err != nil {
		return cli.Fail(e, "log-dirs", err)
	}
	defer cl.Close()
	adm := cli.Admin(e, cl)
	ctx, cancelOp := e.OpContext(ctx)
	defer cancelOp()
	var set kadm.TopicsSet
	if topics := cli.SplitList(*topicList); len(topics) > 0 {
		details, err := adm.ListTopics(ctx, topics...)
		if err != nil {
			return cli.Fail(e, "log-dirs", err)
		}
		set = kadm.TopicsSet{}
		for _, t := range topics {
			d, ok := details[t]
			if !ok || d.Err != nil {
				return cli.Fail(e, "log-dirs", fmt.Errorf("topic '%s' %w", t, cli.ErrNotFound))
			}
			set.Add(t, d.Partitions.Numbers()...)
		}
	}
	fmt.Fprintln(e.Stdout, "Querying brokers for log directories information")
	byBroker := map[int32]kadm.DescribedLogDirs{}
	if len(brokers) == 0 {
		all, err := adm.DescribeAllLogDirs(ctx, set)
		if err != nil {
			return cli.Fail(e, "log-dirs", err)
		}
		for b, dirs := range all {
			byBroker[b] = dirs
		}
	} else {
		for _, b := range brokers {
			dirs, err := adm.DescribeBrokerLogDirs(ctx, b, set)
			if err != nil {
				return cli.Fail(e, "log-dirs", fmt.Errorf("broker %d: %v", b, err))
			}
			byBroker[b] = dirs
		}
	}
	ids := make([]int32, 0, len(byBroker))
	for b := range byBroker {
		ids = append(ids, b)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	idStrs := make([]string, len(ids))
	for i, b := range ids {
		idStrs[i] = strconv.Itoa(int(b))
	}
	fmt.Fprintf(e.Stdout, "Received log directory information from brokers %s\n", strings.Join(idStrs, ","))
	fmt.Fprintln(e.Stdout, logDirsJSON(ids, byBroker))
	return cli.ExitOK
}

// logDirsJSON is LogDirsCommand's JSON, its keys in Kafka's order.
func logDirsJSON(ids []int32, byBroker map[int32]kadm.DescribedLogDirs) string {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	var b strings.Builder
	b.WriteString(`{"brokers":[`)
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"broker":%d,"logDirs":[`, id)
		for j, d := range byBroker[id].Sorted() {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"partitions":[`)
			for k, p := range d.Topics.Sorted() {
				if k > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, `{"partition":%s,"size":%d,"offsetLag":%d,"isFuture":%t}`,
					q(p.Topic+"-"+strconv.Itoa(int(p.Partition))), p.Size, p.OffsetLag, p.IsFuture)
			}
			errStr := "null"
			if d.Err != nil {
				errStr = q(cli.ErrText(d.Err))
			}
			fmt.Fprintf(&b, `],"error":%s,"logDir":%s}`, errStr, q(d.Dir))
		}
		b.WriteString(`]}`)
	}
	b.WriteString(`],"version":1}`)
	return b.String()
}
