package topic

import (
	"strconv"
	"strings"
)

// MaxNameLength is Kafka's limit on a topic name's length.
const MaxNameLength = 249

// ValidateName checks a topic name as Kafka's Topic.validate does: not
// empty, not "." or "..", at most 249 characters, only ASCII letters,
// digits, '.', '_' and '-'. The error wraps ErrInvalidTopic and carries
// Kafka's message.
func ValidateName(name string) error {
	switch {
	case name == "":
		return newError(ErrInvalidTopic, "Topic name is illegal, it can't be empty")
	case name == "." || name == "..":
		return newError(ErrInvalidTopic, `Topic name cannot be "." or ".."`)
	case len(name) > MaxNameLength:
		return newError(ErrInvalidTopic, "Topic name is illegal, it can't be longer than %d characters, Topic name: %s", MaxNameLength, name)
	}
	for i := 0; i < len(name); i++ {
		if !legal(name[i]) {
			return newError(ErrInvalidTopic,
				`Topic name "%s" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`, name)
		}
	}
	return nil
}

func legal(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}

// unify is Kafka's Topic.unifyCollisionChars: '.' becomes '_'.
func unify(name string) string { return strings.ReplaceAll(name, ".", "_") }

// Collides reports whether two topic names collide as Kafka's
// Topic.hasCollision defines it: they are equal once every '.' is read as
// '_' (metric names cannot tell them apart). Equal names collide.
func Collides(a, b string) bool { return unify(a) == unify(b) }

// HasCollisionChars reports whether name contains '.' or '_': Kafka warns
// when such a topic is created, since it may collide with another.
func HasCollisionChars(name string) bool { return strings.ContainsAny(name, "._") }

// IsInternal reports whether name is one of Kafka's internal topics:
// __consumer_offsets, __transaction_state, __share_group_state.
func IsInternal(name string) bool {
	switch name {
	case "__consumer_offsets", "__transaction_state", "__share_group_state":
		return true
	}
	return false
}

// DirName is the directory of a partition: Kafka's "<topic>-<partition>".
func DirName(name string, p int32) string { return name + "-" + strconv.Itoa(int(p)) }

// parseDirName splits a partition directory name; ok is false for any name
// DirName does not produce from a valid topic name.
func parseDirName(dir string) (name string, p int32, ok bool) {
	i := strings.LastIndexByte(dir, '-')
	if i < 0 {
		return "", 0, false
	}
	name, num := dir[:i], dir[i+1:]
	n, err := strconv.ParseInt(num, 10, 32)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != num || ValidateName(name) != nil {
		return "", 0, false
	}
	return name, int32(n), true
}
