package topic

import (
	"errors"
	"fmt"
)

// Errors returned by this package. The comment names the Kafka error code
// a server answers with.
var (
	// ErrTopicExists: TOPIC_ALREADY_EXISTS.
	ErrTopicExists = errors.New("topic: topic already exists")
	// ErrUnknownTopic: UNKNOWN_TOPIC_OR_PARTITION (UNKNOWN_TOPIC_ID when the
	// request named the topic by ID).
	ErrUnknownTopic = errors.New("topic: unknown topic")
	// ErrUnknownPartition: UNKNOWN_TOPIC_OR_PARTITION.
	ErrUnknownPartition = errors.New("topic: unknown partition")
	// ErrInvalidTopic: an illegal topic name. INVALID_TOPIC_EXCEPTION.
	ErrInvalidTopic = errors.New("topic: invalid topic")
	// ErrTopicCollision: the name differs from an existing topic's only in
	// '.' against '_'. Kafka answers INVALID_TOPIC_EXCEPTION, so errors
	// carrying it match ErrInvalidTopic too.
	ErrTopicCollision = errors.New("topic: topic name collision")
	// ErrInvalidPartitions: INVALID_PARTITIONS.
	ErrInvalidPartitions = errors.New("topic: invalid partitions")
	// ErrInvalidConfig: Options.Resolve refused the topic's config overrides
	// (its error is wrapped too). INVALID_CONFIG.
	ErrInvalidConfig = errors.New("topic: invalid config")
	// ErrClosed: the registry was closed.
	ErrClosed = errors.New("topic: registry closed")
)

// Error is the error this package returns for a refused request: it
// matches its sentinels (and the wrapped cause) under errors.Is, and its
// KafkaMessage is worded as Kafka words it, for the response's error
// message.
type Error struct {
	text      string // Error()
	msg       string // KafkaMessage()
	sentinels []error
	cause     error
}

func (e *Error) Error() string { return e.text }

// KafkaMessage is the message for a Kafka client.
func (e *Error) KafkaMessage() string { return e.msg }

// Unwrap returns the sentinels and the cause.
func (e *Error) Unwrap() []error {
	if e.cause == nil {
		return e.sentinels
	}
	return append(e.sentinels[:len(e.sentinels):len(e.sentinels)], e.cause)
}

func newError(sentinel error, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{text: sentinel.Error() + ": " + msg, msg: msg, sentinels: []error{sentinel}}
}

// wrapError wraps cause; the Kafka message is the cause's.
func wrapError(sentinel, cause error, context string) *Error {
	return &Error{
		text:      sentinel.Error() + ": " + context + ": " + cause.Error(),
		msg:       Message(cause),
		sentinels: []error{sentinel},
		cause:     cause,
	}
}

// Message returns err's message for a Kafka client: the KafkaMessage of
// the first error in its chain that has one (this package's errors and
// config.Error), else err.Error().
func Message(err error) string {
	var km interface{ KafkaMessage() string }
	if errors.As(err, &km) {
		return km.KafkaMessage()
	}
	return err.Error()
}
