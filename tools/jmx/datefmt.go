package jmx

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// checkJavaDate returns java.text.SimpleDateFormat's error for a pattern
// letter it does not know, or nil.
func checkJavaDate(pattern string) error {
	quoted := false
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case quoted:
		case (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') && !strings.ContainsRune(javaLetters, rune(c)):
			return fmt.Errorf("Illegal pattern character '%c'", c)
		}
	}
	if quoted {
		return errors.New("Unterminated quote")
	}
	return nil
}

// javaLetters are SimpleDateFormat's pattern letters.
const javaLetters = "GyYMLwWDdFEuaHkKhmsSzZX"

// javaDate formats t with a java.text.SimpleDateFormat pattern (checked
// by checkJavaDate) as the US locale does; text in single quotes, ” for
// a quote.
func javaDate(pattern string, t time.Time) string {
	var b strings.Builder
	for i := 0; i < len(pattern); {
		c := pattern[i]
		if c == '\'' {
			j := i + 1
			if j < len(pattern) && pattern[j] == '\'' {
				b.WriteByte('\'')
				i += 2
				continue
			}
			for j < len(pattern) {
				if pattern[j] == '\'' {
					if j+1 < len(pattern) && pattern[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(pattern[j])
				j++
			}
			i = j + 1
			continue
		}
		n := 1
		for i+n < len(pattern) && pattern[i+n] == c {
			n++
		}
		i += n
		pad := func(v int) { fmt.Fprintf(&b, "%0*d", n, v) }
		switch c {
		case 'G':
			b.WriteString("AD")
		case 'y', 'Y':
			if n == 2 {
				fmt.Fprintf(&b, "%02d", t.Year()%100)
			} else {
				pad(t.Year())
			}
		case 'M', 'L':
			switch {
			case n >= 4:
				b.WriteString(t.Month().String())
			case n == 3:
				b.WriteString(t.Month().String()[:3])
			default:
				pad(int(t.Month()))
			}
		case 'd':
			pad(t.Day())
		case 'D':
			pad(t.YearDay())
		case 'w':
			_, w := t.ISOWeek()
			pad(w)
		case 'W':
			first := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, t.Location())
			pad((t.Day()+int(first.Weekday())-1)/7 + 1)
		case 'F':
			pad((t.Day()-1)/7 + 1)
		case 'u':
			pad((int(t.Weekday())+6)%7 + 1)
		case 'H':
			pad(t.Hour())
		case 'k':
			h := t.Hour()
			if h == 0 {
				h = 24
			}
			pad(h)
		case 'K':
			pad(t.Hour() % 12)
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			pad(h)
		case 'm':
			pad(t.Minute())
		case 's':
			pad(t.Second())
		case 'S':
			pad(t.Nanosecond() / 1e6)
		case 'a':
			b.WriteString(t.Format("PM"))
		case 'E':
			if n >= 4 {
				b.WriteString(t.Weekday().String())
			} else {
				b.WriteString(t.Weekday().String()[:3])
			}
		case 'z':
			b.WriteString(t.Format("MST"))
		case 'Z':
			b.WriteString(t.Format("-0700"))
		case 'X':
			switch n {
			case 1:
				b.WriteString(t.Format("Z07"))
			case 2:
				b.WriteString(t.Format("Z0700"))
			default:
				b.WriteString(t.Format("Z07:00"))
			}
		default:
			b.WriteString(strings.Repeat(string(c), n))
		}
	}
	return b.String()
}
