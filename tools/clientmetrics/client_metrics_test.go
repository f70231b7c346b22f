package clientmetrics

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stratabroker/strata/tools/cli"
	"github.com/stratabroker/strata/tools/tooltest"
)

var dispatch tooltest.Dispatch = cli.Dispatcher(Commands)

// TestClientMetricsGolden: the command's output lines against Strata and
// kfake (which serves ListConfigResources but keeps no CLIENT_METRICS
// configs: its refusals are recorded as they are).
func TestClientMetricsGolden(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		tr := tooltest.NewTranscript(t, tg, dispatch)
		tr.Normalize(`for [A-Za-z0-9_-]{22}\.`, "for <generated>.")
		tr.Run("", "client-metrics", "--list")
		tr.Run("", "client-metrics", "--alter", "--name", "producers", "--metrics", "org.apache.kafka.producer.,org.apache.kafka.consumer.",
			"--interval", "1000", "--match", "client_software_name=apache-kafka-java,client_id=app-.*")
		tr.Run("", "client-metrics", "--alter", "--name", "everything", "--metrics", "*")
		tr.Run("", "client-metrics", "--list")
		tr.Run("", "client-metrics", "--describe", "--name", "producers")
		tr.Run("", "client-metrics", "--describe")
		tr.Run("", "client-metrics", "--alter", "--name", "producers", "--interval", "50")
		tr.Run("", "client-metrics", "--alter", "--name", "producers", "--match", "hostname=x")
		tr.Run("", "client-metrics", "--alter", "--name", "producers", "--metrics", "")
		tr.Run("", "client-metrics", "--describe", "--name", "producers")
		tr.Run("", "client-metrics", "--delete", "--name", "everything")
		tr.Run("", "client-metrics", "--list")
		tr.Run("", "client-metrics", "--describe", "--name", "absent")
		r := tr.Run("", "client-metrics", "--alter", "--generate-name", "--interval", "200")
		if tg.Name == "strata" && !regexp.MustCompile(`^Altered client metrics config for [A-Za-z0-9_-]{22}\.\n$`).MatchString(r.Stdout) {
			t.Errorf("--generate-name: %q", r.Stdout)
		}
		tr.Check("client_metrics")
	})
}

// TestClientMetricsBadInput: a bad command line is one line on stderr and
// exit 2 (with Kafka's message where its tool has one); an unreachable
// broker and a missing properties file likewise, exit 1 and 2.
func TestClientMetricsBadInput(t *testing.T) {
	run := func(e *cli.Env, args ...string) tooltest.Result {
		if e == nil {
			e = &cli.Env{}
		}
		return tooltest.Run(t, dispatch, e, append([]string{"client-metrics"}, args...)...)
	}
	check := func(what string, r tooltest.Result, code int, msg string) {
		t.Helper()
		if r.Code != code || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, msg) || r.Stdout != "" {
			t.Errorf("%s: exit %d stdout %q stderr %q; want exit %d and one line with %q", what, r.Code, r.Stdout, r.Stderr, code, msg)
		}
	}
	bs := []string{"--bootstrap-server", "127.0.0.1:9"}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{nil, "This tool helps to manipulate and describe client metrics configurations."},
		{append(bs, "--list", "--describe"), "Command must include exactly one action: --alter, --delete, --describe or --list."},
		{bs, "Command must include exactly one action: --alter, --delete, --describe or --list."},
		{[]string{"--list"}, "--bootstrap-server must be specified."},
		{append(bs, "--list", "--name", "x"), `Option "[list]" can't be used with option "[name]"`},
		{append(bs, "--describe", "--interval", "100"), `Option "[describe]" can't be used with option "[interval]"`},
		{append(bs, "--delete", "--name", "x", "--metrics", "a"), `Option "[delete]" can't be used with option "[metrics]"`},
		{append(bs, "--alter", "--metrics", "a"), "One of --name or --generate-name must be specified with --alter."},
		{append(bs, "--alter", "--name", "a", "--generate-name"), "One of --name or --generate-name must be specified with --alter."},
		{append(bs, "--delete"), "A client metrics resource name must be specified with --delete."},
		{append(bs, "--alter", "--name", "a", "--interval", "soon"), "Cannot parse argument 'soon' of option interval"},
		{append(bs, "--list", "--no-such-flag"), "unknown flag --no-such-flag"},
		{append(bs, "--list", "--command-config", filepath.Join(t.TempDir(), "absent.properties")), "--command-config"},
	} {
		check(strings.Join(c.args, " "), run(nil, c.args...), cli.ExitUsage, c.msg)
	}
	if r := run(nil, "--help"); r.Code != cli.ExitOK || !strings.HasPrefix(r.Stdout, "Usage: strata client-metrics") {
		t.Errorf("--help: exit %d %q", r.Code, r.Stdout)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	start := time.Now()
	r := run(&cli.Env{ReachTimeout: 2 * time.Second}, "--bootstrap-server", addr, "--list")
	check("unreachable", r, cli.ExitError, "cannot reach a broker at "+addr)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("unreachable: %v to give up", d)
	}
	if _, err := os.Stat(filepath.Join("testdata", "client_metrics.strata.golden")); err != nil && !tooltest.Updating() {
		t.Errorf("golden file missing: %v", err)
	}
}
