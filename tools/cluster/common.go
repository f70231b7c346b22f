package cluster

import (
	"context"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/tools/cli"
)

// Commands are the cluster tools.
var Commands = []cli.Command{
	{Name: "broker-api-versions", Summary: "the API versions each broker serves and this client can use (kafka-broker-api-versions.sh)", Run: runBrokerAPIVersions},
	{Name: "cluster", Summary: "cluster ID, endpoints; unregister a broker (kafka-cluster.sh)", Run: runCluster},
	{Name: "features", Summary: "describe, upgrade, downgrade, disable feature flags (kafka-features.sh)", Run: runFeatures},
}

// splitSubcommand takes out of args the first word that is neither a flag
// nor the value of a flag (flags without a value are in bools), and
// reports whether it is one of subs. Kafka's argparse tools take the
// parent's flags before the subcommand; Strata takes them on either side.
func splitSubcommand(args []string, bools map[string]bool) (sub string, rest []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && !bools[name] && i+1 < len(args) {
				i++
			}
			continue
		}
		rest = append(append(rest, args[:i]...), args[i+1:]...)
		return a, rest
	}
	return "", args
}

// endpoints are the --bootstrap-server and --bootstrap-controller flags,
// one of which Kafka's argparse tools require.
type endpoints struct {
	server, controller *string
}

func declareEndpoints(f *cli.Flags, short bool) endpoints {
	ep := endpoints{
		server:     f.String("bootstrap-server", "", ""),
		controller: f.String("bootstrap-controller", "", ""),
	}
	if short {
		f.Alias("b", "bootstrap-server")
		f.Alias("C", "bootstrap-controller")
	}
	return ep
}

// check is argparse's mutually exclusive, required group.
func (ep endpoints) check(f *cli.Flags, e *cli.Env) int {
	switch {
	case f.IsSet("bootstrap-server") && f.IsSet("bootstrap-controller"):
		return f.UsageError(e, "argument --bootstrap-controller: not allowed with argument --bootstrap-server")
	case !f.IsSet("bootstrap-server") && !f.IsSet("bootstrap-controller"):
		return f.UsageError(e, "one of the arguments --bootstrap-server --bootstrap-controller is required")
	}
	return cli.ExitOK
}

// node is a client of the brokers, or of the controllers named by
// --bootstrap-controller, to which its requests then go.
type node struct {
	cl         *kgo.Client
	controller bool
}

// connect reaches the bootstrap servers. With --bootstrap-controller it
// first asks the first seed for controller endpoints, as Kafka's Admin
// does; a broker listener refuses with MISMATCHED_ENDPOINT_TYPE.
func connect(ctx context.Context, e *cli.Env, ep endpoints, opts []kgo.Opt) (*node, error) {
	addr := *ep.server
	if *ep.controller != "" {
		addr = *ep.controller
	}
	cl, err := cli.Connect(ctx, e, addr, opts...)
	if err != nil {
		return nil, err
	}
	n := &node{cl: cl, controller: *ep.controller != ""}
	if n.controller {
		req := kmsg.NewPtrDescribeClusterRequest()
		req.EndpointType = 2
		resp, err := n.describeCluster(ctx, e, req)
		if err == nil {
			err = responseErr(resp.ErrorCode, resp.ErrorMessage)
		}
		if err != nil {
			cl.Close()
			return nil, err
		}
	}
	return n, nil
}

func (n *node) Close() { n.cl.Close() }

// request sends req to a controller seed (--bootstrap-controller) or where
// kgo routes it.
func (n *node) request(ctx context.Context, e *cli.Env, req kmsg.Request) (kmsg.Response, error) {
	ctx, cancel := e.OpContext(ctx)
	defer cancel()
	if n.controller {
		return n.cl.SeedBrokers()[0].Request(ctx, req)
	}
	return n.cl.Request(ctx, req)
}

func (n *node) describeCluster(ctx context.Context, e *cli.Env, req *kmsg.DescribeClusterRequest) (*kmsg.DescribeClusterResponse, error) {
	resp, err := n.request(ctx, e, req)
	if err != nil {
		return nil, err
	}
	return resp.(*kmsg.DescribeClusterResponse), nil
}

// responseErr is a response's error code and message as the error Kafka's
// Admin completes with: the broker's message, else the code's own.
func responseErr(code int16, msg *string) error {
	if code == 0 {
		return nil
	}
	ke := kerr.ErrorForCode(code)
	text := ""
	if k, ok := ke.(*kerr.Error); ok {
		text = k.Description
	} else {
		text = ke.Error()
	}
	if msg != nil && *msg != "" {
		text = *msg
	}
	return &apiError{code: ke, msg: text}
}

// apiError is a Kafka error with the message Kafka's exception carries.
type apiError struct {
	code error
	msg  string
}

func (e *apiError) Error() string { return e.msg }
func (e *apiError) Unwrap() error { return e.code }

// errText is how Kafka's tools print an exception's message.
func errText(err error) string {
	if ae, ok := err.(*apiError); ok {
		return ae.msg
	}
	return cli.ErrText(err)
}

// fail prints err on one line and returns ExitError.
func fail(e *cli.Env, cmd string, err error) int {
	return cli.Fail(e, cmd, fmt.Errorf("%s", errText(err)))
}
