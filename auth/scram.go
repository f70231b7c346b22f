package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/stratabroker/strata/internal/scramcred"
)

// Kafka's ScramMessages grammar (RFC 5802 section 7 as Kafka reads it),
// Java's class intersections spelled out.
const (
	scramValue     = `[\x01-\x2B\x2D-\x7F]+`                      // [\x01-\x7F&&[^,]]+
	scramPrintable = `[\x21-\x2B\x2D-\x7E]+`                      // [\x21-\x7E&&[^,]]+
	scramSaslName  = `(?:[\x01-\x2B\x2D-\x3C\x3E-\x7F]|=2C|=3D)+` // value-safe chars or =2C / =3D
	scramBase64    = `(?:[a-zA-Z0-9/+]{4})*(?:[a-zA-Z0-9/+]{3}=|[a-zA-Z0-9/+]{2}==)?`
	scramReserved  = `(?:m=` + scramValue + `,)?`
	scramExts      = `(?:,[A-Za-z]+=` + scramValue + `)*`
)

var (
	clientFirstPattern = regexp.MustCompile(`^n,(?:a=(` + scramSaslName + `))?,` + scramReserved +
		`(n=(` + scramSaslName + `),r=(` + scramPrintable + `)(` + scramExts + `))$`)
	clientFinalPattern = regexp.MustCompile(`^c=(` + scramBase64 + `),r=(` + scramPrintable + `)` + scramExts + `,p=(` + scramBase64 + `)$`)
)

// scramSession is the server side of SCRAM-SHA-256/512 (RFC 5802, RFC
// 7677) as Kafka's ScramSaslServer: Kafka's message grammar, its nonce
// check (the client's final nonce must end with the server-first nonce:
// librdkafka sends its own nonce in front of it), its AuthMessage (the
// client-final message without proof rebuilt as c=..,r=..), and a
// constant-time proof check.
type scramSession struct {
	store *Store
	mech  scramcred.Mechanism

	state       int // 0: client-first expected, 1: client-final, 2: done, 3: failed
	user        string
	cred        scramcred.Credential
	firstBare   string // client-first-message-bare
	serverFirst string
	nonce       string // the server-first nonce (client's + ours)
	tokenOwner  string // tokenauth=true: the token's owner, who the session is
}

func (s *Store) newSession(mech string) (Session, error) {
	if s == nil {
		return nil, errors.New("auth: no SCRAM credential store")
	}
	m, ok := scramcred.ByName(mech)
	if !ok {
		return nil, fmt.Errorf("auth: unknown SCRAM mechanism %s", mech)
	}
	return &scramSession{store: s, mech: m}, nil
}

// ScramUsername decodes a SCRAM saslname (=2C is ',', =3D is '='), as
// Kafka's ScramFormatter.username.
func ScramUsername(saslName string) (string, error) {
	u := strings.ReplaceAll(saslName, "=2C", ",")
	if strings.Contains(strings.ReplaceAll(u, "=3D", ""), "=") {
		return "", fmt.Errorf("%w: invalid username: %s", ErrInvalidCredentials, saslName)
	}
	return strings.ReplaceAll(u, "=3D", "="), nil
}

func (s *scramSession) Step(token []byte) ([]byte, error) {
	switch s.state {
	case 0:
		out, err := s.first(string(token))
		if err != nil {
			s.state = 3
			return nil, err
		}
		s.state = 1
		return []byte(out), nil
	case 1:
		out, err := s.final(string(token))
		if err != nil {
			s.state = 3
			return nil, err
		}
		s.state = 2
		return []byte(out), nil
	}
	return nil, fmt.Errorf("%w: unexpected SCRAM message", ErrInvalidCredentials)
}

func (s *scramSession) first(msg string) (string, error) {
	g := clientFirstPattern.FindStringSubmatch(msg)
	if g == nil {
		return "", fmt.Errorf("%w: invalid SCRAM client first message format", ErrInvalidCredentials)
	}
	authzid, bare, saslName, clientNonce, exts := g[1], g[2], g[3], g[4], g[5]
	user, err := ScramUsername(saslName)
	if err != nil {
		return "", err
	}
	tokenAuth := false
	for _, kv := range strings.Split(strings.TrimPrefix(exts, ","), ",") {
		// tokenauth=true: the user name is a delegation token's id
		// (tokens.go). Other extensions are ignored, as Kafka does.
		if k, v, _ := strings.Cut(kv, "="); k == "tokenauth" && strings.EqualFold(v, "true") {
			tokenAuth = true
		}
	}
	if tokenAuth {
		owner, cred, ok := s.store.tokenCredential(s.mech, user)
		if !ok {
			return "", fmt.Errorf("%w: Token Authentication failed: Invalid tokenId : %s", ErrInvalidCredentials, user)
		}
		s.tokenOwner, s.cred = strings.TrimPrefix(owner, "User:"), cred
	} else {
		s.cred = s.store.lookup(s.mech.Name, user)
	}
	s.user = user
	if authzid != "" && authzid != user {
		return "", &Failed{"Authentication failed: Client requested an authorization id that is different from username"}
	}
	if s.cred.Iterations < scramcred.MinIterations {
		return "", fmt.Errorf("%w: iterations %d below the minimum", ErrInvalidCredentials, s.cred.Iterations)
	}
	s.firstBare = bare
	s.nonce = clientNonce + serverNonce()
	s.serverFirst = "r=" + s.nonce + ",s=" + base64.StdEncoding.EncodeToString(s.cred.Salt) + ",i=" + strconv.Itoa(s.cred.Iterations)
	return s.serverFirst, nil
}

func (s *scramSession) final(msg string) (string, error) {
	g := clientFinalPattern.FindStringSubmatch(msg)
	if g == nil {
		return "", fmt.Errorf("%w: invalid SCRAM client final message format", ErrInvalidCredentials)
	}
	channel, nonce, proofB64 := g[1], g[2], g[3]
	if !strings.HasSuffix(nonce, s.nonce) {
		return "", fmt.Errorf("%w: invalid client nonce in the final client message", ErrInvalidCredentials)
	}
	proof, err := base64.StdEncoding.DecodeString(proofB64)
	if err != nil {
		return "", fmt.Errorf("%w: proof: %v", ErrInvalidCredentials, err)
	}
	cb, err := base64.StdEncoding.DecodeString(channel)
	if err != nil {
		return "", fmt.Errorf("%w: channel binding: %v", ErrInvalidCredentials, err)
	}
	withoutProof := "c=" + base64.StdEncoding.EncodeToString(cb) + ",r=" + nonce
	authMessage := []byte(s.firstBare + "," + s.serverFirst + "," + withoutProof)
	mac := hmac.New(s.mech.Hash, s.cred.StoredKey)
	mac.Write(authMessage)
	clientSig := mac.Sum(nil)
	if len(proof) != len(clientSig) {
		return "", fmt.Errorf("%w: invalid client credentials", ErrInvalidCredentials)
	}
	clientKey := make([]byte, len(proof))
	for i := range proof {
		clientKey[i] = proof[i] ^ clientSig[i]
	}
	h := s.mech.Hash()
	h.Write(clientKey)
	if !hmac.Equal(h.Sum(nil), s.cred.StoredKey) {
		return "", fmt.Errorf("%w: invalid client credentials", ErrInvalidCredentials)
	}
	mac = hmac.New(s.mech.Hash, s.cred.ServerKey)
	mac.Write(authMessage)
	return "v=" + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

const nonceAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz"

// serverNonce is Kafka's ScramFormatter.secureRandomString: a random
// alphanumeric string (26 base-36 characters, over 130 bits).
func serverNonce() string {
	var b [26]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = nonceAlphabet[int(b[i])%len(nonceAlphabet)]
	}
	return string(b[:])
}

func (s *scramSession) Done() bool { return s.state == 2 }
func (s *scramSession) User() string {
	if s.tokenOwner != "" {
		return s.tokenOwner
	}
	return s.user
}

// TokenAuthenticated reports whether the session authenticated with a
// delegation token (Kafka's KafkaPrincipal.tokenAuthenticated).
func (s *scramSession) TokenAuthenticated() bool { return s.tokenOwner != "" }
func (s *scramSession) Expiry() time.Time        { return time.Time{} }
