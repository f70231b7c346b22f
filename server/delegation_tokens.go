package server

// Delegation tokens (KIP-48, package auth's Tokens): the configuration and
// the checks shared by CreateDelegationToken, RenewDelegationToken,
// ExpireDelegationToken and DescribeDelegationToken (one file each).
//
// As Kafka's KafkaApis.allowTokenRequests: a request on a PLAINTEXT
// listener, on an SSL listener without a client certificate (ANONYMOUS),
// or on a connection authenticated with a token gets
// DELEGATION_TOKEN_REQUEST_NOT_ALLOWED; without delegation.token.secret.key
// (or its old name delegation.token.master.key) every request gets
// DELEGATION_TOKEN_AUTH_DISABLED.

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/stratabroker/strata/auth"
)

// Kafka's defaults: 7 days, 1 day.
const (
	defaultTokenMaxLifetimeMs = 7 * 24 * 3600 * 1000
	defaultTokenExpiryMs      = 24 * 3600 * 1000
)

func (s *Server) openTokens() error {
	secret := s.cfg.Unknown["delegation.token.secret.key"]
	if secret == "" {
		secret = s.cfg.Unknown["delegation.token.master.key"]
	}
	ms := func(name string, dflt int64) (int64, error) {
		v, ok := s.cfg.Unknown[name]
		if !ok {
			return dflt, nil
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("%w: %s: %q is not a long of at least 1", ErrConfig, name, v)
		}
		return n, nil
	}
	maxLife, err := ms("delegation.token.max.lifetime.ms", defaultTokenMaxLifetimeMs)
	if err != nil {
		return err
	}
	expiry, err := ms("delegation.token.expiry.time.ms", defaultTokenExpiryMs)
	if err != nil {
		return err
	}
	t, err := auth.OpenTokens(s.fs, s.dataDir, secret, maxLife, expiry, s.now)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	s.tokens = t
	s.scram.SetTokens(t)
	return nil
}

// allowTokenRequests is Kafka's KafkaApis.allowTokenRequests.
func allowTokenRequests(c *conn) bool {
	return !(c.tokenAuth || c.securityProtocol == "PLAINTEXT" ||
		(c.securityProtocol == "SSL" && c.principal == anonymous))
}

// principalParts splits "Type:name".
func principalParts(p string) (string, string) {
	typ, name, ok := strings.Cut(p, ":")
	if !ok {
		return "User", p
	}
	return typ, name
}
