package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/twmb/franz-go/pkg/kadm"
)

const getOffsetsUsage = `Usage: strata get-offsets [flags]

Prints topic:partition:offset for each matching partition, as
kafka-get-offsets.sh (GetOffsetShell) does.

Flags:
  --bootstrap-server S        the broker(s) to connect to (default localhost:9092)
  --command-config FILE       admin client properties from a file: client.id, request.timeout.ms,
                              default.api.timeout.ms; others are reported as not used
  --topic T                   topics to query, a regular expression matching whole names (default all)
  --partitions P              partitions to query: 0,1,4-6 (default all)
  --time T                    -1 or latest (default), -2 or earliest, -3 or max-timestamp,
                              or a timestamp in ms: the first offset at or after it
  --exclude-internal-topics   leave out internal topics
`

func runGetOffsets(args []string, e *env) int {
	f := newFlags("get-offsets", getOffsetsUsage)
	bootstrap := f.bootstrap()
	brokerList := f.String("broker-list", "", "")
	topic := f.String("topic", "", "")
	partitions := f.String("partitions", "", "")
	timeArg := f.String("time", "-1", "")
	excludeInternal := f.Bool("exclude-internal-topics", false, "")
	cmdConfig := f.commandConfig()
	if ok, code := f.parse(args, e); !ok {
		return code
	}
	aopts, code := cmdConfig.adminOptions(e, f)
	if code != exitOK {
		return code
	}
	if *brokerList != "" && !f.set("bootstrap-server") {
		*bootstrap = *brokerList
	}
	var ts int64
	switch *timeArg {
	case "latest":
		ts = -1
	case "earliest":
		ts = -2
	case "max-timestamp":
		ts = -3
	default:
		var err error
		if ts, err = strconv.ParseInt(*timeArg, 10, 64); err != nil || ts < -3 {
			return f.usageError(e, "--time must be -1 (latest), -2 (earliest), -3 (max-timestamp) or a timestamp in ms, not %q", *timeArg)
		}
	}
	var parts map[int32]bool
	if *partitions != "" {
		ps, err := parseInt32List(*partitions)
		if err != nil {
			return f.usageError(e, "--partitions: %v", err)
		}
		parts = map[int32]bool{}
		for _, p := range ps {
			parts[p] = true
		}
	}
	include, err := includeList(".*")
	if *topic != "" {
		include, err = includeList(*topic)
	}
	if err != nil {
		return f.usageError(e, "--topic: %v", err)
	}

	ctx, cancel := e.context()
	defer cancel()
	cl, err := connect(ctx, e, *bootstrap, aopts...)
	if err != nil {
		return fail(e, "get-offsets", err)
	}
	defer cl.Close()
	adm := admin(e, cl)
	ctx, cancelOp := e.opContext(ctx)
	defer cancelOp()
	names, err := matchTopics(ctx, adm, include, *excludeInternal)
	if err == nil && len(names) == 0 {
		err = errors.New("could not match any topic-partitions with the specified filters")
	}
	var listed kadm.ListedOffsets
	if err == nil {
		listed, err = listOffsets(ctx, adm, ts, names)
	}
	if err != nil {
		return fail(e, "get-offsets", err)
	}
	var rows []kadm.ListedOffset
	listed.Each(func(o kadm.ListedOffset) {
		if parts == nil || parts[o.Partition] {
			rows = append(rows, o)
		}
	})
	if len(rows) == 0 {
		return fail(e, "get-offsets", errors.New("could not match any topic-partitions with the specified filters"))
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Topic != rows[j].Topic {
			return rows[i].Topic < rows[j].Topic
		}
		return rows[i].Partition < rows[j].Partition
	})
	for _, o := range rows {
		if o.Err != nil {
			return fail(e, "get-offsets", fmt.Errorf("%s-%d: %s", o.Topic, o.Partition, errText(o.Err)))
		}
		off := ""
		if o.Offset >= 0 {
			off = strconv.FormatInt(o.Offset, 10)
		}
		fmt.Fprintf(e.stdout, "%s:%d:%s\n", o.Topic, o.Partition, off)
	}
	return exitOK
}

func listOffsets(ctx context.Context, adm *kadm.Client, ts int64, topics []string) (kadm.ListedOffsets, error) {
	switch ts {
	case -1:
		return adm.ListEndOffsets(ctx, topics...)
	case -2:
		return adm.ListStartOffsets(ctx, topics...)
	case -3:
		return adm.ListMaxTimestampOffsets(ctx, topics...)
	}
	return adm.ListOffsetsAfterMilli(ctx, ts, topics...)
}
