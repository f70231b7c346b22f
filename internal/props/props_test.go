package props

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	type P = Property
	tests := []struct {
		name string
		src  string
		want []P
	}{
		{"equals", "a=b", []P{{"a", "b", 1}}},
		{"spaces around equals", "a = b", []P{{"a", "b", 1}}},
		{"colon", "a:b\nc : d", []P{{"a", "b", 1}, {"c", "d", 2}}},
		{"whitespace separator", "a b", []P{{"a", "b", 1}}},
		{"trailing whitespace kept", "a   b  \t", []P{{"a", "b  \t", 1}}},
		{"leading whitespace skipped", " \t\fa=b", []P{{"a", "b", 1}}},
		{"comments and blank lines", "  # comment\n! bang\n\n   \nk=v", []P{{"k", "v", 5}}},
		{"continuation", "k=a\\\n   b\\\n\tc", []P{{"k", "abc", 1}}},
		{"continuation line numbers", "a=1\\\n2\nb=3", []P{{"a", "12", 1}, {"b", "3", 3}}},
		{"even backslashes do not continue", "k=a\\\\\nx=y", []P{{"k", `a\`, 1}, {"x", "y", 2}}},
		{"comment never continues", "#c\\\nk=v", []P{{"k", "v", 2}}},
		{"continued into a hash", "k=a\\\n#b", []P{{"k", "a#b", 1}}},
		{"continuation at EOF", "k=a\\", []P{{"k", "a", 1}}},
		{"blank line ends continuation", "k=a\\\n\nx=y", []P{{"k", "a", 1}, {"x", "y", 3}}},
		{"escapes", `k=\t\n\r\f\u0041\=\:\ \\\q`, []P{{"k", "\t\n\r\fA=: \\q", 1}}},
		{"escaped separators in key", `a\=b\:c\ d=e`, []P{{"a=b:c d", "e", 1}}},
		{"key only", "key", []P{{"key", "", 1}}},
		{"empty value", "key=", []P{{"key", "", 1}}},
		{"one separator consumed", "k==v", []P{{"k", "=v", 1}}},
		{"whitespace then separator", "k = = v", []P{{"k", "= v", 1}}},
		{"line endings", "a=1\r\nb=2\rc=3\n", []P{{"a", "1", 1}, {"b", "2", 2}, {"c", "3", 3}}},
		{"duplicates kept in order", "k=1\nk=2", []P{{"k", "1", 1}, {"k", "2", 2}}},
		{"surrogate pair", `k=\uD83D\uDE00`, []P{{"k", "\U0001F600", 1}}},
		{"utf-8 passes through", "k=héllo", []P{{"k", "héllo", 1}}},
		{"kafka sample", "# Licensed\nprocess.roles=broker,controller\nlog.dirs=/tmp/kraft-combined-logs\nlisteners=PLAINTEXT://:9092,CONTROLLER://:9093\n",
			[]P{{"process.roles", "broker,controller", 2}, {"log.dirs", "/tmp/kraft-combined-logs", 3}, {"listeners", "PLAINTEXT://:9092,CONTROLLER://:9093", 4}}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseMalformedUnicode(t *testing.T) {
	for _, src := range []string{`k=\u12`, `k=\uzzzz`, "a=1\n" + `\u00g0=v`} {
		_, err := Parse(src)
		var pe *Error
		if !errors.As(err, &pe) {
			t.Fatalf("%q: err %v, want an *Error", src, err)
		}
	}
	_, err := Parse("a=1\nb=\\u12")
	if err == nil || err.Error() != `line 2: malformed \uxxxx encoding` {
		t.Fatalf("err %v", err)
	}
}

// escapeProperty writes s so that ParseProperties reads it back unchanged.
func escapeProperty(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', ' ', '=', ':', '#', '!':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\f':
			b.WriteString(`\f`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// FuzzParse: ParseProperties never panics, and whatever it
// returns survives a round trip: the entries written back with escapes
// parse to the same keys and values.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"a=b", "a b\nc:d", "k=a\\\n  b", `k=\u0041\t\=`, "#c\\\nk=v", "k=\\", "\\", "a\\ b=c d ",
		`k=\uD83D`, `k=\uD83D\uDE00`, "\r\n\r", "=", ": x", "\\u", "x\\\r\n\\\r\\",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		props, err := Parse(src)
		if err != nil {
			if !errors.As(err, new(*Error)) {
				t.Fatalf("error %v is not an *Error", err)
			}
			return
		}
		var b strings.Builder
		for _, p := range props {
			b.WriteString(escapeProperty(p.Key) + "=" + escapeProperty(p.Value) + "\n")
		}
		again, err := Parse(b.String())
		if err != nil {
			t.Fatalf("re-parse of %q: %v", b.String(), err)
		}
		if len(again) != len(props) {
			t.Fatalf("%d entries, re-parsed %d", len(props), len(again))
		}
		for i := range props {
			if again[i].Key != props[i].Key || again[i].Value != props[i].Value {
				t.Fatalf("entry %d: %q=%q re-parsed as %q=%q", i, props[i].Key, props[i].Value, again[i].Key, again[i].Value)
			}
		}
	})
}
