package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/xdg-go/scram"

	"github.com/stratabroker/strata/internal/scramcred"
	"github.com/stratabroker/strata/internal/vfs"
)

func TestParseJAAS(t *testing.T) {
	got, err := ParseJAAS(`org.apache.kafka.common.security.plain.PlainLoginModule required
	  username="admin" password="admin-secret" user_admin="admin-secret" user_alice="a;b \"q\" c"
	  user_bob=bob-secret;  other.Module optional;`)
	if err != nil {
		t.Fatal(err)
	}
	want := []LoginModule{
		{Class: "org.apache.kafka.common.security.plain.PlainLoginModule", Flag: "required", Options: map[string]string{
			"username": "admin", "password": "admin-secret", "user_admin": "admin-secret", "user_alice": `a;b "q" c`, "user_bob": "bob-secret"}},
		{Class: "other.Module", Flag: "optional", Options: map[string]string{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseJAAS =\n%+v\nwant\n%+v", got, want)
	}
	for in, msg := range map[string]string{
		`a.B required user_x="y"`: "JAAS config entry not terminated by semi-colon",
		`a.B mandatory;`:          `JAAS config: invalid control flag "mandatory" of login module a.B`,
		`a.B required user_x="y;`: "JAAS config: unterminated quoted string",
		`a.B required user_x;`:    "JAAS config: option user_x has no value",
		``:                        "JAAS config entry not terminated by semi-colon",
	} {
		if _, err := ParseJAAS(in); err == nil || err.Error() != msg {
			t.Errorf("ParseJAAS(%q) = %v, want %q", in, err, msg)
		}
	}
}

func TestListenerFromProps(t *testing.T) {
	props := map[string]string{
		"sasl.enabled.mechanisms":                                      "PLAIN,SCRAM-SHA-512",
		"listener.name.sasl_ssl.sasl.enabled.mechanisms":               "SCRAM-SHA-256",
		"listener.name.sasl_plaintext.plain.sasl.jaas.config":          `x.PlainLoginModule required user_alice="alice-secret";`,
		"sasl.jaas.config":                                             `x.PlainLoginModule required user_bob="b";`,
		"listener.name.sasl_plaintext.plain.connections.max.reauth.ms": "5000",
		"connections.max.reauth.ms":                                    "9000",
	}
	get := func(k string) (string, bool) { v, ok := props[k]; return v, ok }
	l, err := ListenerFromProps("SASL_PLAINTEXT", get)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l.Mechanisms, []string{"PLAIN", "SCRAM-SHA-512"}) || !reflect.DeepEqual(l.PlainUsers, map[string]string{"alice": "alice-secret"}) ||
		!reflect.DeepEqual(l.ReauthMs, map[string]int64{"PLAIN": 5000, "SCRAM-SHA-512": 9000}) {
		t.Fatalf("SASL_PLAINTEXT: %+v", l)
	}
	l, err = ListenerFromProps("SASL_SSL", get)
	if err != nil || !reflect.DeepEqual(l.Mechanisms, []string{"SCRAM-SHA-256"}) {
		t.Fatalf("SASL_SSL: %+v %v", l, err)
	}
	delete(props, "sasl.enabled.mechanisms")
	if _, err := ListenerFromProps("SASL_PLAINTEXT", get); err == nil || !strings.Contains(err.Error(), "GSSAPI is not supported") {
		t.Fatalf("default GSSAPI: %v", err)
	}
}

// TestScramCredentialMatchesClient: the stored and server keys derived
// here are the ones xdg-go/scram's client derives for the same password,
// salt and iterations (RFC 5802's definitions).
func TestScramCredentialMatchesClient(t *testing.T) {
	salt := []byte("0123456789abcdef")
	for _, c := range []struct {
		mech string
		hash scram.HashGeneratorFcn
	}{{ScramSHA256, scram.SHA256}, {ScramSHA512, scram.SHA512}} {
		m, _ := scramcred.ByName(c.mech)
		cred, err := m.NewWithSalt("pencil", salt, 4096)
		if err != nil {
			t.Fatal(err)
		}
		cl, _ := c.hash.NewClient("user", "pencil", "")
		want := cl.GetStoredCredentials(scram.KeyFactors{Salt: string(salt), Iters: 4096})
		if !bytes.Equal(cred.StoredKey, want.StoredKey) || !bytes.Equal(cred.ServerKey, want.ServerKey) {
			t.Fatalf("%s: keys differ from the client's", c.mech)
		}
	}
}

// scramExchange runs a whole SCRAM exchange of user/pass against st.
func scramExchange(t *testing.T, st *Store, mech string, hash scram.HashGeneratorFcn, user, pass string) error {
	t.Helper()
	a := New(map[string]*Listener{"L": {Mechanisms: []string{mech}}}, st, nil)
	s, err := a.NewSession("L", mech)
	if err != nil {
		t.Fatal(err)
	}
	cl, _ := hash.NewClient(user, pass, "")
	conv := cl.NewConversation()
	msg, _ := conv.Step("")
	for !s.Done() {
		resp, err := s.Step([]byte(msg))
		if err != nil {
			return err
		}
		if msg, err = conv.Step(string(resp)); err != nil {
			t.Fatalf("client: %v", err)
		}
	}
	if s.User() != user {
		t.Fatalf("user %q", s.User())
	}
	return nil
}

func TestScramStoreDurableAndUnknownUser(t *testing.T) {
	fsys := vfs.NewMem()
	if err := fsys.MkdirAll("/d", 0o755); err != nil {
		t.Fatal(err)
	}
	st, err := OpenStore(fsys, "/d")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := scramcred.ByName(ScramSHA512)
	cred, _ := m.New("alice-secret", 8192)
	if err := st.Apply([]Change{{User: "alice", Mechanism: ScramSHA512, Credential: &cred}}); err != nil {
		t.Fatal(err)
	}
	st2, err := OpenStore(fsys, "/d")
	if err != nil {
		t.Fatal(err)
	}
	if err := scramExchange(t, st2, ScramSHA512, scram.SHA512, "alice", "alice-secret"); err != nil {
		t.Fatalf("alice after reopen: %v", err)
	}
	for _, c := range [][2]string{{"alice", "wrong"}, {"nobody", "alice-secret"}} {
		err := scramExchange(t, st2, ScramSHA512, scram.SHA512, c[0], c[1])
		if !errors.Is(err, ErrInvalidCredentials) || ClientMessage(err, false, ScramSHA512) != GenericFailure(false, ScramSHA512) {
			t.Fatalf("%s/%s: %v", c[0], c[1], err)
		}
	}
	// An unknown user's salt is stable (a changing salt would tell).
	first := func() string {
		a := New(map[string]*Listener{"L": {Mechanisms: []string{ScramSHA512}}}, st2, nil)
		s, _ := a.NewSession("L", ScramSHA512)
		r, _ := s.Step([]byte("n,,n=nobody,r=abc"))
		_, rest, _ := strings.Cut(string(r), ",s=")
		return rest
	}
	if a, b := first(), first(); a != b || a == "" {
		t.Fatalf("unknown user's salt and iterations %q then %q", a, b)
	}
	if err := st2.Apply([]Change{{User: "alice", Mechanism: ScramSHA512}}); err != nil {
		t.Fatal(err)
	}
	if u := st2.Users(); len(u) != 0 {
		t.Fatalf("after delete: %v", u)
	}
}

// TestScramLibrdkafkaNonce: librdkafka sends its nonce in front of the
// server-first nonce in client-final; Kafka (endsWith) accepts it, and so
// does Strata, with the AuthMessage over what the client sent.
func TestScramLibrdkafkaNonce(t *testing.T) {
	fsys := vfs.NewMem()
	if err := fsys.MkdirAll("/d", 0o755); err != nil {
		t.Fatal(err)
	}
	st, _ := OpenStore(fsys, "/d")
	m, _ := scramcred.ByName(ScramSHA256)
	salted, _ := m.SaltedPassword("pw", []byte("salt"), 4096)
	cred := m.FromSaltedPassword(salted, []byte("salt"), 4096)
	if err := st.Apply([]Change{{User: "u,x", Mechanism: ScramSHA256, Credential: &cred}}); err != nil {
		t.Fatal(err)
	}
	a := New(map[string]*Listener{"L": {Mechanisms: []string{ScramSHA256}}}, st, nil)
	run := func(prefix, proofFor string) (Session, error) {
		s, _ := a.NewSession("L", ScramSHA256)
		first := "n,,n=u=2Cx,r=cnonce"
		sf, err := s.Step([]byte(first))
		if err != nil {
			t.Fatal(err)
		}
		nonce := strings.TrimPrefix(strings.Split(string(sf), ",")[0], "r=")
		wop := "c=biws,r=" + prefix + nonce
		auth := first[3:] + "," + string(sf) + "," + wop
		key := hmacSum(m, salted, "Client Key")
		h := m.Hash()
		h.Write(key)
		sig := hmacSum(m, h.Sum(nil), auth)
		if proofFor != "" {
			sig = hmacSum(m, h.Sum(nil), proofFor)
		}
		proof := make([]byte, len(key))
		for i := range key {
			proof[i] = key[i] ^ sig[i]
		}
		_, err = s.Step([]byte(wop + ",p=" + base64.StdEncoding.EncodeToString(proof)))
		return s, err
	}
	for _, prefix := range []string{"", "cnonce"} {
		s, err := run(prefix, "")
		if err != nil || !s.Done() || s.User() != "u,x" {
			t.Fatalf("prefix %q: %v done %v user %q", prefix, err, s.Done(), s.User())
		}
	}
	if _, err := run("", "other"); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("wrong proof: %v", err)
	}
}

func hmacSum(m scramcred.Mechanism, key []byte, s string) []byte {
	mac := hmac.New(m.Hash, key)
	mac.Write([]byte(s))
	return mac.Sum(nil)
}

func TestPlainSession(t *testing.T) {
	l := &Listener{Mechanisms: []string{Plain}, PlainUsers: map[string]string{"alice": "alice-secret"}}
	a := New(map[string]*Listener{"L": l}, nil, nil)
	for msg, want := range map[string]string{
		"\x00alice\x00alice-secret":      "",
		"alice\x00alice\x00alice-secret": "",
		"\x00alice\x00wrong":             "Authentication failed: Invalid username or password",
		"\x00bob\x00alice-secret":        "Authentication failed: Invalid username or password",
		"bob\x00alice\x00alice-secret":   "Authentication failed: Client requested an authorization id that is different from username",
		"\x00\x00x":                      "Authentication failed: username not specified",
		"\x00alice\x00":                  "Authentication failed: password not specified",
		"alice":                          "Invalid SASL/PLAIN response: expected 3 tokens, got 1",
		"a\x00b\x00c\x00d":               "Invalid SASL/PLAIN response: expected 3 tokens, got 4",
	} {
		s, _ := a.NewSession("L", Plain)
		_, err := s.Step([]byte(msg))
		got := ""
		if err != nil {
			got = ClientMessage(err, false, Plain)
		}
		if got != want || (want == "") != s.Done() {
			t.Errorf("%q: %q done %v, want %q", msg, got, s.Done(), want)
		}
	}
}

func unsecured(claims string) string {
	e := base64.RawURLEncoding.EncodeToString
	return e([]byte(`{"alg":"none"}`)) + "." + e([]byte(claims)) + "."
}

func TestOAuthBearerUnsecured(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := &Listener{Mechanisms: []string{OAuthBearer}, OAuth: OAuthConfig{PrincipalClaim: "sub", ScopeClaim: "scope"}}
	a := New(map[string]*Listener{"L": l}, nil, func() time.Time { return now })
	run := func(msg string) (Session, []byte, error) {
		s, _ := a.NewSession("L", OAuthBearer)
		r, err := s.Step([]byte(msg))
		return s, r, err
	}
	s, r, err := run("n,,\x01auth=Bearer " + unsecured(`{"sub":"carol","exp":1700000600}`) + "\x01\x01")
	if err != nil || len(r) != 0 || !s.Done() || s.User() != "carol" || !s.Expiry().Equal(now.Add(600*time.Second)) {
		t.Fatalf("good token: %q %v done %v user %q expiry %v", r, err, s.Done(), s.User(), s.Expiry())
	}
	if d := l.SessionLifetime(OAuthBearer, s, now); d != 600*time.Second {
		t.Fatalf("lifetime %v", d)
	}
	l.ReauthMs = map[string]int64{OAuthBearer: 1000}
	if d := l.SessionLifetime(OAuthBearer, s, now); d != time.Second {
		t.Fatalf("lifetime with connections.max.reauth.ms 1000: %v", d)
	}
	for _, tok := range []string{
		unsecured(`{"sub":"carol","exp":1699999999}`), // expired
		unsecured(`{"sub":"carol"}`),                  // no exp
		unsecured(`{"exp":1700000600}`),               // no sub
		unsecured(`{"sub":"carol","exp":1700000600}`) + "sig",
		base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256"}`)) + ".e30.",
	} {
		s, r, err := run("n,,\x01auth=Bearer " + tok + "\x01\x01")
		if err != nil || string(r) != `{"status":"invalid_token"}` || s.Done() {
			t.Fatalf("%s: %q %v", tok, r, err)
		}
		_, err = s.Step([]byte{1})
		if ClientMessage(err, false, OAuthBearer) != `{"status":"invalid_token"}` {
			t.Fatalf("after \\x01: %v", err)
		}
	}
	if _, _, err := run("n,,auth=Bearer x"); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("no kvsep: %v", err)
	}
}

func TestOAuthBearerJWKS(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	e := base64.RawURLEncoding.EncodeToString
	jwks, _ := json.Marshal(map[string]any{"keys": []any{map[string]any{
		"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
		"n": e(key.N.Bytes()), "e": e(big.NewInt(int64(key.E)).Bytes()),
	}}})
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, jwks, 0o600); err != nil {
		t.Fatal(err)
	}
	// The same JWKS served over HTTP, for the URL form.
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(jwks) }))
	defer hs.Close()
	for _, url := range []string{"file:" + path, hs.URL} {
		t.Run(url[:4], func(t *testing.T) { checkJWKS(t, url, key) })
	}
}

func checkJWKS(t *testing.T, url string, key *rsa.PrivateKey) {
	props := map[string]string{
		"sasl.enabled.mechanisms":             "OAUTHBEARER",
		"sasl.oauthbearer.jwks.endpoint.url":  url,
		"sasl.oauthbearer.expected.audience":  "strata",
		"sasl.oauthbearer.expected.issuer":    "https://idp.example",
		"sasl.oauthbearer.sub.claim.name":     "client_id",
		"sasl.oauthbearer.clock.skew.seconds": "0",
	}
	l, err := ListenerFromProps("SASL_PLAINTEXT", func(k string) (string, bool) { v, ok := props[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	a := New(map[string]*Listener{"L": l}, nil, func() time.Time { return now })
	defer a.Close()
	sign := func(claims jwt.MapClaims, k *rsa.PrivateKey) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
		tok.Header["kid"] = "k1"
		s, err := tok.SignedString(k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := jwt.MapClaims{"client_id": "svc", "aud": "strata", "iss": "https://idp.example", "exp": now.Add(time.Hour).Unix()}
	s, _ := a.NewSession("L", OAuthBearer)
	if r, err := s.Step([]byte("n,,\x01auth=Bearer " + sign(good, key) + "\x01\x01")); err != nil || len(r) != 0 || s.User() != "svc" {
		t.Fatalf("good JWT: %q %v user %q", r, err, s.User())
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	for name, tok := range map[string]string{
		"wrong key":      sign(good, other),
		"wrong audience": sign(jwt.MapClaims{"client_id": "svc", "aud": "x", "iss": "https://idp.example", "exp": now.Add(time.Hour).Unix()}, key),
		"wrong issuer":   sign(jwt.MapClaims{"client_id": "svc", "aud": "strata", "iss": "x", "exp": now.Add(time.Hour).Unix()}, key),
		"expired":        sign(jwt.MapClaims{"client_id": "svc", "aud": "strata", "iss": "https://idp.example", "exp": now.Add(-time.Minute).Unix()}, key),
		"unsecured":      unsecured(`{"client_id":"svc","exp":9999999999}`),
	} {
		s, _ := a.NewSession("L", OAuthBearer)
		if r, err := s.Step([]byte("n,,\x01auth=Bearer " + tok + "\x01\x01")); err != nil || string(r) != `{"status":"invalid_token"}` {
			t.Errorf("%s: %q %v", name, r, err)
		}
	}
}
