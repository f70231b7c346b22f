package tools

import (
	"crypto/x509/pkix"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/stratabroker/strata/internal/testcerts"
	"github.com/stratabroker/strata/tools/cli"
	"github.com/stratabroker/strata/tools/tooltest"
)

// TestToolsOverSSL: the tools reach an SSL listener that requires client
// certificates with Kafka's client properties (PEM stores) given by
// --command-config, --producer.config and --consumer.config; without the
// client certificate, or trusting another CA, they fail with one line.
func TestToolsOverSSL(t *testing.T) {
	dir := t.TempDir()
	ca := testcerts.NewCA(t, "Test CA")
	tg := tooltest.StartStrata(t, "listeners", "PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0",
		"ssl.keystore.type", "PEM", "ssl.keystore.location", ca.Issue(t, testcerts.Options{}).Keystore(t, dir, "server.pem"),
		"ssl.truststore.location", ca.Truststore(t, dir, "ca.pem"), "ssl.client.auth", "required")
	client := ca.Issue(t, testcerts.Options{Client: true, Subject: pkix.Name{CommonName: "tool"}}).Keystore(t, dir, "client.pem")
	props := propsFile(t, "security.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.location="+filepath.Join(dir, "ca.pem")+
		"\nssl.keystore.type=PEM\nssl.keystore.location="+client+"\n")
	b := []string{"--bootstrap-server", tg.Listeners["SSL"]}
	if r := tool(t, "", append([]string{"topics", "--create", "--topic", "secure", "--partitions", "1", "--command-config", props}, b...)...); r.Code != cli.ExitOK || r.Stdout != "Created topic secure.\n" {
		t.Fatalf("topics --create over SSL: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	if r := tool(t, "one\ntwo\n", append([]string{"console-producer", "--topic", "secure", "--producer.config", props}, b...)...); r.Code != cli.ExitOK || r.Stderr != "" {
		t.Fatalf("console-producer over SSL: exit %d, stderr %q", r.Code, r.Stderr)
	}
	r := tool(t, "", append([]string{"console-consumer", "--topic", "secure", "--from-beginning", "--max-messages", "2", "--timeout-ms", "10000", "--consumer.config", props}, b...)...)
	if r.Code != cli.ExitOK || r.Stdout != "one\ntwo\n" {
		t.Fatalf("console-consumer over SSL: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	// No client certificate: refused by the broker.
	noCert := propsFile(t, "security.protocol=SSL\nssl.truststore.location="+filepath.Join(dir, "ca.pem")+"\n")
	r = tool(t, "", append([]string{"topics", "--list", "--command-config", noCert}, b...)...)
	if r.Code != cli.ExitError || strings.Count(r.Stderr, "\n") != 1 {
		t.Errorf("no client certificate: exit %d, stderr %q, want exit 1 and one line", r.Code, r.Stderr)
	}
	// Another CA: the tool refuses the broker.
	other := propsFile(t, "security.protocol=SSL\nssl.truststore.location="+testcerts.NewCA(t, "Other").Truststore(t, dir, "other.pem")+"\nssl.keystore.location="+client+"\n")
	r = tool(t, "", append([]string{"topics", "--list", "--command-config", other}, b...)...)
	if r.Code != cli.ExitError || strings.Count(r.Stderr, "\n") != 1 {
		t.Errorf("wrong CA: exit %d, stderr %q, want exit 1 and one line", r.Code, r.Stderr)
	}
}

// TestToolsEndpointIdentification: a broker certificate for another name
// fails the host name check (ssl.endpoint.identification.algorithm=https,
// the default) and passes with it empty, the chain still checked.
func TestToolsEndpointIdentification(t *testing.T) {
	dir := t.TempDir()
	ca := testcerts.NewCA(t, "Test CA")
	tg := tooltest.StartStrata(t, "listeners", "PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0",
		"ssl.keystore.location", ca.Issue(t, testcerts.Options{Hosts: []string{"broker.example"}}).Keystore(t, dir, "server.pem"))
	base := "security.protocol=SSL\nssl.truststore.location=" + ca.Truststore(t, dir, "ca.pem") + "\n"
	b := []string{"--bootstrap-server", tg.Listeners["SSL"]}
	r := tool(t, "", append([]string{"topics", "--list", "--command-config", propsFile(t, base)}, b...)...)
	if r.Code != cli.ExitError || !strings.Contains(r.Stderr, "cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs") {
		t.Errorf("https identification: exit %d, stderr %q", r.Code, r.Stderr)
	}
	r = tool(t, "", append([]string{"topics", "--list", "--command-config", propsFile(t, base+"ssl.endpoint.identification.algorithm=\n")}, b...)...)
	if r.Code != cli.ExitOK {
		t.Errorf("no identification: exit %d, stderr %q", r.Code, r.Stderr)
	}
	other := "security.protocol=SSL\nssl.endpoint.identification.algorithm=\nssl.truststore.location=" + testcerts.NewCA(t, "Other").Truststore(t, dir, "other.pem") + "\n"
	r = tool(t, "", append([]string{"topics", "--list", "--command-config", propsFile(t, other)}, b...)...)
	if r.Code != cli.ExitError || !strings.Contains(r.Stderr, "certificate signed by unknown authority") {
		t.Errorf("no identification, wrong CA: exit %d, stderr %q", r.Code, r.Stderr)
	}
}

// TestToolsSASL: the tools authenticate with sasl.mechanism and the
// credentials of sasl.jaas.config, against kfake's SASL (Strata's own SASL
// listeners are tested where they are built).
func TestToolsSASL(t *testing.T) {
	for _, mech := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		t.Run(mech, func(t *testing.T) {
			c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.Superuser(mech, "admin", "admin-secret"), kfake.SeedTopics(1, "s"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			module := "org.apache.kafka.common.security.plain.PlainLoginModule"
			if mech != "PLAIN" {
				module = "org.apache.kafka.common.security.scram.ScramLoginModule"
			}
			conf := func(pass string) string {
				return propsFile(t, "security.protocol=SASL_PLAINTEXT\nsasl.mechanism="+mech+"\nsasl.jaas.config="+module+
					` required username="admin" password="`+pass+`";`+"\n")
			}
			b := []string{"--bootstrap-server", c.ListenAddrs()[0]}
			r := tool(t, "", append([]string{"topics", "--list", "--command-config", conf("admin-secret")}, b...)...)
			if r.Code != cli.ExitOK || r.Stdout != "s\n" {
				t.Errorf("right password: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
			}
			r = tool(t, "", append([]string{"topics", "--list", "--command-config", conf("wrong")}, b...)...)
			if r.Code != cli.ExitError || strings.Count(r.Stderr, "\n") != 1 {
				t.Errorf("wrong password: exit %d, stderr %q, want exit 1 and one line", r.Code, r.Stderr)
			}
		})
	}
}
