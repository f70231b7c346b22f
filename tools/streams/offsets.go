package streams

// The new positions of the application's group on its input and
// intermediate topics, printed and committed
// (StreamsResetter.maybeResetInputAndSeekToEndIntermediateTopicOffsets).

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/stratabroker/strata/tools/cli"
)

// resetOffsets moves the group's offsets and returns exit code 1 if a
// named topic does not exist (the others are still reset), as Kafka does.
func (r *resetter) resetOffsets(ctx context.Context) (int, error) {
	o, out := r.o, r.e.Stdout
	if o.intermediateGiven {
		fmt.Fprintln(out, "WARN: `--intermediate-topics` is deprecated and will be removed in a future release")
	}
	if len(o.input) == 0 && len(o.intermediate) == 0 {
		fmt.Fprintln(out, "No input or intermediate topics specified. Skipping seek.")
		return cli.ExitOK, nil
	}
	if len(o.input) > 0 {
		fmt.Fprintln(out, "Reset-offsets for input topics "+javaList(o.input))
	}
	if len(o.intermediate) > 0 {
		fmt.Fprintln(out, "Seek-to-end for intermediate topics "+javaList(o.intermediate))
	}
	code := cli.ExitOK
	subscribe := map[string]bool{}
	var missingInput, missingIntermediate []string
	for _, t := range o.input {
		if _, ok := r.allTopics[t]; ok {
			subscribe[t] = true
		} else {
			missingInput = append(missingInput, t)
		}
	}
	for _, t := range o.intermediate {
		if _, ok := r.allTopics[t]; ok {
			subscribe[t] = true
		} else {
			missingIntermediate = append(missingIntermediate, t)
		}
	}
	if len(missingInput) > 0 {
		fmt.Fprintln(out, "Following input topics are not found, skipping them")
		for _, t := range missingInput {
			fmt.Fprintln(out, "Topic: "+t)
		}
		code = cli.ExitError
	}
	if len(missingIntermediate) > 0 {
		fmt.Fprintln(out, "Following intermediate topics are not found, skipping them")
		for _, t := range missingIntermediate {
			fmt.Fprintln(out, "Topic:"+t) // sic: Kafka's line has no space
		}
		code = cli.ExitError
	}
	if len(subscribe) == 0 {
		return code, nil
	}

	var inputTPs, intermediateTPs []tpKey
	for _, t := range sortedKeys(subscribe) {
		for _, p := range r.allTopics[t].Partitions.Numbers() {
			tp := tpKey{t, p}
			if slices.Contains(o.input, t) {
				inputTPs = append(inputTPs, tp)
			} else {
				intermediateTPs = append(intermediateTPs, tp)
			}
		}
	}
	positions := map[tpKey]int64{}
	if len(inputTPs) > 0 {
		fmt.Fprintf(out, "Following input topics offsets will be reset to (for consumer group %s)\n", o.appID)
		if err := r.inputPositions(ctx, inputTPs, positions); err != nil {
			return cli.ExitError, err
		}
		for _, tp := range inputTPs {
			fmt.Fprintf(out, "Topic: %s Partition: %d Offset: %d\n", tp.topic, tp.partition, positions[tp])
		}
	}
	if len(intermediateTPs) > 0 {
		fmt.Fprintf(out, "Following intermediate topics offsets will be reset to end (for consumer group %s)\n", o.appID)
		for _, tp := range intermediateTPs {
			fmt.Fprintln(out, "Topic: "+tp.topic) // sic: once per partition, as Kafka prints it
		}
		ends, err := r.listOffsets(ctx, topicsOf(intermediateTPs), "end", r.adm.ListEndOffsets)
		if err != nil {
			return cli.ExitError, err
		}
		for _, tp := range intermediateTPs {
			positions[tp] = ends[tp]
		}
	}
	if !o.dryRun {
		offs := kadm.Offsets{}
		for _, tp := range append(inputTPs, intermediateTPs...) {
			offs.AddOffset(tp.topic, tp.partition, positions[tp], -1)
		}
		cctx, cancel := r.e.OpContext(ctx)
		resps, err := r.adm.CommitOffsets(cctx, o.appID, offs)
		cancel()
		if err == nil {
			err = resps.Error()
		}
		if err != nil {
			return cli.ExitError, fmt.Errorf("committing the offsets of group %s: %s", o.appID, cli.ErrText(err))
		}
	}
	fmt.Fprintln(out, "Done.")
	return code, nil
}

// inputPositions computes the new position of each input partition per
// the reset option (maybeReset).
func (r *resetter) inputPositions(ctx context.Context, tps []tpKey, pos map[tpKey]int64) error {
	o := r.o
	topics := topicsOf(tps)
	starts, err := r.listOffsets(ctx, topics, "start", r.adm.ListStartOffsets)
	if err != nil {
		return err
	}
	ends, err := r.listOffsets(ctx, topics, "end", r.adm.ListEndOffsets)
	if err != nil {
		return err
	}
	switch o.spec {
	case "", "to-earliest":
		for _, tp := range tps {
			pos[tp] = starts[tp]
		}
	case "to-latest":
		for _, tp := range tps {
			pos[tp] = ends[tp]
		}
	case "to-offset":
		for _, tp := range tps {
			pos[tp] = r.checkRange(o.toOffset, starts[tp], ends[tp])
		}
	case "shift-by":
		current, err := r.currentPositions(ctx, tps, starts, ends)
		if err != nil {
			return err
		}
		for _, tp := range tps {
			pos[tp] = r.checkRange(current[tp]+o.shiftBy, starts[tp], ends[tp])
		}
	case "to-datetime", "by-duration":
		lctx, cancel := r.e.OpContext(ctx)
		listed, err := r.adm.ListOffsetsAfterMilli(lctx, o.timestamp, topics...)
		cancel()
		if err != nil {
			return fmt.Errorf("listing offsets by time: %s", cli.ErrText(err))
		}
		for _, tp := range tps {
			// kadm answers the log end where no record is at or after the
			// time, where Kafka's offsetsForTimes answers null.
			l, ok := listed.Lookup(tp.topic, tp.partition)
			if ok && l.Err == nil && l.Offset >= 0 && l.Offset < ends[tp] {
				pos[tp] = l.Offset
				continue
			}
			pos[tp] = ends[tp]
			fmt.Fprintf(r.e.Stdout, "Partition %d from topic %s is empty, without a committed record. Falling back to latest known offset.\n", tp.partition, tp.topic)
		}
	case "from-file":
		for _, tp := range tps {
			want, ok := o.plan[tp]
			if !ok {
				return fmt.Errorf("--from-file has no offset for input partition %s-%d", tp.topic, tp.partition)
			}
			pos[tp] = r.checkRange(want, starts[tp], ends[tp])
		}
	}
	return nil
}

// currentPositions are the positions a Java consumer of the group starts
// from: the committed offsets, else per auto.offset.reset (latest when not
// set, as the consumer's default).
func (r *resetter) currentPositions(ctx context.Context, tps []tpKey, starts, ends map[tpKey]int64) (map[tpKey]int64, error) {
	fctx, cancel := r.e.OpContext(ctx)
	committed, err := r.adm.FetchOffsetsForTopics(fctx, r.o.appID, topicsOf(tps)...)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("fetching the offsets of group %s: %s", r.o.appID, cli.ErrText(err))
	}
	cur := map[tpKey]int64{}
	var undefined []string
	for _, tp := range tps {
		if c, ok := committed.Lookup(tp.topic, tp.partition); ok && c.Err == nil && c.At >= 0 {
			cur[tp] = c.At
			continue
		}
		switch r.o.autoReset {
		case "earliest":
			cur[tp] = starts[tp]
		case "none":
			undefined = append(undefined, fmt.Sprintf("%s-%d", tp.topic, tp.partition))
		default:
			cur[tp] = ends[tp]
		}
	}
	if len(undefined) > 0 {
		return nil, &kafkaError{"org.apache.kafka.clients.consumer.NoOffsetForPartitionException",
			"Undefined offset with no reset policy for partitions: " + javaList(undefined)}
	}
	return cur, nil
}

// checkRange is Kafka's checkOffsetRange: an offset at or past the log
// end becomes the end, else one at or before the log start becomes the
// start, each with its line (so an offset equal to the start or end is
// reported too, as Kafka does).
func (r *resetter) checkRange(offset, start, end int64) int64 {
	if offset < end {
		if offset > start {
			return offset
		}
		fmt.Fprintf(r.e.Stdout, "New offset (%d) is lower than earliest offset. Value will be set to %d\n", offset, start)
		return start
	}
	fmt.Fprintf(r.e.Stdout, "New offset (%d) is higher than latest offset. Value will be set to %d\n", offset, end)
	return end
}

// listOffsets lists the start or end offsets of topics' partitions.
func (r *resetter) listOffsets(ctx context.Context, topics []string, which string,
	list func(context.Context, ...string) (kadm.ListedOffsets, error)) (map[tpKey]int64, error) {
	lctx, cancel := r.e.OpContext(ctx)
	listed, err := list(lctx, topics...)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("listing %s offsets: %s", which, cli.ErrText(err))
	}
	out := map[tpKey]int64{}
	var ferr error
	listed.Each(func(l kadm.ListedOffset) {
		if l.Err != nil && ferr == nil {
			ferr = fmt.Errorf("listing the %s offset of %s-%d: %s", which, l.Topic, l.Partition, cli.ErrText(l.Err))
		}
		out[tpKey{l.Topic, l.Partition}] = l.Offset
	})
	return out, ferr
}

// parseResetPlan reads the CSV of --from-file as Kafka's
// StreamsResetter.parseResetPlan does: lines of TOPIC,PARTITION,OFFSET,
// split at "\n" with trailing empty lines dropped (Java's String.split).
func parseResetPlan(csv string) (map[tpKey]int64, error) {
	if csv == "" {
		return nil, fmt.Errorf("Error parsing reset plan CSV file. It is empty,")
	}
	lines := strings.Split(csv, "\n")
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	plan := map[tpKey]int64{}
	for _, line := range lines {
		parts := strings.Split(line, ",")
		for len(parts) > 0 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
		if len(parts) != 3 {
			return nil, fmt.Errorf("Reset plan CSV file is not following the format `TOPIC,PARTITION,OFFSET`.")
		}
		p, err := strconv.ParseInt(parts[1], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("For input string: %q", parts[1])
		}
		off, err := strconv.ParseInt(parts[2], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("For input string: %q", parts[2])
		}
		plan[tpKey{parts[0], int32(p)}] = off
	}
	return plan, nil
}

// topicsOf returns the distinct topics of tps, in order.
func topicsOf(tps []tpKey) []string {
	var out []string
	for _, tp := range tps {
		if len(out) == 0 || out[len(out)-1] != tp.topic {
			out = append(out, tp.topic)
		}
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
