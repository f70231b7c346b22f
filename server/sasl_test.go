package server

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

const testJAAS = `org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";`

// startSASL starts a broker with one SASL_PLAINTEXT listener enabling
// every mechanism, PLAIN users admin and alice, a 10 ms failure delay.
func startSASL(t *testing.T, opts Options, settings ...string) *Server {
	t.Helper()
	all := append([]string{
		"listeners", "SASL_PLAINTEXT://127.0.0.1:0",
		"sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER",
		"listener.name.sasl_plaintext.plain.sasl.jaas.config", testJAAS,
		"connection.failed.authentication.delay.ms", "10",
	}, settings...)
	return startServerIn(t, t.TempDir(), opts, all...)
}

func saslClient(t *testing.T, s *Server, m sasl.Mechanism, opts ...kgo.Opt) *kgo.Client {
	return newClient(t, s, append([]kgo.Opt{kgo.SASL(m), kgo.RetryTimeout(time.Second)}, opts...)...)
}

// authErr pings with m and returns the error message the broker gave.
func authErr(t *testing.T, s *Server, m sasl.Mechanism) error {
	t.Helper()
	cl := saslClient(t, s, m)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return cl.Ping(ctx)
}

func TestSASLPlainFranz(t *testing.T) {
	s := startSASL(t, Options{})
	ctx := testCtx(t)
	cl := saslClient(t, s, plain.Auth{User: "alice", Pass: "alice-secret"}.AsMechanism(), kgo.AllowAutoTopicCreation())
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "t", Value: []byte("v")}).FirstErr(); err != nil {
		t.Fatalf("produce as alice: %v", err)
	}
	for _, bad := range []plain.Auth{{User: "alice", Pass: "wrong"}, {User: "mallory", Pass: "alice-secret"}} {
		err := authErr(t, s, bad.AsMechanism())
		if !errors.Is(err, kerr.SaslAuthenticationFailed) || !strings.Contains(err.Error(), "Authentication failed: Invalid username or password") {
			t.Fatalf("%s: %v, want SASL_AUTHENTICATION_FAILED with Kafka's message", bad.User, err)
		}
	}
	got := s.AuthCounts()
	if len(got) != 1 || got[0] != (AuthCount{Listener: "SASL_PLAINTEXT", Mechanism: "PLAIN", Successes: got[0].Successes, Failures: 2}) || got[0].Successes < 1 {
		t.Fatalf("AuthCounts = %+v", got)
	}
}

func TestSASLScramFranz(t *testing.T) {
	dir := t.TempDir()
	settings := []string{
		"listeners", "SASL_PLAINTEXT://127.0.0.1:0",
		"sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
		"sasl.jaas.config", testJAAS,
		"connection.failed.authentication.delay.ms", "0",
	}
	s := startServerIn(t, dir, Options{}, settings...)
	ctx := testCtx(t)
	adm := kadm.NewClient(saslClient(t, s, plain.Auth{User: "admin", Pass: "admin-secret"}.AsMechanism()))
	res, err := adm.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{
		{User: "alice", Mechanism: kadm.ScramSha256, Iterations: 8192, Password: "alice-secret"},
		{User: "bob", Mechanism: kadm.ScramSha512, Iterations: 4096, Password: "bob-secret"},
	})
	if err != nil || res.Error() != nil {
		t.Fatalf("AlterUserSCRAMs: %v %v", err, res.Error())
	}
	for _, m := range []sasl.Mechanism{
		scram.Auth{User: "alice", Pass: "alice-secret"}.AsSha256Mechanism(),
		scram.Auth{User: "bob", Pass: "bob-secret"}.AsSha512Mechanism(),
	} {
		if err := authErr(t, s, m); err != nil {
			t.Fatalf("%s: %v", m.Name(), err)
		}
	}
	want := "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256"
	for _, bad := range []scram.Auth{{User: "alice", Pass: "wrong"}, {User: "mallory", Pass: "alice-secret"}, {User: "bob", Pass: "bob-secret"}} {
		err := authErr(t, s, bad.AsSha256Mechanism())
		if !errors.Is(err, kerr.SaslAuthenticationFailed) || !strings.Contains(err.Error(), want) {
			t.Fatalf("%s: %v, want %q", bad.User, err, want)
		}
	}
	// Durable: a restarted broker on the same dir authenticates alice.
	s.Close()
	s2 := startServerIn(t, dir, Options{}, settings...)
	if err := authErr(t, s2, scram.Auth{User: "alice", Pass: "alice-secret"}.AsSha256Mechanism()); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

func unsecuredToken(sub string, exp time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(`{"sub":"`+sub+`","exp":`+strconv.FormatInt(exp.Unix(), 10)+`,"iat":`+strconv.FormatInt(exp.Add(-time.Hour).Unix(), 10)+`}`)) + "."
}

func TestSASLOAuthBearerUnsecured(t *testing.T) {
	s := startSASL(t, Options{})
	good := oauth.Auth{Token: unsecuredToken("carol", time.Now().Add(time.Hour))}.AsMechanism()
	if err := authErr(t, s, good); err != nil {
		t.Fatalf("good token: %v", err)
	}
	expired := oauth.Auth{Token: unsecuredToken("carol", time.Now().Add(-time.Hour))}.AsMechanism()
	err := authErr(t, s, expired)
	if !errors.Is(err, kerr.SaslAuthenticationFailed) || !strings.Contains(err.Error(), `{"status":"invalid_token"}`) {
		t.Fatalf("expired token: %v", err)
	}
}

// rawAuth authenticates a raw connection with PLAIN over SaslHandshake v1
// and SaslAuthenticate v1, returning the session lifetime.
func rawAuth(t *testing.T, rc *rawClient, user, pass string) *kmsg.SASLAuthenticateResponse {
	t.Helper()
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Version, hs.Mechanism = 1, "PLAIN"
	if r := rc.roundTrip(hs).(*kmsg.SASLHandshakeResponse); r.ErrorCode != 0 {
		t.Fatalf("handshake: %d", r.ErrorCode)
	}
	au := kmsg.NewPtrSASLAuthenticateRequest()
	au.Version, au.SASLAuthBytes = 1, []byte("\x00"+user+"\x00"+pass)
	return rc.roundTrip(au).(*kmsg.SASLAuthenticateResponse)
}

func TestSASLUnsupportedMechanism(t *testing.T) {
	s := startSASL(t, Options{})
	rc := dialRaw(t, s)
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Version, hs.Mechanism = 1, "GSSAPI"
	r := rc.roundTrip(hs).(*kmsg.SASLHandshakeResponse)
	if r.ErrorCode != kerr.UnsupportedSaslMechanism.Code || strings.Join(r.SupportedMechanisms, ",") != "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER" {
		t.Fatalf("handshake GSSAPI: code %d mechanisms %v", r.ErrorCode, r.SupportedMechanisms)
	}
	rc.expectClosed()
	if got := s.AuthCounts(); len(got) != 1 || got[0] != (AuthCount{Listener: "SASL_PLAINTEXT", Mechanism: "unsupported", Failures: 1}) {
		t.Fatalf("AuthCounts %+v", got)
	}
}

func TestSASLRequestBeforeAuthCloses(t *testing.T) {
	s := startSASL(t, Options{})
	ctx := testCtx(t)
	adm := kadm.NewClient(saslClient(t, s, plain.Auth{User: "admin", Pass: "admin-secret"}.AsMechanism()))
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "t"); err != nil {
		t.Fatal(err)
	}
	// Produce before any handshake: closed unanswered.
	rc := dialRaw(t, s)
	p := kmsg.NewPtrProduceRequest()
	p.Version, p.Acks, p.TimeoutMillis = 9, 1, 1000
	pt := kmsg.NewProduceRequestTopic()
	pt.Topic = "t"
	pp := kmsg.NewProduceRequestTopicPartition()
	pp.Records = []byte{0} // never read: the gate comes first
	pt.Partitions = append(pt.Partitions, pp)
	p.Topics = append(p.Topics, pt)
	rc.send(p)
	rc.expectClosed()
	// After a handshake, a ListGroups request instead of SaslAuthenticate:
	// ILLEGAL_SASL_STATE, then closed.
	rc2 := dialRaw(t, s)
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Version, hs.Mechanism = 1, "PLAIN"
	rc2.roundTrip(hs)
	lg := kmsg.NewPtrListGroupsRequest()
	lg.Version = 4
	if r := rc2.roundTrip(lg).(*kmsg.ListGroupsResponse); r.ErrorCode != kerr.IllegalSaslState.Code {
		t.Fatalf("ListGroups during SASL: code %d", r.ErrorCode)
	}
	rc2.expectClosed()
	offs, err := adm.ListEndOffsets(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := offs.Lookup("t", 0); o.Offset != 0 {
		t.Fatalf("end offset %d, want 0: nothing appended", o.Offset)
	}
}

func TestSASLReauthExpiredSessionClosed(t *testing.T) {
	clk := &fakeClock{}
	clk.set(0)
	var at time.Duration
	advance := func(d time.Duration) { at += d; clk.set(at) }
	s := startSASL(t, Options{Now: clk.Now}, "connections.max.reauth.ms", "60000")
	rc := dialRaw(t, s)
	r := rawAuth(t, rc, "alice", "alice-secret")
	if r.ErrorCode != 0 || r.SessionLifetimeMillis != 60000 {
		t.Fatalf("authenticate: code %d lifetime %d", r.ErrorCode, r.SessionLifetimeMillis)
	}
	md := kmsg.NewPtrMetadataRequest()
	md.Version = 12
	rc.roundTrip(md)
	// Re-authentication within the lifetime renews it (KIP-368).
	advance(59 * time.Second)
	if r := rawAuth(t, rc, "alice", "alice-secret"); r.ErrorCode != 0 || r.SessionLifetimeMillis != 60000 {
		t.Fatalf("re-authenticate: code %d lifetime %d", r.ErrorCode, r.SessionLifetimeMillis)
	}
	advance(59 * time.Second)
	rc.roundTrip(md)
	// Another principal may not take over the connection.
	if r := rawAuth(t, rc, "admin", "admin-secret"); r.ErrorCode != kerr.SaslAuthenticationFailed.Code ||
		*r.ErrorMessage != "Cannot change principals during re-authentication from User:alice: User:admin" {
		t.Fatalf("re-authenticate as admin: code %d %v", r.ErrorCode, r.ErrorMessage)
	}
	rc.expectClosed()

	rc2 := dialRaw(t, s)
	rawAuth(t, rc2, "alice", "alice-secret")
	advance(61 * time.Second)
	rc2.send(md)
	rc2.expectClosed()
}

func TestSASLHandshakeV0RawTokens(t *testing.T) {
	s := startSASL(t, Options{})
	rc := dialRaw(t, s)
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Version, hs.Mechanism = 0, "PLAIN"
	if r := rc.roundTrip(hs).(*kmsg.SASLHandshakeResponse); r.ErrorCode != 0 {
		t.Fatalf("handshake v0: %d", r.ErrorCode)
	}
	tok := []byte("\x00alice\x00alice-secret")
	frame := append([]byte{0, 0, 0, byte(len(tok))}, tok...)
	rc.write(frame)
	b, err := rc.readFrame()
	if err != nil || len(b) != 0 {
		t.Fatalf("raw PLAIN answer %q %v, want an empty token", b, err)
	}
	md := kmsg.NewPtrMetadataRequest()
	md.Version = 12
	rc.roundTrip(md)
}

func TestSASLOnPlaintextListenerIllegalState(t *testing.T) {
	s := startServer(t)
	rc := dialRaw(t, s)
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Version, hs.Mechanism = 1, "PLAIN"
	if r := rc.roundTrip(hs).(*kmsg.SASLHandshakeResponse); r.ErrorCode != kerr.IllegalSaslState.Code {
		t.Fatalf("handshake on PLAINTEXT: %d", r.ErrorCode)
	}
}

// TestSASLReauthFranz: with connections.max.reauth.ms 2500, franz-go
// re-authenticates on its own before each session ends (KIP-368; it keeps
// a second of margin, so every 1.5 s, and only on a connection that sends):
// over 3.5 s of producing, two re-authentications and not one per request,
// no failure, no error.
func TestSASLReauthFranz(t *testing.T) {
	s := startSASL(t, Options{}, "connections.max.reauth.ms", "2500")
	cl := saslClient(t, s, plain.Auth{User: "alice", Pass: "alice-secret"}.AsMechanism(), kgo.AllowAutoTopicCreation())
	ctx := testCtx(t)
	end := time.Now().Add(3500 * time.Millisecond)
	n := 0
	for ; time.Now().Before(end); n++ {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "reauth", Value: []byte("v")}).FirstErr(); err != nil {
			t.Fatalf("produce %d: %v", n, err)
		}
	}
	a := s.AuthCounts()
	accepted := s.Listeners()[0].Accepted
	if len(a) != 1 || a[0].Failures != 0 || a[0].Successes < accepted+2 || a[0].Successes > int64(n)/10 {
		t.Fatalf("auth %+v over %d connections and %d requests: want two re-authentications on the producing connection", a, accepted, n)
	}
	t.Logf("%d logins over %d connections, %d requests", a[0].Successes, accepted, n)
}

// TestSASLFrameLimitBeforeAuth: before authentication a frame above
// sasl.server.max.receive.size (524288) closes the connection at once (a
// TLS ClientHello or an HTTP request read as a size); after it, the usual
// socket.request.max.bytes applies.
func TestSASLFrameLimitBeforeAuth(t *testing.T) {
	s := startSASL(t, Options{})
	rc := dialRaw(t, s)
	rc.write([]byte("GET / HTTP/1.1\r\n\r\n")) // "GET " is a 1.2 GB frame
	rc.expectClosed()
	rc2 := dialRaw(t, s)
	rc2.write([]byte{0, 8, 0, 1}) // 524289 bytes announced
	rc2.expectClosed()
	rc3 := dialRaw(t, s)
	if r := rawAuth(t, rc3, "alice", "alice-secret"); r.ErrorCode != 0 {
		t.Fatal(r.ErrorCode)
	}
	p := kmsg.NewPtrProduceRequest()
	p.Version, p.Acks, p.TimeoutMillis = 9, 1, 1000
	pt := kmsg.NewProduceRequestTopic()
	pt.Topic = "big"
	pp := kmsg.NewProduceRequestTopicPartition()
	pp.Records = make([]byte, 600<<10) // a malformed batch, but a whole frame: answered
	pt.Partitions = append(pt.Partitions, pp)
	p.Topics = append(p.Topics, pt)
	if _, err := rc3.tryRoundTrip(p); err != nil {
		t.Fatalf("a 600 KiB request after authentication: %v", err)
	}
}
