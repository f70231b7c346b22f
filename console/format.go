package console

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Value formats. auto picks JSON (pretty-printed) for a valid JSON object
// or array, text for other printable UTF-8, and hex for anything else.
var formats = []string{"auto", "text", "json", "hex", "base64"}

const (
	textLimit = 4 << 10 // characters of text or JSON shown
	hexLimit  = 512     // bytes shown as hex
)

// shown is a key or value as a page shows it.
type shown struct {
	Null      bool
	Format    string // the format used
	Text      string
	Size      int
	Truncated bool
	Note      string // why the format asked for was not used
}

func printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if r == '\n' || r == '\t' || r == '\r' {
			continue
		}
		if !unicode.IsPrint(r) && !unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

func isJSON(b []byte) bool {
	t := bytes.TrimSpace(b)
	return len(t) > 0 && (t[0] == '{' || t[0] == '[') && json.Valid(t)
}

// show renders b in format (auto chooses).
func show(b []byte, format string) shown {
	if b == nil {
		return shown{Null: true}
	}
	s := shown{Size: len(b)}
	f := format
	if f == "auto" || f == "" {
		switch {
		case isJSON(b):
			f = "json"
		case printable(b):
			f = "text"
		default:
			f = "hex"
		}
	}
	switch f {
	case "json":
		var out bytes.Buffer
		if len(b) > 1<<20 || json.Indent(&out, bytes.TrimSpace(b), "", "  ") != nil {
			s.Note = "not JSON"
			if printable(b) {
				return textOf(s, b)
			}
			return hexOf(s, b)
		}
		s.Format = "json"
		s.Text = out.String()
		if len(s.Text) > textLimit {
			s.Text = truncUTF8(s.Text, textLimit)
			s.Truncated = true
		}
		return s
	case "text":
		if !printable(b) {
			s.Note = "not printable text"
			return hexOf(s, b)
		}
		return textOf(s, b)
	case "base64":
		s.Format = "base64"
		n := min(len(b), textLimit/4*3)
		s.Text = base64.StdEncoding.EncodeToString(b[:n])
		s.Truncated = n < len(b)
		return s
	}
	return hexOf(s, b)
}

func textOf(s shown, b []byte) shown {
	s.Format = "text"
	s.Text = string(b)
	if len(s.Text) > textLimit {
		s.Text = truncUTF8(s.Text, textLimit)
		s.Truncated = true
	}
	return s
}

func hexOf(s shown, b []byte) shown {
	s.Format = "hex"
	n := min(len(b), hexLimit)
	s.Text = hex.Dump(b[:n])
	s.Truncated = n < len(b)
	return s
}

func truncUTF8(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// header is a record header as shown: its value as text when printable,
// else as hex.
type header struct {
	Key   string
	Value string
}

type msgRow struct {
	Partition int32
	Offset    int64
	Time      string
	Millis    int64
	Key       shown
	Value     shown
	Headers   []header
}

func rowOf(r *kgo.Record, format string) msgRow {
	row := msgRow{Partition: r.Partition, Offset: r.Offset, Millis: r.Timestamp.UnixMilli(),
		Time: r.Timestamp.UTC().Format("2006-01-02 15:04:05.000"),
		Key:  show(r.Key, format), Value: show(r.Value, format)}
	for _, h := range r.Headers {
		v := string(h.Value)
		if h.Value == nil {
			v = "null"
		} else if !printable(h.Value) {
			v = "0x" + hex.EncodeToString(h.Value[:min(len(h.Value), 64)])
			if len(h.Value) > 64 {
				v += "… (" + strconv.Itoa(len(h.Value)) + " bytes)"
			}
		}
		row.Headers = append(row.Headers, header{h.Key, v})
	}
	return row
}
