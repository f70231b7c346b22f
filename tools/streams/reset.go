package streams

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stratabroker/strata/tools/cli"
)

const cmdName = "streams-application-reset"

const usage = `Usage: strata streams-application-reset --application-id ID [flags]

This tool helps to quickly reset an application in order to reprocess its data from scratch.
* This tool resets offsets of input topics to the earliest available offset (by default), or to a
  specific defined position.
* This tool deletes the internal topics that were created by Kafka Streams (topics starting with
  "<application.id>-").
The tool finds these internal topics automatically. If the topics flagged automatically for deletion
by the dry-run are unsuitable, you can specify a subset with the "--internal-topics" option.
* This tool will not delete output topics (if you want to delete them, you need to do it yourself
  with the bin/kafka-topics.sh command).
* This tool will not clean up the local state on the stream application instances (the persisted
  stores used to cache aggregation results).
You need to call KafkaStreams#cleanUp() in your application or manually delete them from the
directory specified by "state.dir" configuration (${java.io.tmpdir}/kafka-streams/<application.id>
by default).
* When long session timeout has been configured, active members could take longer to get expired on
  the broker thus blocking the reset job to complete. Use the "--force" option could remove those
  left-over members immediately. Make sure to stop all stream applications when this option is
  specified to avoid unexpected disruptions.

*** Important! You will get wrong output if you don't clean up the local stores after running the
reset tool!

*** Warning! This tool makes irreversible changes to your application. It is strongly recommended
that you run this once with "--dry-run" to preview your changes before making them.

Flags:
  --application-id ID        REQUIRED: The Kafka Streams application ID (application.id).
  --bootstrap-server S       The server(s) to connect to, HOST1:PORT1,HOST2:PORT2
                             (default: localhost:9092).
  --input-topics LIST        Comma-separated list of user input topics. For these topics, the tool
                             by default will reset the offset to the earliest available offset.
                             Reset to other offset position by appending other reset offset option,
                             ex: --input-topics foo --shift-by 5
  --intermediate-topics LIST [deprecated] Comma-separated list of intermediate user topics (topics
                             that are input and output topics). For these topics, the tool will skip
                             to the end.
  --internal-topics LIST     Comma-separated list of internal topics to delete. Must be a subset of
                             the internal topics marked for deletion by the default behaviour (do a
                             dry-run without this option to view these topics).
  --to-earliest              Reset offsets to earliest offset.
  --to-latest                Reset offsets to latest offset.
  --to-offset N              Reset offsets to a specific offset.
  --shift-by N               Reset offsets shifting current offset by 'n', where 'n' can be positive
                             or negative.
  --to-datetime DATETIME     Reset offsets to offset from datetime. Format: 'YYYY-MM-DDThh:mm:ss.sss'
                             (a zone Z, +hh:mm or +hhmm may follow; without one, UTC).
  --by-duration DURATION     Reset offsets to offset by duration from current timestamp.
                             Format: 'PnDTnHnMnS'
  --from-file FILE           Reset offsets to values defined in CSV file (lines TOPIC,PARTITION,OFFSET).
  --dry-run                  Display the actions that would be performed without executing the reset
                             commands.
  --force                    Force the removal of members of the consumer group (intended to remove
                             stopped members if a long session timeout was used). Make sure to shut
                             down all stream applications when this option is specified to avoid
                             unexpected rebalances.
  --command-config FILE      Config properties file to be passed to admin clients and embedded
                             consumer (client.id, request.timeout.ms, default.api.timeout.ms,
                             auto.offset.reset; others are reported as not used).
  --config-file FILE         (DEPRECATED) The same as --command-config.
  --help                     Print usage information.
  --version                  Display the version.
`

// resetSpecs are Kafka's mutually exclusive reset options, in the order its
// checkInvalidArgs calls name them.
var resetSpecs = []string{"to-offset", "to-datetime", "by-duration", "to-earliest", "to-latest", "from-file", "shift-by"}

// options is the parsed command line.
type options struct {
	appID        string
	input        []string
	intermediate []string
	internal     []string
	// intermediateGiven: --intermediate-topics was given (deprecated).
	intermediateGiven bool
	spec              string // one of resetSpecs, or "" (to-earliest)
	toOffset          int64
	shiftBy           int64
	timestamp         int64           // ms, for to-datetime and by-duration
	plan              map[tpKey]int64 // for from-file
	dryRun            bool
	force             bool
	autoReset         string // the consumer's auto.offset.reset ("" is latest)
}

// tpKey names a partition.
type tpKey struct {
	topic     string
	partition int32
}

func runReset(args []string, e *cli.Env) int {
	if len(args) == 0 {
		// CommandLineUtils.isPrintHelpNeeded: no arguments at all.
		fmt.Fprint(e.Stderr, usage)
		return cli.ExitUsage
	}
	f := cli.NewFlags(cmdName, usage)
	bootstrap := f.Bootstrap()
	appID := f.String("application-id", "", "")
	var input, intermediate, internal cli.Strs
	f.Var(&input, "input-topics", "")
	f.Var(&intermediate, "intermediate-topics", "")
	f.Var(&internal, "internal-topics", "")
	toOffset := f.Int64("to-offset", 0, "")
	shiftBy := f.Int64("shift-by", 0, "")
	toDatetime := f.String("to-datetime", "", "")
	byDuration := f.String("by-duration", "", "")
	f.Bool("to-earliest", false, "")
	f.Bool("to-latest", false, "")
	fromFile := f.String("from-file", "", "")
	dryRun := f.Bool("dry-run", false, "")
	force := f.Bool("force", false, "")
	version := f.Bool("version", false, "")
	cf := f.ClientConfig([]string{"config-file", "command-config"}, nil)
	if ok, code := f.Parse(args, e); !ok {
		return code
	}
	if *version {
		fmt.Fprintln(e.Stdout, buildVersion())
		return cli.ExitOK
	}
	if !f.IsSet("application-id") {
		return f.UsageError(e, "Missing required option(s) [application-id]")
	}
	// CommandLineUtils.checkInvalidArgs, in Kafka's order.
	for i, a := range resetSpecs {
		if !f.IsSet(a) {
			continue
		}
		for j, b := range resetSpecs {
			if j != i && f.IsSet(b) {
				return f.UsageError(e, "Option \"[%s]\" can't be used with option \"[%s]\"", a, b)
			}
		}
	}
	if f.IsSet("config-file") && f.IsSet("command-config") {
		return f.UsageError(e, "Option \"[config-file]\" can't be used with option \"[command-config]\"")
	}

	o := &options{
		appID:        *appID,
		input:        splitValues(input),
		intermediate: splitValues(intermediate),
		internal:     splitValues(internal),
		toOffset:     *toOffset,
		shiftBy:      *shiftBy,
		dryRun:       *dryRun,
		force:        *force,

		intermediateGiven: f.IsSet("intermediate-topics"),
	}
	for _, s := range resetSpecs {
		if f.IsSet(s) {
			o.spec = s
		}
	}
	switch o.spec {
	case "to-datetime":
		ms, err := cli.ParseDatetime(*toDatetime)
		if err != nil {
			return f.UsageError(e, "--to-datetime: %v", err)
		}
		o.timestamp = ms
	case "by-duration":
		d, err := cli.ParseISODuration(*byDuration)
		if err != nil {
			return f.UsageError(e, "--by-duration: %v", err)
		}
		o.timestamp = e.Now().Add(-d).UnixMilli()
	case "from-file":
		b, err := os.ReadFile(*fromFile)
		if err != nil {
			return cli.Fail(e, cmdName, fmt.Errorf("--from-file: %v", err))
		}
		if o.plan, err = parseResetPlan(string(b)); err != nil {
			return cli.Fail(e, cmdName, fmt.Errorf("--from-file %s: %v", *fromFile, err))
		}
	}

	if f.IsSet("config-file") {
		fmt.Fprintln(e.Stdout, "Option --config-file has been deprecated and will be removed in a future version. Use --command-config instead.")
	}
	props, err := cf.Load(f)
	if err != nil {
		return f.UsageError(e, "%v", err)
	}
	aopts, code := clientOptions(e, f, props, o)
	if code != cli.ExitOK {
		return code
	}

	ctx, cancel := e.Context()
	defer cancel()
	cl, err := cli.Connect(ctx, e, *bootstrap, aopts...)
	if err != nil {
		return cli.Fail(e, cmdName, err)
	}
	defer cl.Close()
	r := &resetter{e: e, o: o, cl: cl, adm: cli.Admin(e, cl)}
	code, err = r.run(ctx)
	if err != nil {
		var ke *kafkaError
		if errors.As(err, &ke) {
			fmt.Fprintf(e.Stderr, "ERROR: %s\n", ke.Error())
			return cli.ExitError
		}
		return cli.Fail(e, cmdName, err)
	}
	return code
}

// clientOptions maps the properties of --command-config (or --config-file)
// to the admin client's options and takes the embedded consumer's
// auto.offset.reset; a property neither uses gets one warning line.
func clientOptions(e *cli.Env, f *cli.Flags, props map[string]string, o *options) ([]kgo.Opt, int) {
	aopts, adminIgnored, err := cli.AdminOpts(e, props)
	if err != nil {
		return nil, f.UsageError(e, "%v", err)
	}
	cc, err := cli.ConsumerOpts(props)
	if err != nil {
		return nil, f.UsageError(e, "%v", err)
	}
	o.autoReset = cc.Reset
	consumerIgnored := map[string]bool{}
	for _, k := range cc.Ignored {
		consumerIgnored[k] = true
	}
	for _, k := range adminIgnored {
		// The consumer's own settings are used by the reset (or, like
		// group.id and enable.auto.commit, overridden as Kafka does).
		if consumerIgnored[k] {
			fmt.Fprintf(e.Stderr, "strata %s: client property %s is not used\n", cmdName, k)
		}
	}
	return aopts, cli.ExitOK
}

// splitValues splits each value of a list option at commas, as jopt's
// withValuesSeparatedBy(',') does, leaving out empty names.
func splitValues(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			if s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// buildVersion is the version of this binary (Kafka's --version prints
// its own, AppInfoParser.getVersion).
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// kafkaError is an error Kafka's tool raises as its own exception and
// prints as "ERROR: <exception class>: <message>".
type kafkaError struct {
	class, msg string
}

func (k *kafkaError) Error() string { return k.class + ": " + k.msg }

// javaList formats items as Java's List.toString does.
func javaList(items []string) string {
	return "[" + strings.Join(items, ", ") + "]"
}

// resetter runs one reset against a cluster.
type resetter struct {
	e         *cli.Env
	o         *options
	cl        *kgo.Client
	adm       *kadm.Client
	allTopics kadm.TopicDetails
}

// run does the reset in Kafka's order and returns the exit code; err is a
// failure that ends the run.
func (r *resetter) run(ctx context.Context) (int, error) {
	if err := r.removeActiveMembers(ctx); err != nil {
		return cli.ExitError, err
	}
	octx, cancel := r.e.OpContext(ctx)
	topics, err := r.adm.ListTopics(octx)
	cancel()
	if err != nil {
		return cli.ExitError, fmt.Errorf("listing topics: %s", cli.ErrText(err))
	}
	r.allTopics = topics
	if r.o.dryRun {
		fmt.Fprintln(r.e.Stdout, "----Dry run displays the actions which will be performed when running Streams Reset Tool----")
	}
	code, err := r.resetOffsets(ctx)
	if err != nil {
		return cli.ExitError, err
	}
	if err := r.deleteInternalTopics(ctx); err != nil {
		return cli.ExitError, err
	}
	return code, nil
}
