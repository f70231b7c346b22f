package recordbatch

import "errors"

// Errors returned by this package. Every error caused by bad input wraps
// ErrCorrupt; callers map them to Kafka codes with errors.Is, checking the
// more specific sentinels first.
var (
	// ErrCorrupt marks bytes that are not a well-formed batch: short, a length
	// field that disagrees with the bytes, a wrong magic, a CRC mismatch, a
	// record that runs past its batch. Kafka: CORRUPT_MESSAGE.
	ErrCorrupt = errors.New("recordbatch: corrupt batch")

	// ErrInvalidRecord marks a well-formed batch whose contents Kafka refuses
	// from a producer: an empty batch, a record count that disagrees with the
	// offset range. Errors carrying it also wrap ErrCorrupt. Kafka: INVALID_RECORD.
	ErrInvalidRecord = errors.New("recordbatch: invalid record batch")

	// ErrTooLarge marks a batch larger than the caller's limit
	// (max.message.bytes). Kafka: MESSAGE_TOO_LARGE.
	ErrTooLarge = errors.New("recordbatch: batch too large")

	// ErrMaxDecompress marks a compressed payload that inflates past the
	// caller's limit. It also wraps ErrCorrupt.
	ErrMaxDecompress = errors.New("recordbatch: decompressed size over limit")

	// ErrUnknownCodec marks codec bits 5-7, which no Kafka version defines.
	ErrUnknownCodec = errors.New("recordbatch: unknown compression codec")
)
