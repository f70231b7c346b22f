package topics

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/stratabroker/strata/tools/cli"

	"github.com/twmb/franz-go/pkg/kadm"
)

const deleteRecordsUsage = `Usage: strata delete-records --offset-json-file FILE [--bootstrap-server host:port]
       [--command-config FILE]

Deletes the records below the given offsets (moves each partition's log start
offset forward), as kafka-delete-records.sh does. FILE holds
  {"partitions": [{"topic": "t", "partition": 0, "offset": 10}], "version": 1}
where offset -1 means the high watermark (delete everything).

--command-config FILE holds admin client properties: client.id, request.timeout.ms,
default.api.timeout.ms; others are reported as not used.
`

type deleteRecordsFile struct {
	Version    int `json:"version"`
	Partitions []struct {
		Topic     string `json:"topic"`
		Partition *int32 `json:"partition"`
		Offset    *int64 `json:"offset"`
	} `json:"partitions"`
}

func runDeleteRecords(args []string, e *cli.Env) int {
	f := cli.NewFlags("delete-records", deleteRecordsUsage)
	bootstrap := f.Bootstrap()
	file := f.String("offset-json-file", "", "")
	cmdConfig := f.CommandConfig()
	if ok, code := f.Parse(args, e); !ok {
		return code
	}
	aopts, code := cmdConfig.AdminOptions(e, f)
	if code != cli.ExitOK {
		return code
	}
	if *file == "" {
		return f.UsageError(e, "--offset-json-file is required")
	}
	raw, err := os.ReadFile(*file)
	if err != nil {
		return cli.Fail(e, "delete-records", err)
	}
	var spec deleteRecordsFile
	if err := json.Unmarshal(raw, &spec); err != nil {
		return cli.Fail(e, "delete-records", fmt.Errorf("%s: %v", *file, err))
	}
	if len(spec.Partitions) == 0 {
		return cli.Fail(e, "delete-records", fmt.Errorf("%s: no partitions", *file))
	}
	offs := kadm.Offsets{}
	for _, p := range spec.Partitions {
		if p.Topic == "" || p.Partition == nil || p.Offset == nil {
			return cli.Fail(e, "delete-records", fmt.Errorf("%s: each partition needs topic, partition and offset", *file))
		}
		if _, dup := offs.Lookup(p.Topic, *p.Partition); dup {
			return cli.Fail(e, "delete-records", fmt.Errorf("%s: offset json file contains duplicate topic partitions: %s-%d", *file, p.Topic, *p.Partition))
		}
		offs.AddOffset(p.Topic, *p.Partition, *p.Offset, -1)
	}

	ctx, cancel := e.Context()
	defer cancel()
	cl, err := cli.Connect(ctx, e, *bootstrap, aopts...)
	if err != nil {
		return cli.Fail(e, "delete-records", err)
	}
	defer cl.Close()
	adm := cli.Admin(e, cl)
	ctx, cancelOp := e.OpContext(ctx)
	defer cancelOp()
	fmt.Fprintln(e.Stdout, "Executing records delete operation")
	resps, err := adm.DeleteRecords(ctx, offs)
	if err != nil {
		return cli.Fail(e, "delete-records", err)
	}
	fmt.Fprintln(e.Stdout, "Records delete operation completed:")
	failed := false
	for _, o := range offs.Sorted() {
		r, ok := resps.Lookup(o.Topic, o.Partition)
		switch {
		case !ok:
			failed = true
			fmt.Fprintf(e.Stdout, "partition: %s-%d\terror: no response\n", o.Topic, o.Partition)
		case r.Err != nil:
			failed = true
			fmt.Fprintf(e.Stdout, "partition: %s-%d\terror: %s\n", o.Topic, o.Partition, cli.ErrText(r.Err))
		default:
			fmt.Fprintf(e.Stdout, "partition: %s-%d\tlow_watermark: %d\n", o.Topic, o.Partition, r.LowWatermark)
		}
	}
	if failed {
		return cli.Fail(e, "delete-records", errors.New("some partitions failed"))
	}
	return cli.ExitOK
}
