package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

type tokenClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *tokenClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *tokenClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func createToken(t *testing.T, cl *kgo.Client, maxLife int64, renewers ...string) *kmsg.CreateDelegationTokenResponse {
	t.Helper()
	req := kmsg.NewPtrCreateDelegationTokenRequest()
	req.MaxLifetimeMillis = maxLife
	for _, r := range renewers {
		rn := kmsg.NewCreateDelegationTokenRequestRenewer()
		rn.PrincipalType, rn.PrincipalName = "User", r
		req.Renewers = append(req.Renewers, rn)
	}
	resp, err := req.RequestWith(testCtx(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestDelegationTokens(t *testing.T) {
	clk := &tokenClock{t: time.UnixMilli(1_700_000_000_000)}
	t0 := clk.Now().UnixMilli()
	s := startSASL(t, Options{Now: clk.Now}, "delegation.token.secret.key", "s3cret",
		"delegation.token.max.lifetime.ms", "3600000", "delegation.token.expiry.time.ms", "600000")
	ctx := testCtx(t)
	alice := saslClient(t, s, plain.Auth{User: "alice", Pass: "alice-secret"}.AsMechanism())
	admin := saslClient(t, s, plain.Auth{User: "admin", Pass: "admin-secret"}.AsMechanism())

	c := createToken(t, alice, -1, "bob")
	mac := hmac.New(sha512.New, []byte("s3cret"))
	mac.Write([]byte(c.TokenID))
	if c.ErrorCode != 0 || c.PrincipalName != "alice" || c.TokenRequesterPrincipalName != "alice" ||
		c.IssueTimestamp != t0 || c.ExpiryTimestamp != t0+600000 || c.MaxTimestamp != t0+3600000 ||
		len(c.TokenID) != 22 || !hmac.Equal(c.HMAC, mac.Sum(nil)) {
		t.Fatalf("create: %+v", c)
	}
	// A shorter max life than the broker's.
	if c2 := createToken(t, alice, 300000); c2.MaxTimestamp != t0+300000 || c2.ExpiryTimestamp != t0+300000 {
		t.Fatalf("create short: %+v", c2)
	}

	d := kmsg.NewPtrDescribeDelegationTokenRequest()
	o := kmsg.NewDescribeDelegationTokenRequestOwner()
	o.PrincipalType, o.PrincipalName = "User", "bob" // a renewer matches too
	d.Owners = append(d.Owners, o)
	dr, err := d.RequestWith(ctx, admin)
	if err != nil || dr.ErrorCode != 0 || len(dr.TokenDetails) != 1 {
		t.Fatalf("describe: %v %+v", err, dr)
	}
	if td := dr.TokenDetails[0]; td.TokenID != c.TokenID || td.PrincipalName != "alice" || td.ExpiryTimestamp != t0+600000 ||
		len(td.Renewers) != 1 || td.Renewers[0].PrincipalName != "bob" {
		t.Fatalf("describe detail: %+v", td)
	}

	clk.Add(100 * time.Second)
	renew := kmsg.NewPtrRenewDelegationTokenRequest()
	renew.HMAC, renew.RenewTimeMillis = c.HMAC, 1200000
	if rr, err := renew.RequestWith(ctx, admin); err != nil || rr.ErrorCode != kerr.DelegationTokenOwnerMismatch.Code {
		t.Fatalf("renew by admin: %v %+v", err, rr)
	}
	if rr, err := renew.RequestWith(ctx, alice); err != nil || rr.ErrorCode != 0 || rr.ExpiryTimestamp != t0+100000+1200000 {
		t.Fatalf("renew: %v %+v", err, rr)
	}
	renew.HMAC = []byte("nope")
	if rr, _ := renew.RequestWith(ctx, alice); rr.ErrorCode != kerr.DelegationTokenNotFound.Code {
		t.Fatalf("renew unknown: %+v", rr)
	}

	// The token authenticates over SCRAM (tokenauth=true) as alice, and
	// may not ask for tokens.
	tokAuth := scram.Auth{User: c.TokenID, Pass: base64.StdEncoding.EncodeToString(c.HMAC), IsToken: true}
	tc := saslClient(t, s, tokAuth.AsSha512Mechanism())
	if c3 := createToken(t, tc, -1); c3.ErrorCode != kerr.DelegationTokenRequestNotAllowed.Code || c3.TokenRequesterPrincipalName != "alice" {
		t.Fatalf("create with a token: %+v", c3)
	}
	if err := authErr(t, s, scram.Auth{User: c.TokenID, Pass: "wrong", IsToken: true}.AsSha256Mechanism()); !errors.Is(err, kerr.SaslAuthenticationFailed) {
		t.Fatalf("wrong hmac: %v", err)
	}

	expire := kmsg.NewPtrExpireDelegationTokenRequest()
	expire.HMAC, expire.ExpiryPeriodMillis = c.HMAC, 0
	if er, err := expire.RequestWith(ctx, alice); err != nil || er.ErrorCode != 0 || er.ExpiryTimestamp != t0+100000 {
		t.Fatalf("expire: %v %+v", err, er)
	}
	clk.Add(time.Millisecond)
	if err := authErr(t, s, tokAuth.AsSha512Mechanism()); !errors.Is(err, kerr.SaslAuthenticationFailed) {
		t.Fatalf("expired token: %v, want SASL_AUTHENTICATION_FAILED", err)
	}
	// Past its max lifetime a token cannot be renewed.
	clk.Add(300 * time.Second)
	c2desc, _ := kmsg.NewPtrDescribeDelegationTokenRequest().RequestWith(ctx, alice)
	if len(c2desc.TokenDetails) != 0 {
		t.Fatalf("after expiry: %d tokens described, want 0", len(c2desc.TokenDetails))
	}
}

func TestDelegationTokensRefused(t *testing.T) {
	// PLAINTEXT: not allowed.
	s := startServer(t, "delegation.token.secret.key", "s3cret")
	if c := createToken(t, newClient(t, s), -1); c.ErrorCode != kerr.DelegationTokenRequestNotAllowed.Code {
		t.Fatalf("plaintext: %+v", c)
	}
	// No secret: disabled.
	s2 := startSASL(t, Options{})
	alice := saslClient(t, s2, plain.Auth{User: "alice", Pass: "alice-secret"}.AsMechanism())
	if c := createToken(t, alice, -1); c.ErrorCode != kerr.DelegationTokenAuthDisabled.Code || c.IssueTimestamp != -1 {
		t.Fatalf("disabled: %+v", c)
	}
	d, err := kmsg.NewPtrDescribeDelegationTokenRequest().RequestWith(context.Background(), alice)
	if err != nil || d.ErrorCode != kerr.DelegationTokenAuthDisabled.Code {
		t.Fatalf("describe disabled: %v %+v", err, d)
	}
}

// TestDelegationTokensDurable: a token and a quota survive a restart: the
// token is described again and still authenticates.
func TestDelegationTokensDurable(t *testing.T) {
	dir := t.TempDir()
	settings := []string{
		"listeners", "SASL_PLAINTEXT://127.0.0.1:0",
		"sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-512",
		"sasl.jaas.config", testJAAS,
		"delegation.token.secret.key", "s3cret",
	}
	s := startServerIn(t, dir, Options{}, settings...)
	c := createToken(t, saslClient(t, s, plain.Auth{User: "alice", Pass: "alice-secret"}.AsMechanism()), -1)
	if c.ErrorCode != 0 {
		t.Fatalf("create: %d", c.ErrorCode)
	}
	s.Close()
	s2 := startServerIn(t, dir, Options{}, settings...)
	alice := saslClient(t, s2, plain.Auth{User: "alice", Pass: "alice-secret"}.AsMechanism())
	d, err := kmsg.NewPtrDescribeDelegationTokenRequest().RequestWith(testCtx(t), alice)
	if err != nil || len(d.TokenDetails) != 1 || d.TokenDetails[0].TokenID != c.TokenID || d.TokenDetails[0].ExpiryTimestamp != c.ExpiryTimestamp {
		t.Fatalf("after restart: %v %+v", err, d)
	}
	tok := scram.Auth{User: c.TokenID, Pass: base64.StdEncoding.EncodeToString(c.HMAC), IsToken: true}
	if err := authErr(t, s2, tok.AsSha512Mechanism()); err != nil {
		t.Fatalf("token after restart: %v", err)
	}
}
