package config

import (
	"math"
	"strconv"
	"strings"
)

// kind is a Kafka ConfigDef type.
type kind uint8

const (
	kBoolean kind = iota + 1
	kString
	kInt
	kShort
	kLong
	kDouble
	kList
	kClass
	kPassword
)

var kindNames = [...]string{
	kBoolean: "boolean", kString: "string", kInt: "int", kShort: "short", kLong: "long",
	kDouble: "double", kList: "list", kClass: "class", kPassword: "password",
}

func (k kind) String() string { return kindNames[k] }

// TypeCode returns Kafka's DescribeConfigs ConfigType code (v3+) for a
// TopicConfigDef.Type or ConfigEntry.Type name: boolean 1, string 2, int 3,
// short 4, long 5, double 6, list 7, class 8, password 9; 0 (UNKNOWN) for
// anything else, such as the empty Type of a property Strata does not know.
func TypeCode(typ string) int8 {
	for k, n := range kindNames {
		if n != "" && n == typ {
			return int8(k)
		}
	}
	return 0
}

// spec is the type and validator of one property, as Kafka defines it.
type spec struct {
	kind       kind
	min, max   int64 // integral bounds, inclusive
	fmin, fmax float64
	oneOf      []string // string: the value; list: each item
	nonEmpty   bool     // list: at least one item
	noDupes    bool     // list: no item twice
	check      func(name, canon string) *Error
}

func boolean() spec             { return spec{kind: kBoolean} }
func str(oneOf ...string) spec  { return spec{kind: kString, oneOf: oneOf} }
func list(oneOf ...string) spec { return spec{kind: kList, oneOf: oneOf} }
func long() spec                { return spec{kind: kLong, min: math.MinInt64, max: math.MaxInt64} }
func longAtLeast(n int64) spec  { return spec{kind: kLong, min: n, max: math.MaxInt64} }
func integer() spec             { return spec{kind: kInt, min: math.MinInt32, max: math.MaxInt32} }
func intAtLeast(n int64) spec   { return spec{kind: kInt, min: n, max: math.MaxInt32} }
func intBetween(a, b int64) spec {
	return spec{kind: kInt, min: a, max: b}
}
func short() spec { return spec{kind: kShort, min: math.MinInt16, max: math.MaxInt16} }
func double(a, b float64) spec {
	return spec{kind: kDouble, fmin: a, fmax: b}
}

// canon parses raw as Kafka's ConfigDef does (surrounding whitespace
// trimmed, then typed parsing, then the validator) and returns the value as
// Kafka's ConfigDef.convertToString prints it: the form DescribeConfigs shows.
func (s spec) canon(name, raw string) (string, error) {
	v := trimJava(raw)
	var out string
	switch s.kind {
	case kBoolean:
		switch {
		case strings.EqualFold(v, "true"):
			out = "true"
		case strings.EqualFold(v, "false"):
			out = "false"
		default:
			return "", invalidValue(name, v, "Expected value to be either true or false")
		}
	case kString, kClass, kPassword:
		if len(s.oneOf) > 0 && !contains(s.oneOf, v) {
			return "", invalidValue(name, v, "String must be one of: "+strings.Join(s.oneOf, ", "))
		}
		out = v
	case kInt, kShort, kLong:
		bits, typ := 64, "LONG"
		if s.kind == kInt {
			bits, typ = 32, "INT"
		} else if s.kind == kShort {
			bits, typ = 16, "SHORT"
		}
		n, err := strconv.ParseInt(v, 10, bits)
		if err != nil {
			return "", invalidValue(name, v, "Not a number of type "+typ)
		}
		out = strconv.FormatInt(n, 10)
		if n < s.min {
			return "", invalidValue(name, out, "Value must be at least "+strconv.FormatInt(s.min, 10))
		}
		if n > s.max {
			return "", invalidValue(name, out, "Value must be no more than "+strconv.FormatInt(s.max, 10))
		}
	case kDouble:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) {
			return "", invalidValue(name, v, "Not a number of type DOUBLE")
		}
		out = javaDouble(f)
		if f < s.fmin {
			return "", invalidValue(name, out, "Value must be at least "+javaNumber(s.fmin))
		}
		if f > s.fmax {
			return "", invalidValue(name, out, "Value must be no more than "+javaNumber(s.fmax))
		}
	case kList:
		items := splitList(v)
		if s.nonEmpty && len(items) == 0 {
			return "", invalidValue(name, v, "Empty list")
		}
		for i, it := range items {
			if len(s.oneOf) > 0 && !contains(s.oneOf, it) {
				return "", invalidValue(name, v, "String must be one of: "+strings.Join(s.oneOf, ", "))
			}
			if s.noDupes && contains(items[:i], it) {
				return "", invalidValue(name, v, "Configuration '"+name+"' values must not be duplicated.")
			}
		}
		out = strings.Join(items, ",")
	}
	if s.check != nil {
		if err := s.check(name, out); err != nil {
			return "", err
		}
	}
	return out, nil
}

// splitList is Kafka's LIST parsing: empty means no items, otherwise items
// separated by commas with the whitespace around each comma dropped.
func splitList(v string) []string {
	if v == "" {
		return nil
	}
	items := strings.Split(v, ",")
	for i := range items {
		items[i] = strings.TrimSpace(items[i])
	}
	return items
}

// trimJava is Java's String.trim: drop every char <= ' ' at both ends.
func trimJava(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// javaDouble formats f as Java's Double.toString: "0.5", "1.0", "1.0E-5",
// "1.0E7".
func javaDouble(f float64) string {
	if math.IsInf(f, 0) {
		if f > 0 {
			return "Infinity"
		}
		return "-Infinity"
	}
	a := math.Abs(f)
	if a == 0 || (a >= 1e-3 && a < 1e7) {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // "1.5e-05"
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	sign := ""
	if exp[0] == '-' {
		sign = "-"
	}
	exp = strings.TrimLeft(exp[1:], "0")
	if exp == "" {
		exp = "0"
	}
	return mant + "E" + sign + exp
}

// javaNumber prints a bound the way Kafka's Range prints its boxed Integer
// or Double bound: integral values without a fraction.
func javaNumber(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return javaDouble(f)
}
