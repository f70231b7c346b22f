package cluster

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/tools/cli"
)

const clusterUsage = `Usage: strata cluster COMMAND (--bootstrap-server H:P | --bootstrap-controller H:P)
         [--config FILE] [options]
The Kafka cluster tool (kafka-cluster.sh).

Commands:
  cluster-id       Get information about the ID of a cluster.
  unregister       Unregister a broker.
      --id, -i N     the ID of the broker to unregister (required)
  list-endpoints   List endpoints.
      --include-fenced-brokers  include fenced brokers (with --bootstrap-server only)

Options:
  --bootstrap-server, -b H:P      the Kafka cluster to connect to
  --bootstrap-controller, -C H:P  the KRaft controllers to connect to
  --config, -c FILE               Admin client properties

A Strata node is broker and controller in one process, with broker
listeners only: --bootstrap-controller gets MISMATCHED_ENDPOINT_TYPE, as a
Kafka broker port answers; use --bootstrap-server. unregister refuses the
node itself (it cannot leave a single-node cluster while it runs) and
reports other ids as not registered.
`

func runCluster(args []string, e *cli.Env) int {
	sub, rest := splitSubcommand(args, map[string]bool{"include-fenced-brokers": true, "help": true, "h": true})
	f := cli.NewFlags("cluster", clusterUsage)
	ep := declareEndpoints(f, true)
	cf := f.ClientConfig([]string{"config"}, nil)
	f.Alias("c", "config")
	id := f.String("id", "", "")
	f.Alias("i", "id")
	fenced := f.Bool("include-fenced-brokers", false, "")
	if ok, code := f.Parse(rest, e); !ok {
		return code
	}
	switch sub {
	case "cluster-id", "unregister", "list-endpoints":
	case "":
		return f.UsageError(e, "a command is required: cluster-id, unregister or list-endpoints")
	default:
		return f.UsageError(e, "invalid command %q (choose from cluster-id, unregister, list-endpoints)", sub)
	}
	if f.IsSet("id") && sub != "unregister" {
		return f.UsageError(e, "unrecognized argument --id for %s", sub)
	}
	if f.IsSet("include-fenced-brokers") && sub != "list-endpoints" {
		return f.UsageError(e, "unrecognized argument --include-fenced-brokers for %s", sub)
	}
	if code := ep.check(f, e); code != cli.ExitOK {
		return code
	}
	var brokerID int32
	if sub == "unregister" {
		if !f.IsSet("id") {
			return f.UsageError(e, "argument --id/-i is required")
		}
		v, err := strconv.ParseInt(*id, 10, 32)
		if err != nil {
			return f.UsageError(e, "argument --id/-i: could not convert '%s' to Integer", *id)
		}
		brokerID = int32(v)
	}
	if *fenced && f.IsSet("bootstrap-controller") {
		return fail(e, "cluster", errors.New("The option --include-fenced-brokers is only supported with --bootstrap-server option"))
	}
	opts, code := cf.AdminOptions(e, f)
	if code != cli.ExitOK {
		return code
	}
	ctx, cancel := e.Context()
	defer cancel()
	n, err := connect(ctx, e, ep, opts)
	if err != nil {
		return fail(e, "cluster", err)
	}
	defer n.Close()
	switch sub {
	case "cluster-id":
		err = clusterID(ctx, e, n)
	case "unregister":
		err = unregister(ctx, e, n, brokerID)
	case "list-endpoints":
		err = listEndpoints(ctx, e, n, *fenced)
	}
	if err != nil {
		return fail(e, "cluster", err)
	}
	return cli.ExitOK
}

func clusterID(ctx context.Context, e *cli.Env, n *node) error {
	req := kmsg.NewPtrDescribeClusterRequest()
	if n.controller {
		req.EndpointType = 2
	}
	resp, err := n.describeCluster(ctx, e, req)
	if err == nil {
		err = responseErr(resp.ErrorCode, resp.ErrorMessage)
	}
	if err != nil {
		return err
	}
	if resp.ClusterID == "" {
		fmt.Fprintln(e.Stdout, "No cluster ID found. The Kafka version is probably too old.")
		return nil
	}
	fmt.Fprintln(e.Stdout, "Cluster ID: "+resp.ClusterID)
	return nil
}

// unregister is ClusterTool.unregisterCommand: a cluster that does not
// serve UnregisterBroker is reported on stdout, and that is no failure.
func unregister(ctx context.Context, e *cli.Env, n *node, id int32) error {
	served, err := cli.Advertises(ctx, n.cl, kmsg.UnregisterBroker)
	if err != nil {
		return err
	}
	if served {
		req := kmsg.NewPtrUnregisterBrokerRequest()
		req.BrokerID = id
		var kresp kmsg.Response
		if kresp, err = n.request(ctx, e, req); err == nil {
			resp := kresp.(*kmsg.UnregisterBrokerResponse)
			err = responseErr(resp.ErrorCode, resp.ErrorMessage)
		}
	}
	switch {
	case !served || errors.Is(err, kerr.UnsupportedVersion):
		fmt.Fprintln(e.Stdout, "The target cluster does not support the broker unregistration API.")
		return nil
	case err != nil:
		return err
	}
	fmt.Fprintf(e.Stdout, "Broker %d is no longer registered.\n", id)
	return nil
}

// listEndpoints is ClusterTool.listEndpoints.
func listEndpoints(ctx context.Context, e *cli.Env, n *node, includeFenced bool) error {
	req := kmsg.NewPtrDescribeClusterRequest()
	req.IncludeFencedBrokers = includeFenced
	if n.controller {
		req.EndpointType = 2
	}
	resp, err := n.describeCluster(ctx, e, req)
	if err == nil {
		err = responseErr(resp.ErrorCode, resp.ErrorMessage)
	}
	if err != nil {
		return err
	}
	// Kafka's widths: the longest host (100 when there is none) and the
	// longest rack (10 when no broker has one).
	hostLen, rackLen := -1, -1
	for _, b := range resp.Brokers {
		hostLen = max(hostLen, len(b.Host))
		if b.Rack != nil {
			rackLen = max(rackLen, len(*b.Rack))
		}
	}
	if hostLen < 0 {
		hostLen = 100
	}
	if rackLen < 0 {
		rackLen = 10
	}
	cell := func(s string, width int) string { return fmt.Sprintf("%-*s", width, s) }
	row := func(cols ...string) {
		widths := []int{10, hostLen, 10, rackLen, 10, 15}
		if n.controller {
			widths = []int{10, hostLen, 10, rackLen, 15}
		}
		line := ""
		for i, c := range cols {
			if i > 0 {
				line += " "
			}
			line += cell(c, widths[i])
		}
		fmt.Fprintln(e.Stdout, line)
	}
	if n.controller {
		row("ID", "HOST", "PORT", "RACK", "ENDPOINT_TYPE")
	} else {
		row("ID", "HOST", "PORT", "RACK", "STATE", "ENDPOINT_TYPE")
	}
	for _, b := range resp.Brokers {
		rack := "null"
		if b.Rack != nil {
			rack = *b.Rack
		}
		id, port := strconv.Itoa(int(b.NodeID)), strconv.Itoa(int(b.Port))
		if n.controller {
			row(id, b.Host, port, rack, "controller")
			continue
		}
		state := "unfenced"
		if b.IsFenced {
			state = "fenced"
		}
		row(id, b.Host, port, rack, state, "broker")
	}
	return nil
}
