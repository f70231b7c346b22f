package auth

// Delegation tokens (KIP-48), as Kafka's DelegationTokenManager: a token
// is a random id (a UUID in URL-safe base64, 22 characters) and its HMAC,
// HmacSHA512 of the id keyed with delegation.token.secret.key. Creation:
// issue = now, max = issue + min(requested max life, or
// delegation.token.max.lifetime.ms when <= 0), expiry = min(max, issue +
// delegation.token.expiry.time.ms). Renew: expiry = min(max, now +
// (renew period, or the expiry time when < 0)). Expire: a negative period
// removes the token at once (expiry = now), else expiry = min(max, now +
// period). Owner, requester and renewers may renew and expire; others get
// DELEGATION_TOKEN_OWNER_MISMATCH; a token past its max lifetime cannot be
// renewed or expired (DELEGATION_TOKEN_EXPIRED). Expired tokens are dropped
// when found expired.
//
// A token authenticates over SCRAM with the tokenauth=true extension: the
// token id as the user name, the HMAC in base64 as the password (Kafka
// derives the SCRAM credential with the mechanism's minimum iterations,
// 4096). The principal is the token's owner.
//
// Tokens persist in delegation_tokens.json in the first log dir, replaced
// atomically before a change is in force. Locking: one mutex.

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/stratabroker/strata/internal/scramcred"
	"github.com/stratabroker/strata/internal/vfs"
)

// Token errors (server/errors.go maps them to Kafka's codes).
var (
	ErrTokenAuthDisabled  = errors.New("auth: delegation token authentication is disabled")
	ErrTokenNotFound      = errors.New("auth: delegation token not found")
	ErrTokenOwnerMismatch = errors.New("auth: not the owner or a renewer of the delegation token")
	ErrTokenExpired       = errors.New("auth: delegation token expired")
)

// Token is one delegation token. Times are Unix milliseconds; principals
// are "Type:name".
type Token struct {
	ID        string   `json:"id"`
	HMAC      []byte   `json:"hmac"`
	Owner     string   `json:"owner"`
	Requester string   `json:"requester"`
	Renewers  []string `json:"renewers,omitempty"`
	Issue     int64    `json:"issue"`
	Expiry    int64    `json:"expiry"`
	Max       int64    `json:"max"`
}

// OwnerOrRenewer is Kafka's TokenInformation.ownerOrRenewer.
func (t *Token) OwnerOrRenewer(p string) bool {
	return t.Owner == p || t.Requester == p || slices.Contains(t.Renewers, p)
}

// TokensFile is the tokens' file in the log directory.
const TokensFile = "delegation_tokens.json"

// Tokens is the broker's delegation tokens.
type Tokens struct {
	fsys          vfs.FS
	dir           string
	secret        []byte // nil: tokens disabled
	maxLifetimeMs int64
	renewMs       int64
	now           func() time.Time

	mu     sync.Mutex
	tokens map[string]*Token
	creds  map[[2]string]scramcred.Credential // (mechanism, id)
}

// OpenTokens loads dir's tokens. secret "" disables tokens.
func OpenTokens(fsys vfs.FS, dir, secret string, maxLifetimeMs, renewMs int64, now func() time.Time) (*Tokens, error) {
	t := &Tokens{fsys: fsys, dir: dir, maxLifetimeMs: maxLifetimeMs, renewMs: renewMs, now: now,
		tokens: map[string]*Token{}, creds: map[[2]string]scramcred.Credential{}}
	if secret != "" {
		t.secret = []byte(secret)
	}
	b, err := vfs.ReadFile(fsys, filepath.Join(dir, TokensFile), 64<<20)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("auth: %w", err)
	default:
		var f struct {
			Version int      `json:"version"`
			Tokens  []*Token `json:"tokens"`
		}
		if err := json.Unmarshal(b, &f); err != nil || f.Version != 1 {
			return nil, fmt.Errorf("auth: %s: version %d, %v", TokensFile, f.Version, err)
		}
		for _, tk := range f.Tokens {
			t.tokens[tk.ID] = tk
		}
	}
	return t, nil
}

// Enabled reports whether delegation.token.secret.key is set.
func (t *Tokens) Enabled() bool { return t != nil && t.secret != nil }

func (t *Tokens) nowMs() int64 { return t.now().UnixMilli() }

// HMAC is HmacSHA512(id) keyed with the secret.
func (t *Tokens) HMAC(id string) []byte {
	m := hmac.New(sha512.New, t.secret)
	m.Write([]byte(id))
	return m.Sum(nil)
}

func (t *Tokens) save() error {
	f := struct {
		Version int      `json:"version"`
		Tokens  []*Token `json:"tokens"`
	}{Version: 1}
	for _, tk := range t.tokens {
		f.Tokens = append(f.Tokens, tk)
	}
	sort.Slice(f.Tokens, func(i, j int) bool { return f.Tokens[i].ID < f.Tokens[j].ID })
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if err := vfs.WriteFileAtomic(t.fsys, t.dir, TokensFile, b); err != nil {
		return fmt.Errorf("auth: write %s: %w", TokensFile, err)
	}
	return nil
}

// Create issues a token.
func (t *Tokens) Create(owner, requester string, renewers []string, maxLifeMs int64) (Token, error) {
	if !t.Enabled() {
		return Token{}, ErrTokenAuthDisabled
	}
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	id := base64.RawURLEncoding.EncodeToString(u[:])
	now := t.nowMs()
	life := t.maxLifetimeMs
	if maxLifeMs > 0 {
		life = min(maxLifeMs, t.maxLifetimeMs)
	}
	tk := &Token{ID: id, HMAC: t.HMAC(id), Owner: owner, Requester: requester, Renewers: renewers,
		Issue: now, Max: now + life}
	tk.Expiry = min(tk.Max, now+t.renewMs)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.tokens[id] = tk
	if err := t.save(); err != nil {
		delete(t.tokens, id)
		return Token{}, err
	}
	return *tk, nil
}

// byHMAC finds a token by its HMAC; t.mu held.
func (t *Tokens) byHMAC(mac []byte) *Token {
	for _, tk := range t.tokens {
		if hmac.Equal(tk.HMAC, mac) {
			return tk
		}
	}
	return nil
}

// Renew extends the token of mac; it returns the new expiry.
func (t *Tokens) Renew(principal string, mac []byte, renewMs int64) (int64, error) {
	return t.change(principal, mac, func(tk *Token, now int64) bool {
		if renewMs < 0 {
			renewMs = t.renewMs
		}
		tk.Expiry = min(tk.Max, now+renewMs)
		return true
	})
}

// Expire shortens (or, with a negative period, ends) the token of mac; it
// returns the new expiry.
func (t *Tokens) Expire(principal string, mac []byte, expireMs int64) (int64, error) {
	return t.change(principal, mac, func(tk *Token, now int64) bool {
		if expireMs < 0 {
			tk.Expiry = now
			return false
		}
		tk.Expiry = min(tk.Max, now+expireMs)
		return true
	})
}

func (t *Tokens) change(principal string, mac []byte, f func(*Token, int64) bool) (int64, error) {
	if !t.Enabled() {
		return 0, ErrTokenAuthDisabled
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	tk := t.byHMAC(mac)
	if tk == nil {
		return 0, ErrTokenNotFound
	}
	if !tk.OwnerOrRenewer(principal) {
		return 0, ErrTokenOwnerMismatch
	}
	now := t.nowMs()
	if tk.Max < now {
		return 0, ErrTokenExpired
	}
	old := *tk
	keep := f(tk, now)
	if !keep {
		delete(t.tokens, tk.ID)
	}
	if err := t.save(); err != nil {
		*tk = old
		t.tokens[tk.ID] = tk
		return 0, err
	}
	return tk.Expiry, nil
}

// Describe returns the tokens, sorted by issue time then id, whose owner
// or a renewer is in owners (nil: every token); expired tokens are
// dropped first.
func (t *Tokens) Describe(owners []string) []Token {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.dropExpired()
	var out []Token
	for _, tk := range t.tokens {
		if owners != nil && !slices.ContainsFunc(owners, tk.OwnerOrRenewer) {
			continue
		}
		out = append(out, *tk)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Issue != out[j].Issue {
			return out[i].Issue < out[j].Issue
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// dropExpired removes tokens past their expiry; t.mu held.
func (t *Tokens) dropExpired() {
	now, n := t.nowMs(), len(t.tokens)
	for id, tk := range t.tokens {
		if tk.Expiry < now {
			delete(t.tokens, id)
		}
	}
	if len(t.tokens) != n {
		t.save() // best effort: a token dropped again at the next start
	}
}

// credential returns the SCRAM credential of token id for mech and its
// owner; ok false for no such token or an expired one.
func (t *Tokens) credential(mech scramcred.Mechanism, id string) (string, scramcred.Credential, bool) {
	if !t.Enabled() {
		return "", scramcred.Credential{}, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	tk := t.tokens[id]
	if tk == nil || tk.Expiry < t.nowMs() {
		return "", scramcred.Credential{}, false
	}
	key := [2]string{mech.Name, id}
	c, ok := t.creds[key]
	if !ok {
		var err error
		c, err = mech.New(base64.StdEncoding.EncodeToString(tk.HMAC), scramcred.MinIterations)
		if err != nil {
			return "", scramcred.Credential{}, false
		}
		t.creds[key] = c
	}
	return tk.Owner, c, true
}
