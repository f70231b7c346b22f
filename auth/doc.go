// Package auth is Strata's SASL authentication: the mechanisms PLAIN,
// SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER on the server side, their
// per-listener configuration read from Kafka's property names, and the
// durable SCRAM credential store. The server (server/sasl.go) owns the
// connection's SASL state machine (KIP-152 framing, KIP-368
// re-authentication) and asks this package for a Session per exchange.
//
// Mechanisms:
//   - PLAIN (RFC 4616) against the user_<name>="<password>" options of the
//     PlainLoginModule JAAS line (ParseJAAS parses Kafka's JAAS syntax:
//     class, flag, key=value or key="quoted \" value", ';').
//   - SCRAM-SHA-256/512 (RFC 5802, RFC 7677), server side written here as
//     Kafka's ScramSaslServer and ScramMessages (grammar, the final nonce
//     only has to end with the server's, as librdkafka sends its own nonce
//     in front; AuthMessage with the final message rebuilt as c=..,r=..;
//     alphanumeric server nonces) over Store: salt, stored key, server key,
//     iterations per user and mechanism (internal/scramcred derives them and
//     owns the file layout). xdg-go/scram's server was tried first: it
//     demands the exact nonce (librdkafka 2.0 fails) and panicked on ",,,"
//     (FuzzScramClientFirst). An unknown user gets a made-up credential with
//     a stable salt, so it fails at the proof exactly as a wrong password
//     does.
//   - OAUTHBEARER (RFC 7628 client message, ParseOAuthBearer): Kafka's
//     unsecured JWS (alg none) by default, or signed JWTs checked against a
//     JWKS (golang-jwt/jwt/v5 with MicahParks/keyfunc/v3) when
//     sasl.oauthbearer.jwks.endpoint.url is set. A bad token gets Kafka's
//     {"status":"invalid_token"} challenge; the client's \x01 then fails.
//
// Errors: a Session's error is either *Failed, whose message the client
// sees (Kafka's SaslAuthenticationException), or anything else, for which
// the client sees only GenericFailure (SaslException); neither says whether
// the user exists.
//
// Locking: Authenticator is immutable after New. Store guards its map with
// an RWMutex held across the file write of Apply, so a change is visible
// only once durable. A Session belongs to one connection's read goroutine.
//
// Delegation tokens (tokens.go, KIP-48): Tokens issues, renews, expires
// and describes tokens (HmacSHA512 of the id keyed with
// delegation.token.secret.key), persisted in delegation_tokens.json; a
// SCRAM exchange with tokenauth=true authenticates against them (Store's
// SetTokens), the token id as the user name and the base64 HMAC as the
// password, as the token's owner. Tokens has one mutex over its map, held
// across its file write.
package auth
