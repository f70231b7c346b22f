package auth

import (
	"errors"
	"time"

	"github.com/xdg-go/scram"
)

// scramSession is SCRAM-SHA-256/512 (RFC 5802, RFC 7677) through
// xdg-go/scram's server conversation, with credentials from Store.
type scramSession struct {
	conv *scram.ServerConversation
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

func (s *scramSession) Step(token []byte) ([]byte, error) {
	if s.conv.Done() {
		return nil, ErrInvalidCredentials
	}
	resp, err := s.conv.Step(string(token))
	if err != nil {
		return nil, errors.Join(ErrInvalidCredentials, err)
	}
	return []byte(resp), nil
}

func (s *scramSession) Done() bool        { return s.conv.Done() && s.conv.Valid() }
func (s *scramSession) User() string      { return s.conv.Username() }
func (s *scramSession) Expiry() time.Time { return time.Time{} }
