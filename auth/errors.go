package auth

import "errors"

// Failed is an authentication failure whose message the client may see
// (Kafka's SaslAuthenticationException): it never says whether a user
// exists. Any other error of a Session is reported to the client with the
// generic message of GenericFailure.
type Failed struct{ Msg string }

func (f *Failed) Error() string { return f.Msg }

// GenericFailure is Kafka's message for a failure whose details must not
// reach the client (SaslServerAuthenticator, SaslException).
func GenericFailure(reauth bool, mechanism string) string {
	what := "authentication"
	if reauth {
		what = "re-authentication"
	}
	return "Authentication failed during " + what + " due to invalid credentials with SASL mechanism " + mechanism
}

// ClientMessage is what the client is told of err.
func ClientMessage(err error, reauth bool, mechanism string) string {
	var f *Failed
	if errors.As(err, &f) {
		return f.Msg
	}
	return GenericFailure(reauth, mechanism)
}

// ErrInvalidCredentials is a SCRAM or OAUTHBEARER failure (SaslException in
// Kafka): the client gets GenericFailure.
var ErrInvalidCredentials = errors.New("auth: invalid credentials")
