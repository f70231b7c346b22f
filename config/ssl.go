package config

import "strings"

// TLS properties (Kafka's SslConfigs): Strata reads them from the
// properties it does not otherwise model (Unknown), so server.properties
// keeps Kafka's names: ssl.keystore.type, ssl.keystore.location,
// ssl.keystore.key, ssl.keystore.certificate.chain, ssl.key.password,
// ssl.truststore.*, ssl.client.auth, ssl.enabled.protocols, ssl.protocol,
// ssl.cipher.suites, ssl.principal.mapping.rules, ... Each may be given for
// one listener as listener.name.<name>.ssl.* (the name lower-cased, as
// Kafka's ListenerName.configPrefix), which wins over the unprefixed one.
// Kafka's dynamically reconfigurable SSL properties (the keystore and
// truststore ones) may be altered at run time for one listener on one
// broker: listener.name.<name>.ssl.keystore.location and friends
// (IsDynamicSSL).

// listenerPrefix is Kafka's ListenerName.configPrefix.
func listenerPrefix(listener string) string {
	return "listener.name." + strings.ToLower(listener) + "."
}

// dynamicSSL are Kafka's SslConfigs.RECONFIGURABLE_CONFIGS: the SSL
// properties a listener's dynamic config may change.
var dynamicSSL = map[string]bool{
	"ssl.keystore.type": true, "ssl.keystore.location": true, "ssl.keystore.password": true,
	"ssl.key.password": true, "ssl.keystore.key": true, "ssl.keystore.certificate.chain": true,
	"ssl.truststore.type": true, "ssl.truststore.location": true, "ssl.truststore.password": true,
	"ssl.truststore.certificates": true,
}

// IsDynamicSSL reports whether name is a listener-prefixed SSL property that
// may be altered at run time on one broker (not at the cluster default), as
// listener.name.ssl.ssl.keystore.location.
func IsDynamicSSL(name string) bool {
	rest, ok := strings.CutPrefix(name, "listener.name.")
	if !ok {
		return false
	}
	l, prop, ok := strings.Cut(rest, ".")
	return ok && l != "" && dynamicSSL[prop]
}

// SSL returns the SSL properties in force for a listener, by their
// unprefixed names (ssl.keystore.location, ...): the static ssl.* ones,
// then the static listener.name.<name>.ssl.* ones over them, then this
// broker's dynamic listener.name.<name>.ssl.* ones over those.
func (b *Broker) SSL(listener string) map[string]string {
	out := map[string]string{}
	prefix := listenerPrefix(listener)
	for k, v := range b.Unknown {
		if strings.HasPrefix(k, "ssl.") {
			out[k] = v
		}
	}
	for _, src := range []map[string]string{b.Unknown, b.dynBroker} {
		for k, v := range src {
			if p, ok := strings.CutPrefix(k, prefix); ok && strings.HasPrefix(p, "ssl.") {
				out[p] = v
			}
		}
	}
	return out
}

// IsSSLProperty reports whether name is an SSL property SSL reads: ssl.*
// or listener.name.<name>.ssl.* (kept in Unknown, yet used).
func IsSSLProperty(name string) bool {
	if strings.HasPrefix(name, "ssl.") {
		return true
	}
	rest, ok := strings.CutPrefix(name, "listener.name.")
	if !ok {
		return false
	}
	_, prop, ok := strings.Cut(rest, ".")
	return ok && strings.HasPrefix(prop, "ssl.")
}

// ListenerSSLSet reports whether prop (ssl.client.auth, ...) is given for
// the listener itself, as listener.name.<name>.prop, statically or
// dynamically.
func (b *Broker) ListenerSSLSet(listener, prop string) bool {
	k := listenerPrefix(listener) + prop
	_, static := b.Unknown[k]
	_, dyn := b.dynBroker[k]
	return static || dyn
}
