package scramcred

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"path/filepath"
	"sort"

	"github.com/stratabroker/strata/internal/vfs"
)

// File is the name of the credentials file in the first log dir.
const File = "scram-credentials.json"

// Iteration bounds and default (Kafka's ScramMechanism minIterations,
// ScramControlManager.MAX_ITERATIONS, kafka-configs.sh's default).
const (
	MinIterations     = 4096
	MaxIterations     = 16384
	DefaultIterations = 4096
)

// Mechanism is one SCRAM mechanism.
type Mechanism struct {
	Name string // SCRAM-SHA-256
	Type int8   // Kafka's ScramMechanism type: 1, 2
	Hash func() hash.Hash
}

// Mechanisms are the SCRAM mechanisms Kafka knows, in type order.
var Mechanisms = []Mechanism{
	{Name: "SCRAM-SHA-256", Type: 1, Hash: sha256.New},
	{Name: "SCRAM-SHA-512", Type: 2, Hash: sha512.New},
}

// ByName returns the mechanism named name.
func ByName(name string) (Mechanism, bool) {
	for _, m := range Mechanisms {
		if m.Name == name {
			return m, true
		}
	}
	return Mechanism{}, false
}

// ByType returns the mechanism of Kafka type t.
func ByType(t int8) (Mechanism, bool) {
	for _, m := range Mechanisms {
		if m.Type == t {
			return m, true
		}
	}
	return Mechanism{}, false
}

// Credential is what the server keeps of one user's password for one
// mechanism.
type Credential struct {
	Salt       []byte `json:"salt"`
	StoredKey  []byte `json:"stored_key"`
	ServerKey  []byte `json:"server_key"`
	Iterations int    `json:"iterations"`
}

// SaltedPassword is Hi(password, salt, iterations) of RFC 5802.
func (m Mechanism) SaltedPassword(password string, salt []byte, iterations int) ([]byte, error) {
	return pbkdf2.Key(m.Hash, password, salt, iterations, m.Hash().Size())
}

// FromSaltedPassword derives the stored and server keys, as Kafka's
// controller does with AlterUserScramCredentials' salted password.
func (m Mechanism) FromSaltedPassword(salted, salt []byte, iterations int) Credential {
	clientKey := m.hmac(salted, "Client Key")
	h := m.Hash()
	h.Write(clientKey)
	return Credential{
		Salt:       append([]byte(nil), salt...),
		StoredKey:  h.Sum(nil),
		ServerKey:  m.hmac(salted, "Server Key"),
		Iterations: iterations,
	}
}

// New derives a credential from password with a fresh random salt.
func (m Mechanism) New(password string, iterations int) (Credential, error) {
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return Credential{}, err
	}
	return m.NewWithSalt(password, salt, iterations)
}

// NewWithSalt derives a credential from password and salt.
func (m Mechanism) NewWithSalt(password string, salt []byte, iterations int) (Credential, error) {
	salted, err := m.SaltedPassword(password, salt, iterations)
	if err != nil {
		return Credential{}, err
	}
	return m.FromSaltedPassword(salted, salt, iterations), nil
}

func (m Mechanism) hmac(key []byte, s string) []byte {
	mac := hmac.New(m.Hash, key)
	mac.Write([]byte(s))
	return mac.Sum(nil)
}

// Users maps a user name to its credentials by mechanism name.
type Users map[string]map[string]Credential

type fileBody struct {
	Version int   `json:"version"`
	Users   Users `json:"users"`
}

// maxFile bounds what Load reads.
const maxFile = 64 << 20

// Load reads dir/File; a missing file is no users.
func Load(fsys vfs.FS, dir string) (Users, error) {
	data, err := vfs.ReadFile(fsys, filepath.Join(dir, File), maxFile)
	if errors.Is(err, fs.ErrNotExist) {
		return Users{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("scram credentials: %w", err)
	}
	var b fileBody
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("scram credentials: %s: %w", filepath.Join(dir, File), err)
	}
	if b.Version != 1 {
		return nil, fmt.Errorf("scram credentials: %s: unknown version %d", filepath.Join(dir, File), b.Version)
	}
	if b.Users == nil {
		b.Users = Users{}
	}
	return b.Users, nil
}

// Save replaces dir/File with u, durably.
func Save(fsys vfs.FS, dir string, u Users) error {
	data, err := json.Marshal(fileBody{Version: 1, Users: u})
	if err != nil {
		return err
	}
	return vfs.WriteFileAtomic(fsys, dir, File, append(data, '\n'))
}

// Names returns the user names of u, sorted.
func (u Users) Names() []string {
	out := make([]string, 0, len(u))
	for n := range u {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Clone copies u deeply enough to change one user's map.
func (u Users) Clone() Users {
	out := make(Users, len(u))
	for n, ms := range u {
		c := make(map[string]Credential, len(ms))
		for k, v := range ms {
			c[k] = v
		}
		out[n] = c
	}
	return out
}

// EncodeSalt is the base64 form of a salt (for display and tests).
func EncodeSalt(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
