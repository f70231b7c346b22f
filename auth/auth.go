package auth

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Mechanism names.
const (
	Plain       = "PLAIN"
	ScramSHA256 = "SCRAM-SHA-256"
	ScramSHA512 = "SCRAM-SHA-512"
	OAuthBearer = "OAUTHBEARER"
)

var supported = []string{Plain, ScramSHA256, ScramSHA512, OAuthBearer}

// Session is one SASL exchange on one connection.
type Session interface {
	// Step takes the client's token and returns the server's challenge.
	// An error ends the exchange as failed (see Failed).
	Step(token []byte) ([]byte, error)
	// Done reports whether the exchange completed successfully.
	Done() bool
	// User is the authenticated user name (the principal is "User:"+User).
	User() string
	// Expiry is when the credential used expires (OAUTHBEARER's exp), zero
	// when it does not.
	Expiry() time.Time
}

// Listener is the SASL configuration of one listener.
type Listener struct {
	Mechanisms []string          // sasl.enabled.mechanisms, in the configured order
	PlainUsers map[string]string // PLAIN's user_<name>="<password>" options
	// ReauthMs is connections.max.reauth.ms per mechanism (0: sessions do
	// not expire).
	ReauthMs map[string]int64
	OAuth    OAuthConfig
}

// Authenticator starts sessions for the configured listeners. Safe for
// concurrent use; its configuration does not change after New.
type Authenticator struct {
	listeners map[string]*Listener
	store     *Store
	now       func() time.Time
}

// New returns an Authenticator over listeners (upper-case names) and the
// SCRAM store (nil: no SCRAM credentials).
func New(listeners map[string]*Listener, store *Store, now func() time.Time) *Authenticator {
	if now == nil {
		now = time.Now
	}
	return &Authenticator{listeners: listeners, store: store, now: now}
}

// Store is the SCRAM credential store (nil when none).
func (a *Authenticator) Store() *Store { return a.store }

// Listener returns the configuration of listener name, nil when it is not
// a SASL listener.
func (a *Authenticator) Listener(name string) *Listener {
	if a == nil {
		return nil
	}
	return a.listeners[name]
}

// Enabled reports whether mech is enabled on l.
func (l *Listener) Enabled(mech string) bool { return slices.Contains(l.Mechanisms, mech) }

// SessionLifetime is how long a session authenticated at now with s may
// last, as Kafka's calcCompletionTimesAndReturnSessionLifetimeMs: the
// smaller of connections.max.reauth.ms and the credential's remaining
// lifetime; 0: unbounded.
func (l *Listener) SessionLifetime(mech string, s Session, now time.Time) time.Duration {
	maxMs := l.ReauthMs[mech]
	exp := s.Expiry()
	var ms int64
	switch {
	case exp.IsZero() && maxMs <= 0:
		return 0
	case exp.IsZero():
		ms = maxMs
	case maxMs <= 0:
		ms = exp.Sub(now).Milliseconds()
	default:
		ms = min(exp.Sub(now).Milliseconds(), maxMs)
	}
	if ms <= 0 {
		// Kafka's zeroIfNegative gives the client 0, and the session
		// expires at once; one millisecond keeps "expires" distinct from
		// "unbounded" here.
		return time.Millisecond
	}
	return time.Duration(ms) * time.Millisecond
}

// NewSession starts mech on listener. The mechanism must be enabled there.
func (a *Authenticator) NewSession(listener, mech string) (Session, error) {
	l := a.listeners[listener]
	if l == nil || !l.Enabled(mech) {
		return nil, fmt.Errorf("auth: %s is not enabled on listener %s", mech, listener)
	}
	switch mech {
	case Plain:
		return &plainSession{users: l.PlainUsers}, nil
	case ScramSHA256, ScramSHA512:
		return a.store.newSession(mech)
	case OAuthBearer:
		return newOAuthSession(&l.OAuth, a.now), nil
	}
	return nil, fmt.Errorf("auth: unknown mechanism %s", mech)
}

// Props looks a property up: its value and whether it is set.
type Props func(name string) (string, bool)

// ListenerFromProps reads listener's SASL configuration as Kafka resolves
// it: listener.name.<listener lower case>.<prop> before <prop>, and for
// the JAAS line listener.name.<listener>.<mechanism lower case>.sasl.jaas.config
// before the unprefixed sasl.jaas.config (Kafka accepts only the prefixed
// form on brokers, or a JAAS file; Strata takes the property alone).
func ListenerFromProps(listener string, get Props) (*Listener, error) {
	pre := "listener.name." + strings.ToLower(listener) + "."
	lookup := func(names ...string) (string, bool) {
		for _, n := range names {
			if v, ok := get(n); ok {
				return v, true
			}
		}
		return "", false
	}
	l := &Listener{PlainUsers: map[string]string{}, ReauthMs: map[string]int64{}}
	mechs, ok := lookup(pre+"sasl.enabled.mechanisms", "sasl.enabled.mechanisms")
	if !ok {
		mechs = "GSSAPI" // Kafka's default
	}
	for _, m := range strings.Split(mechs, ",") {
		m = strings.TrimSpace(m)
		if m == "" || slices.Contains(l.Mechanisms, m) {
			continue
		}
		if !slices.Contains(supported, m) {
			return nil, fmt.Errorf("sasl.enabled.mechanisms of listener %s: %s is not supported (Strata supports %s)", listener, m, strings.Join(supported, ", "))
		}
		l.Mechanisms = append(l.Mechanisms, m)
	}
	if len(l.Mechanisms) == 0 {
		return nil, fmt.Errorf("sasl.enabled.mechanisms of listener %s: No SASL mechanisms are enabled", listener)
	}
	for _, m := range l.Mechanisms {
		lm := strings.ToLower(m)
		reauth, ok := lookup(pre+lm+".connections.max.reauth.ms", pre+"connections.max.reauth.ms", "connections.max.reauth.ms")
		if ok {
			n, err := strconv.ParseInt(strings.TrimSpace(reauth), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("connections.max.reauth.ms of listener %s: %q is not a number", listener, reauth)
			}
			l.ReauthMs[m] = n
		}
		jaas, hasJAAS := lookup(pre+lm+".sasl.jaas.config", "sasl.jaas.config")
		switch m {
		case Plain:
			if !hasJAAS {
				return nil, fmt.Errorf("listener %s enables PLAIN but neither %ssasl.jaas.config nor sasl.jaas.config is set", listener, pre+lm+".")
			}
			mods, err := ParseJAAS(jaas)
			if err != nil {
				return nil, fmt.Errorf("%ssasl.jaas.config: %w", pre+lm+".", err)
			}
			for _, mod := range mods {
				for k, v := range mod.Options {
					if u, ok := strings.CutPrefix(k, "user_"); ok {
						l.PlainUsers[u] = v
					}
				}
			}
		case OAuthBearer:
			o, err := oauthFromProps(pre, lm, lookup, jaas)
			if err != nil {
				return nil, fmt.Errorf("listener %s: %w", listener, err)
			}
			l.OAuth = o
		}
	}
	return l, nil
}
