package tools

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stratabroker/strata/tools/cli"
	"github.com/stratabroker/strata/tools/tooltest"
)

func propsFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "client.properties")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMaxRequestSize: a line larger than the producer's max.request.size
// (default 1048576) is refused by the client with the Java producer's
// RecordTooLargeException text and its size estimate (61 bytes of batch
// header, 21 of record overhead, 1 for a null key, the value's varint
// length and bytes, 1 for no headers); --producer-property
// max.request.size raises it, so a topic allowing 3 MB takes the record;
// a record the broker refuses says the broker refused it.
func TestMaxRequestSize(t *testing.T) {
	tg := tooltest.StartStrata(t)
	b := []string{"--bootstrap-server", tg.Addr}
	for _, c := range [][]string{
		{"topics", "--create", "--topic", "big", "--config", "max.message.bytes=3145728"},
		{"topics", "--create", "--topic", "small"},
	} {
		if r := tool(t, "", append(c, b...)...); r.Code != cli.ExitOK {
			t.Fatalf("%v: %s", c, r.Stderr)
		}
	}
	line := strings.Repeat("x", 1100000) + "\n"
	r := tool(t, line, append([]string{"console-producer", "--topic", "big"}, b...)...)
	want := "strata console-producer: error when sending message to topic big with key: null, value: 1100000 bytes with error: " +
		"The message is 1100088 bytes when serialized which is larger than 1048576, which is the value of the max.request.size configuration.\n"
	if r.Code != cli.ExitError || r.Stderr != want {
		t.Errorf("default max.request.size: exit %d, stderr %q, want %q", r.Code, r.Stderr, want)
	}
	r = tool(t, line, append([]string{"console-producer", "--topic", "big", "--producer-property", "max.request.size=3145728"}, b...)...)
	if r.Code != cli.ExitOK || r.Stderr != "" {
		t.Errorf("max.request.size=3145728: exit %d, stderr %q", r.Code, r.Stderr)
	}
	r = tool(t, line, append([]string{"console-producer", "--topic", "small", "--command-property", "max.request.size=3145728"}, b...)...)
	if r.Code != cli.ExitError || !strings.Contains(r.Stderr, "with error: MESSAGE_TOO_LARGE: The request included a message larger than the max message size the server will accept") {
		t.Errorf("the broker's limit: exit %d, stderr %q", r.Code, r.Stderr)
	}
	r = tool(t, "", append([]string{"console-consumer", "--topic", "big", "--from-beginning", "--max-messages", "1", "--timeout-ms", "10000",
		"--consumer-property", "max.partition.fetch.bytes=4194304", "--formatter-property", "print.value=false", "--formatter-property", "print.offset=true"}, b...)...)
	if r.Code != cli.ExitOK || r.Stdout != "Offset:0\n" {
		t.Errorf("consume the big record: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
}

// TestCommonClientFlags: the flags Kafka's tools share for client
// configuration: --consumer.config / --producer.config / --command-config
// files (the command-line properties win), --command-property,
// --formatter-property and --reader-property, --skip-message-on-error.
func TestCommonClientFlags(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		b := []string{"--bootstrap-server", tg.Addr}
		run := func(stdin string, args ...string) tooltest.Result {
			t.Helper()
			return tool(t, stdin, append(args, b...)...)
		}
		if r := run("", "topics", "--create", "--topic", "cf", "--partitions", "1", "--command-config", propsFile(t, "# admin\nclient.id=admin-tool\n")); r.Code != cli.ExitOK {
			t.Fatalf("create: %s", r.Stderr)
		}
		pfile := propsFile(t, "acks=1\nlinger.ms = 0\n! comment\nclient.id:file-producer\n")
		if r := run("k1:v1\nk2:v2\n", "console-producer", "--topic", "cf", "--producer.config", pfile, "--reader-property", "parse.key=true", "--reader-property", "key.separator=:"); r.Code != cli.ExitOK || r.Stderr != "" {
			t.Fatalf("producer.config + reader-property: exit %d %q", r.Code, r.Stderr)
		}
		if r := run("k3|v3\n", "console-producer", "--topic", "cf", "--command-config", pfile, "--command-property", "acks=all", "--property", "parse.key=true", "key.separator=|"); r.Code != cli.ExitOK || r.Stderr != "" {
			t.Fatalf("command-config + command-property: exit %d %q", r.Code, r.Stderr)
		}
		cfile := propsFile(t, "auto.offset.reset=earliest\nclient.id=file-consumer\n")
		r := run("", "console-consumer", "--topic", "cf", "--consumer.config", cfile, "--max-messages", "3", "--timeout-ms", "10000",
			"--formatter-property", "print.key=true", "--skip-message-on-error")
		if r.Code != cli.ExitOK || r.Stdout != "k1\tv1\nk2\tv2\nk3\tv3\n" {
			t.Errorf("consumer.config earliest: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
		}
		// The command line's property wins over the file's.
		r = run("", "console-consumer", "--topic", "cf", "--command-config", cfile, "--command-property", "auto.offset.reset=latest", "--timeout-ms", "500")
		if r.Code != cli.ExitOK || r.Stdout != "" {
			t.Errorf("command-property over command-config: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
		}
		r = run("", "console-consumer", "--topic", "cf", "--from-beginning", "--consumer-property", "auto.offset.reset=latest")
		if want := "Can't simultaneously specify --from-beginning and 'auto.offset.reset=latest', please remove one option\n"; r.Code != cli.ExitError || r.Stderr != want {
			t.Errorf("--from-beginning with latest: exit %d, stderr %q, want %q", r.Code, r.Stderr, want)
		}
		r = run("", "console-consumer", "--topic", "cf", "--group", "a", "--consumer.config", propsFile(t, "group.id=b\n"))
		if want := "The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. Detected group ids: 'a', 'b'"; r.Code != cli.ExitUsage || !strings.Contains(r.Stderr, want) {
			t.Errorf("group ids differ: exit %d, stderr %q", r.Code, r.Stderr)
		}
		r = run("", "get-offsets", "--topic", "cf", "--command-config", propsFile(t, "client.id=offsets\nrequest.timeout.ms=5000\n"))
		if r.Code != cli.ExitOK || r.Stdout != "cf:0:3\n" {
			t.Errorf("get-offsets --command-config: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
		}
		for _, c := range [][]string{
			{"get-offsets", "--topic", "cf"}, {"topics", "--list"}, {"consumer-groups", "--list"}, {"configs", "--entity-type", "topics", "--entity-name", "cf", "--describe"},
			{"log-dirs", "--describe"}, {"console-consumer", "--topic", "cf"}, {"console-producer", "--topic", "cf"},
			{"producer-perf-test", "--topic", "cf", "--num-records", "1", "--record-size", "1", "--throughput", "-1"},
			{"consumer-perf-test", "--topic", "cf", "--messages", "1"},
			{"e2e-latency", "--topic", "cf", "--num-records", "1", "--producer-acks", "1", "--record-size", "1"},
		} {
			r = run("", append(c, "--command-config", propsFile(t, "security.protocol=SSL\nssl.truststore.type=JKS\n"))...)
			if r.Code != cli.ExitUsage || !strings.Contains(r.Stderr, "ssl.truststore.type=JKS is not supported: the tools read PEM stores only (ssl.truststore.type=PEM)") {
				t.Errorf("%s with ssl.truststore.type=JKS: exit %d, stderr %q", c[0], r.Code, r.Stderr)
			}
			r = run("", append(c, "--command-config", propsFile(t, "security.protocol=SASL_SSL\nsasl.mechanism=GSSAPI\n"))...)
			if r.Code != cli.ExitUsage || !strings.Contains(r.Stderr, "sasl.mechanism=GSSAPI is not supported: want PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER") {
				t.Errorf("%s with sasl.mechanism=GSSAPI: exit %d, stderr %q", c[0], r.Code, r.Stderr)
			}
		}
		r = run("", "consumer-perf-test", "--topic", "cf", "--messages", "3", "--consumer.config", propsFile(t, "client.id=perf\nfetch.min.bytes=1\n"), "--hide-header")
		if r.Code != cli.ExitOK || !strings.Contains(r.Stdout, ", 3, ") {
			t.Errorf("consumer-perf-test --consumer.config: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
		}
		r = run("", "delete-records", "--offset-json-file", "x.json", "--command-config", filepath.Join(t.TempDir(), "missing.properties"))
		if r.Code != cli.ExitUsage || !strings.Contains(r.Stderr, "missing.properties: no such file or directory") {
			t.Errorf("missing --command-config file: exit %d, stderr %q", r.Code, r.Stderr)
		}
	})
}

// TestPerfMaxRequestSize: producer-perf-test refuses records over
// max.request.size in the client, with the Java producer's text.
func TestPerfMaxRequestSize(t *testing.T) {
	tg := tooltest.StartStrata(t)
	r := tool(t, "", "producer-perf-test", "--bootstrap-server", tg.Addr, "--topic", "p", "--num-records", "2", "--record-size", "2000",
		"--throughput", "-1", "--producer-props", "max.request.size=1024")
	want := "strata producer-perf-test: 2 records failed; the first: sending a record: The message is 2086 bytes when serialized which is larger than 1024, which is the value of the max.request.size configuration.\n"
	if r.Code != cli.ExitError || !strings.HasSuffix(r.Stderr, want) {
		t.Errorf("exit %d, stderr %q, want it to end in %q", r.Code, r.Stderr, want)
	}
}

// TestLoadPropsFile: java.util.Properties.load's syntax.
func TestLoadPropsFile(t *testing.T) {
	p := propsFile(t, "# comment\n  ! another\n\na=1\nb = two words \nc:3\nd 4\nlong=x\\\n    y\\\n  z\nesc=tab\\there\\u0041\\\\\nkey\\=with=eq\ne=\n  f  =  6\r\n")
	got, err := cli.LoadPropsFile(p)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a": "1", "b": "two words ", "c": "3", "d": "4", "long": "xyz", "esc": "tab\there" + "A\\", "key=with": "eq", "e": "", "f": "6"}
	if len(got) != len(want) {
		t.Errorf("got %q, want %q", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%q = %q, want %q", k, got[k], v)
		}
	}
}
