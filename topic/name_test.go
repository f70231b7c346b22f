package topic

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateName(t *testing.T) {
	long249, long250 := strings.Repeat("a", 249), strings.Repeat("a", 250)
	tests := []struct{ name, msg string }{
		{"orders", ""},
		{"a.b_c-D9", ""},
		{"...", ""},
		{"__consumer_offsets", ""},
		{long249, ""},
		{long250, "Topic name is illegal, it can't be longer than 249 characters, Topic name: " + long250},
		{"", "Topic name is illegal, it can't be empty"},
		{".", `Topic name cannot be "." or ".."`},
		{"..", `Topic name cannot be "." or ".."`},
		{"a b", `Topic name "a b" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`},
		{"a/b", `Topic name "a/b" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`},
		{"é", `Topic name "é" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`},
		{"a\x00", "Topic name \"a\x00\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"},
	}
	for _, tt := range tests {
		err := ValidateName(tt.name)
		if tt.msg == "" {
			if err != nil {
				t.Errorf("%q: %v", tt.name, err)
			}
			continue
		}
		if !errors.Is(err, ErrInvalidTopic) || Message(err) != tt.msg || err.Error() != "topic: invalid topic: "+tt.msg {
			t.Errorf("%q: err %v\nwant %s", tt.name, err, tt.msg)
		}
	}
}

func TestCollides(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"a.b", "a_b", true},
		{"a_b", "a.b", true},
		{"a.b", "a.b", true},
		{"a..b", "a_.b", true},
		{"a-b", "a_b", false},
		{"ab", "a_b", false},
		{"A.b", "a_b", false},
	}
	for _, tt := range tests {
		if got := Collides(tt.a, tt.b); got != tt.want {
			t.Errorf("Collides(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
	if !HasCollisionChars("a.b") || !HasCollisionChars("a_b") || HasCollisionChars("a-b") {
		t.Fatal("HasCollisionChars")
	}
}

func TestIsInternal(t *testing.T) {
	for name, want := range map[string]bool{
		"__consumer_offsets": true, "__transaction_state": true, "__share_group_state": true,
		"__other": false, "consumer_offsets": false,
	} {
		if IsInternal(name) != want {
			t.Errorf("IsInternal(%q) = %v", name, !want)
		}
	}
}

func TestDirNames(t *testing.T) {
	if DirName("orders", 12) != "orders-12" {
		t.Fatal(DirName("orders", 12))
	}
	tests := []struct {
		dir  string
		name string
		p    int32
		ok   bool
	}{
		{"foo-0", "foo", 0, true},
		{"foo-bar-12", "foo-bar", 12, true},
		{"a.b_c-2147483647", "a.b_c", 2147483647, true},
		{"foo-01", "", 0, false},
		{"foo-", "", 0, false},
		{"foo--1", "foo-", 1, true},
		{"-1", "", 0, false},
		{"foo-2147483648", "", 0, false},
		{"foo-0.0123abcd-delete", "", 0, false},
		{"topics.json", "", 0, false},
		{"a b-1", "", 0, false},
		{"..-1", "", 0, false},
	}
	for _, tt := range tests {
		name, p, ok := parseDirName(tt.dir)
		if name != tt.name || p != tt.p || ok != tt.ok {
			t.Errorf("parseDirName(%q) = %q %d %v", tt.dir, name, p, ok)
		}
	}
}

func TestTopicIDs(t *testing.T) {
	id := [16]byte{0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	s := FormatID(id)
	if s != "3q2-7wECAwQFBgcICQoLDA" {
		t.Fatalf("FormatID %q", s)
	}
	back, err := ParseID(s)
	if err != nil || back != id {
		t.Fatalf("ParseID %x, %v", back, err)
	}
	for _, bad := range []string{"", "short", "3q2-7wECAwQFBgcICQoLDA==", "3q2+7wECAwQFBgcICQoLDA"} {
		if _, err := ParseID(bad); err == nil {
			t.Errorf("ParseID(%q) accepted", bad)
		}
	}
	seen := map[[16]byte]bool{}
	for range 1000 {
		id := newID(func(id [16]byte) bool { return seen[id] })
		if seen[id] || id[6]>>4 != 4 || id[8]>>6 != 2 || FormatID(id)[0] == '-' || id == ([16]byte{}) {
			t.Fatalf("bad id %x", id)
		}
		seen[id] = true
	}
	// taken IDs are never returned
	var first [16]byte
	calls := 0
	got := newID(func(id [16]byte) bool {
		calls++
		if calls == 1 {
			first = id
			return true
		}
		return false
	})
	if got == first || calls != 2 {
		t.Fatalf("newID returned a taken ID")
	}
}

func TestMessage(t *testing.T) {
	err := newError(ErrTopicExists, "Topic '%s' already exists.", "x")
	if Message(err) != "Topic 'x' already exists." || err.Error() != "topic: topic already exists: Topic 'x' already exists." {
		t.Fatalf("%q %q", Message(err), err.Error())
	}
	plain := errors.New("boom")
	if Message(plain) != "boom" {
		t.Fatal(Message(plain))
	}
	w := wrapError(ErrInvalidConfig, err, "topic y")
	if Message(w) != "Topic 'x' already exists." || !errors.Is(w, ErrInvalidConfig) || !errors.Is(w, ErrTopicExists) ||
		w.Error() != "topic: invalid config: topic y: topic: topic already exists: Topic 'x' already exists." {
		t.Fatalf("wrapped: %q %q", Message(w), w.Error())
	}
}
