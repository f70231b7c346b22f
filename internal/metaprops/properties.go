package metaprops

import (
	"errors"
	"strconv"
	"strings"
)

// ErrSyntax reports a properties file Java's Properties.load refuses (a
// malformed \uXXXX escape).
var ErrSyntax = errors.New("metaprops: malformed \\uxxxx encoding")

// ParseProperties reads src as Java's Properties.load does (comments '#'
// and '!', continuation lines ending in an odd number of backslashes, the
// key ending at the first unescaped '=', ':' or blank, escapes \t \n \r \f
// \uXXXX and \c), the last of a repeated key winning.
//
// This is a stand-in for the repository's one Java-properties parser
// (config.ParseProperties, moving to internal/props): neither this package
// nor tools/storage may import config. When internal/props lands, this
// function becomes a call to it.
func ParseProperties(src string) (map[string]string, error) {
	out := map[string]string{}
	lines := strings.Split(strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(src), "\n")
	for i := 0; i < len(lines); i++ {
		l := strings.TrimLeft(lines[i], " \t\f")
		if l == "" || l[0] == '#' || l[0] == '!' {
			continue
		}
		var b strings.Builder
		for {
			n := 0
			for j := len(l) - 1; j >= 0 && l[j] == '\\'; j-- {
				n++
			}
			if n%2 == 0 || i+1 >= len(lines) {
				if n%2 == 1 {
					l = l[:len(l)-1]
				}
				b.WriteString(l)
				break
			}
			b.WriteString(l[:len(l)-1])
			i++
			l = strings.TrimLeft(lines[i], " \t\f")
		}
		k, v, err := splitLine(b.String())
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

func splitLine(line string) (key, value string, err error) {
	end, start, sep, esc := len(line), len(line), false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		if !esc && (c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f') {
			end, start, sep = i, i+1, c == '=' || c == ':'
			break
		}
		esc = c == '\\' && !esc
	}
	for start < len(line) {
		c := line[start]
		if c == ' ' || c == '\t' || c == '\f' {
			start++
			continue
		}
		if !sep && (c == '=' || c == ':') {
			sep = true
			start++
			continue
		}
		break
	}
	if key, err = unescape(line[:end]); err != nil {
		return "", "", err
	}
	value, err = unescape(line[start:])
	return key, value, err
}

func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i++; i == len(s) {
			break
		}
		switch c := s[i]; c {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+5 > len(s) {
				return "", ErrSyntax
			}
			r, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if err != nil {
				return "", ErrSyntax
			}
			b.WriteRune(rune(r))
			i += 4
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}
