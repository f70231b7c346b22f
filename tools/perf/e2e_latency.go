package perf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/stratabroker/strata/tools/cli"

	"github.com/twmb/franz-go/pkg/kgo"
)

const e2eLatencyUsage = `Usage: strata e2e-latency broker_list topic num_messages producer_acks message_size_bytes [properties_file]
       strata e2e-latency --topic T --num-records N --producer-acks 1|all --record-size S [--bootstrap-server S]

Produces one record at a time, acknowledged, then polls until it is read back,
as kafka-e2e-latency.sh (EndToEndLatency) does: a line every 1000 records
(count, then milliseconds), then the average and the 50th, 99th and 99.9th
percentiles. A missing topic is created with one partition.

Flags:
  --json                    print the results as one JSON object instead
`

type e2eResult struct {
	Records int64   `json:"records"`
	AvgMs   float64 `json:"avg_latency_ms"`
	MaxMs   int64   `json:"max_latency_ms"`
	P50Ms   int64   `json:"p50_ms"`
	P95Ms   int64   `json:"p95_ms"`
	P99Ms   int64   `json:"p99_ms"`
	P999Ms  int64   `json:"p999_ms"`
}

func runE2ELatency(args []string, e *cli.Env) int {
	f := cli.NewFlags("e2e-latency", e2eLatencyUsage)
	bootstrap := f.Bootstrap()
	topic := f.String("topic", "", "")
	num := f.Int64("num-records", 0, "")
	acks := f.String("producer-acks", "", "")
	size := f.Int("record-size", 0, "")
	propsFile := f.String("command-config", "", "")
	asJSON := f.Bool("json", false, "")
	// The classic form is positional; give those to the flags.
	var flagArgs, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if len(a) > 1 && a[0] == '-' {
			flagArgs = append(flagArgs, a)
			if !strings.Contains(a, "=") && !isBoolFlag(f, a) && i+1 < len(args) {
				flagArgs = append(flagArgs, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	if ok, code := f.Parse(flagArgs, e); !ok {
		return code
	}
	if len(pos) > 0 {
		if len(pos) != 5 && len(pos) != 6 {
			return f.UsageError(e, "want broker_list topic num_messages producer_acks message_size_bytes [properties_file]")
		}
		*bootstrap, *topic, *acks = pos[0], pos[1], pos[3]
		var err1, err2 error
		*num, err1 = strconv.ParseInt(pos[2], 10, 64)
		var s int64
		s, err2 = strconv.ParseInt(pos[4], 10, 32)
		*size = int(s)
		if err1 != nil || err2 != nil {
			return f.UsageError(e, "num_messages and message_size_bytes must be numbers")
		}
		if len(pos) == 6 {
			*propsFile = pos[5]
		}
	}
	switch {
	case *topic == "":
		return f.UsageError(e, "--topic is required")
	case *num <= 0:
		return f.UsageError(e, "--num-records must be positive")
	case *size <= 0:
		return f.UsageError(e, "--record-size must be positive")
	case *acks != "1" && *acks != "all":
		return f.UsageError(e, "latency testing requires synchronous acknowledgement. Please use 1 or all")
	}
	pp := map[string]string{}
	if *propsFile != "" {
		var err error
		if pp, err = cli.LoadPropsFile(*propsFile); err != nil {
			return f.UsageError(e, "properties file: %v", err)
		}
	}
	pp["acks"], pp["linger.ms"] = *acks, "0"
	pc, err := cli.ProducerOpts(pp)
	if err != nil {
		return f.UsageError(e, "%v", err)
	}
	opts := pc.Opts

	ctx, cancel := e.Context()
	defer cancel()
	cl, err := cli.Connect(ctx, e, *bootstrap, opts...)
	if err != nil {
		return cli.Fail(e, "e2e-latency", err)
	}
	defer cl.Close()
	adm := cli.Admin(e, cl)
	n, err := cli.TopicPartitions(ctx, cl, *topic, false)
	if errors.Is(err, cli.ErrNotFound) {
		fmt.Fprintf(e.Stdout, "Topic \"%s\" does not exist. Will create topic with %d partition(s) and replication factor = %d\n", *topic, 1, 1)
		octx, ocancel := e.OpContext(ctx)
		_, err = adm.CreateTopic(octx, 1, 1, nil, *topic)
		ocancel()
		if err != nil {
			fmt.Fprintf(e.Stdout, "Creation of topic %s failed\n", *topic)
			return cli.Fail(e, "e2e-latency", err)
		}
		n, err = cli.TopicPartitions(ctx, cl, *topic, false)
	}
	if err != nil {
		return cli.Fail(e, "e2e-latency", err)
	}
	// Start at the end of every partition, resolved now (the Java tool's
	// seekToEnd and position), so the first record sent is the first read.
	octx, ocancel := e.OpContext(ctx)
	ends, err := adm.ListEndOffsets(octx, *topic)
	ocancel()
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return cli.Fail(e, "e2e-latency", err)
	}
	parts := map[int32]kgo.Offset{}
	for p := range n {
		o, ok := ends.Lookup(*topic, p)
		if !ok {
			return cli.Fail(e, "e2e-latency", fmt.Errorf("no end offset for %s-%d", *topic, p))
		}
		parts[p] = kgo.NewOffset().At(o.Offset)
	}
	cons, err := cli.Connect(ctx, e, *bootstrap, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{*topic: parts}),
		kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		return cli.Fail(e, "e2e-latency", err)
	}
	defer cons.Close()

	random := newJavaRandom(0)
	lat := make([]int64, 0, *num)
	var total time.Duration
	for i := int64(0); i < *num; i++ {
		letter := byte(random.nextIntn(26) + 65)
		msg := bytes.Repeat([]byte{letter}, *size)
		begin := time.Now()
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: *topic, Value: msg}).FirstErr(); err != nil {
			return cli.Fail(e, "e2e-latency", fmt.Errorf("sending record %d: %s", i, cli.ErrText(err)))
		}
		pctx, pcancel := context.WithTimeout(ctx, 60*time.Second)
		fetches := cons.PollRecords(pctx, 0)
		pcancel()
		elapsed := time.Since(begin)
		recs := fetches.Records()
		if err := fetches.Err0(); err != nil && len(recs) == 0 {
			if ctx.Err() != nil {
				return cli.Fail(e, "e2e-latency", ctx.Err())
			}
			return cli.Fail(e, "e2e-latency", fmt.Errorf("poll() timed out before finding a result (timeout:[60000]): %v", err))
		}
		if len(recs) == 0 {
			return cli.Fail(e, "e2e-latency", errors.New("poll() timed out before finding a result (timeout:[60000])"))
		}
		if !bytes.Equal(recs[0].Value, msg) {
			return cli.Fail(e, "e2e-latency", fmt.Errorf("the message read [%.40s] did not match the message sent [%.40s]", recs[0].Value, msg))
		}
		if len(recs) != 1 {
			return cli.Fail(e, "e2e-latency", fmt.Errorf("only one result was expected during this test. We found [%d]", len(recs)))
		}
		if i%1000 == 0 && !*asJSON {
			fmt.Fprintf(e.Stdout, "%d\t%s\n", i, javaDouble(float64(elapsed.Nanoseconds())/1000/1000))
		}
		total += elapsed
		lat = append(lat, elapsed.Milliseconds())
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	at := func(p float64) int64 { return lat[min(int(float64(len(lat))*p), len(lat)-1)] }
	res := e2eResult{Records: *num, AvgMs: float64(total.Nanoseconds()) / float64(*num) / 1e6, MaxMs: lat[len(lat)-1],
		P50Ms: at(0.5), P95Ms: at(0.95), P99Ms: at(0.99), P999Ms: at(0.999)}
	if *asJSON {
		writeJSON(e.Stdout, res)
		return cli.ExitOK
	}
	fmt.Fprintf(e.Stdout, "Avg latency: %.4f ms\n", res.AvgMs)
	fmt.Fprintf(e.Stdout, "Percentiles: 50th = %d, 99th = %d, 99.9th = %d\n", res.P50Ms, res.P99Ms, res.P999Ms)
	return cli.ExitOK
}

// isBoolFlag reports whether arg ("--name" or "-name") names a boolean flag of f.
func isBoolFlag(f *cli.Flags, arg string) bool {
	name := arg
	for len(name) > 0 && name[0] == '-' {
		name = name[1:]
	}
	fl := f.Lookup(name)
	if fl == nil {
		return false
	}
	bf, ok := fl.Value.(interface{ IsBoolFlag() bool })
	return ok && bf.IsBoolFlag()
}
