package cli

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func TestParseJAAS(t *testing.T) {
	module, opts, err := ParseJAAS(`org.apache.kafka.common.security.scram.ScramLoginModule required
		username="alice" password="p\"w;d" tokenauth=true ;`)
	if err != nil || module != "org.apache.kafka.common.security.scram.ScramLoginModule" ||
		len(opts) != 3 || opts["username"] != "alice" || opts["password"] != `p"w;d` || opts["tokenauth"] != "true" {
		t.Fatalf("ParseJAAS = %q %q %v", module, opts, err)
	}
	for in, want := range map[string]string{
		`PlainLoginModule required username="a"`:       "sasl.jaas.config: the entry must end with ';'",
		`PlainLoginModule username="a";`:               `sasl.jaas.config: the login module control flag (required) is expected, not "username"`,
		`PlainLoginModule required username="a;`:       "sasl.jaas.config: unterminated quoted value for username",
		`PlainLoginModule required a="b"; X required;`: "sasl.jaas.config: one login module entry is expected (text after ';')",
		``: "sasl.jaas.config: a login module class is expected",
	} {
		if _, _, err := ParseJAAS(in); err == nil || err.Error() != want {
			t.Errorf("ParseJAAS(%q) = %v, want %s", in, err, want)
		}
	}
}

func TestSASLMechanism(t *testing.T) {
	for _, tc := range []struct{ mech, jaas, name, err string }{
		{"PLAIN", `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";`, "PLAIN", ""},
		{"SCRAM-SHA-256", `org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";`, "SCRAM-SHA-256", ""},
		{"SCRAM-SHA-512", `org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";`, "SCRAM-SHA-512", ""},
		{"OAUTHBEARER", `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="alice";`, "OAUTHBEARER", ""},
		{"OAUTHBEARER", `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";`, "",
			"sasl.jaas.config: sasl.mechanism=OAUTHBEARER needs OAuthBearerLoginModule, not org.apache.kafka.common.security.plain.PlainLoginModule"},
		{"PLAIN", `org.apache.kafka.common.security.plain.PlainLoginModule required username="u";`, "", "sasl.jaas.config: username and password are required for PLAIN"},
		{"SCRAM-SHA-1", `x.ScramLoginModule required username="u" password="p";`, "", "sasl.mechanism=SCRAM-SHA-1 is not supported: want PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER"},
		{"PLAIN", "", "", "sasl.jaas.config is required with sasl.mechanism=PLAIN (the tools read no JAAS file)"},
	} {
		props := map[string]string{"sasl.mechanism": tc.mech}
		if tc.jaas != "" {
			props["sasl.jaas.config"] = tc.jaas
		}
		m, err := SASLMechanism(props)
		switch {
		case tc.err != "" && (err == nil || err.Error() != tc.err):
			t.Errorf("%s %q: %v, want %s", tc.mech, tc.jaas, err, tc.err)
		case tc.err == "" && (err != nil || m.Name() != tc.name):
			t.Errorf("%s %q: %v", tc.mech, tc.jaas, err)
		}
	}
}

// Kafka's unsecured token: base64url({"alg":"none"}).base64url(claims).
func TestUnsecuredToken(t *testing.T) {
	now := time.UnixMilli(1700000000500)
	tok, ext, err := unsecuredToken(map[string]string{"unsecuredLoginStringClaim_sub": "alice",
		"unsecuredLoginLifetimeSeconds": "60", "unsecuredLoginExtension_traceId": "123"}, now)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 || parts[2] != "" {
		t.Fatalf("token %q: want header.payload. with an empty signature", tok)
	}
	h, _ := base64.RawURLEncoding.DecodeString(parts[0])
	p, _ := base64.RawURLEncoding.DecodeString(parts[1])
	if string(h) != `{"alg":"none"}` || string(p) != `{"exp":1700000060.5,"iat":1700000000.5,"sub":"alice"}` {
		t.Fatalf("header %s payload %s", h, p)
	}
	if len(ext) != 1 || ext["traceId"] != "123" {
		t.Fatalf("extensions %v", ext)
	}
}
