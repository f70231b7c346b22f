package tlsconf

import (
	"crypto/tls"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"testing"

	"github.com/stratabroker/strata/internal/testcerts"
)

func TestSubjectDN(t *testing.T) {
	ca := testcerts.NewCA(t, "CA")
	tests := []struct {
		subject pkix.Name
		want    string
	}{
		{pkix.Name{CommonName: "alice", OrganizationalUnit: []string{"eng"}, Organization: []string{"Acme"}, Locality: []string{"Paris"}, Province: []string{"IDF"}, Country: []string{"FR"}},
			"CN=alice,OU=eng,O=Acme,L=Paris,ST=IDF,C=FR"},
		{pkix.Name{CommonName: " lead#+,\"<>;\\ "}, `CN=\ lead#\+\,\"\<\>\;\\\ `},
		{pkix.Name{CommonName: "#x"}, `CN=\#x`},
		// SERIALNUMBER is not one of Java's RFC 2253 keywords: OID=#DER.
		{pkix.Name{CommonName: "bob", SerialNumber: "42"}, "2.5.4.5=#13023432,CN=bob"},
		{pkix.Name{CommonName: "svc", ExtraNames: []pkix.AttributeTypeAndValue{
			{Type: asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}, Value: "example"}}}, "DC=example,CN=svc"},
	}
	for _, tc := range tests {
		c := ca.Issue(t, testcerts.Options{Client: true, Subject: tc.subject})
		if got := SubjectDN(c.Cert); got != tc.want {
			t.Errorf("SubjectDN(%v) = %q, want %q", tc.subject, got, tc.want)
		}
	}
}

func TestRules(t *testing.T) {
	const dn = "CN=Kafka-Client,OU=Eng,O=Acme,C=US"
	tests := []struct{ rules, want string }{
		{"", dn},
		{"DEFAULT", dn},
		{`RULE:^CN=(.*?),OU=(.*?),O=(.*?),C=(.*?)$/$1@$3/L,DEFAULT`, "kafka-client@acme"},
		{`RULE:^CN=(.*?),OU=(.*?).*$/$1/U`, "KAFKA-CLIENT"},
		{`RULE:^CN=nobody,.*$/x/, DEFAULT`, dn},
		{`RULE:^CN=(.*?),.*$/$1\/x/`, "Kafka-Client/x"},
		{`RULE:^CN=(.*?),.*$/$1x/`, "Kafka-Clientx"},
	}
	for _, tc := range tests {
		r, err := ParseRules(tc.rules)
		if err != nil {
			t.Errorf("%q: %v", tc.rules, err)
			continue
		}
		if got, err := r.Name(dn); err != nil || got != tc.want {
			t.Errorf("%q: Name = %q, %v; want %q", tc.rules, got, err, tc.want)
		}
	}
	r, _ := ParseRules(`RULE:^CN=x$/y/`)
	if _, err := r.Name(dn); !errors.Is(err, ErrNoMatchingRule) {
		t.Errorf("no match: %v, want ErrNoMatchingRule", err)
	}
	if _, err := ParseRules("NOPE"); err == nil || err.Error() != "invalid SSL configuration: Invalid value NOPE for configuration ssl.principal.mapping.rules: Invalid rule: NOPE" {
		t.Errorf("bad rule: %v", err)
	}
}

func TestCipherSuites(t *testing.T) {
	got, err := CipherSuites("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256")
	if err != nil || len(got) != 2 || got[0] != tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 || got[1] != tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 {
		t.Fatalf("CipherSuites = %v, %v", got, err)
	}
	if _, err := CipherSuites("TLS_RSA_WITH_NULL_MD5"); err == nil ||
		err.Error() != "invalid SSL configuration: Invalid value TLS_RSA_WITH_NULL_MD5 for configuration ssl.cipher.suites: unsupported cipher suite TLS_RSA_WITH_NULL_MD5" {
		t.Fatalf("unknown suite: %v", err)
	}
}
