package verifiable

import (
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// obj is one JSON object whose keys come out in the order they are added,
// as Jackson writes the tools' event classes (@JsonPropertyOrder, then the
// fields in declaration order). A Go map would lose that order.
type obj struct{ b []byte }

func newObj() *obj { return &obj{b: []byte{'{'}} }

func (o *obj) key(k string) {
	if len(o.b) > 1 {
		o.b = append(o.b, ',')
	}
	o.b = appendString(o.b, k)
	o.b = append(o.b, ':')
}

func (o *obj) str(k, v string) *obj {
	o.key(k)
	o.b = appendString(o.b, v)
	return o
}

// bytes writes b as Java's StringDeserializer reads it: null stays null.
func (o *obj) bytes(k string, b []byte, null bool) *obj {
	o.key(k)
	if null {
		o.b = append(o.b, "null"...)
		return o
	}
	o.b = appendString(o.b, string(b))
	return o
}

// nstr writes a nullable string.
func (o *obj) nstr(k string, v *string) *obj {
	if v == nil {
		o.key(k)
		o.b = append(o.b, "null"...)
		return o
	}
	return o.str(k, *v)
}

func (o *obj) num(k string, v int64) *obj {
	o.key(k)
	o.b = strconv.AppendInt(o.b, v, 10)
	return o
}

func (o *obj) boolean(k string, v bool) *obj {
	o.key(k)
	o.b = strconv.AppendBool(o.b, v)
	return o
}

// double writes v as Jackson writes a Java double: Double.toString, and
// NaN or the infinities as strings (WRITE_NAN_AS_STRINGS).
func (o *obj) double(k string, v float64) *obj {
	o.key(k)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		o.b = appendString(o.b, javaDouble(v))
		return o
	}
	o.b = append(o.b, javaDouble(v)...)
	return o
}

// array writes the objects as a JSON array.
func (o *obj) array(k string, items []*obj) *obj {
	o.key(k)
	o.b = append(o.b, '[')
	for i, it := range items {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = append(o.b, it.bytesOf()...)
	}
	o.b = append(o.b, ']')
	return o
}

func (o *obj) bytesOf() []byte { return append(o.b[:len(o.b):len(o.b)], '}') }

// appendString appends s as a JSON string the way Jackson escapes it:
// quote, backslash and control characters only (no HTML escaping), with
// invalid UTF-8 read as U+FFFD, as Java's decoder does.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// javaDouble is Java's Double.toString (JDK 19+, shortest digits): plain
// notation with at least one fraction digit for 1e-3 <= |v| < 1e7,
// otherwise d.dddE±n.
func javaDouble(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	case v == 0:
		if math.Signbit(v) {
			return "-0.0"
		}
		return "0.0"
	}
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	e := strconv.FormatFloat(v, 'e', -1, 64) // d.ddde±xx
	mant, exps, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	exp, _ := strconv.Atoi(exps)
	if v >= 1e-3 && v < 1e7 {
		var s string
		switch {
		case exp < 0:
			s = "0." + strings.Repeat("0", -exp-1) + digits
		case exp+1 >= len(digits):
			s = digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
		default:
			s = digits[:exp+1] + "." + digits[exp+1:]
		}
		return sign + s
	}
	frac := digits[1:]
	if frac == "" {
		frac = "0"
	}
	return sign + digits[:1] + "." + frac + "E" + strconv.Itoa(exp)
}

// printer writes events, one JSON object a line, from the tool's goroutine
// and the client's callbacks alike.
type printer struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
}

// event starts an event: every one opens with timestamp and name
// (@JsonPropertyOrder({"timestamp", "name"}) on Kafka's event classes).
func (p *printer) event(name string) *obj {
	return newObj().num("timestamp", p.now().UnixMilli()).str("name", name)
}

func (p *printer) print(o *obj) {
	line := append(o.bytesOf(), '\n')
	p.mu.Lock()
	defer p.mu.Unlock()
	p.w.Write(line) //nolint:errcheck // as System.out, a closed stdout is not the tool's failure
}

// javaException names err as the Java client's exception would be named
// (exception.getClass().toString()) and gives its message: for an error
// code, the class and default message of Kafka's Errors; for a code newer
// than that table, the error's name in CamelCase with Exception after it.
func javaException(err error) (class, message string) {
	var ke *kerr.Error
	switch {
	case errors.As(err, &ke):
		if je, ok := javaErrors[ke.Code]; ok {
			return "class org.apache.kafka.common." + je.class, je.message
		}
		var b strings.Builder
		for _, w := range strings.Split(strings.ToLower(ke.Message), "_") {
			if w != "" {
				b.WriteString(strings.ToUpper(w[:1]) + w[1:])
			}
		}
		return "class org.apache.kafka.common.errors." + b.String() + "Exception", ke.Description
	case errors.Is(err, kgo.ErrRecordTimeout):
		return "class org.apache.kafka.common.errors.TimeoutException", err.Error()
	}
	return "class org.apache.kafka.common.KafkaException", err.Error()
}
