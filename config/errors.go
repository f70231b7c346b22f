package config

import "errors"

var (
	// ErrInvalidConfig reports a property or topic config whose value (or
	// combination of values) Kafka would reject. Kafka answers INVALID_CONFIG.
	ErrInvalidConfig = errors.New("config: invalid config")
	// ErrUnknownConfig reports a topic config name that Kafka does not define.
	// Errors carrying it also match ErrInvalidConfig: Kafka answers
	// INVALID_CONFIG for an unknown topic config name too.
	ErrUnknownConfig = errors.New("config: unknown config")
	// ErrNotDynamic reports a broker property that cannot be altered at run
	// time (CheckDynamic). Kafka answers INVALID_REQUEST.
	ErrNotDynamic = errors.New("config: not a dynamic broker config")
)

// Error is the error this package returns for a rejected value or name. It
// matches ErrInvalidConfig (and ErrUnknownConfig for an unknown topic config
// name) under errors.Is, or ErrNotDynamic alone. Msg is worded as Kafka words it, so a server can send
// it to a client as the error message:
//
//	var ce *config.Error
//	if errors.As(err, &ce) { msg = ce.Msg }
type Error struct {
	Name       string // the property or topic config
	Msg        string // Kafka's wording, without the package prefix
	unknown    bool
	notDynamic bool
}

func (e *Error) Error() string { return "config: " + e.Msg }

// KafkaMessage returns Msg; topic.Message finds it through the registry's
// wrapping.
func (e *Error) KafkaMessage() string { return e.Msg }

// Is reports whether target is ErrInvalidConfig, or ErrUnknownConfig for an
// unknown name; a property refused by CheckDynamic is ErrNotDynamic only.
func (e *Error) Is(target error) bool {
	if e.notDynamic {
		return target == ErrNotDynamic
	}
	return target == ErrInvalidConfig || (e.unknown && target == ErrUnknownConfig)
}

// invalidValue is Kafka's ConfigException(name, value, message) wording.
func invalidValue(name, value, why string) *Error {
	msg := "Invalid value " + value + " for configuration " + name
	if why != "" {
		msg += ": " + why
	}
	return &Error{Name: name, Msg: msg}
}

func unknownTopicConfig(name string) *Error {
	return &Error{Name: name, Msg: "Unknown topic config name: " + name, unknown: true}
}

func invalid(name, msg string) *Error { return &Error{Name: name, Msg: msg} }
