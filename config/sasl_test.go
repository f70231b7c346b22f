package config

import "testing"

func TestIsSASLProperty(t *testing.T) {
	for name, want := range map[string]bool{
		"sasl.enabled.mechanisms":                                 true,
		"sasl.jaas.config":                                        true,
		"connections.max.reauth.ms":                               true,
		"sasl.oauthbearer.jwks.endpoint.url":                      true,
		"listener.name.sasl_ssl.sasl.enabled.mechanisms":          true,
		"listener.name.sasl_plaintext.plain.sasl.jaas.config":     true,
		"listener.name.x.scram-sha-512.connections.max.reauth.ms": true,
		"listener.name.x.ssl.keystore.location":                   false,
		"listener.name.x.plain.ssl.keystore.location":             false,
		"process.roles":                                           false,
		"listener.name.x":                                         false,
	} {
		if got := IsSASLProperty(name); got != want {
			t.Errorf("IsSASLProperty(%q) = %v, want %v", name, got, want)
		}
	}
}
