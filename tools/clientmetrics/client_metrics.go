package clientmetrics

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/tools/cli"
)

// Commands is the family's one tool.
var Commands = []cli.Command{
	{Name: "client-metrics", Summary: "list, describe, alter and delete client metrics subscriptions (KIP-714)", Run: run},
}

const usage = `Usage: strata client-metrics --bootstrap-server S <action> [flags]

This tool helps to manipulate and describe client metrics configurations
(KIP-714 subscriptions), as kafka-client-metrics.sh does.

Actions (exactly one):
  --list                   List the client metrics resources.
  --describe               List configurations for the client metrics resource
                           (--name N; without it, every resource).
  --alter                  Alter the configuration for the client metrics resource
                           (--name N or --generate-name).
  --delete                 Delete the configuration for the client metrics resource (--name N).
Flags:
  --bootstrap-server S     REQUIRED: The Kafka server to connect to.
  --command-config FILE    Property file containing configs to be passed to Admin Client.
  --name N                 Name of client metrics configuration resource.
  --generate-name          Generate a UUID to use as the name.
  --metrics m1,m2          Telemetry metric name prefixes 'm1,m2'.
  --interval MS            The metrics push interval in milliseconds.
  --match k1=v1,k2=v2      Matching selector 'k1=v1,k2=v2'. The following is a list of valid selector names:
                           	client_id
                           	client_instance_id
                           	client_software_name
                           	client_software_version
                           	client_source_address
                           	client_source_port
`

func run(args []string, e *cli.Env) int {
	f := cli.NewFlags("client-metrics", usage)
	bootstrap := f.Bootstrap()
	alter := f.Bool("alter", false, "")
	del := f.Bool("delete", false, "")
	describe := f.Bool("describe", false, "")
	list := f.Bool("list", false, "")
	name := f.String("name", "", "")
	genName := f.Bool("generate-name", false, "")
	interval := f.String("interval", "", "")
	metrics := f.MultiValue("metrics", "")
	match := f.MultiValue("match", "")
	cmdConfig := f.CommandConfig()
	if len(args) == 0 {
		return f.UsageError(e, "This tool helps to manipulate and describe client metrics configurations.")
	}
	if ok, code := f.Parse(args, e); !ok {
		return code
	}
	actions := 0
	for _, a := range []bool{*alter, *del, *describe, *list} {
		if a {
			actions++
		}
	}
	if actions != 1 {
		return f.UsageError(e, "Command must include exactly one action: --alter, --delete, --describe or --list.")
	}
	if !f.IsSet("bootstrap-server") {
		return f.UsageError(e, "--bootstrap-server must be specified.")
	}
	// CommandLineUtils.checkInvalidArgs, in Kafka's order.
	invalid := map[string][]string{
		"delete":   {"generate-name", "interval", "match", "metrics"},
		"describe": {"generate-name", "interval", "match", "metrics"},
		"list":     {"name", "generate-name", "interval", "match", "metrics"},
	}
	for _, action := range []string{"delete", "describe", "list"} {
		if !f.IsSet(action) {
			continue
		}
		for _, other := range invalid[action] {
			if f.IsSet(other) {
				return f.UsageError(e, "Option \"[%s]\" can't be used with option \"[%s]\"", action, other)
			}
		}
	}
	hasName := f.IsSet("name")
	if *alter && hasName == *genName {
		return f.UsageError(e, "One of --name or --generate-name must be specified with --alter.")
	}
	if *del && !hasName {
		return f.UsageError(e, "A client metrics resource name must be specified with --delete.")
	}
	var iv *int32
	if f.IsSet("interval") {
		n, err := strconv.ParseInt(*interval, 10, 32)
		if err != nil {
			return f.UsageError(e, "Cannot parse argument '%s' of option interval", *interval)
		}
		v := int32(n)
		iv = &v
	}
	aopts, code := cmdConfig.AdminOptions(e, f)
	if code != cli.ExitOK {
		return code
	}

	ctx, cancel := e.Context()
	defer cancel()
	cl, err := cli.Connect(ctx, e, *bootstrap, aopts...)
	if err != nil {
		return cli.Fail(e, "client-metrics", err)
	}
	defer cl.Close()
	ctx, cancelOp := e.OpContext(ctx)
	defer cancelOp()
	switch {
	case *alter:
		entity := *name
		if *genName {
			entity = randomUUID()
		}
		var configs [][2]string
		if iv != nil {
			configs = append(configs, [2]string{"interval.ms", strconv.Itoa(int(*iv))})
		}
		if f.IsSet("metrics") {
			configs = append(configs, [2]string{"metrics", joinValues(*metrics)})
		}
		if f.IsSet("match") {
			configs = append(configs, [2]string{"match", joinValues(*match)})
		}
		err = alterConfigs(ctx, cl, entity, configs, false)
		if err == nil {
			fmt.Fprintf(e.Stdout, "Altered client metrics config for %s.\n", entity)
		}
	case *del:
		var entries [][2]string
		if entries, err = describeConfigs(ctx, cl, *name); err == nil {
			if err = alterConfigs(ctx, cl, *name, entries, true); err == nil {
				fmt.Fprintf(e.Stdout, "Deleted client metrics config for %s.\n", *name)
			}
		}
	case *describe:
		var names []string
		if hasName {
			names = []string{*name}
		} else if names, err = listResources(ctx, cl); err != nil {
			break
		}
		for _, n := range names {
			fmt.Fprintf(e.Stdout, "Client metrics configs for %s are:\n", n)
			var entries [][2]string
			if entries, err = describeConfigs(ctx, cl, n); err != nil {
				break
			}
			for _, kv := range entries {
				fmt.Fprintf(e.Stdout, "  %s=%s\n", kv[0], kv[1])
			}
		}
	case *list:
		var names []string
		if names, err = listResources(ctx, cl); err == nil {
			fmt.Fprintln(e.Stdout, strings.Join(names, "\n"))
		}
	}
	if err != nil {
		var be *brokerError
		if errors.As(err, &be) {
			fmt.Fprintf(e.Stdout, "Error while executing client metrics command : %s\n", be.msg)
			return cli.ExitError
		}
		return cli.Fail(e, "client-metrics", err)
	}
	return cli.ExitOK
}

// joinValues is a list flag's values as Kafka joins them: every value of
// every occurrence, split at commas, joined with ",".
func joinValues(vals []string) string {
	return strings.Join(vals, ",")
}

// brokerError is a broker's refusal: Kafka's tool prints its message.
type brokerError struct{ msg string }

func (b *brokerError) Error() string { return b.msg }

func refused(code int16, msg *string) error {
	if code == 0 {
		return nil
	}
	if msg != nil && *msg != "" {
		return &brokerError{*msg}
	}
	ke := kerr.ErrorForCode(code)
	var kk *kerr.Error
	if errors.As(ke, &kk) {
		return &brokerError{kk.Description}
	}
	return &brokerError{ke.Error()}
}

// listResources is ListConfigResources of CLIENT_METRICS (at v0, the
// ListClientMetricsResources of KIP-1000, if the broker has no v1).
func listResources(ctx context.Context, cl *kgo.Client) ([]string, error) {
	req := kmsg.NewPtrListConfigResourcesRequest()
	req.ResourceTypes = []int8{int8(kmsg.ConfigResourceTypeClientMetrics)}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, err
	}
	if err := refused(resp.ErrorCode, nil); err != nil {
		return nil, err
	}
	var names []string
	for _, r := range resp.ConfigResources {
		if resp.Version == 0 || r.Type == int8(kmsg.ConfigResourceTypeClientMetrics) {
			names = append(names, r.Name)
		}
	}
	// Kafka prints the broker's order, a hash order on Kafka and map order
	// on others; sorted, the output is the same on every broker and run.
	slices.Sort(names)
	return names, nil
}

// describeConfigs returns the configs of one subscription, in the
// broker's order.
func describeConfigs(ctx context.Context, cl *kgo.Client, name string) ([][2]string, error) {
	req := kmsg.NewPtrDescribeConfigsRequest()
	res := kmsg.NewDescribeConfigsRequestResource()
	res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeClientMetrics, name
	req.Resources = append(req.Resources, res)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, err
	}
	if len(resp.Resources) != 1 {
		return nil, fmt.Errorf("DescribeConfigs answered %d resources for one", len(resp.Resources))
	}
	r := resp.Resources[0]
	if err := refused(r.ErrorCode, r.ErrorMessage); err != nil {
		return nil, err
	}
	var out [][2]string
	for _, c := range r.Configs {
		v := "null"
		if c.Value != nil {
			v = *c.Value
		}
		out = append(out, [2]string{c.Name, v})
	}
	return out, nil
}

// alterConfigs is one IncrementalAlterConfigs of a subscription: each
// config SET, or DELETE when its value is empty or del.
func alterConfigs(ctx context.Context, cl *kgo.Client, name string, configs [][2]string, del bool) error {
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	res := kmsg.NewIncrementalAlterConfigsRequestResource()
	res.ResourceType, res.ResourceName = kmsg.ConfigResourceTypeClientMetrics, name
	for _, kv := range configs {
		c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		c.Name = kv[0]
		v := kv[1]
		c.Value = &v
		c.Op = kmsg.IncrementalAlterConfigOpSet
		if del || v == "" {
			c.Op = kmsg.IncrementalAlterConfigOpDelete
		}
		res.Configs = append(res.Configs, c)
	}
	req.Resources = append(req.Resources, res)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return err
	}
	if len(resp.Resources) != 1 {
		return fmt.Errorf("IncrementalAlterConfigs answered %d resources for one", len(resp.Resources))
	}
	return refused(resp.Resources[0].ErrorCode, resp.Resources[0].ErrorMessage)
}

// randomUUID is Kafka's Uuid.randomUUID().toString(): a v4 UUID, not the
// zero or metadata-topic id and not printing with a leading '-', in
// URL-safe base64 without padding.
func randomUUID() string {
	for {
		var id [16]byte
		_, _ = rand.Read(id[:])
		id[6] = id[6]&0x0f | 0x40
		id[8] = id[8]&0x3f | 0x80
		s := base64.RawURLEncoding.EncodeToString(id[:])
		if !strings.HasPrefix(s, "-") {
			return s
		}
	}
}
