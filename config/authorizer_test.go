package config

import "testing"

func TestIsAuthorizerProperty(t *testing.T) {
	for name, want := range map[string]bool{
		"authorizer.class.name": true, "super.users": true, "allow.everyone.if.no.acl.found": true,
		"authorizer.class": false, "sasl.enabled.mechanisms": false,
	} {
		if got := IsAuthorizerProperty(name); got != want {
			t.Errorf("IsAuthorizerProperty(%q) = %v, want %v", name, got, want)
		}
	}
}
