package delegationtokens

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stratabroker/strata/tools/cli"
	"github.com/stratabroker/strata/tools/tooltest"
)

const jaas = `org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";`

// TestDelegationTokensTool: kafka-delegation-tokens.sh's actions against a
// SASL_PLAINTEXT Strata with tokens enabled: create (with a renewer, and
// for another owner), describe (all, by owner), renew, expire, and the
// refusals (a renew by someone else, an unknown HMAC, a missing required
// flag, two actions). Token ids, HMACs and dates vary per run and are
// normalized; the server's tests check the timestamps exactly.
func TestDelegationTokensTool(t *testing.T) {
	tg := tooltest.StartStrata(t, "listeners", "SASL_PLAINTEXT://127.0.0.1:0",
		"sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-512", "sasl.jaas.config", jaas,
		"delegation.token.secret.key", "s3cret")
	dir := t.TempDir()
	conf := func(user string) string {
		p := filepath.Join(dir, user+".properties")
		body := "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + user + "\" password=\"" + user + "-secret\";\n"
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	alice, admin := conf("alice"), conf("admin")
	tr := tooltest.NewTranscript(t, tg, cli.Dispatcher(Commands))
	tr.Normalize(regexp.QuoteMeta(dir), "<dir>")
	tr.Normalize(`[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}`, "<date>    ")
	tr.Normalize(`[A-Za-z0-9+/]{86}==`, "<hmac>")
	tr.Normalize(`(^|\n|: )[A-Za-z0-9_-]{22}( |\n)`, "$1<token-id>$2")

	r := tr.Run("", "delegation-tokens", "--command-config", alice, "--create", "--max-life-time-period", "-1", "--renewer-principal", "User:admin")
	m := regexp.MustCompile(`\n([A-Za-z0-9_-]{22}) +([A-Za-z0-9+/]{86}==) `).FindStringSubmatch(r.Stdout)
	if r.Code != 0 || m == nil {
		t.Fatalf("create: %d %q", r.Code, r.Stdout)
	}
	hmac := m[2]
	tr.Run("", "delegation-tokens", "--command-config", admin, "--create", "--max-life-time-period", "3600000", "--owner-principal", "User:bob")
	tr.Run("", "delegation-tokens", "--command-config", alice, "--describe", "--owner-principal", "User:alice")
	tr.Run("", "delegation-tokens", "--command-config", alice, "--describe")
	tr.Run("", "delegation-tokens", "--command-config", alice, "--renew", "--hmac", hmac, "--renew-time-period", "-1")
	tr.Run("", "delegation-tokens", "--command-config", admin, "--renew", "--hmac", hmac, "--renew-time-period", "1000")
	tr.Run("", "delegation-tokens", "--command-config", alice, "--expire", "--hmac", hmac, "--expiry-time-period", "-1")
	tr.Run("", "delegation-tokens", "--command-config", alice, "--renew", "--hmac", hmac, "--renew-time-period", "1000")
	tr.Run("", "delegation-tokens", "--command-config", alice, "--describe", "--owner-principal", "User:alice")
	tr.Run("", "delegation-tokens", "--command-config", alice, "--create")
	tr.Run("", "delegation-tokens", "--command-config", alice, "--create", "--describe")
	tr.Run("", "delegation-tokens", "--create", "--max-life-time-period", "-1")
	tr.Run("", "delegation-tokens", "--command-config", alice, "--describe", "--hmac", "x")
	tr.Check("delegation_tokens")
}
