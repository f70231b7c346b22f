package auth

import (
	"bytes"
	"crypto/subtle"
	"strconv"
	"time"
)

// plainSession is SASL/PLAIN (RFC 4616) against the JAAS line's users, as
// Kafka's PlainSaslServer with its PlainServerCallbackHandler.
type plainSession struct {
	users map[string]string
	user  string
	done  bool
}

// ParsePlain splits a PLAIN message into authzid, authcid and password,
// with Kafka's errors.
func ParsePlain(msg []byte) (authzid, user, password string, err error) {
	tokens := bytes.SplitN(msg, []byte{0}, 4)
	if len(tokens) != 3 {
		return "", "", "", &Failed{"Invalid SASL/PLAIN response: expected 3 tokens, got " + strconv.Itoa(len(tokens))}
	}
	authzid, user, password = string(tokens[0]), string(tokens[1]), string(tokens[2])
	if user == "" {
		return "", "", "", &Failed{"Authentication failed: username not specified"}
	}
	if password == "" {
		return "", "", "", &Failed{"Authentication failed: password not specified"}
	}
	return authzid, user, password, nil
}

func (p *plainSession) Step(token []byte) ([]byte, error) {
	if p.done {
		return nil, &Failed{"Authentication failed: SASL/PLAIN exchange already completed"}
	}
	authzid, user, password, err := ParsePlain(token)
	if err != nil {
		return nil, err
	}
	want, ok := p.users[user]
	// Compare even when the user is unknown, so that the time taken
	// does not tell.
	if !ok {
		want = "\x00" + password
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(password)) != 1 || !ok {
		return nil, &Failed{"Authentication failed: Invalid username or password"}
	}
	if authzid != "" && authzid != user {
		return nil, &Failed{"Authentication failed: Client requested an authorization id that is different from username"}
	}
	p.user, p.done = user, true
	return []byte{}, nil
}

func (p *plainSession) Done() bool        { return p.done }
func (p *plainSession) User() string      { return p.user }
func (p *plainSession) Expiry() time.Time { return time.Time{} }
