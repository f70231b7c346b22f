package topics

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/stratabroker/strata/tools/cli"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"
)

const configsUsage = `Usage: strata configs --entity-type topics|brokers|users|clients|ips [--entity-name N | --entity-default] <action> [flags]

Describes and alters topic and broker configs (with IncrementalAlterConfigs),
users' SCRAM credentials (Describe/AlterUserScramCredentials) and client
quotas of users, client ids and IPs (Describe/AlterClientQuotas), as
kafka-configs.sh does.

Actions (exactly one):
  --describe               print the dynamic configs (with --all: every config) of the entity
                           (no --entity-name: every topic, or every broker)
  --alter                  change configs of the entity with:
                             --add-config K1=V1,K2=[A,B]   set (a value with commas in brackets)
                             --delete-config K1,K2         remove (back to the default)
                           users: --add-config 'SCRAM-SHA-256=[iterations=8192,password=alice-secret]'
                                  --delete-config SCRAM-SHA-256
                           users, clients: --add-config producer_byte_rate=1048576,consumer_byte_rate=2097152,
                                  request_percentage=50,controller_mutation_rate=10
                           ips: --add-config connection_creation_rate=10
Flags:
  --bootstrap-server S     the broker(s) to connect to (default localhost:9092)
  --command-config FILE    admin client properties from a file: client.id, request.timeout.ms,
                           default.api.timeout.ms; others are reported as not used
  --entity-type T          topics, brokers, users, clients or ips (also: --topic NAME, --broker ID,
                           --user NAME, --client NAME, --ip IP; --user U --client C: that user
                           with that client id)
  --entity-name N          the topic name, broker id, user name, client id or IP
  --entity-default         the cluster-wide broker defaults, or the default user, client or IP quotas
  --all                    --describe: every config, with defaults
`

func runConfigs(args []string, e *cli.Env) int {
	f := cli.NewFlags("configs", configsUsage)
	bootstrap := f.Bootstrap()
	entityType := f.String("entity-type", "", "")
	entityName := f.String("entity-name", "", "")
	entityDefault := f.Bool("entity-default", false, "")
	topicName := f.String("topic", "", "")
	brokerID := f.String("broker", "", "")
	userName := f.String("user", "", "")
	clientName := f.String("client", "", "")
	ipName := f.String("ip", "", "")
	describe := f.Bool("describe", false, "")
	alter := f.Bool("alter", false, "")
	all := f.Bool("all", false, "")
	addConfig := f.String("add-config", "", "")
	deleteConfig := f.String("delete-config", "", "")
	cmdConfig := f.CommandConfig()
	if ok, code := f.Parse(args, e); !ok {
		return code
	}
	aopts, code := cmdConfig.AdminOptions(e, f)
	if code != cli.ExitOK {
		return code
	}
	if *topicName != "" {
		*entityType, *entityName = "topics", *topicName
	}
	if *brokerID != "" {
		*entityType, *entityName = "brokers", *brokerID
	}
	if *userName != "" {
		*entityType, *entityName = "users", *userName
	}
	if *userName != "" && *clientName != "" {
		// A user with a client id: Kafka's --user U --client C (the
		// entity names the user first).
		if *describe == *alter {
			return f.UsageError(e, "command must include exactly one action: --describe, --alter")
		}
		return runQuotaEntity(e, f, *bootstrap, aopts, []quotaPart{{"users", *userName, false}, {"clients", *clientName, false}}, *alter, *addConfig, *deleteConfig)
	}
	if *clientName != "" {
		*entityType, *entityName = "clients", *clientName
	}
	if *ipName != "" {
		*entityType, *entityName = "ips", *ipName
	}
	if *describe == *alter {
		return f.UsageError(e, "command must include exactly one action: --describe, --alter")
	}
	if *entityType == "users" {
		return runUsers(e, f, *bootstrap, aopts, *entityName, *entityDefault, *alter, *addConfig, *deleteConfig)
	}
	if *entityType == "clients" || *entityType == "ips" {
		return runQuotaEntity(e, f, *bootstrap, aopts, []quotaPart{{*entityType, *entityName, *entityDefault}}, *alter, *addConfig, *deleteConfig)
	}
	if *entityType != "topics" && *entityType != "brokers" {
		return f.UsageError(e, "--entity-type must be topics, brokers, users, clients or ips")
	}
	if *entityDefault && (*entityType != "brokers" || *entityName != "") {
		return f.UsageError(e, "--entity-default is for --entity-type brokers without --entity-name")
	}
	var broker int32 = -1
	if *entityType == "brokers" && *entityName != "" {
		n, err := strconv.ParseInt(*entityName, 10, 32)
		if err != nil || n < 0 {
			return f.UsageError(e, "the entity name for brokers must be a broker id, not %q", *entityName)
		}
		broker = int32(n)
	}
	var ops []kadm.AlterConfig
	if *alter {
		if *entityName == "" && !*entityDefault {
			return f.UsageError(e, "--alter needs --entity-name (or --entity-default)")
		}
		adds, err := parseAddConfig(*addConfig)
		if err != nil {
			return f.UsageError(e, "--add-config: %v", err)
		}
		for _, kv := range adds {
			v := kv[1]
			ops = append(ops, kadm.AlterConfig{Op: kadm.SetConfig, Name: kv[0], Value: &v})
		}
		for _, k := range cli.SplitList(*deleteConfig) {
			ops = append(ops, kadm.AlterConfig{Op: kadm.DeleteConfig, Name: k})
		}
		if len(ops) == 0 {
			return f.UsageError(e, "--alter needs --add-config or --delete-config")
		}
	} else if *addConfig != "" || *deleteConfig != "" {
		return f.UsageError(e, "--add-config and --delete-config go with --alter")
	}

	ctx, cancel := e.Context()
	defer cancel()
	cl, err := cli.Connect(ctx, e, *bootstrap, aopts...)
	if err != nil {
		return cli.Fail(e, "configs", err)
	}
	defer cl.Close()
	adm := cli.Admin(e, cl)
	ctx, cancelOp := e.OpContext(ctx)
	defer cancelOp()
	if *alter {
		err = alterConfigs(ctx, e, adm, *entityType, *entityName, broker, ops)
	} else {
		err = describeConfigs(ctx, e, adm, *entityType, *entityName, *entityDefault, broker, *all)
	}
	if err != nil {
		return cli.Fail(e, "configs", err)
	}
	return cli.ExitOK
}

// parseAddConfig splits "k1=v1,k2=[a,b]" at commas outside brackets.
func parseAddConfig(s string) ([][2]string, error) {
	var out [][2]string
	depth, start := 0, 0
	var parts []string
	for i, c := range s {
		switch c {
		case '[':
			depth++
		case ']':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("unbalanced brackets in %q", s)
	}
	parts = append(parts, s[start:])
	for _, p := range parts {
		if strings.TrimSpace(p) == "" {
			continue
		}
		k, v, ok := strings.Cut(p, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("invalid entry %q: want key=value", p)
		}
		v = strings.TrimSpace(v)
		if strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") {
			v = v[1 : len(v)-1]
		}
		out = append(out, [2]string{strings.TrimSpace(k), v})
	}
	return out, nil
}

func alterConfigs(ctx context.Context, e *cli.Env, adm *kadm.Client, typ, name string, broker int32, ops []kadm.AlterConfig) error {
	var resps kadm.AlterConfigsResponses
	var err error
	if typ == "topics" {
		resps, err = adm.AlterTopicConfigs(ctx, ops, name)
	} else if broker >= 0 {
		resps, err = adm.AlterBrokerConfigs(ctx, ops, broker)
	} else {
		resps, err = adm.AlterBrokerConfigs(ctx, ops)
	}
	if err != nil {
		return err
	}
	entity := strings.TrimSuffix(typ, "s") + " " + name
	if typ == "brokers" && broker < 0 {
		entity = "the default brokers"
	}
	for _, r := range resps {
		if r.Err != nil {
			if r.ErrMessage != "" {
				return fmt.Errorf("altering configs of %s: %s (%s)", entity, r.ErrMessage, cli.ErrText(r.Err))
			}
			return fmt.Errorf("altering configs of %s: %s", entity, cli.ErrText(r.Err))
		}
	}
	switch {
	case typ == "topics":
		fmt.Fprintf(e.Stdout, "Completed updating config for topic %s.\n", name)
	case broker >= 0:
		fmt.Fprintf(e.Stdout, "Completed updating config for broker %d.\n", broker)
	default:
		fmt.Fprintln(e.Stdout, "Completed updating default config for brokers in the cluster.")
	}
	return nil
}

func describeConfigs(ctx context.Context, e *cli.Env, adm *kadm.Client, typ, name string, isDefault bool, broker int32, all bool) error {
	var rcs kadm.ResourceConfigs
	var err error
	var headers []string
	var want kmsg.ConfigSource
	switch {
	case typ == "topics":
		want = kmsg.ConfigSourceDynamicTopicConfig
		names := []string{name}
		if name == "" {
			if names, err = matchTopics(ctx, adm, nil, false); err != nil {
				return err
			}
		}
		if len(names) == 0 {
			return nil
		}
		if rcs, err = adm.DescribeTopicConfigs(ctx, names...); err != nil {
			return err
		}
		for _, n := range names {
			headers = append(headers, "topic "+n)
		}
	case isDefault:
		want = kmsg.ConfigSourceDynamicDefaultBrokerConfig
		if rcs, err = adm.DescribeBrokerConfigs(ctx); err != nil {
			return err
		}
		headers = []string{"default brokers"}
	default:
		want = kmsg.ConfigSourceDynamicBrokerConfig
		ids := []int32{broker}
		if broker < 0 {
			brokers, err := adm.ListBrokers(ctx)
			if err != nil {
				return err
			}
			ids = brokers.NodeIDs()
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		if rcs, err = adm.DescribeBrokerConfigs(ctx, ids...); err != nil {
			return err
		}
		for _, id := range ids {
			headers = append(headers, "broker "+strconv.Itoa(int(id)))
		}
	}
	byName := map[string]kadm.ResourceConfig{}
	for _, rc := range rcs {
		byName[rc.Name] = rc
	}
	for _, h := range headers {
		var rc kadm.ResourceConfig
		switch {
		case isDefault:
			if len(rcs) > 0 {
				rc = rcs[0]
			}
		default:
			rc = byName[h[strings.IndexByte(h, ' ')+1:]]
		}
		if rc.Err != nil {
			return fmt.Errorf("describing configs of %s: %s", h, cli.ErrText(rc.Err))
		}
		switch {
		case isDefault && all:
			fmt.Fprintln(e.Stdout, "All default configs for brokers in the cluster are:")
		case isDefault:
			fmt.Fprintln(e.Stdout, "Default configs for brokers in the cluster are:")
		case all:
			fmt.Fprintf(e.Stdout, "All configs for %s are:\n", h)
		default:
			fmt.Fprintf(e.Stdout, "Dynamic configs for %s are:\n", h)
		}
		cs := append([]kadm.Config(nil), rc.Configs...)
		sort.Slice(cs, func(i, j int) bool { return cs[i].Key < cs[j].Key })
		for _, c := range cs {
			if !all && c.Source != want {
				continue
			}
			syn := make([]string, len(c.Synonyms))
			for j, s := range c.Synonyms {
				syn[j] = s.Source.String() + ":" + s.Key + "=" + configValue(s.Value)
			}
			fmt.Fprintf(e.Stdout, "  %s=%s sensitive=%t synonyms={%s}\n", c.Key, configValue(c.Value), c.Sensitive, strings.Join(syn, ", "))
		}
	}
	return nil
}
