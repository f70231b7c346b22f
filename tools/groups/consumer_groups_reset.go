package groups

// --reset-offsets of consumer-groups: the plan, its offsets and their
// printing, as Kafka's ConsumerGroupCommand.resetOffsets does.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/stratabroker/strata/tools/cli"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// resetPlan is what --reset-offsets was asked to do.
type resetPlan struct {
	allTopics, execute, export bool
	topics                     []string
	scenario                   string
	offset, shift              int64
	timestamp                  int64                   // ms, for to-datetime and by-duration
	fromFile                   map[string]kadm.Offsets // by group, for from-file
}

// parseResetPlan reads the CSV of --from-file, as Kafka's
// ConsumerGroupCommand does: lines of topic,partition,offset (for the one
// group named by single) or group,topic,partition,offset.
func parseResetPlan(csv, single string) (map[string]kadm.Offsets, error) {
	plan := map[string]kadm.Offsets{}
	for i, line := range strings.Split(csv, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		cols := strings.Split(line, ",")
		group := single
		switch len(cols) {
		case 3:
			if single == "" {
				return nil, fmt.Errorf("line %d: topic,partition,offset needs exactly one --group", i+1)
			}
		case 4:
			group, cols = cols[0], cols[1:]
		default:
			return nil, fmt.Errorf("line %d: %q is not topic,partition,offset or group,topic,partition,offset", i+1, line)
		}
		p, err1 := strconv.ParseInt(cols[1], 10, 32)
		o, err2 := strconv.ParseInt(cols[2], 10, 64)
		if err1 != nil || err2 != nil || p < 0 {
			return nil, fmt.Errorf("line %d: %q: bad partition or offset", i+1, line)
		}
		offs := plan[group]
		if offs == nil {
			offs = kadm.Offsets{}
		}
		offs.AddOffset(cols[0], int32(p), o, -1)
		plan[group] = offs
	}
	return plan, nil
}

// progressGroups is the number of groups from which a reset shows progress.
const progressGroups = 20

func (g *groupsCmd) reset(ctx context.Context, groups []string, plan *resetPlan) error {
	described, err := g.describe(ctx, groups)
	if err != nil {
		return err
	}
	results := map[string]kadm.Offsets{}
	reported := false
	// With --all-groups over many groups, a terminal shows how far it is.
	prog := cli.NewProgress(g.e, int64(len(groups)), progressGroups, "resetting offsets of groups", false)
	defer prog.Done()
	for i, name := range groups {
		prog.Set(int64(i))
		d := described[name]
		if d.State != "Empty" && d.State != "Dead" && d.State != "" {
			g.printError("Assignments can only be reset if the group '%s' is inactive, but the current state is %s.", name, d.State)
			reported = true
			continue
		}
		offs, err := g.planReset(ctx, name, plan)
		if err != nil {
			return err
		}
		if plan.execute && len(offs) > 0 {
			resps, err := g.adm.CommitOffsets(ctx, name, offs)
			if err == nil {
				err = resps.Error()
			}
			if err != nil {
				return fmt.Errorf("committing offsets of group %s: %s", name, cli.ErrText(err))
			}
		}
		results[name] = offs
	}
	if plan.export && len(results) > 0 {
		// Kafka's exportOffsetsToCsv.
		for _, name := range groups {
			for _, o := range results[name].Sorted() {
				if len(groups) == 1 {
					fmt.Fprintf(g.e.Stdout, "%s,%d,%d\n", o.Topic, o.Partition, o.At)
				} else {
					fmt.Fprintf(g.e.Stdout, "%s,%s,%d,%d\n", name, o.Topic, o.Partition, o.At)
				}
			}
		}
	} else if len(results) > 0 {
		gw, tw := 15, 15
		for name, offs := range results {
			gw = max(gw, len(name))
			offs.Each(func(o kadm.Offset) { tw = max(tw, len(o.Topic)) })
		}
		format := fmt.Sprintf("\n%%-%dv %%-%dv %%-10v %%v", gw, tw)
		fmt.Fprintf(g.e.Stdout, format, "GROUP", "TOPIC", "PARTITION", "NEW-OFFSET")
		for _, name := range groups {
			if offs, ok := results[name]; ok {
				for _, o := range offs.Sorted() {
					fmt.Fprintf(g.e.Stdout, format, name, o.Topic, o.Partition, o.At)
				}
			}
		}
		fmt.Fprintln(g.e.Stdout)
	}
	if reported {
		return errReported
	}
	return nil
}

// planReset computes the new offsets of one group.
func (g *groupsCmd) planReset(ctx context.Context, group string, plan *resetPlan) (kadm.Offsets, error) {
	committed, err := g.adm.FetchOffsets(ctx, group)
	if err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
		return nil, fmt.Errorf("fetching the offsets of group %s: %s", group, cli.ErrText(err))
	}
	if committed == nil {
		committed = kadm.OffsetResponses{}
	}
	var tps []kadm.Offset
	requested := kadm.Offsets{}
	if plan.scenario == "from-file" {
		forGroup, ok := plan.fromFile[group]
		if !ok {
			g.printError("No reset plan for group %s found", group)
			return kadm.Offsets{}, nil
		}
		for _, o := range forGroup.Sorted() {
			tps = append(tps, kadm.Offset{Topic: o.Topic, Partition: o.Partition})
			requested.Add(o)
		}
	} else if plan.allTopics {
		for _, o := range committed.Sorted() {
			tps = append(tps, kadm.Offset{Topic: o.Topic, Partition: o.Partition})
		}
	} else {
		var names []string
		want := map[string][]int32{}
		for _, t := range plan.topics {
			tp, _ := parseTopicPartitions(t)
			names = append(names, tp.topic)
			want[tp.topic] = append(want[tp.topic], tp.partitions...)
		}
		details, err := g.adm.ListTopics(ctx, names...)
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			d, ok := details[name]
			if !ok || d.Err != nil {
				return nil, fmt.Errorf("topic '%s' %w", name, cli.ErrNotFound)
			}
			ps := want[name]
			if len(ps) == 0 {
				ps = d.Partitions.Numbers()
			}
			for _, p := range ps {
				if _, ok := d.Partitions[p]; !ok {
					return nil, fmt.Errorf("partition %s-%d %w", name, p, cli.ErrNotFound)
				}
				tps = append(tps, kadm.Offset{Topic: name, Partition: p})
			}
		}
	}
	if len(tps) == 0 {
		return kadm.Offsets{}, nil
	}
	set := kadm.Offsets{}
	for _, tp := range tps {
		set.Add(tp)
	}
	topics := set.TopicsSet().Topics()
	starts, err := g.adm.ListStartOffsets(ctx, topics...)
	if err != nil {
		return nil, err
	}
	ends, err := g.adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return nil, err
	}
	var byTime kadm.ListedOffsets
	if plan.scenario == "to-datetime" || plan.scenario == "by-duration" {
		if byTime, err = g.adm.ListOffsetsAfterMilli(ctx, plan.timestamp, topics...); err != nil {
			return nil, err
		}
	}
	out := kadm.Offsets{}
	for _, tp := range tps {
		s, ok1 := starts.Lookup(tp.Topic, tp.Partition)
		en, ok2 := ends.Lookup(tp.Topic, tp.Partition)
		if !ok1 || !ok2 || s.Err != nil || en.Err != nil {
			return nil, fmt.Errorf("listing offsets of %s-%d failed", tp.Topic, tp.Partition)
		}
		cur, hasCur := committed.Lookup(tp.Topic, tp.Partition)
		hasCur = hasCur && cur.Err == nil && cur.At >= 0
		var to int64
		switch plan.scenario {
		case "to-earliest":
			to = s.Offset
		case "to-latest":
			to = en.Offset
		case "to-current":
			to = en.Offset
			if hasCur {
				to = cur.At
			}
		case "to-offset":
			to = plan.offset
		case "shift-by":
			if !hasCur {
				return nil, fmt.Errorf("cannot shift offset for partition %s-%d since there is no current committed offset", tp.Topic, tp.Partition)
			}
			to = cur.At + plan.shift
		case "to-datetime", "by-duration":
			to = en.Offset
			if l, ok := byTime.Lookup(tp.Topic, tp.Partition); ok && l.Err == nil && l.Offset >= 0 {
				to = l.Offset
			}
		case "from-file":
			r, _ := requested.Lookup(tp.Topic, tp.Partition)
			to = r.At
		}
		switch plan.scenario {
		case "to-offset", "shift-by", "from-file":
			// Kafka's checkOffsetsRange, with its warning.
			if to > en.Offset {
				fmt.Fprintf(g.e.Stderr, "WARN New offset (%d) is higher than latest offset for topic partition %s-%d. Value will be set to %d\n", to, tp.Topic, tp.Partition, en.Offset)
				to = en.Offset
			} else if to < s.Offset {
				fmt.Fprintf(g.e.Stderr, "WARN New offset (%d) is lower than earliest offset for topic partition %s-%d. Value will be set to %d\n", to, tp.Topic, tp.Partition, s.Offset)
				to = s.Offset
			}
		}
		out.AddOffset(tp.Topic, tp.Partition, to, -1)
	}
	return out, nil
}
