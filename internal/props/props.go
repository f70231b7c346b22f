// Package props reads Java .properties files (the syntax of
// java.util.Properties.load), which Kafka uses for server.properties and the
// tools' client configs. The broker's config package and the tools share it.
package props

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Property is one key and value read from a .properties file.
type Property struct {
	Key, Value string
	Line       int // 1-based line where the entry starts
}

// Parse reads src with the syntax of Java's Properties.load, which
// Kafka uses for server.properties:
//
//   - lines end at \n, \r or \r\n; whitespace (space, tab, form feed) at the
//     start of a line is skipped, and blank lines are ignored;
//   - a line whose first non-blank character is '#' or '!' is a comment;
//   - a line ending in an odd number of backslashes continues on the next
//     line (the backslash is dropped, as is the next line's leading
//     whitespace); a comment line never continues;
//   - the key ends at the first unescaped '=', ':' or whitespace; whitespace
//     and at most one '=' or ':' follow; the rest of the line is the value,
//     trailing whitespace included;
//   - in keys and values, \t \n \r \f and \uXXXX are escapes, and a
//     backslash before any other character stands for that character.
//
// Unlike Java, src is UTF-8 (Java reads ISO-8859-1). Later entries repeat
// earlier keys; the caller applies them in order. The only error is a
// malformed \uXXXX escape, an *Error.
func Parse(src string) ([]Property, error) {
	var props []Property
	lineNo := 0
	pos := 0
	// next returns the next natural line without its terminator.
	next := func() (string, bool) {
		if pos >= len(src) {
			return "", false
		}
		lineNo++
		end := strings.IndexAny(src[pos:], "\r\n")
		if end < 0 {
			l := src[pos:]
			pos = len(src)
			return l, true
		}
		l := src[pos : pos+end]
		pos += end + 1
		if src[pos-1] == '\r' && pos < len(src) && src[pos] == '\n' {
			pos++
		}
		return l, true
	}
	for {
		natural, ok := next()
		if !ok {
			return props, nil
		}
		start := lineNo
		l := strings.TrimLeft(natural, " \t\f")
		if l == "" || l[0] == '#' || l[0] == '!' {
			continue
		}
		var logical strings.Builder
		for {
			cont := trailingBackslashes(l)%2 == 1
			if !cont {
				logical.WriteString(l)
				break
			}
			logical.WriteString(l[:len(l)-1])
			natural, ok = next()
			if !ok {
				break
			}
			l = strings.TrimLeft(natural, " \t\f")
		}
		key, value, err := splitProperty(logical.String())
		if err != nil {
			return nil, &Error{Line: start, Msg: err.Error()}
		}
		props = append(props, Property{Key: key, Value: value, Line: start})
	}
}

func trailingBackslashes(s string) int {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n
}

// Error is Parse's error: a malformed entry and the line it starts on.
type Error struct {
	Line int
	Msg  string
}

func (e *Error) Error() string { return "line " + strconv.Itoa(e.Line) + ": " + e.Msg }

type syntaxError string

func (e syntaxError) Error() string { return string(e) }

// splitProperty splits one logical line into its unescaped key and value.
func splitProperty(line string) (key, value string, err error) {
	keyLen, valueStart := 0, len(line)
	hasSep, escaped := false, false
	for ; keyLen < len(line); keyLen++ {
		c := line[keyLen]
		if !escaped {
			if c == '=' || c == ':' {
				valueStart, hasSep = keyLen+1, true
				break
			}
			if c == ' ' || c == '\t' || c == '\f' {
				valueStart = keyLen + 1
				break
			}
		}
		escaped = c == '\\' && !escaped
	}
	for ; valueStart < len(line); valueStart++ {
		c := line[valueStart]
		if c == ' ' || c == '\t' || c == '\f' {
			continue
		}
		if !hasSep && (c == '=' || c == ':') {
			hasSep = true
			continue
		}
		break
	}
	if key, err = unescape(line[:keyLen]); err != nil {
		return "", "", err
	}
	if value, err = unescape(line[valueStart:]); err != nil {
		return "", "", err
	}
	return key, value, nil
}

// unescape is Java's Properties.loadConvert.
func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(s) {
			break // a lone backslash at the very end of the input is dropped
		}
		switch c = s[i]; c {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			r, ok := hex4(s, i+1)
			if !ok {
				return "", syntaxError(`malformed \uxxxx encoding`)
			}
			i += 4
			if utf16.IsSurrogate(r) {
				// a surrogate pair written as two escapes is one character
				if lo, ok := hex4(s, i+3); ok && i+2 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
					if pair := utf16.DecodeRune(r, lo); pair != utf8.RuneError {
						r = pair
						i += 6
					}
				}
			}
			b.WriteRune(r)
		default:
			b.WriteByte(c) // (a multi-byte character's other bytes follow as they are)
		}
	}
	return b.String(), nil
}

// hex4 decodes the four hex digits at s[i:i+4].
func hex4(s string, i int) (rune, bool) {
	if i < 0 || i+4 > len(s) {
		return 0, false
	}
	n, err := strconv.ParseUint(s[i:i+4], 16, 16)
	if err != nil {
		return 0, false
	}
	return rune(n), true
}
