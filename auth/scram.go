package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/xdg-go/scram"
)

// scramSession is SCRAM-SHA-256/512 (RFC 5802, RFC 7677) through
// xdg-go/scram's server conversation, with credentials from Store.
type scramSession struct {
	conv  *scram.ServerConversation
	first bool // the client-first message was taken
}

func (s *Store) newSession(mech string) (Session, error) {
	if s == nil {
		return nil, errors.New("auth: no SCRAM credential store")
	}
	hash := scram.SHA256
	if mech == ScramSHA512 {
		hash = scram.SHA512
	}
	srv, err := hash.NewServer(func(user string) (scram.StoredCredentials, error) {
		c := s.lookup(mech, user)
		return scram.StoredCredentials{
			KeyFactors: scram.KeyFactors{Salt: string(c.Salt), Iters: c.Iterations},
			StoredKey:  c.StoredKey,
			ServerKey:  c.ServerKey,
		}, nil
	})
	if err != nil {
		return nil, err
	}
	return &scramSession{conv: srv.NewConversation()}, nil
}

func (s *scramSession) Step(token []byte) (resp []byte, err error) {
	if s.conv.Done() {
		return nil, ErrInvalidCredentials
	}
	// xdg-go/scram v1.1.2 indexes the GS2 flag of a client-first message
	// without checking its length: ",,," panicked (FuzzScramClientFirst).
	if !s.first && (len(token) == 0 || token[0] == ',') {
		return nil, fmt.Errorf("%w: malformed client-first message", ErrInvalidCredentials)
	}
	s.first = true
	// Whatever else the library does not expect must fail this exchange,
	// not the broker.
	defer func() {
		if p := recover(); p != nil {
			resp, err = nil, fmt.Errorf("%w: SCRAM message: %v", ErrInvalidCredentials, p)
		}
	}()
	r, err := s.conv.Step(string(token))
	if err != nil {
		return nil, errors.Join(ErrInvalidCredentials, err)
	}
	return []byte(r), nil
}

func (s *scramSession) Done() bool        { return s.conv.Done() && s.conv.Valid() }
func (s *scramSession) User() string      { return s.conv.Username() }
func (s *scramSession) Expiry() time.Time { return time.Time{} }
