package auth

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stratabroker/strata/internal/scramcred"
	"github.com/stratabroker/strata/internal/vfs"
)

// FuzzPlain: any PLAIN message is parsed without panicking; an accepted
// one splits into exactly three NUL-free parts that rebuild it.
func FuzzPlain(f *testing.F) {
	f.Add([]byte("\x00alice\x00alice-secret"))
	f.Add([]byte("alice\x00alice\x00pw"))
	f.Add([]byte("\x00\x00"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		authz, user, pass, err := ParsePlain(msg)
		if err != nil {
			if _, ok := err.(*Failed); !ok {
				t.Fatalf("error %T is not *Failed", err)
			}
			return
		}
		if user == "" || pass == "" || strings.ContainsRune(authz+user, 0) {
			t.Fatalf("accepted %q as %q %q %q", msg, authz, user, pass)
		}
		if !bytes.Equal([]byte(authz+"\x00"+user+"\x00"+pass), msg) {
			t.Fatalf("%q does not rebuild", msg)
		}
	})
}

// FuzzScramClientFirst: any client-first message, and any client-final
// after a valid first, ends in a challenge or an error, never a panic or
// an authenticated session.
func FuzzScramClientFirst(f *testing.F) {
	f.Add([]byte("n,,n=alice,r=rOprNGfwEbeRWgbNEkqO"), []byte("c=biws,r=x,p=dHpbWr="))
	f.Add([]byte("n,,n=alice,r=abc,tokenauth=true"), []byte(""))
	f.Add([]byte("y,a=bob,n=alice,r=abc"), []byte("c=eSxhPWJvYiw=,r=abc,p=AAAA"))
	fsys := vfs.NewMem()
	if err := fsys.MkdirAll("/d", 0o755); err != nil {
		f.Fatal(err)
	}
	st, err := OpenStore(fsys, "/d")
	if err != nil {
		f.Fatal(err)
	}
	m, _ := scramcred.ByName(ScramSHA256)
	c, _ := m.New("alice-secret", 4096)
	if err := st.Apply([]Change{{User: "alice", Mechanism: ScramSHA256, Credential: &c}}); err != nil {
		f.Fatal(err)
	}
	a := New(map[string]*Listener{"L": {Mechanisms: []string{ScramSHA256}}}, st, nil)
	f.Fuzz(func(t *testing.T, first, final []byte) {
		s, _ := a.NewSession("L", ScramSHA256)
		if _, err := s.Step(first); err != nil {
			return
		}
		s.Step(final)
		if s.Done() {
			t.Fatalf("authenticated with %q %q", first, final)
		}
	})
}

// FuzzOAuthBearer: any OAUTHBEARER message is parsed without panicking;
// an accepted one has a token without spaces or \x01.
func FuzzOAuthBearer(f *testing.F) {
	f.Add([]byte("n,,\x01auth=Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.\x01\x01"))
	f.Add([]byte("n,a=carol,\x01auth=Bearer t\x01ext=1\x01\x01"))
	f.Add([]byte("n,,\x01\x01"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		cf, err := ParseOAuthBearer(msg)
		if err != nil {
			return
		}
		if cf.Token == "" || strings.ContainsAny(cf.Token, "\x01") {
			t.Fatalf("accepted %q with token %q", msg, cf.Token)
		}
		s := newOAuthSession(&OAuthConfig{PrincipalClaim: "sub"}, time.Now)
		s.Step(msg)
	})
}
