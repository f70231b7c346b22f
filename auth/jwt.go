package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// JWTValidator validates signed JWTs against a JWKS, as Kafka's
// OAuthBearerValidatorCallbackHandler with sasl.oauthbearer.jwks.endpoint.url
// (an https URL, refreshed in the background, or a file: URL read once),
// sasl.oauthbearer.expected.audience, sasl.oauthbearer.expected.issuer,
// sasl.oauthbearer.sub.claim.name, sasl.oauthbearer.scope.claim.name and
// sasl.oauthbearer.clock.skew.seconds (default 30).
type JWTValidator struct {
	keys       keyfunc.Keyfunc
	cancel     context.CancelFunc
	audience   []string
	issuer     string
	skew       time.Duration
	subClaim   string
	scopeClaim string
}

func jwtFromProps(url, pre, lm string, lookup func(...string) (string, bool)) (*JWTValidator, error) {
	get := func(p string) (string, bool) {
		v, ok := lookup(pre+lm+"."+p, pre+p, p)
		return strings.TrimSpace(v), ok
	}
	v := &JWTValidator{skew: 30 * time.Second, subClaim: "sub", scopeClaim: "scope"}
	if s, ok := get("sasl.oauthbearer.expected.audience"); ok && s != "" {
		for _, a := range strings.Split(s, ",") {
			if a = strings.TrimSpace(a); a != "" {
				v.audience = append(v.audience, a)
			}
		}
	}
	v.issuer, _ = get("sasl.oauthbearer.expected.issuer")
	if s, ok := get("sasl.oauthbearer.sub.claim.name"); ok && s != "" {
		v.subClaim = s
	}
	if s, ok := get("sasl.oauthbearer.scope.claim.name"); ok && s != "" {
		v.scopeClaim = s
	}
	if s, ok := get("sasl.oauthbearer.clock.skew.seconds"); ok && s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("sasl.oauthbearer.clock.skew.seconds: %q is not a non-negative number", s)
		}
		v.skew = time.Duration(n) * time.Second
	}
	if path, ok := strings.CutPrefix(url, "file:"); ok {
		path = strings.TrimPrefix(path, "//")
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("sasl.oauthbearer.jwks.endpoint.url: %w", err)
		}
		k, err := keyfunc.NewJWKSetJSON(data)
		if err != nil {
			return nil, fmt.Errorf("sasl.oauthbearer.jwks.endpoint.url %s: %w", url, err)
		}
		v.keys = k
		return v, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	k, err := keyfunc.NewDefaultCtx(ctx, []string{url})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("sasl.oauthbearer.jwks.endpoint.url %s: %w", url, err)
	}
	v.keys, v.cancel = k, cancel
	return v, nil
}

// Close stops the background JWKS refresh.
func (v *JWTValidator) Close() {
	if v != nil && v.cancel != nil {
		v.cancel()
	}
}

func (v *JWTValidator) validate(tok string, now time.Time) (map[string]any, error) {
	opts := []jwt.ParserOption{
		jwt.WithLeeway(v.skew),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithExpirationRequired(),
		jwt.WithValidMethods([]string{"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA"}),
	}
	if v.issuer != "" {
		opts = append(opts, jwt.WithIssuer(v.issuer))
	}
	claims := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(tok, claims, v.keys.Keyfunc, opts...); err != nil {
		return nil, err
	}
	if len(v.audience) > 0 {
		aud, err := claims.GetAudience()
		if err != nil {
			return nil, err
		}
		ok := false
		for _, a := range aud {
			for _, want := range v.audience {
				ok = ok || a == want
			}
		}
		if !ok {
			return nil, errors.New("the token's audience is not expected")
		}
	}
	return claims, nil
}

// Close stops what the Authenticator runs in the background.
func (a *Authenticator) Close() {
	if a == nil {
		return
	}
	for _, l := range a.listeners {
		l.OAuth.JWT.Close()
	}
}
