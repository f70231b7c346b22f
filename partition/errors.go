package partition

import "errors"

// Errors returned by this package. Callers map them to Kafka error codes
// with errors.Is (server/errors.go); the comment names the code.
var (
	// ErrOffsetOutOfRange: a read or DeleteRecords offset below the log
	// start offset or above the log end offset. OFFSET_OUT_OF_RANGE.
	ErrOffsetOutOfRange = errors.New("partition: offset out of range")

	// ErrOutOfOrderSequence: an idempotent producer's batch does not follow
	// its last sequence, or starts a new epoch at a sequence other than 0.
	// OUT_OF_ORDER_SEQUENCE_NUMBER.
	ErrOutOfOrderSequence = errors.New("partition: out of order sequence number")

	// ErrInvalidProducerEpoch: the batch's producer epoch is older than the
	// one this log knows (a fenced producer). INVALID_PRODUCER_EPOCH.
	ErrInvalidProducerEpoch = errors.New("partition: invalid producer epoch")

	// ErrUnknownProducerID: UNKNOWN_PRODUCER_ID. Kafka 2.5+ (KIP-360) no
	// longer returns it for produce requests and neither does this package;
	// it exists so that callers can name the code.
	ErrUnknownProducerID = errors.New("partition: unknown producer id")

	// ErrInvalidTxnState: a non-transactional batch from a producer with
	// an ongoing transaction, or a transactional one for a partition the
	// coordinator never added. INVALID_TXN_STATE.
	ErrInvalidTxnState = errors.New("partition: invalid transaction state")

	// ErrTransactionCoordinatorFenced: a marker with a coordinator epoch
	// older than the producer's last marker. TRANSACTION_COORDINATOR_FENCED.
	ErrTransactionCoordinatorFenced = errors.New("partition: transaction coordinator fenced")

	// ErrMessageTooLarge: the batch is larger than max.message.bytes.
	// MESSAGE_TOO_LARGE.
	ErrMessageTooLarge = errors.New("partition: message too large")

	// ErrRecordListTooLarge: the batch is larger than segment.bytes and so
	// can never be stored. RECORD_LIST_TOO_LARGE.
	ErrRecordListTooLarge = errors.New("partition: batch larger than segment.bytes")

	// ErrInvalidTimestamp: a record of a CreateTime topic is stamped further
	// from the broker's clock than message.timestamp.before.max.ms or
	// message.timestamp.after.max.ms allow, or the producer marked the
	// batch LogAppendTime. INVALID_TIMESTAMP.
	ErrInvalidTimestamp = errors.New("partition: invalid timestamp")

	// ErrStorage wraps an I/O failure of the log's files (the underlying
	// error is wrapped too). KAFKA_STORAGE_ERROR.
	ErrStorage = errors.New("partition: storage error")

	// ErrClosed: the log was closed.
	ErrClosed = errors.New("partition: log closed")

	// ErrInvalidConfig: a Config value out of range (Config.Validate).
	// INVALID_CONFIG.
	ErrInvalidConfig = errors.New("partition: invalid config")
)
