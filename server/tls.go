package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/stratabroker/strata/config"
	"github.com/stratabroker/strata/tlsconf"
)

// TLS listeners (SSL and SASL_SSL): each holds the configuration built
// from its SSL properties (config.Broker.SSL, package tlsconf) in an atomic
// pointer; a connection takes the one in force when it is accepted, so a
// dynamic keystore change (alterBrokerConfigs) applies to new connections
// and leaves open ones as they are, as in Kafka. The handshake runs on the
// connection's own goroutine (serve), never in the accept loop, bounded by
// connections.max.idle.ms: a client that sends nothing, or plaintext bytes,
// costs only its own connection.

// handshakeTimeout bounds a TLS handshake when connections.max.idle.ms is
// off (0 or less).
const handshakeTimeout = 30 * time.Second

// isTLS reports whether a security protocol runs over TLS.
func isTLS(protocol string) bool { return protocol == "SSL" || protocol == "SASL_SSL" }

// buildTLS builds the TLS side of every TLS listener of cfg.
func buildTLS(cfg *config.Broker, listeners []*listener) (map[string]*tlsconf.Listener, error) {
	out := map[string]*tlsconf.Listener{}
	for _, l := range listeners {
		if !isTLS(l.protocol) {
			continue
		}
		props := cfg.SSL(l.name)
		if l.protocol == "SASL_SSL" && !cfg.ListenerSSLSet(l.name, "ssl.client.auth") {
			// KIP-684: a SASL_SSL listener asks for client certificates
			// only when its own listener.name.<name>.ssl.client.auth says
			// so; the broker-wide ssl.client.auth is for SSL listeners.
			delete(props, "ssl.client.auth")
		}
		t, err := tlsconf.Server(props)
		if err != nil {
			return nil, fmt.Errorf("listener %s: %w", l.name, err)
		}
		out[l.name] = t
	}
	return out, nil
}

// setTLS puts built TLS configurations in force, by listener name.
func (s *Server) setTLS(built map[string]*tlsconf.Listener) {
	for _, l := range s.listeners {
		if t, ok := built[l.name]; ok {
			l.tls.Store(t)
		}
	}
}

// checkTLSLevel refuses SSL properties at the cluster-default level, as
// Kafka's DynamicBrokerConfig does for per-broker configs.
func checkTLSLevel(name string, props map[string]string) error {
	if name != "" {
		return nil
	}
	var ssl []string
	for k := range props {
		if config.IsDynamicSSL(k) {
			ssl = append(ssl, k)
		}
	}
	if len(ssl) == 0 {
		return nil
	}
	slices.Sort(ssl)
	return kerrf(kerr.InvalidRequest, "Cannot update these configs at default cluster level, broker id must be specified: Set(%s)", strings.Join(ssl, ", "))
}

// tlsChanged reports whether two configurations differ in any listener's
// SSL properties.
func (s *Server) tlsChanged(old, eff *config.Broker) bool {
	for _, l := range s.listeners {
		if isTLS(l.protocol) && !maps.Equal(old.SSL(l.name), eff.SSL(l.name)) {
			return true
		}
	}
	return false
}

// handshake runs the TLS handshake of a connection on a TLS listener and
// sets its principal from the client's certificate, if it sent one. A
// connection that is not TLS passes.
func (c *conn) handshake() error {
	tc, ok := c.nc.(*tls.Conn)
	if !ok {
		return nil
	}
	d := handshakeTimeout
	if c.idle > 0 {
		d = c.idle
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		return fmt.Errorf("server: TLS handshake: %w", err)
	}
	st := tc.ConnectionState()
	if len(st.PeerCertificates) > 0 && c.rules != nil {
		p, err := c.rules.Principal(st.PeerCertificates[0])
		if err != nil {
			return fmt.Errorf("server: SSL authentication: %w", err)
		}
		c.principal = p
		c.s.log.Debug("TLS client authenticated", "remote", c.remote, "listener", c.listenerName, "principal", p)
	}
	return nil
}
