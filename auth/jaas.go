package auth

import (
	"fmt"
	"strings"
	"unicode"
)

// LoginModule is one entry of a JAAS configuration line:
// `<class> <flag> key=value ... ;`.
type LoginModule struct {
	Class   string
	Flag    string // required, requisite, sufficient, optional
	Options map[string]string
}

// ParseJAAS parses the value of sasl.jaas.config as Kafka's JaasConfig does
// (a JAAS file's entry body): one or more login modules, each a class
// name, a control flag, options `key=value` where value is a bare token or
// a "double-quoted string" (backslash escapes the next character), and a
// terminating semicolon.
func ParseJAAS(s string) ([]LoginModule, error) {
	p := &jaasParser{s: s}
	var out []LoginModule
	for {
		p.space()
		if p.eof() {
			break
		}
		m, err := p.module()
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("JAAS config entry not terminated by semi-colon")
	}
	return out, nil
}

type jaasParser struct {
	s string
	i int
}

func (p *jaasParser) eof() bool { return p.i >= len(p.s) }

func (p *jaasParser) space() {
	for p.i < len(p.s) && unicode.IsSpace(rune(p.s[p.i])) {
		p.i++
	}
}

func isTokenByte(c byte) bool {
	return c != '=' && c != ';' && c != '"' && !unicode.IsSpace(rune(c))
}

func (p *jaasParser) token() string {
	start := p.i
	for p.i < len(p.s) && isTokenByte(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

func (p *jaasParser) module() (LoginModule, error) {
	m := LoginModule{Options: map[string]string{}}
	if m.Class = p.token(); m.Class == "" {
		return m, fmt.Errorf("JAAS config: expected a login module class name at offset %d", p.i)
	}
	p.space()
	flag := p.token()
	switch strings.ToLower(flag) {
	case "required", "requisite", "sufficient", "optional":
		m.Flag = strings.ToLower(flag)
	default:
		return m, fmt.Errorf("JAAS config: invalid control flag %q of login module %s", flag, m.Class)
	}
	for {
		p.space()
		if p.eof() {
			return m, fmt.Errorf("JAAS config entry not terminated by semi-colon")
		}
		if p.s[p.i] == ';' {
			p.i++
			return m, nil
		}
		key := p.token()
		if key == "" {
			return m, fmt.Errorf("JAAS config: unexpected %q at offset %d", p.s[p.i], p.i)
		}
		p.space()
		if p.eof() || p.s[p.i] != '=' {
			return m, fmt.Errorf("JAAS config: option %s has no value", key)
		}
		p.i++
		p.space()
		var val string
		if !p.eof() && p.s[p.i] == '"' {
			v, err := p.quoted()
			if err != nil {
				return m, err
			}
			val = v
		} else {
			val = p.token()
		}
		m.Options[key] = val
	}
}

func (p *jaasParser) quoted() (string, error) {
	p.i++ // opening quote
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch c {
		case '\\':
			if p.i+1 < len(p.s) {
				b.WriteByte(p.s[p.i+1])
				p.i += 2
				continue
			}
			p.i++
		case '"':
			p.i++
			return b.String(), nil
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", fmt.Errorf("JAAS config: unterminated quoted string")
}
