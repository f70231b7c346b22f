package groups

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/stratabroker/strata/tools/cli"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

const consumerGroupsUsage = `Usage: strata consumer-groups [--bootstrap-server host:port] <action> [flags]

Lists, describes and deletes consumer groups and resets their offsets, as
kafka-consumer-groups.sh does (classic groups).

Actions (exactly one):
  --list                   list the groups (with --state: and their states)
  --describe               describe --group G (repeatable) or --all-groups:
                             (default, or --offsets) CURRENT-OFFSET, LOG-END-OFFSET and LAG per partition
                             --members [--verbose]  the members and their partition counts
                             --state   [--verbose]  coordinator, assignment strategy, state, member count
  --delete                 delete --group G (repeatable) or --all-groups
  --reset-offsets          plan (--dry-run, the default) or --execute an offset reset of inactive groups:
                             scope:    --all-topics | --topic T[:P,P...] (repeatable)
                             scenario: --to-earliest | --to-latest | --to-current | --to-offset N |
                                       --shift-by N | --to-datetime YYYY-MM-DDTHH:mm:SS.sss[zone] |
                                       --by-duration PnDTnHnMnS | --from-file CSV (needs no scope)
                             --export: print the plan as CSV (topic,partition,offset; with several
                                       groups group,topic,partition,offset), the format --from-file reads
                             without --dry-run or --execute, Kafka's warning that nothing is done;
                             --to-offset, --shift-by and --from-file offsets outside a partition's
                             log are set to its start or end, with a WARN line each
  --delete-offsets         delete the committed offsets of --group for --topic T[:P,...]
Flags:
  --bootstrap-server S     the broker(s) to connect to (default localhost:9092)
  --command-config FILE    admin client properties from a file: client.id, request.timeout.ms,
                           default.api.timeout.ms; others are reported as not used
`

func runConsumerGroups(args []string, e *cli.Env) int {
	f := cli.NewFlags("consumer-groups", consumerGroupsUsage)
	bootstrap := f.Bootstrap()
	list := f.Bool("list", false, "")
	describe := f.Bool("describe", false, "")
	del := f.Bool("delete", false, "")
	reset := f.Bool("reset-offsets", false, "")
	delOffsets := f.Bool("delete-offsets", false, "")
	var groups, topics cli.Strs
	f.Var(&groups, "group", "")
	f.Var(&topics, "topic", "")
	allGroups := f.Bool("all-groups", false, "")
	allTopics := f.Bool("all-topics", false, "")
	members := f.Bool("members", false, "")
	offsets := f.Bool("offsets", false, "")
	state := f.Bool("state", false, "")
	verbose := f.Bool("verbose", false, "")
	toEarliest := f.Bool("to-earliest", false, "")
	toLatest := f.Bool("to-latest", false, "")
	toCurrent := f.Bool("to-current", false, "")
	toOffset := f.Int64("to-offset", 0, "")
	shiftBy := f.Int64("shift-by", 0, "")
	toDatetime := f.String("to-datetime", "", "")
	byDuration := f.String("by-duration", "", "")
	fromFile := f.String("from-file", "", "")
	export := f.Bool("export", false, "")
	dryRun := f.Bool("dry-run", false, "")
	execute := f.Bool("execute", false, "")
	cmdConfig := f.CommandConfig()
	if ok, code := f.Parse(args, e); !ok {
		return code
	}
	aopts, code := cmdConfig.AdminOptions(e, f)
	if code != cli.ExitOK {
		return code
	}
	actions := 0
	for _, a := range []bool{*list, *describe, *del, *reset, *delOffsets} {
		if a {
			actions++
		}
	}
	if actions != 1 {
		return f.UsageError(e, "command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets")
	}
	if (*describe || *del || *reset) && len(groups) == 0 && !*allGroups {
		return f.UsageError(e, "--group or --all-groups is required")
	}
	if *delOffsets && (len(groups) != 1 || len(topics) == 0) {
		return f.UsageError(e, "--delete-offsets needs one --group and at least one --topic")
	}
	if *describe {
		n := 0
		for _, b := range []bool{*members, *offsets, *state} {
			if b {
				n++
			}
		}
		if n > 1 {
			return f.UsageError(e, "--describe takes at most one of --members, --offsets, --state")
		}
	}
	var plan *resetPlan
	if *reset {
		if *allTopics == (len(topics) > 0) && !f.IsSet("from-file") {
			return f.UsageError(e, "one of the reset scopes should be defined: --all-topics, --topic")
		}
		if *dryRun && *execute {
			return f.UsageError(e, "--dry-run and --execute cannot be specified together")
		}
		plan = &resetPlan{allTopics: *allTopics, execute: *execute, export: *export}
		n := 0
		for name, on := range map[string]bool{
			"to-earliest": *toEarliest, "to-latest": *toLatest, "to-current": *toCurrent,
			"to-offset": f.IsSet("to-offset"), "shift-by": f.IsSet("shift-by"),
			"to-datetime": f.IsSet("to-datetime"), "by-duration": f.IsSet("by-duration"),
			"from-file": f.IsSet("from-file"),
		} {
			if on {
				plan.scenario = name
				n++
			}
		}
		if n != 1 {
			return f.UsageError(e, "--reset-offsets requires exactly one scenario: --to-earliest, --to-latest, --to-current, --to-offset, --shift-by, --to-datetime, --by-duration, --from-file")
		}
		plan.offset, plan.shift = *toOffset, *shiftBy
		switch plan.scenario {
		case "to-datetime":
			ms, err := cli.ParseDatetime(*toDatetime)
			if err != nil {
				return f.UsageError(e, "--to-datetime: %v", err)
			}
			plan.timestamp = ms
		case "by-duration":
			d, err := cli.ParseISODuration(*byDuration)
			if err != nil {
				return f.UsageError(e, "--by-duration: %v", err)
			}
			plan.timestamp = e.Now().Add(-d).UnixMilli()
		case "from-file":
			csv, err := os.ReadFile(*fromFile)
			if err != nil {
				return cli.Fail(e, "consumer-groups", err)
			}
			single := ""
			if len(groups) == 1 {
				single = groups[0]
			}
			if plan.fromFile, err = parseResetPlan(string(csv), single); err != nil {
				return f.UsageError(e, "--from-file %s: %v", *fromFile, err)
			}
		}
		for _, t := range topics {
			if _, err := parseTopicPartitions(t); err != nil {
				return f.UsageError(e, "--topic: %v", err)
			}
		}
		plan.topics = topics
	}

	if *reset && !*dryRun && !*execute {
		// ConsumerGroupCommandOptions' warning (its missing space included),
		// once the command line is known to be good.
		fmt.Fprintln(e.Stderr, "WARN: No action will be performed as the --execute option is missing."+
			"In a future major release, the default behavior of this command will be to prompt the user before "+
			"executing the reset rather than doing a dry run. You should add the --dry-run option explicitly "+
			"if you are scripting this command and want to keep the current default behavior without prompting.")
	}
	ctx, cancel := e.Context()
	defer cancel()
	cl, err := cli.Connect(ctx, e, *bootstrap, aopts...)
	if err != nil {
		return cli.Fail(e, "consumer-groups", err)
	}
	defer cl.Close()
	if err := cli.RequireGroups(ctx, cl); err != nil {
		return cli.Fail(e, "consumer-groups", err)
	}
	adm := cli.Admin(e, cl)
	ctx, cancelOp := e.OpContext(ctx)
	defer cancelOp()
	if (*describe || *del || *reset) && *allGroups {
		listed, err := adm.ListGroups(ctx)
		if err != nil {
			return cli.Fail(e, "consumer-groups", err)
		}
		groups = listed.Groups()
	}
	sort.Strings(groups)
	g := &groupsCmd{e: e, adm: adm}
	switch {
	case *list:
		err = g.list(ctx, *state)
	case *describe && *members:
		err = g.describeMembers(ctx, groups, *verbose)
	case *describe && *state:
		err = g.describeState(ctx, groups, *verbose)
	case *describe:
		err = g.describeOffsets(ctx, groups)
	case *del:
		err = g.delete(ctx, groups)
	case *reset:
		err = g.reset(ctx, groups, plan)
	case *delOffsets:
		err = g.deleteOffsets(ctx, groups[0], topics)
	}
	if err != nil {
		if errors.Is(err, errReported) {
			return cli.ExitError
		}
		return cli.Fail(e, "consumer-groups", err)
	}
	return cli.ExitOK
}

// errReported: the command printed its error in Kafka's words already.
var errReported = errors.New("reported")

type groupsCmd struct {
	e   *cli.Env
	adm *kadm.Client
}

// printError is ConsumerGroupCommand.printError: a blank line, then the error, on stdout.
func (g *groupsCmd) printError(format string, args ...any) {
	fmt.Fprintf(g.e.Stdout, "\nError: "+format+"\n", args...)
}

func (g *groupsCmd) list(ctx context.Context, withState bool) error {
	listed, err := g.adm.ListGroups(ctx)
	if err != nil {
		return err
	}
	sorted := listed.Sorted()
	if !withState {
		for _, l := range sorted {
			fmt.Fprintln(g.e.Stdout, l.Group)
		}
		return nil
	}
	w := 15
	for _, l := range sorted {
		w = max(w, len(l.Group))
	}
	format := fmt.Sprintf("%%-%dv %%-20v\n", w+10)
	fmt.Fprintf(g.e.Stdout, format, "GROUP", "STATE")
	for _, l := range sorted {
		st := l.State
		if st == "" {
			st = "Unknown"
		}
		fmt.Fprintf(g.e.Stdout, format, l.Group, st)
	}
	return nil
}

// describe fetches the groups; unknown groups come back Dead.
func (g *groupsCmd) describe(ctx context.Context, groups []string) (kadm.DescribedGroups, error) {
	described, err := g.adm.DescribeGroups(ctx, groups...)
	if err != nil {
		return nil, err
	}
	for _, name := range groups {
		if d, ok := described[name]; ok && d.Err != nil && !errors.Is(d.Err, kerr.GroupIDNotFound) {
			return nil, fmt.Errorf("describing group %s: %s", name, cli.ErrText(d.Err))
		}
	}
	return described, nil
}

// shouldPrint is Kafka's shouldPrintMemberState: the messages for dead,
// empty and rebalancing groups, and whether rows follow.
func (g *groupsCmd) shouldPrint(name string, d kadm.DescribedGroup, rows int, missing *bool) bool {
	switch d.State {
	case "Dead", "":
		g.printError("Consumer group '%s' does not exist.", name)
		*missing = true
		return false
	case "Empty":
		fmt.Fprintf(g.e.Stderr, "\nConsumer group '%s' has no active members.\n", name)
	case "PreparingRebalance", "CompletingRebalance":
		fmt.Fprintf(g.e.Stderr, "\nWarning: Consumer group '%s' is rebalancing.\n", name)
	}
	return rows > 0
}

type offsetRow struct {
	group, topic           string
	partition              int32
	offset, leo, lag       string
	consumer, host, client string
	hasTopic               bool
}

func (g *groupsCmd) describeOffsets(ctx context.Context, groups []string) error {
	described, err := g.describe(ctx, groups)
	if err != nil {
		return err
	}
	missing := false
	for _, name := range groups {
		d := described[name]
		committed, err := g.adm.FetchOffsets(ctx, name)
		if err != nil {
			if errors.Is(err, kerr.GroupIDNotFound) {
				committed = kadm.OffsetResponses{}
			} else {
				return fmt.Errorf("fetching the offsets of group %s: %s", name, cli.ErrText(err))
			}
		}
		if err := committed.Error(); err != nil {
			return fmt.Errorf("fetching the offsets of group %s: %s", name, cli.ErrText(err))
		}
		rows, err := g.offsetRows(ctx, name, d, committed)
		if err != nil {
			return err
		}
		if !g.shouldPrint(name, d, len(rows), &missing) {
			continue
		}
		gw, tw, cw, hw := 15, 15, 15, 15
		for _, r := range rows {
			gw, tw, cw, hw = max(gw, len(r.group)), max(tw, len(r.topic)), max(cw, len(r.consumer)), max(hw, len(r.host))
		}
		format := fmt.Sprintf("\n%%-%dv %%-%dv %%-10v %%-15v %%-15v %%-15v %%-%dv %%-%dv %%v", gw, tw, cw, hw)
		fmt.Fprintf(g.e.Stdout, format, "GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID")
		for _, r := range rows {
			p := "-"
			if r.hasTopic {
				p = strconv.Itoa(int(r.partition))
			}
			fmt.Fprintf(g.e.Stdout, format, r.group, r.topic, p, r.offset, r.leo, r.lag, r.consumer, r.host, r.client)
		}
		fmt.Fprintln(g.e.Stdout)
	}
	if missing {
		return errReported
	}
	return nil
}

// offsetRows builds Kafka's collectGroupOffsets rows: the members with an
// assignment (most partitions first), each with its partitions by topic and
// partition, then committed partitions no member owns.
func (g *groupsCmd) offsetRows(ctx context.Context, name string, d kadm.DescribedGroup, committed kadm.OffsetResponses) ([]offsetRow, error) {
	type member struct {
		id, host, client string
		tps              []kadm.Offset
	}
	var ms []member
	assigned := map[string]map[int32]bool{}
	topicSet := map[string]bool{}
	for _, m := range d.Members {
		ca, ok := m.Assigned.AsConsumer()
		if !ok || ca == nil {
			continue
		}
		mm := member{id: m.MemberID, host: m.ClientHost, client: m.ClientID}
		for _, t := range ca.Topics {
			for _, p := range t.Partitions {
				mm.tps = append(mm.tps, kadm.Offset{Topic: t.Topic, Partition: p})
				if assigned[t.Topic] == nil {
					assigned[t.Topic] = map[int32]bool{}
				}
				assigned[t.Topic][p] = true
				topicSet[t.Topic] = true
			}
		}
		if len(mm.tps) > 0 {
			ms = append(ms, mm)
		}
	}
	sort.SliceStable(ms, func(i, j int) bool { return len(ms[i].tps) > len(ms[j].tps) })
	var unassigned []kadm.Offset
	for _, o := range committed.Sorted() {
		topicSet[o.Topic] = true
		if !assigned[o.Topic][o.Partition] {
			unassigned = append(unassigned, o.Offset)
		}
	}
	var topics []string
	for t := range topicSet {
		topics = append(topics, t)
	}
	ends := kadm.ListedOffsets{}
	if len(topics) > 0 {
		var err error
		if ends, err = g.adm.ListEndOffsets(ctx, topics...); err != nil {
			return nil, fmt.Errorf("listing end offsets: %s", cli.ErrText(err))
		}
	}
	row := func(tp kadm.Offset, consumer, host, client string) offsetRow {
		r := offsetRow{group: name, topic: tp.Topic, partition: tp.Partition, hasTopic: true,
			offset: "-", leo: "-", lag: "-", consumer: consumer, host: host, client: client}
		var cur int64 = -1
		if c, ok := committed.Lookup(tp.Topic, tp.Partition); ok && c.Err == nil && c.At >= 0 {
			cur = c.At
			r.offset = strconv.FormatInt(cur, 10)
		}
		if l, ok := ends.Lookup(tp.Topic, tp.Partition); ok && l.Err == nil {
			r.leo = strconv.FormatInt(l.Offset, 10)
			if cur >= 0 {
				r.lag = strconv.FormatInt(l.Offset-cur, 10)
			}
		}
		return r
	}
	sortTPs := func(tps []kadm.Offset) {
		sort.Slice(tps, func(i, j int) bool {
			if tps[i].Topic != tps[j].Topic {
				return tps[i].Topic < tps[j].Topic
			}
			return tps[i].Partition < tps[j].Partition
		})
	}
	var rows []offsetRow
	for _, m := range ms {
		sortTPs(m.tps)
		for _, tp := range m.tps {
			rows = append(rows, row(tp, m.id, m.host, m.client))
		}
	}
	sortTPs(unassigned)
	for _, tp := range unassigned {
		rows = append(rows, row(tp, "-", "-", "-"))
	}
	return rows, nil
}

func (g *groupsCmd) describeMembers(ctx context.Context, groups []string, verbose bool) error {
	described, err := g.describe(ctx, groups)
	if err != nil {
		return err
	}
	missing := false
	for _, name := range groups {
		d := described[name]
		if !g.shouldPrint(name, d, len(d.Members), &missing) {
			continue
		}
		gw, cw, iw, hw, clw, caw := 15, 15, 17, 15, 15, 20
		withInstance := false
		assignments := make([]string, len(d.Members))
		for i, m := range d.Members {
			gw, cw, hw, clw = max(gw, len(name)), max(cw, len(m.MemberID)), max(hw, len(m.ClientHost)), max(clw, len(m.ClientID))
			if m.InstanceID != nil && *m.InstanceID != "" {
				withInstance = true
				iw = max(iw, len(*m.InstanceID))
			}
			assignments[i] = "-"
			if ca, ok := m.Assigned.AsConsumer(); ok && ca != nil {
				var parts []string
				for _, t := range ca.Topics {
					ps := append([]int32(nil), t.Partitions...)
					sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
					if len(ps) > 0 {
						parts = append(parts, t.Topic+":"+cli.JoinInt32(ps))
					}
				}
				sort.Strings(parts)
				if len(parts) > 0 {
					assignments[i] = strings.Join(parts, ";")
				}
			}
			caw = max(caw, len(assignments[i]))
		}
		var format string
		if withInstance {
			format = fmt.Sprintf("%%-%dv %%-%dv %%-%dv %%-%dv %%-%dv %%-15v ", gw, cw, iw, hw, clw)
			fmt.Fprintf(g.e.Stdout, "\n"+format, "GROUP", "CONSUMER-ID", "GROUP-INSTANCE-ID", "HOST", "CLIENT-ID", "#PARTITIONS")
		} else {
			format = fmt.Sprintf("%%-%dv %%-%dv %%-%dv %%-%dv %%-15v ", gw, cw, hw, clw)
			fmt.Fprintf(g.e.Stdout, "\n"+format, "GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS")
		}
		vformat := fmt.Sprintf("%%-15v %%-%dv %%-15v %%-20v", caw)
		if verbose {
			fmt.Fprintf(g.e.Stdout, vformat, "CURRENT-EPOCH", "CURRENT-ASSIGNMENT", "TARGET-EPOCH", "TARGET-ASSIGNMENT")
		}
		fmt.Fprintln(g.e.Stdout)
		for i, m := range d.Members {
			n := 0
			if ca, ok := m.Assigned.AsConsumer(); ok && ca != nil {
				for _, t := range ca.Topics {
					n += len(t.Partitions)
				}
			}
			if withInstance {
				inst := ""
				if m.InstanceID != nil {
					inst = *m.InstanceID
				}
				fmt.Fprintf(g.e.Stdout, format, name, m.MemberID, inst, m.ClientHost, m.ClientID, n)
			} else {
				fmt.Fprintf(g.e.Stdout, format, name, m.MemberID, m.ClientHost, m.ClientID, n)
			}
			if verbose {
				fmt.Fprintf(g.e.Stdout, vformat, "-", assignments[i], "-", "-")
			}
			fmt.Fprintln(g.e.Stdout)
		}
	}
	if missing {
		return errReported
	}
	return nil
}

func (g *groupsCmd) describeState(ctx context.Context, groups []string, verbose bool) error {
	described, err := g.describe(ctx, groups)
	if err != nil {
		return err
	}
	missing := false
	for _, name := range groups {
		d := described[name]
		if !g.shouldPrint(name, d, 1, &missing) {
			continue
		}
		coord := fmt.Sprintf("%s:%d  (%d)", d.Coordinator.Host, d.Coordinator.Port, d.Coordinator.NodeID)
		strategy := d.Protocol
		if strategy == "" {
			strategy = "-"
		}
		gw, cw := max(15, len(name)), max(25, len(coord))
		if verbose {
			format := fmt.Sprintf("\n%%-%dv %%-%dv %%-20v %%-20v %%-15v %%-25v %%v", gw, cw)
			fmt.Fprintf(g.e.Stdout, format, "GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "GROUP-EPOCH", "TARGET-ASSIGNMENT-EPOCH", "#MEMBERS")
			fmt.Fprintf(g.e.Stdout, format, name, coord, strategy, d.State, "-", "-", len(d.Members))
		} else {
			format := fmt.Sprintf("\n%%-%dv %%-%dv %%-20v %%-20v %%v", gw, cw)
			fmt.Fprintf(g.e.Stdout, format, "GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS")
			fmt.Fprintf(g.e.Stdout, format, name, coord, strategy, d.State, len(d.Members))
		}
		fmt.Fprintln(g.e.Stdout)
	}
	if missing {
		return errReported
	}
	return nil
}

func (g *groupsCmd) delete(ctx context.Context, groups []string) error {
	resps, err := g.adm.DeleteGroups(ctx, groups...)
	if err != nil {
		return err
	}
	var ok, failed []string
	for _, name := range groups {
		if r, found := resps[name]; found && r.Err != nil {
			failed = append(failed, fmt.Sprintf("* Group '%s' could not be deleted due to: %s", name, cli.ErrText(r.Err)))
		} else {
			ok = append(ok, "'"+name+"'")
		}
	}
	if len(failed) == 0 {
		fmt.Fprintf(g.e.Stdout, "Deletion of requested consumer groups (%s) was successful.\n", strings.Join(ok, ", "))
		return nil
	}
	g.printError("Deletion of some consumer groups failed:")
	for _, l := range failed {
		fmt.Fprintln(g.e.Stdout, l)
	}
	if len(ok) > 0 {
		fmt.Fprintf(g.e.Stdout, "\nThese consumer groups were deleted successfully: %s\n", strings.Join(ok, ", "))
	}
	return errReported
}

func (g *groupsCmd) deleteOffsets(ctx context.Context, group string, topics []string) error {
	set := kadm.TopicsSet{}
	var whole []string
	for _, t := range topics {
		tp, err := parseTopicPartitions(t)
		if err != nil {
			return err
		}
		if len(tp.partitions) == 0 {
			whole = append(whole, tp.topic)
			continue
		}
		for _, p := range tp.partitions {
			set.Add(tp.topic, p)
		}
	}
	if len(whole) > 0 {
		details, err := g.adm.ListTopics(ctx, whole...)
		if err != nil {
			return err
		}
		for _, name := range whole {
			d, ok := details[name]
			if !ok || d.Err != nil {
				return fmt.Errorf("topic '%s' %w", name, cli.ErrNotFound)
			}
			for _, p := range d.Partitions.Numbers() {
				set.Add(name, p)
			}
		}
	}
	resps, err := g.adm.DeleteOffsets(ctx, group, set)
	if err != nil {
		switch {
		case errors.Is(err, kerr.GroupIDNotFound), errors.Is(err, kerr.NonEmptyGroup), errors.Is(err, kerr.InvalidGroupID):
			var ke *kerr.Error
			errors.As(err, &ke)
			g.printError("%s", ke.Description)
			return errReported
		}
		return err
	}
	failed := resps.Error() != nil
	if !failed {
		fmt.Fprintf(g.e.Stdout, "Request succeeded for deleting offsets from group %s.\n", group)
	} else {
		g.printError("Encountered some partition-level error, see the follow-up details.")
	}
	tw := 15
	type row struct {
		topic     string
		partition int32
		status    string
	}
	var rows []row
	for _, tp := range set.Sorted() {
		for _, p := range tp.Partitions {
			tw = max(tw, len(tp.Topic))
			status := "Successful"
			if perr, ok := resps.Lookup(tp.Topic, p); ok && perr != nil {
				status = "Error: " + cli.ErrText(perr)
			}
			rows = append(rows, row{tp.Topic, p, status})
		}
	}
	format := fmt.Sprintf("\n%%-%dv %%-10v %%-15v", tw)
	fmt.Fprintf(g.e.Stdout, format, "TOPIC", "PARTITION", "STATUS")
	for _, r := range rows {
		fmt.Fprintf(g.e.Stdout, format, r.topic, r.partition, r.status)
	}
	fmt.Fprintln(g.e.Stdout)
	if failed {
		return errReported
	}
	return nil
}

type topicPartitionsArg struct {
	topic      string
	partitions []int32
}

// parseTopicPartitions parses "topic" or "topic:0,1,2".
func parseTopicPartitions(s string) (topicPartitionsArg, error) {
	t, ps, hasParts := strings.Cut(s, ":")
	if t == "" {
		return topicPartitionsArg{}, fmt.Errorf("invalid topic %q", s)
	}
	out := topicPartitionsArg{topic: t}
	if hasParts {
		for _, p := range cli.SplitList(ps) {
			n, err := strconv.ParseInt(p, 10, 32)
			if err != nil || n < 0 {
				return out, fmt.Errorf("invalid partition %q in %q", p, s)
			}
			out.partitions = append(out.partitions, int32(n))
		}
	}
	return out, nil
}
