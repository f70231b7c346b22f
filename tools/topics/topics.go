package topics

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/stratabroker/strata/tools/cli"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

const topicsUsage = `Usage: strata topics [--bootstrap-server host:port] <action> [flags]

Creates, lists, describes, alters and deletes topics, as kafka-topics.sh does.

Actions (exactly one):
  --create                 create --topic (with --partitions, --replication-factor, --config k=v ...)
  --list                   list topic names (all, or those matching --topic)
  --describe               describe topics (all, or those matching --topic)
  --alter                  raise the partition count of --topic to --partitions
  --delete                 delete the topics matching --topic
Flags:
  --bootstrap-server S     the broker(s) to connect to (default localhost:9092)
  --command-config FILE    admin client properties from a file: client.id, request.timeout.ms,
                           default.api.timeout.ms; others are reported as not used
  --topic T                a topic name; for --list/--describe/--alter/--delete a regular
                           expression that must match whole names (commas mean "or")
  --partitions N           partition count (create: default the broker's num.partitions)
  --replication-factor N   replication factor (default the broker's)
  --config K=V             a topic config for --create (repeatable)
  --if-exists              --alter/--describe/--delete: no error if the topic does not exist
  --if-not-exists          --create: no error if the topic exists
  --exclude-internal       leave out internal topics (__consumer_offsets...)
`

func runTopics(args []string, e *cli.Env) int {
	f := cli.NewFlags("topics", topicsUsage)
	bootstrap := f.Bootstrap()
	create := f.Bool("create", false, "")
	list := f.Bool("list", false, "")
	describe := f.Bool("describe", false, "")
	alter := f.Bool("alter", false, "")
	del := f.Bool("delete", false, "")
	topic := f.String("topic", "", "")
	partitions := f.Int("partitions", 0, "")
	rf := f.Int("replication-factor", 0, "")
	configs := f.MultiValue("config", "")
	ifExists := f.Bool("if-exists", false, "")
	ifNotExists := f.Bool("if-not-exists", false, "")
	excludeInternal := f.Bool("exclude-internal", false, "")
	cmdConfig := f.CommandConfig()
	if ok, code := f.Parse(args, e); !ok {
		return code
	}
	aopts, code := cmdConfig.AdminOptions(e, f)
	if code != cli.ExitOK {
		return code
	}
	actions := 0
	for _, a := range []bool{*create, *list, *describe, *alter, *del} {
		if a {
			actions++
		}
	}
	if actions != 1 {
		return f.UsageError(e, "command must include exactly one action: --list, --describe, --create, --alter or --delete")
	}
	if (*create || *alter || *del) && *topic == "" {
		return f.UsageError(e, "--topic is required with --create, --alter and --delete")
	}
	if f.IsSet("partitions") && *partitions < 1 {
		return f.UsageError(e, "the partitions must be greater than 0")
	}
	if f.IsSet("replication-factor") && (*rf < 1 || *rf > 32767) {
		return f.UsageError(e, "the replication factor must be between 1 and 32767 inclusive")
	}
	if *alter && !f.IsSet("partitions") {
		return f.UsageError(e, "--alter needs --partitions (topic configs change with strata configs)")
	}
	if len(*configs) > 0 && !*create {
		return f.UsageError(e, "--config is only valid with --create (use strata configs --alter)")
	}
	props, err := cli.ParseProps(*configs)
	if err != nil {
		return f.UsageError(e, "%v", err)
	}
	var include *regexp.Regexp
	if *topic != "" && !*create {
		if include, err = includeList(*topic); err != nil {
			return f.UsageError(e, "--topic: %v", err)
		}
	}

	ctx, cancel := e.Context()
	defer cancel()
	cl, err := cli.Connect(ctx, e, *bootstrap, aopts...)
	if err != nil {
		return cli.Fail(e, "topics", err)
	}
	defer cl.Close()
	adm := cli.Admin(e, cl)
	ctx, cancelOp := e.OpContext(ctx)
	defer cancelOp()

	switch {
	case *create:
		err = createTopic(ctx, e, adm, *topic, *partitions, *rf, props, *ifNotExists)
	case *list:
		var names []string
		if names, err = matchTopics(ctx, adm, include, *excludeInternal); err == nil {
			for _, n := range names {
				fmt.Fprintln(e.Stdout, n)
			}
		}
	case *describe:
		err = describeTopics(ctx, e, adm, *topic, include, *excludeInternal, *ifExists)
	case *alter:
		err = alterTopics(ctx, adm, *topic, include, *excludeInternal, *ifExists, *partitions)
	case *del:
		err = deleteTopics(ctx, adm, *topic, include, *excludeInternal, *ifExists)
	}
	if err != nil {
		return cli.Fail(e, "topics", err)
	}
	return cli.ExitOK
}

// includeList compiles Kafka's topic include list: a regular expression
// matched against whole names, with commas meaning "or".
func includeList(s string) (*regexp.Regexp, error) {
	s = strings.Trim(strings.TrimSpace(s), `"'`)
	s = strings.ReplaceAll(s, ",", "|")
	return regexp.Compile("^(?:" + s + ")$")
}

// matchTopics lists topic names, sorted, that match include (nil: all).
func matchTopics(ctx context.Context, adm *kadm.Client, include *regexp.Regexp, excludeInternal bool) ([]string, error) {
	details, err := adm.ListTopicsWithInternal(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, d := range details {
		if d.IsInternal && excludeInternal {
			continue
		}
		if include != nil && !include.MatchString(d.Topic) {
			continue
		}
		names = append(names, d.Topic)
	}
	sort.Strings(names)
	return names, nil
}

// ensureFound is Kafka's ensureTopicExists.
// selectTopics is the topics --topic (a regular expression) names, with
// Kafka's error when a named topic matches nothing and --if-exists is not
// given; no topics and no error means there is nothing to do.
func selectTopics(ctx context.Context, adm *kadm.Client, requested string, include *regexp.Regexp, excludeInternal, ifExists bool) ([]string, error) {
	names, err := matchTopics(ctx, adm, include, excludeInternal)
	if err != nil {
		return nil, err
	}
	return names, ensureFound(names, requested, ifExists)
}

func ensureFound(names []string, requested string, ifExists bool) error {
	if requested != "" && !ifExists && len(names) == 0 {
		return fmt.Errorf("topic '%s' %w as expected", requested, cli.ErrNotFound)
	}
	return nil
}

func createTopic(ctx context.Context, e *cli.Env, adm *kadm.Client, name string, partitions, rf int, props map[string]string, ifNotExists bool) error {
	if strings.ContainsAny(name, "._") {
		fmt.Fprintln(e.Stdout, "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.")
	}
	p, r := int32(-1), int16(-1)
	if partitions > 0 {
		p = int32(partitions)
	}
	if rf > 0 {
		r = int16(rf)
	}
	cfg := make(map[string]*string, len(props))
	for k, v := range props {
		cfg[k] = &v
	}
	resp, err := adm.CreateTopic(ctx, p, r, cfg, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		if ifNotExists && errors.Is(err, kerr.TopicAlreadyExists) {
			return nil
		}
		if resp.ErrMessage != "" {
			return fmt.Errorf("creating topic %s: %s (%s)", name, resp.ErrMessage, cli.ErrText(err))
		}
		return fmt.Errorf("creating topic %s: %s", name, cli.ErrText(err))
	}
	fmt.Fprintf(e.Stdout, "Created topic %s.\n", name)
	return nil
}

func describeTopics(ctx context.Context, e *cli.Env, adm *kadm.Client, requested string, include *regexp.Regexp, excludeInternal, ifExists bool) error {
	names, err := selectTopics(ctx, adm, requested, include, excludeInternal, ifExists)
	if err != nil || len(names) == 0 {
		return err
	}
	details, err := adm.ListTopicsWithInternal(ctx, names...)
	if err != nil {
		return err
	}
	configs, err := adm.DescribeTopicConfigs(ctx, names...)
	if err != nil {
		return err
	}
	byName := make(map[string]kadm.ResourceConfig, len(configs))
	for _, c := range configs {
		byName[c.Name] = c
	}
	for _, name := range names {
		d, ok := details[name]
		if !ok {
			continue
		}
		if d.Err != nil {
			return fmt.Errorf("describing topic %s: %s", name, cli.ErrText(d.Err))
		}
		rc := byName[name]
		if rc.Err != nil {
			return fmt.Errorf("describing the configs of topic %s: %s", name, cli.ErrText(rc.Err))
		}
		parts := d.Partitions.Sorted()
		rf := 0
		if len(parts) > 0 {
			rf = len(parts[0].Replicas)
		}
		var b strings.Builder
		b.WriteString("Topic: " + name)
		if d.ID != (kadm.TopicID{}) {
			b.WriteString("\tTopicId: " + base64.RawURLEncoding.EncodeToString(d.ID[:]))
		}
		fmt.Fprintf(&b, "\tPartitionCount: %d\tReplicationFactor: %d\tConfigs: %s\n", len(parts), rf, nonDefaultConfigs(rc.Configs))
		for _, p := range parts {
			leader := "none"
			if p.Leader >= 0 {
				leader = fmt.Sprint(p.Leader)
			}
			fmt.Fprintf(&b, "\tTopic: %s\tPartition: %d\tLeader: %s\tReplicas: %s\tIsr: %s\tElr: N/A\tLastKnownElr: N/A\n",
				name, p.Partition, leader, cli.JoinInt32(p.Replicas), cli.JoinInt32(p.ISR))
		}
		fmt.Fprint(e.Stdout, b.String())
	}
	return nil
}

// nonDefaultConfigs is Kafka's "Configs:" column: the entries whose source
// is not the default, name=value, comma separated (sorted by name).
func nonDefaultConfigs(cs []kadm.Config) string {
	var out []string
	for _, c := range cs {
		if c.Source == kmsg.ConfigSourceDefaultConfig {
			continue
		}
		out = append(out, c.Key+"="+configValue(c.Value))
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func configValue(v *string) string {
	if v == nil {
		return "null"
	}
	return *v
}

func alterTopics(ctx context.Context, adm *kadm.Client, requested string, include *regexp.Regexp, excludeInternal, ifExists bool, partitions int) error {
	names, err := selectTopics(ctx, adm, requested, include, excludeInternal, ifExists)
	if err != nil || len(names) == 0 {
		return err
	}
	resps, err := adm.UpdatePartitions(ctx, partitions, names...)
	if err != nil {
		return err
	}
	for _, name := range names {
		if r, ok := resps[name]; ok && r.Err != nil {
			if r.ErrMessage != "" {
				return fmt.Errorf("altering topic %s: %s (%s)", name, r.ErrMessage, cli.ErrText(r.Err))
			}
			return fmt.Errorf("altering topic %s: %s", name, cli.ErrText(r.Err))
		}
	}
	return nil
}

func deleteTopics(ctx context.Context, adm *kadm.Client, requested string, include *regexp.Regexp, excludeInternal, ifExists bool) error {
	names, err := selectTopics(ctx, adm, requested, include, excludeInternal, ifExists)
	if err != nil || len(names) == 0 {
		return err
	}
	resps, err := adm.DeleteTopics(ctx, names...)
	if err != nil {
		return err
	}
	for _, name := range names {
		if r, ok := resps[name]; ok && r.Err != nil {
			return fmt.Errorf("deleting topic %s: %s", name, cli.ErrText(r.Err))
		}
	}
	return nil
}
