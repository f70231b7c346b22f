package server

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/auth"
)

// The SASL state of a connection on a SASL_PLAINTEXT or SASL_SSL listener,
// as Kafka's SaslServerAuthenticator: before authentication only
// ApiVersions and SaslHandshake are served (anything else closes the
// connection unanswered); SaslHandshake v0 switches the connection to raw
// size-prefixed SASL tokens (no Kafka header), v1 to SaslAuthenticate
// requests (KIP-152). A failure is answered after
// connection.failed.authentication.delay.ms and the connection closed. Once
// authenticated, a SaslHandshake from a client that sent SaslAuthenticate
// v1+ starts re-authentication (KIP-368), which must keep the mechanism and
// the principal; a session past its lifetime (connections.max.reauth.ms or
// the credential's expiry) is closed at its next other request.
type saslState int

const (
	saslHandshake    saslState = iota // waiting for SaslHandshake (ApiVersions allowed)
	saslAuthenticate                  // after SaslHandshake v1: SaslAuthenticate requests
	saslRaw                           // after SaslHandshake v0: raw tokens
	saslComplete                      // authenticated
)

// saslConn is the SASL side of a conn; only the read goroutine touches it.
type saslConn struct {
	l        *auth.Listener
	state    saslState
	mech     string
	session  auth.Session
	versions bool // ApiVersions already answered before the handshake
	// reauthOK: the client sent SaslAuthenticate v1+, so it knows KIP-368.
	reauthOK bool
	reauth   bool      // the exchange under way is a re-authentication
	badMech  string    // re-authentication asked for another mechanism: the failure message
	expires  time.Time // zero: the session does not expire
}

var (
	errSASLState  = errors.New("server: request before SASL authentication completed")
	errAuthFailed = errors.New("server: SASL authentication failed")
	errSASLExpiry = errors.New("server: SASL session expired")
)

// isSASL reports whether protocol authenticates with SASL.
func isSASL(protocol string) bool { return protocol == "SASL_PLAINTEXT" || protocol == "SASL_SSL" }

// saslRawMode reports whether the next frame is a raw SASL token.
func (c *conn) saslRawMode() bool { return c.sasl != nil && c.sasl.state == saslRaw }

// frameLimit bounds a request frame: socket.request.max.bytes, and before
// SASL authentication completes sasl.server.max.receive.size (Kafka's
// SaslServerAuthenticator: a TLS ClientHello or an HTTP request on a SASL
// port is closed at once, not read as a huge frame).
func (c *conn) frameLimit() int64 {
	limit := int64(c.s.cfg.SocketRequestMaxBytes)
	if c.sasl != nil && c.sasl.state != saslComplete {
		limit = min(limit, c.s.saslMaxReceive)
	}
	return limit
}

// failedAuthDelay is connection.failed.authentication.delay.ms (default 100).
func (s *Server) failedAuthDelay() time.Duration {
	return time.Duration(s.cfg.ConnectionFailedAuthDelayMs) * time.Millisecond
}

// delayedReply writes r after the failed-authentication delay; nil r
// writes nothing (a raw-token failure is answered by the close alone).
type delayedReply struct {
	r     reply
	delay time.Duration
}

func (d delayedReply) write(c *conn, corr int32) error {
	if d.delay > 0 {
		t := time.NewTimer(d.delay)
		select {
		case <-t.C:
		case <-c.s.done:
			t.Stop()
		}
	}
	if d.r == nil {
		return nil
	}
	return d.r.write(c, corr)
}

func (d delayedReply) release() {
	if d.r != nil {
		d.r.release()
	}
}

// failAuth queues r (nil: nothing) behind the failed-authentication delay
// and ends the connection: the write loop writes it before the close.
func (c *conn) failAuth(corr int32, r reply, mech string, err error) error {
	c.s.countAuth(c.listenerName, mech, false)
	c.s.log.Info("failed authentication", "remote", c.remote, "listener", c.listenerName, "mechanism", mech, "err", err)
	c.queued.Add(1)
	if qerr := c.queue(pending{corr: corr, r: delayedReply{r: r, delay: c.s.failedAuthDelay()}, t: c.t}); qerr != nil {
		return qerr
	}
	return errAuthFailed
}

// rawToken is a SASL token sent back without a Kafka header (handshake v0).
type rawToken []byte

func (t rawToken) write(c *conn, _ int32) error {
	b := make([]byte, 4+len(t))
	binary.BigEndian.PutUint32(b, uint32(len(t)))
	copy(b[4:], t)
	_, err := c.nc.Write(b)
	return err
}

func (rawToken) release() {}

// saslFrame serves a raw token frame (after SaslHandshake v0).
func (s *Server) saslFrame(c *conn, frame []byte) (int32, reply, error) {
	sc := c.sasl
	challenge, err := sc.session.Step(frame)
	if err != nil {
		return 0, nil, c.failAuth(0, nil, sc.mech, err)
	}
	if sc.session.Done() {
		s.saslDone(c)
	}
	return 0, rawToken(challenge), nil
}

// saslGate runs before a request on a SASL listener is served. It returns
// handled true with the reply or error when the request was for it.
func (s *Server) saslGate(c *conn, hdr header, body []byte) (reply, error, bool) {
	sc := c.sasl
	key := kmsg.Key(hdr.key)
	switch sc.state {
	case saslComplete:
		if !sc.expires.IsZero() && s.now().After(sc.expires) && key != kmsg.SASLHandshake {
			return nil, fmt.Errorf("%w: %s from %s", errSASLExpiry, kmsg.NameForKey(hdr.key), c.remote), true
		}
		if key == kmsg.SASLHandshake && sc.reauthOK {
			return s.saslHandshake(c, hdr, body)
		}
		return nil, nil, false
	case saslHandshake:
		switch key {
		case kmsg.ApiVersions:
			if sc.versions {
				return nil, fmt.Errorf("%w: ApiVersions twice from %s", errSASLState, c.remote), true
			}
			sc.versions = true
			return nil, nil, false
		case kmsg.SASLHandshake:
			return s.saslHandshake(c, hdr, body)
		}
		// Kafka: IllegalSaslStateException before any response exists;
		// the connection closes unanswered.
		return nil, fmt.Errorf("%w: %s from %s", errSASLState, kmsg.NameForKey(hdr.key), c.remote), true
	case saslAuthenticate:
		if key != kmsg.SASLAuthenticate {
			msg := "Unexpected Kafka request of type " + kmsg.NameForKey(hdr.key) + " during SASL authentication."
			var r reply
			if hdr.known {
				r = msgReply{errorResponse(hdr, kerr.IllegalSaslState.Code, msg)}
			}
			return nil, c.failAuth(hdr.corr, r, sc.mech, errors.New(msg)), true
		}
		return s.saslAuthenticate(c, hdr, body)
	}
	return nil, nil, false
}

func (s *Server) saslHandshake(c *conn, hdr header, body []byte) (reply, error, bool) {
	sc := c.sasl
	if h := lookup(hdr.key); h == nil || hdr.version < h.min || hdr.version > h.max {
		return nil, fmt.Errorf("%w: SaslHandshake v%d from %s", errSASLState, hdr.version, c.remote), true
	}
	req := kmsg.NewPtrSASLHandshakeRequest()
	req.SetVersion(hdr.version)
	if err := req.ReadFrom(body); err != nil {
		return nil, fmt.Errorf("%w: SaslHandshake from %s: %w", errBadRequest, c.remote, err), true
	}
	resp := req.ResponseKind().(*kmsg.SASLHandshakeResponse)
	resp.SupportedMechanisms = append([]string(nil), sc.l.Mechanisms...)
	if !sc.l.Enabled(req.Mechanism) {
		resp.ErrorCode = kerr.UnsupportedSaslMechanism.Code
		// Counted as "unsupported", not under the client's string: a
		// client must not be able to mint metric series.
		return nil, c.failAuth(hdr.corr, msgReply{resp}, "unsupported", fmt.Errorf("Unsupported SASL mechanism %q", req.Mechanism)), true
	}
	sc.reauth = sc.state == saslComplete
	sc.badMech = ""
	if sc.reauth && req.Mechanism != sc.mech {
		sc.badMech = fmt.Sprintf("SASL mechanism '%s' requested by client is not supported for re-authentication of mechanism '%s'", req.Mechanism, sc.mech)
	} else {
		session, err := s.auth.NewSession(c.listenerName, req.Mechanism)
		if err != nil {
			return nil, err, true
		}
		sc.session, sc.mech = session, req.Mechanism
	}
	if hdr.version == 0 {
		sc.state = saslRaw
	} else {
		sc.state = saslAuthenticate
	}
	return msgReply{resp}, nil, true
}

func (s *Server) saslAuthenticate(c *conn, hdr header, body []byte) (reply, error, bool) {
	sc := c.sasl
	if h := lookup(hdr.key); h == nil || hdr.version < h.min || hdr.version > h.max {
		return nil, fmt.Errorf("%w: SaslAuthenticate v%d from %s", errSASLState, hdr.version, c.remote), true
	}
	req := kmsg.NewPtrSASLAuthenticateRequest()
	req.SetVersion(hdr.version)
	if err := req.ReadFrom(body); err != nil {
		return nil, fmt.Errorf("%w: SaslAuthenticate from %s: %w", errBadRequest, c.remote, err), true
	}
	if hdr.version > 0 {
		sc.reauthOK = true
	}
	resp := req.ResponseKind().(*kmsg.SASLAuthenticateResponse)
	fail := func(msg string, err error) (reply, error, bool) {
		resp.ErrorCode = kerr.SaslAuthenticationFailed.Code
		resp.ErrorMessage = &msg
		return nil, c.failAuth(hdr.corr, msgReply{resp}, sc.mech, err), true
	}
	if sc.badMech != "" {
		return fail(sc.badMech, errors.New(sc.badMech))
	}
	prev := c.principal
	challenge, err := sc.session.Step(req.SASLAuthBytes)
	if err != nil {
		return fail(auth.ClientMessage(err, sc.reauth, sc.mech), err)
	}
	resp.SASLAuthBytes = challenge
	if sc.session.Done() {
		if sc.reauth && "User:"+sc.session.User() != prev {
			msg := fmt.Sprintf("Cannot change principals during re-authentication from %s: %s", prev, "User:"+sc.session.User())
			return fail(msg, errors.New(msg))
		}
		if d := s.saslDone(c); d > 0 {
			resp.SessionLifetimeMillis = d.Milliseconds()
		}
	}
	return msgReply{resp}, nil, true
}

// saslDone completes authentication: the principal, the session's lifetime
// (returned; 0: unbounded).
func (s *Server) saslDone(c *conn) time.Duration {
	sc := c.sasl
	now := s.now()
	c.principal = "User:" + sc.session.User()
	if ta, ok := sc.session.(interface{ TokenAuthenticated() bool }); ok {
		c.tokenAuth = ta.TokenAuthenticated()
	}
	sc.state = saslComplete
	d := sc.l.SessionLifetime(sc.mech, sc.session, now)
	sc.expires = time.Time{}
	if d > 0 {
		sc.expires = now.Add(d)
	}
	s.countAuth(c.listenerName, sc.mech, true)
	s.log.Debug("authenticated", "remote", c.remote, "listener", c.listenerName, "mechanism", sc.mech, "principal", c.principal, "session", d)
	return d
}

// errorResponse is key's response at hdr's version with code in its
// top-level ErrorCode and msg in its ErrorMessage, where it has them.
func errorResponse(hdr header, code int16, msg string) kmsg.Response {
	resp := unsupportedResponse(hdr.key, hdr.version)
	setErrorCode(resp, code, msg)
	return resp
}

// handleSaslHandshake answers SaslHandshake outside a SASL exchange: on a
// listener without SASL, or after authentication from a client that cannot
// re-authenticate (Kafka's KafkaApis answers ILLEGAL_SASL_STATE).
func (s *Server) handleSaslHandshake(r *request) (reply, error) {
	resp := r.kreq.ResponseKind().(*kmsg.SASLHandshakeResponse)
	resp.ErrorCode = kerr.IllegalSaslState.Code
	return msgReply{resp}, nil
}

// handleSaslAuthenticate answers SaslAuthenticate outside a SASL exchange.
func (s *Server) handleSaslAuthenticate(r *request) (reply, error) {
	resp := r.kreq.ResponseKind().(*kmsg.SASLAuthenticateResponse)
	resp.ErrorCode = kerr.IllegalSaslState.Code
	msg := "SaslAuthenticate request received after successful authentication"
	resp.ErrorMessage = &msg
	return msgReply{resp}, nil
}

// setErrorCode sets resp's top-level ErrorCode and ErrorMessage fields,
// where it has them.
func setErrorCode(resp kmsg.Response, code int16, msg string) {
	v := reflect.ValueOf(resp).Elem()
	if f := v.FieldByName("ErrorCode"); f.IsValid() && f.Kind() == reflect.Int16 {
		f.SetInt(int64(code))
	}
	if f := v.FieldByName("ErrorMessage"); f.IsValid() && f.Type() == reflect.TypeOf((*string)(nil)) {
		f.Set(reflect.ValueOf(&msg))
	}
}

// authKey names one listener and mechanism's authentication counters.
type authKey struct{ listener, mechanism string }

// AuthCount is the authentications of one listener and mechanism.
type AuthCount struct {
	Listener, Mechanism string
	Successes, Failures int64
}

func (s *Server) countAuth(listener, mech string, ok bool) {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	if s.authCounts == nil {
		s.authCounts = map[authKey]*AuthCount{}
	}
	k := authKey{listener, mech}
	a := s.authCounts[k]
	if a == nil {
		a = &AuthCount{Listener: listener, Mechanism: mech}
		s.authCounts[k] = a
	}
	if ok {
		a.Successes++
	} else {
		a.Failures++
	}
}

// AuthCounts returns the SASL authentication successes and failures per
// listener and mechanism (a mechanism the listener does not enable counts
// as "unsupported").
func (s *Server) AuthCounts() []AuthCount {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	out := make([]AuthCount, 0, len(s.authCounts))
	for _, a := range s.authCounts {
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Listener != out[j].Listener {
			return out[i].Listener < out[j].Listener
		}
		return out[i].Mechanism < out[j].Mechanism
	})
	return out
}
