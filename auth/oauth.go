package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// OAuthConfig is how OAUTHBEARER tokens are validated on a listener.
// Without a JWKS (JWT == nil) tokens are Kafka's unsecured JWS (alg none),
// validated as OAuthBearerUnsecuredValidatorCallbackHandler does, with its
// JAAS options unsecuredValidatorPrincipalClaimName (default sub),
// unsecuredValidatorScopeClaimName (scope), unsecuredValidatorRequiredScope
// and unsecuredValidatorAllowableClockSkewMs (0).
type OAuthConfig struct {
	PrincipalClaim string
	ScopeClaim     string
	RequiredScope  []string
	ClockSkew      time.Duration
	JWT            *JWTValidator // nil: unsecured tokens
}

func oauthFromProps(pre, lm string, lookup func(...string) (string, bool), jaas string) (OAuthConfig, error) {
	o := OAuthConfig{PrincipalClaim: "sub", ScopeClaim: "scope"}
	if jaas != "" {
		mods, err := ParseJAAS(jaas)
		if err != nil {
			return o, fmt.Errorf("%ssasl.jaas.config: %w", pre+lm+".", err)
		}
		for _, m := range mods {
			if v := m.Options["unsecuredValidatorPrincipalClaimName"]; v != "" {
				o.PrincipalClaim = v
			}
			if v := m.Options["unsecuredValidatorScopeClaimName"]; v != "" {
				o.ScopeClaim = v
			}
			if v := m.Options["unsecuredValidatorRequiredScope"]; v != "" {
				o.RequiredScope = strings.Fields(strings.ReplaceAll(v, ",", " "))
			}
			if v := m.Options["unsecuredValidatorAllowableClockSkewMs"]; v != "" {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil || n < 0 {
					return o, fmt.Errorf("unsecuredValidatorAllowableClockSkewMs: %q is not a non-negative number", v)
				}
				o.ClockSkew = time.Duration(n) * time.Millisecond
			}
		}
	}
	url, ok := lookup(pre+lm+".sasl.oauthbearer.jwks.endpoint.url", pre+"sasl.oauthbearer.jwks.endpoint.url", "sasl.oauthbearer.jwks.endpoint.url")
	if ok && strings.TrimSpace(url) != "" {
		v, err := jwtFromProps(strings.TrimSpace(url), pre, lm, lookup)
		if err != nil {
			return o, err
		}
		o.JWT = v
		if c := v.subClaim; c != "" {
			o.PrincipalClaim = c
		}
		if c := v.scopeClaim; c != "" {
			o.ScopeClaim = c
		}
	}
	return o, nil
}

// ClientFirst is a parsed OAUTHBEARER client initial response (RFC 7628
// section 3.1; Kafka's OAuthBearerClientInitialResponse).
type ClientFirst struct {
	AuthzID    string
	Token      string
	Extensions map[string]string
}

// ParseOAuthBearer parses `n,[a=authzid],\x01auth=Bearer <token>\x01[key=value\x01]*\x01`.
func ParseOAuthBearer(msg []byte) (ClientFirst, error) {
	bad := func(why string) (ClientFirst, error) {
		return ClientFirst{}, fmt.Errorf("%w: invalid OAUTHBEARER client first message: %s", ErrInvalidCredentials, why)
	}
	gs2, rest, ok := bytes.Cut(msg, []byte{1})
	if !ok {
		return bad("no kvsep")
	}
	parts := strings.Split(string(gs2), ",")
	if len(parts) != 3 || parts[0] != "n" || parts[2] != "" {
		return bad("bad GS2 header")
	}
	var cf ClientFirst
	if parts[1] != "" {
		a, ok := strings.CutPrefix(parts[1], "a=")
		if !ok {
			return bad("bad authzid")
		}
		cf.AuthzID = strings.NewReplacer("=2C", ",", "=3D", "=").Replace(a)
	}
	if !bytes.HasSuffix(rest, []byte{1}) {
		return bad("not terminated by kvsep")
	}
	rest = rest[:len(rest)-1]
	cf.Extensions = map[string]string{}
	haveAuth := false
	for kv := range bytes.SplitSeq(rest, []byte{1}) {
		if len(kv) == 0 {
			continue
		}
		k, v, ok := strings.Cut(string(kv), "=")
		if !ok || k == "" {
			return bad("key without value")
		}
		if k == "auth" {
			scheme, tok, ok := strings.Cut(v, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
				return bad("auth is not a Bearer token")
			}
			cf.Token, haveAuth = strings.TrimSpace(tok), true
			continue
		}
		cf.Extensions[k] = v
	}
	if !haveAuth {
		return bad("no auth")
	}
	return cf, nil
}

type oauthSession struct {
	cfg     *OAuthConfig
	now     func() time.Time
	errMsg  string // the JSON error sent, awaiting the client's \x01
	user    string
	expires time.Time
	done    bool
}

func newOAuthSession(cfg *OAuthConfig, now func() time.Time) *oauthSession {
	return &oauthSession{cfg: cfg, now: now}
}

func (s *oauthSession) Step(token []byte) ([]byte, error) {
	if len(token) == 1 && token[0] == 1 && s.errMsg != "" {
		return nil, &Failed{s.errMsg}
	}
	if s.done {
		return nil, ErrInvalidCredentials
	}
	s.errMsg = ""
	cf, err := ParseOAuthBearer(token)
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	if s.cfg.JWT != nil {
		claims, err = s.cfg.JWT.validate(cf.Token, s.now())
	} else {
		claims, err = s.unsecured(cf.Token)
	}
	if err != nil {
		// Kafka answers with an RFC 7628 error as a challenge; the client
		// acknowledges with \x01 and then fails with this message.
		s.errMsg = `{"status":"invalid_token"}`
		return []byte(s.errMsg), nil
	}
	user, _ := claims[s.cfg.PrincipalClaim].(string)
	if strings.TrimSpace(user) == "" {
		s.errMsg = `{"status":"invalid_token"}`
		return []byte(s.errMsg), nil
	}
	if len(s.cfg.RequiredScope) > 0 {
		have := scopes(claims[s.cfg.ScopeClaim])
		for _, want := range s.cfg.RequiredScope {
			if !have[want] {
				s.errMsg = fmt.Sprintf(`{"status":"insufficient_scope","scope":%q}`, strings.Join(s.cfg.RequiredScope, " "))
				return []byte(s.errMsg), nil
			}
		}
	}
	if cf.AuthzID != "" && cf.AuthzID != user {
		return nil, &Failed{fmt.Sprintf("Authentication failed: Client requested an authorization id (%s) that is different from the token's principal name (%s)", cf.AuthzID, user)}
	}
	if exp, ok := claims["exp"].(float64); ok {
		s.expires = time.UnixMilli(int64(exp * 1000))
	}
	s.user, s.done = user, true
	return []byte{}, nil
}

func scopes(v any) map[string]bool {
	out := map[string]bool{}
	switch v := v.(type) {
	case string:
		for _, s := range strings.Fields(v) {
			out[s] = true
		}
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				out[s] = true
			}
		}
	}
	return out
}

// unsecured validates an unsecured JWS (header.payload. with alg none) as
// Kafka's OAuthBearerUnsecuredJws and OAuthBearerValidationUtils: exp is
// required and must not have passed (beyond the clock skew), iat if given
// must not be in the future.
func (s *oauthSession) unsecured(tok string) (map[string]any, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, errors.New("unsecured JWS must have 3 parts")
	}
	if parts[2] != "" {
		return nil, errors.New("unsecured JWS must not contain a digital signature")
	}
	var hdr map[string]any
	if err := decodeSegment(parts[0], &hdr); err != nil {
		return nil, err
	}
	if alg, _ := hdr["alg"].(string); alg != "none" {
		return nil, errors.New("unsecured JWS must have alg none")
	}
	var claims map[string]any
	if err := decodeSegment(parts[1], &claims); err != nil {
		return nil, err
	}
	now := s.now()
	exp, ok := claims["exp"].(float64)
	if !ok || math.IsNaN(exp) {
		return nil, errors.New("required claim missing: exp")
	}
	if now.After(time.UnixMilli(int64(exp * 1000)).Add(s.cfg.ClockSkew)) {
		return nil, errors.New("the token has expired")
	}
	if iat, ok := claims["iat"].(float64); ok && time.UnixMilli(int64(iat*1000)).After(now.Add(s.cfg.ClockSkew)) {
		return nil, errors.New("the token was issued in the future")
	}
	return claims, nil
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func (s *oauthSession) Done() bool        { return s.done }
func (s *oauthSession) User() string      { return s.user }
func (s *oauthSession) Expiry() time.Time { return s.expires }
