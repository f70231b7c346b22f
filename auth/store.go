package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"sync"

	"github.com/stratabroker/strata/internal/scramcred"
	"github.com/stratabroker/strata/internal/vfs"
)

// Store holds the SCRAM credentials, durable in dir/scramcred.File. Reads
// take the read lock; Alter takes the write lock across the file write, so
// a change is visible only once it is durable.
type Store struct {
	fsys vfs.FS
	dir  string

	mu    sync.RWMutex
	users scramcred.Users

	// secret salts the fake credentials of unknown users (per process).
	secret [32]byte

	tokens *Tokens // delegation tokens (tokens.go); nil: none
}

// SetTokens makes SCRAM's tokenauth=true authenticate against tokens.
func (s *Store) SetTokens(t *Tokens) { s.tokens = t }

func (s *Store) tokenCredential(mech scramcred.Mechanism, id string) (string, scramcred.Credential, bool) {
	if s.tokens == nil {
		return "", scramcred.Credential{}, false
	}
	return s.tokens.credential(mech, id)
}

// OpenStore loads the credentials of dir.
func OpenStore(fsys vfs.FS, dir string) (*Store, error) {
	u, err := scramcred.Load(fsys, dir)
	if err != nil {
		return nil, err
	}
	s := &Store{fsys: fsys, dir: dir, users: u}
	rand.Read(s.secret[:])
	return s, nil
}

// lookup returns user's credential for mech. For an unknown user it
// returns a credential no password matches, with a salt stable for that
// user, so that the exchange fails only at the proof, as for a wrong
// password, and nobody learns which users exist.
func (s *Store) lookup(mech, user string) scramcred.Credential {
	s.mu.RLock()
	c, ok := s.users[user][mech]
	s.mu.RUnlock()
	if ok {
		return c
	}
	mac := hmac.New(sha256.New, s.secret[:])
	mac.Write([]byte(mech + "\x00" + user))
	salt := mac.Sum(nil)
	mac.Write([]byte("key"))
	key := mac.Sum(nil)
	return scramcred.Credential{Salt: salt, StoredKey: key, ServerKey: key, Iterations: scramcred.DefaultIterations}
}

// Users returns a copy of every user's credentials.
func (s *Store) Users() scramcred.Users {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.users.Clone()
}

// Change is one deletion (Credential nil) or upsertion.
type Change struct {
	User       string
	Mechanism  string
	Credential *scramcred.Credential
}

// Apply makes changes durable and visible at once.
func (s *Store) Apply(changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.users.Clone()
	for _, c := range changes {
		if c.Credential == nil {
			delete(next[c.User], c.Mechanism)
			if len(next[c.User]) == 0 {
				delete(next, c.User)
			}
			continue
		}
		if next[c.User] == nil {
			next[c.User] = map[string]scramcred.Credential{}
		}
		next[c.User][c.Mechanism] = *c.Credential
	}
	if err := scramcred.Save(s.fsys, s.dir, next); err != nil {
		return err
	}
	s.users = next
	return nil
}
