package config

import (
	"maps"
	"testing"
)

func TestSSLProperties(t *testing.T) {
	b := Defaults()
	for k, v := range map[string]string{
		"ssl.keystore.location":                        "/a.pem",
		"ssl.client.auth":                              "required",
		"listener.name.external.ssl.keystore.location": "/b.pem",
		"listener.name.internal.ssl.client.auth":       "none",
	} {
		if err := b.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := b.SSL("EXTERNAL"), map[string]string{"ssl.keystore.location": "/b.pem", "ssl.client.auth": "required"}; !maps.Equal(got, want) {
		t.Errorf("SSL(EXTERNAL) = %v, want %v", got, want)
	}
	if got, want := b.SSL("INTERNAL"), map[string]string{"ssl.keystore.location": "/a.pem", "ssl.client.auth": "none"}; !maps.Equal(got, want) {
		t.Errorf("SSL(INTERNAL) = %v, want %v", got, want)
	}
	eff, err := b.WithDynamic(map[string]string{"listener.name.external.ssl.keystore.location": "/c.pem", "log.retention.ms": "1000"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := eff.SSL("EXTERNAL")["ssl.keystore.location"]; got != "/c.pem" {
		t.Errorf("dynamic keystore: %q, want /c.pem", got)
	}
	if _, err := CheckDynamic(map[string]string{"listener.name.external.ssl.client.auth": "none"}); err == nil ||
		err.Error() != "config: Cannot update these configs dynamically: Set(listener.name.external.ssl.client.auth)" {
		t.Errorf("ssl.client.auth is not dynamic: %v", err)
	}
	for name, want := range map[string]bool{"ssl.keystore.location": true, "listener.name.x.ssl.truststore.location": true,
		"listener.name.x.sasl.jaas.config": false, "process.roles": false} {
		if IsSSLProperty(name) != want {
			t.Errorf("IsSSLProperty(%s) = %v", name, !want)
		}
	}
}
