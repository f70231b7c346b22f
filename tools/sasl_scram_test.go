package tools

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stratabroker/strata/tools/cli"
	"github.com/stratabroker/strata/tools/tooltest"
)

// TestScramBootstrapAndUsers: the first admin from `storage format
// --add-scram`, a broker started on that dir with a SASL_PLAINTEXT
// SCRAM-SHA-512 listener, then the tools authenticated as that admin
// (--command-config) add alice, who logs in; a wrong password fails in one
// line.
func TestScramBootstrapAndUsers(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg := filepath.Join(dir, "server.properties")
	if err := os.WriteFile(cfg, []byte("process.roles=broker\nnode.id=1\nlog.dirs="+data+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := tool(t, "", "storage", "format", "--config", cfg, "--cluster-id", "XcZZOzUqS4yHOjhMQB6JLQ",
		"--add-scram", "SCRAM-SHA-512=[name=admin,password=admin-secret]"); r.Code != cli.ExitOK {
		t.Fatalf("format: %d %s", r.Code, r.Stderr)
	}
	tg := tooltest.StartStrata(t, "log.dirs", data, "listeners", "SASL_PLAINTEXT://127.0.0.1:0",
		"sasl.enabled.mechanisms", "SCRAM-SHA-512", "connection.failed.authentication.delay.ms", "0")
	conf := func(user, pass string) string {
		return propsFile(t, "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\n"+
			`sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="`+user+`" password="`+pass+`";`+"\n")
	}
	b := []string{"--bootstrap-server", tg.Addr}
	admin := conf("admin", "admin-secret")
	for _, c := range []struct {
		args []string
		out  string
	}{
		{[]string{"configs", "--alter", "--entity-type", "users", "--entity-name", "alice", "--add-config", "SCRAM-SHA-512=[iterations=8192,password=alice-secret]", "--command-config", admin},
			"Completed updating config for user alice.\n"},
		{[]string{"configs", "--describe", "--entity-type", "users", "--command-config", admin},
			"SCRAM credential configs for user-principal 'admin' are SCRAM-SHA-512=iterations=4096\n" +
				"SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-512=iterations=8192\n"},
		{[]string{"topics", "--create", "--topic", "t", "--command-config", conf("alice", "alice-secret")}, "Created topic t.\n"},
	} {
		r := tool(t, "", append(c.args, b...)...)
		if r.Code != cli.ExitOK || r.Stdout != c.out {
			t.Fatalf("%s: exit %d stdout %q stderr %q", strings.Join(c.args, " "), r.Code, r.Stdout, r.Stderr)
		}
	}
	r := tool(t, "", append([]string{"topics", "--list", "--command-config", conf("alice", "wrong")}, b...)...)
	if r.Code != cli.ExitError || strings.Count(r.Stderr, "\n") != 1 || !strings.Contains(r.Stderr, "invalid credentials with SASL mechanism SCRAM-SHA-512") {
		t.Fatalf("wrong password: exit %d stderr %q", r.Code, r.Stderr)
	}
}
