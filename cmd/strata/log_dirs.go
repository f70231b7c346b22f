package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
)

const logDirsUsage = `Usage: strata log-dirs --describe [--topic-list T1,T2] [--broker-list 1,2] [--bootstrap-server host:port]
       [--command-config FILE]

Prints the brokers' log directories and the size of every partition in them,
as kafka-log-dirs.sh does (JSON).

--command-config FILE holds admin client properties: client.id, request.timeout.ms,
default.api.timeout.ms; others are reported as not used.
`

func runLogDirs(args []string, e *env) int {
	f := newFlags("log-dirs", logDirsUsage)
	bootstrap := f.bootstrap()
	describe := f.Bool("describe", false, "")
	topicList := f.String("topic-list", "", "")
	brokerList := f.String("broker-list", "", "")
	cmdConfig := f.commandConfig()
	if ok, code := f.parse(args, e); !ok {
		return code
	}
	aopts, code := cmdConfig.adminOptions(e, f)
	if code != exitOK {
		return code
	}
	if !*describe {
		return f.usageError(e, "--describe is required")
	}
	var brokers []int32
	if *brokerList != "" {
		var err error
		if brokers, err = parseInt32List(*brokerList); err != nil {
			return f.usageError(e, "--broker-list: %v", err)
		}
	}

	ctx, cancel := e.context()
	defer cancel()
	cl, err := connect(ctx, e, *bootstrap, aopts...)
	if err != nil {
		return fail(e, "log-dirs", err)
	}
	defer cl.Close()
	adm := admin(e, cl)
	ctx, cancelOp := e.opContext(ctx)
	defer cancelOp()
	var set kadm.TopicsSet
	if topics := splitList(*topicList); len(topics) > 0 {
		details, err := adm.ListTopics(ctx, topics...)
		if err != nil {
			return fail(e, "log-dirs", err)
		}
		set = kadm.TopicsSet{}
		for _, t := range topics {
			d, ok := details[t]
			if !ok || d.Err != nil {
				return fail(e, "log-dirs", fmt.Errorf("topic '%s' %w", t, errNotFound))
			}
			set.Add(t, d.Partitions.Numbers()...)
		}
	}
	fmt.Fprintln(e.stdout, "Querying brokers for log directories information")
	byBroker := map[int32]kadm.DescribedLogDirs{}
	if len(brokers) == 0 {
		all, err := adm.DescribeAllLogDirs(ctx, set)
		if err != nil {
			return fail(e, "log-dirs", err)
		}
		for b, dirs := range all {
			byBroker[b] = dirs
		}
	} else {
		for _, b := range brokers {
			dirs, err := adm.DescribeBrokerLogDirs(ctx, b, set)
			if err != nil {
				return fail(e, "log-dirs", fmt.Errorf("broker %d: %v", b, err))
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
	fmt.Fprintf(e.stdout, "Received log directory information from brokers %s\n", strings.Join(idStrs, ","))
	fmt.Fprintln(e.stdout, logDirsJSON(ids, byBroker))
	return exitOK
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
				errStr = q(errText(d.Err))
			}
			fmt.Fprintf(&b, `],"error":%s,"logDir":%s}`, errStr, q(d.Dir))
		}
		b.WriteString(`]}`)
	}
	b.WriteString(`],"version":1}`)
	return b.String()
}
