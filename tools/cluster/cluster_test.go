package cluster

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stratabroker/strata/tools/cli"
	"github.com/stratabroker/strata/tools/tooltest"
)

var dispatch tooltest.Dispatch = cli.Dispatcher(Commands)

func run(t *testing.T, args ...string) tooltest.Result {
	t.Helper()
	return tooltest.Run(t, dispatch, &cli.Env{}, args...)
}

// TestClusterTools: the three tools against Strata and kfake, as golden
// transcripts of Kafka 4.1's output lines.
func TestClusterTools(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		tr := tooltest.NewTranscript(t, tg, dispatch)
		tr.Normalize(`Cluster ID: \S+`, "Cluster ID: <id>")
		_, port, _ := net.SplitHostPort(tg.Addr)
		tr.Normalize(`(127\.0\.0\.1 +)`+port+` +`, "$1<port>     ")

		tr.Run("", "broker-api-versions")
		tr.Run("", "features", "describe")
		tr.Run("", "features", "version-mapping")
		tr.Run("", "features", "version-mapping", "--release-version", "3.9-IV0")
		tr.Run("", "features", "version-mapping", "--release-version", "4.0")
		tr.Run("", "features", "version-mapping", "--release-version", "2.8")
		tr.Run("", "features", "feature-dependencies", "--feature", "eligible.leader.replicas.version=1", "--feature", "metadata.version=21", "--feature", "transaction.version=2")
		tr.Run("", "features", "feature-dependencies", "--feature", "group.version=7")
		tr.Run("", "features", "upgrade", "--feature", "group.version=1", "--dry-run")
		tr.Run("", "features", "downgrade", "--feature", "metadata.version=26", "--dry-run")
		tr.Run("", "features", "downgrade", "--feature", "metadata.version=26")
		tr.Run("", "features", "describe")
		tr.Run("", "features", "downgrade", "--feature", "metadata.version=22")
		tr.Run("", "features", "downgrade", "--unsafe", "--feature", "metadata.version=22")
		tr.Run("", "features", "upgrade", "--release-version", "4.1")
		tr.Run("", "features", "upgrade", "--feature", "metadata.version=27")
		tr.Run("", "features", "disable", "--feature", "transaction.version", "--feature", "share.version")
		tr.Run("", "features", "upgrade", "--release-version", "4.1", "--feature", "group.version=1")
		tr.Run("", "features", "upgrade", "--feature", "group.version")
		tr.Run("", "features", "upgrade", "--feature", "group.version=1", "--feature", "group.version=0")
		tr.Run("", "features", "upgrade")
		tr.Run("", "cluster", "cluster-id")
		tr.Run("", "cluster", "list-endpoints")
		tr.Run("", "cluster", "list-endpoints", "--include-fenced-brokers")
		tr.Run("", "cluster", "unregister", "--id", "7")
		tr.Run("", "cluster", "unregister", "-i", "1")
		for _, args := range [][]string{
			{"features", "--bootstrap-controller", tg.Addr, "describe"},
			{"cluster", "list-endpoints", "-C", tg.Addr},
		} {
			tr.Record(args, run(t, args...))
		}
		tr.Check("cluster")
	})
}

// oneLine checks a failed run: one line on stderr, nothing on stdout, and
// the exit code.
func oneLine(t *testing.T, what string, r tooltest.Result, code int) {
	t.Helper()
	if r.Code != code || strings.Count(r.Stderr, "\n") != 1 || r.Stdout != "" {
		t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d and one line on stderr", what, r.Code, r.Stdout, r.Stderr, code)
	}
}

// TestClusterToolsBadInput: a bad command line is one line and exit 2; an
// unreachable bootstrap or a refused operation one line and exit 1.
func TestClusterToolsBadInput(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.properties")
	for _, c := range [][]string{
		{"features"},
		{"features", "describe"},
		{"features", "frobnicate", "--bootstrap-server", "h:1"},
		{"features", "describe", "--bootstrap-server", "h:1", "--bootstrap-controller", "h:2"},
		{"features", "describe", "--bootstrap-server", "h:1", "--no-such-flag"},
		{"features", "upgrade", "--bootstrap-server", "h:1", "--feature"},
		{"features", "describe", "--bootstrap-server", "h:1", "--feature", "a=1"},
		{"features", "feature-dependencies", "--bootstrap-server", "h:1"},
		{"features", "describe", "--bootstrap-server", "h:1", "--command-config", missing},
		{"broker-api-versions"},
		{"broker-api-versions", "--bootstrap-server", "h:1", "--no-such-flag"},
		{"broker-api-versions", "--bootstrap-server", "h:1", "stray"},
		{"cluster", "--bootstrap-server", "h:1"},
		{"cluster", "unregister", "--bootstrap-server", "h:1"},
		{"cluster", "unregister", "--bootstrap-server", "h:1", "--id", "one"},
		{"cluster", "cluster-id"},
		{"cluster", "cluster-id", "-b", "h:1", "--id", "1"},
		{"cluster", "cluster-id", "-b", "h:1", "--config", missing},
	} {
		oneLine(t, strings.Join(c, " "), run(t, c...), cli.ExitUsage)
	}
	for _, c := range [][]string{
		{"features", "upgrade", "--bootstrap-server", "h:1", "--feature", "group.version"},
		{"features", "upgrade", "--bootstrap-server", "h:1", "--feature", "group.version=x"},
		{"features", "feature-dependencies", "--bootstrap-server", "h:1", "--feature", "nope.version=1"},
		{"features", "feature-dependencies", "--bootstrap-server", "h:1", "--feature", "metadata.version=99"},
		{"cluster", "list-endpoints", "-C", "h:1", "--include-fenced-brokers"},
	} {
		oneLine(t, strings.Join(c, " "), run(t, c...), cli.ExitError)
	}
	for _, c := range []string{"features", "cluster", "broker-api-versions"} {
		if r := run(t, c, "--help"); r.Code != cli.ExitOK || !strings.HasPrefix(r.Stdout, "Usage: strata "+c) {
			t.Errorf("%s --help: exit %d, %q", c, r.Code, r.Stdout)
		}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, c := range [][]string{
		{"features", "describe", "--bootstrap-server", addr},
		{"features", "upgrade", "--bootstrap-server", addr, "--feature", "group.version=1"},
		{"broker-api-versions", "--bootstrap-server", addr},
		{"cluster", "cluster-id", "--bootstrap-server", addr},
		{"cluster", "list-endpoints", "--bootstrap-controller", addr},
	} {
		start := time.Now()
		r := tooltest.Run(t, dispatch, &cli.Env{ReachTimeout: 2 * time.Second}, c...)
		oneLine(t, strings.Join(c, " "), r, cli.ExitError)
		if !strings.Contains(r.Stderr, "cannot reach a broker at "+addr) {
			t.Errorf("%s: %q", strings.Join(c, " "), r.Stderr)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s took %v to give up", strings.Join(c, " "), d)
		}
	}
}
