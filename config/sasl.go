package config

import "strings"

// saslMechanismPrefixes are the lower-case mechanism names Kafka puts
// between a listener prefix and a SASL property
// (listener.name.<listener>.<mechanism>.sasl.jaas.config).
var saslMechanismPrefixes = []string{"plain.", "scram-sha-256.", "scram-sha-512.", "oauthbearer.", "gssapi."}

// IsSASLProperty reports whether name is a SASL property the SASL
// listeners read (package auth, through the server): sasl.*,
// connections.max.reauth.ms, and their listener.name.<name>.[<mechanism>.]
// forms. They stay in Broker.Unknown, unparsed here.
func IsSASLProperty(name string) bool {
	isSASL := func(p string) bool {
		return strings.HasPrefix(p, "sasl.") || p == "connections.max.reauth.ms"
	}
	if isSASL(name) {
		return true
	}
	rest, ok := strings.CutPrefix(name, "listener.name.")
	if !ok {
		return false
	}
	_, prop, ok := strings.Cut(rest, ".")
	if !ok {
		return false
	}
	for _, m := range saslMechanismPrefixes {
		if p, ok := strings.CutPrefix(prop, m); ok {
			return isSASL(p)
		}
	}
	return isSASL(prop)
}
