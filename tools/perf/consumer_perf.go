package perf

import (
	"context"
	"fmt"
	"time"

	"github.com/stratabroker/strata/tools/cli"

	"github.com/twmb/franz-go/pkg/kgo"
)

const consumerPerfUsage = `Usage: strata consumer-perf-test --topic T --messages N [flags]

Measures consumer throughput as kafka-consumer-perf-test.sh does: a header,
(with --show-detailed-stats) a line per reporting interval, then the totals.

Flags:
  --bootstrap-server S      the broker(s) to connect to (default localhost:9092)
  --topic T                 the topic to consume (required)
  --messages N              how many records to consume (required)
  --group G                 consume as a member of group G (default: no group, every
                            partition assigned directly; Kafka's tool always uses a group)
  --from-latest             start at the latest offset instead of the earliest
  --timeout MS              give up after MS ms without a record (default 10000)
  --fetch-size BYTES        bytes to fetch per partition and request (default 1048576)
  --reporting-interval MS   interval of --show-detailed-stats lines (default 5000)
  --show-detailed-stats     print a line per reporting interval
  --hide-header             do not print the header line
  --date-format F           the time format (default yyyy-MM-dd HH:mm:ss:SSS)
  --json                    print the totals as one JSON object instead
  --consumer.config FILE    Java consumer properties from a file (or --command-config; see
                            console-consumer --help for those used); the flags above win
`

type consumerPerfResult struct {
	StartTime     string  `json:"start_time"`
	EndTime       string  `json:"end_time"`
	MB            float64 `json:"data_consumed_mb"`
	MBPerSec      float64 `json:"mb_per_sec"`
	Records       int64   `json:"records"`
	RecordsPerSec float64 `json:"records_per_sec"`
	RebalanceMs   int64   `json:"rebalance_time_ms"`
	FetchMs       int64   `json:"fetch_time_ms"`
	FetchMBPerSec float64 `json:"fetch_mb_per_sec"`
	FetchPerSec   float64 `json:"fetch_records_per_sec"`
}

func runConsumerPerf(args []string, e *cli.Env) int {
	f := cli.NewFlags("consumer-perf-test", consumerPerfUsage)
	bootstrap := f.Bootstrap()
	topic := f.String("topic", "", "")
	messages := f.Int64("messages", 0, "")
	group := f.String("group", "", "")
	fromLatest := f.Bool("from-latest", false, "")
	timeout := f.Int64("timeout", 10000, "")
	fetchSize := f.Int("fetch-size", 1<<20, "")
	interval := f.Int64("reporting-interval", 5000, "")
	detailed := f.Bool("show-detailed-stats", false, "")
	hideHeader := f.Bool("hide-header", false, "")
	dateFormat := f.String("date-format", "yyyy-MM-dd HH:mm:ss:SSS", "")
	asJSON := f.Bool("json", false, "")
	client := f.ClientConfig([]string{"consumer.config", "command-config"}, nil)
	if ok, code := f.Parse(args, e); !ok {
		return code
	}
	cp, err := client.Load(f)
	if err != nil {
		return f.UsageError(e, "%v", err)
	}
	cc, err := cli.ConsumerOpts(cp)
	if err != nil {
		return f.UsageError(e, "%v", err)
	}
	cli.WarnUnused(e, "consumer-perf-test", "consumer", cc.Ignored)
	switch {
	case *topic == "":
		return f.UsageError(e, "--topic is required")
	case *messages <= 0:
		return f.UsageError(e, "--messages is required and must be positive")
	case *timeout <= 0 || *interval <= 0 || *fetchSize <= 0:
		return f.UsageError(e, "--timeout, --reporting-interval and --fetch-size must be positive")
	}
	layout := javaDateFormat(*dateFormat)
	start := kgo.NewOffset().AtStart()
	if *fromLatest {
		start = kgo.NewOffset().AtEnd()
	}
	// As in ConsumerPerformance, the flags win over the file.
	opts := append([]kgo.Opt{kgo.ClientID("perf-consumer-client")}, cc.Opts...)
	opts = append(opts, kgo.ConsumeTopics(*topic), kgo.ConsumeResetOffset(start), kgo.FetchMaxPartitionBytes(int32(*fetchSize)))
	if *group != "" {
		opts = append(opts, kgo.ConsumerGroup(*group), kgo.DisableAutoCommit())
	}

	ctx, cancel := e.Context()
	defer cancel()
	var joinStart, joined time.Time
	if *group != "" {
		opts = append(opts, kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, _ map[string][]int32) {
			if joined.IsZero() {
				joined = e.Now()
			}
		}))
	}
	cl, err := cli.Connect(ctx, e, *bootstrap, opts...)
	if err != nil {
		return cli.Fail(e, "consumer-perf-test", err)
	}
	defer cl.Close()
	if _, err := cli.TopicPartitions(ctx, cl, *topic, false); err != nil {
		return cli.Fail(e, "consumer-perf-test", err)
	}
	if *group != "" {
		if err := cli.RequireGroups(ctx, cl); err != nil {
			return cli.Fail(e, "consumer-perf-test", err)
		}
	}
	if !*hideHeader && !*asJSON {
		fields := ", rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec"
		if *detailed {
			fmt.Fprintf(e.Stdout, "time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec%s\n", fields)
		} else {
			fmt.Fprintf(e.Stdout, "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec%s\n", fields)
		}
	}
	startT := e.Now()
	joinStart = startT
	var bytesRead, read, lastBytes, lastRead int64
	lastReport := startT
	err = cli.ConsumeLoop(ctx, e, cl, *messages, time.Duration(*timeout)*time.Millisecond, func(r *kgo.Record) {
		read++
		bytesRead += int64(len(r.Key) + len(r.Value))
		now := e.Now()
		if *detailed && now.Sub(lastReport) >= time.Duration(*interval)*time.Millisecond {
			elapsed := float64(now.Sub(lastReport).Milliseconds())
			mb := float64(bytesRead) / (1024 * 1024)
			imb := float64(bytesRead-lastBytes) / (1024 * 1024)
			fetchMs := now.Sub(lastReport).Milliseconds()
			fmt.Fprintf(e.Stdout, "%s, %d, %.4f, %.4f, %d, %.4f, %d, %d, %.4f, %.4f\n", formatJavaDate(now, layout), 0, mb,
				1000*imb/elapsed, read, 1000*float64(read-lastRead)/elapsed, 0, fetchMs, 1000*imb/float64(max(fetchMs, 1)),
				1000*float64(read-lastRead)/float64(max(fetchMs, 1)))
			lastReport, lastBytes, lastRead = now, bytesRead, read
		}
	}, func() {})
	end := e.Now()
	if err != nil {
		return cli.Fail(e, "consumer-perf-test", err)
	}
	if read < *messages {
		fmt.Fprintf(e.Stdout, "WARNING: Exiting before consuming the expected number of messages: timeout (%d ms) exceeded. You can use the --timeout option to increase the timeout.\n", *timeout)
	}
	var joinMs int64
	if !joined.IsZero() {
		joinMs = joined.Sub(joinStart).Milliseconds()
	}
	elapsedSec := max(float64(end.Sub(startT).Milliseconds()), 1) / 1000
	fetchMs := max(end.Sub(startT).Milliseconds()-joinMs, 1)
	mb := float64(bytesRead) / (1024 * 1024)
	res := consumerPerfResult{StartTime: formatJavaDate(startT, layout), EndTime: formatJavaDate(end, layout), MB: mb, MBPerSec: mb / elapsedSec,
		Records: read, RecordsPerSec: float64(read) / elapsedSec, RebalanceMs: joinMs, FetchMs: fetchMs,
		FetchMBPerSec: mb / (float64(fetchMs) / 1000), FetchPerSec: float64(read) / (float64(fetchMs) / 1000)}
	if *asJSON {
		writeJSON(e.Stdout, res)
	} else if !*detailed {
		fmt.Fprintf(e.Stdout, "%s, %s, %.4f, %.4f, %d, %.4f, %d, %d, %.4f, %.4f\n", res.StartTime, res.EndTime, res.MB, res.MBPerSec,
			res.Records, res.RecordsPerSec, res.RebalanceMs, res.FetchMs, res.FetchMBPerSec, res.FetchPerSec)
	}
	return cli.ExitOK
}
