package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestArgsByName(t *testing.T) {
	cases := []struct {
		argv []string
		want []string
	}{
		{[]string{"strata", "topics", "--list"}, []string{"topics", "--list"}},
		{[]string{"/opt/kafka/bin/kafka-topics.sh", "--list"}, []string{"topics", "--list"}},
		{[]string{"kafka-console-consumer", "--topic", "t"}, []string{"console-consumer", "--topic", "t"}},
		{[]string{"./bin/kafka-server-start.sh", "config/server.properties"}, []string{"broker", "config/server.properties"}},
		{[]string{"kafka-run-class.sh", "x"}, []string{"run-class", "x"}},
		{[]string{"strata"}, []string{}},
	}
	for _, c := range cases {
		if got := argsByName(c.argv); !slices.Equal(got, c.want) {
			t.Errorf("argsByName(%q) = %q, want %q", c.argv, got, c.want)
		}
	}
	scripts := kafkaScripts()
	if len(scripts) != len(commands)-len(strataOnly) || scripts[0] != "kafka-server-start.sh" || !slices.Contains(scripts, "kafka-topics.sh") ||
		!slices.Contains(scripts, "kafka-dump-log.sh") || slices.Contains(scripts, "kafka-broker.sh") {
		t.Errorf("kafkaScripts() = %q", scripts)
	}
}

// TestKafkaScriptNames runs this binary through links named as Kafka's
// scripts: each runs its command, and a name that is no command of
// Strata's says so in one line with exit status 2.
func TestKafkaScriptNames(t *testing.T) {
	dir := t.TempDir()
	run := func(name string, args ...string) (string, string, int) {
		t.Helper()
		link := filepath.Join(dir, name)
		if _, err := os.Lstat(link); err != nil {
			if err := os.Symlink(os.Args[0], link); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command(link, args...)
		cmd.Env = append(os.Environ(), "STRATA_TEST_MAIN=1")
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), errOut.String(), code
	}
	for _, script := range kafkaScripts() {
		out, _, code := run(script, "--help")
		if script == "kafka-server-start.sh" {
			if code != exitOK || !strings.HasPrefix(out, "Usage: strata broker") {
				t.Errorf("%s --help: exit %d, %q", script, code, out)
			}
			continue
		}
		want := "Usage: strata " + strings.TrimSuffix(strings.TrimPrefix(script, "kafka-"), ".sh")
		if code != exitOK || !strings.HasPrefix(out, want) {
			t.Errorf("%s --help: exit %d, stdout %q, want it to start %q", script, code, out, want)
		}
	}
	_, errOut, code := run("kafka-run-class.sh", "kafka.Kafka")
	if code != exitError || errOut != "strata: kafka-run-class.sh is not available: Strata runs no Java classes; each tool is a strata subcommand (strata --help)\n" {
		t.Errorf("kafka-run-class.sh: exit %d, %q", code, errOut)
	}
	_, errOut, code = run("kafka-metadata-quorum.sh", "describe")
	if code != exitError || errOut != "strata: kafka-metadata-quorum.sh is not available: Strata has no metadata quorum yet (the cluster work)\n" {
		t.Errorf("kafka-metadata-quorum.sh: exit %d, %q", code, errOut)
	}
	_, errOut, code = run("kafka-nonsense.sh")
	if code != exitUsage || errOut != "strata: unknown command \"nonsense\" (run strata --help)\n" {
		t.Errorf("kafka-nonsense.sh: exit %d, %q", code, errOut)
	}
	for name := range laterScripts {
		for _, c := range commands {
			if c.Name == name {
				t.Errorf("%s is a command and also in laterScripts", name)
			}
		}
	}
	out, _, code := run("kafka-topics.sh", "--bootstrap-server", "127.0.0.1:1", "--list")
	if code != exitError || out != "" {
		t.Errorf("kafka-topics.sh against nothing: exit %d, stdout %q", code, out)
	}
}
