package server

import (
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/stratabroker/strata/acl"
	"github.com/stratabroker/strata/auth"
	"github.com/stratabroker/strata/config"
	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/quota"
	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/telemetry"
	"github.com/stratabroker/strata/topic"
)

// This file is the only place that maps Go errors to Kafka error codes.

// errCode returns the Kafka error code for err; 0 for nil. Specific
// sentinels are checked before the general ones they wrap.
func errCode(err error) int16 {
	switch {
	case err == nil:
		return 0
	// Kafka errors the server decided on itself.
	case isKerr(err):
		var ke *kerr.Error
		errors.As(err, &ke)
		return ke.Code

	// recordbatch: what a producer sent.
	case errors.Is(err, recordbatch.ErrTooLarge):
		return kerr.MessageTooLarge.Code
	case errors.Is(err, recordbatch.ErrInvalidRecord):
		return kerr.InvalidRecord.Code
	case errors.Is(err, recordbatch.ErrCorrupt), errors.Is(err, recordbatch.ErrUnknownCodec):
		return kerr.CorruptMessage.Code

	// partition: the log.
	case errors.Is(err, partition.ErrOffsetOutOfRange):
		return kerr.OffsetOutOfRange.Code
	case errors.Is(err, partition.ErrOutOfOrderSequence):
		return kerr.OutOfOrderSequenceNumber.Code
	case errors.Is(err, partition.ErrInvalidProducerEpoch):
		return kerr.InvalidProducerEpoch.Code
	case errors.Is(err, partition.ErrInvalidTxnState):
		return kerr.InvalidTxnState.Code
	case errors.Is(err, partition.ErrTransactionCoordinatorFenced):
		return kerr.TransactionCoordinatorFenced.Code
	case errors.Is(err, partition.ErrUnknownProducerID):
		return kerr.UnknownProducerID.Code
	case errors.Is(err, partition.ErrMessageTooLarge):
		return kerr.MessageTooLarge.Code
	case errors.Is(err, partition.ErrRecordListTooLarge):
		return kerr.RecordListTooLarge.Code
	case errors.Is(err, partition.ErrInvalidTimestamp):
		return kerr.InvalidTimestamp.Code
	case errors.Is(err, partition.ErrStorage):
		return kerr.KafkaStorageError.Code
	case errors.Is(err, partition.ErrClosed), errors.Is(err, topic.ErrClosed):
		// The log went away under the request (topic deleted, shutting
		// down): the client refreshes metadata and retries.
		return kerr.NotLeaderForPartition.Code
	case errors.Is(err, partition.ErrInvalidConfig):
		return kerr.InvalidConfig.Code

	// topic: the registry.
	case errors.Is(err, topic.ErrTopicExists):
		return kerr.TopicAlreadyExists.Code
	case errors.Is(err, topic.ErrUnknownTopic), errors.Is(err, topic.ErrUnknownPartition):
		return kerr.UnknownTopicOrPartition.Code
	case errors.Is(err, topic.ErrInvalidTopic), errors.Is(err, topic.ErrTopicCollision):
		return kerr.InvalidTopicException.Code
	case errors.Is(err, topic.ErrInvalidPartitions):
		return kerr.InvalidPartitions.Code
	case errors.Is(err, topic.ErrInvalidConfig), errors.Is(err, config.ErrInvalidConfig):
		return kerr.InvalidConfig.Code

	// ACLs, delegation tokens, quotas: bad requests.
	case errors.Is(err, acl.ErrInvalid):
		return kerr.InvalidRequest.Code
	case errors.Is(err, auth.ErrTokenAuthDisabled):
		return kerr.DelegationTokenAuthDisabled.Code
	case errors.Is(err, auth.ErrTokenNotFound):
		return kerr.DelegationTokenNotFound.Code
	case errors.Is(err, auth.ErrTokenOwnerMismatch):
		return kerr.DelegationTokenOwnerMismatch.Code
	case errors.Is(err, auth.ErrTokenExpired):
		return kerr.DelegationTokenExpired.Code
	case errors.Is(err, quota.ErrInvalid):
		return kerr.InvalidRequest.Code

	// telemetry: client metrics (KIP-714).
	case errors.Is(err, telemetry.ErrInvalidRequest):
		return kerr.InvalidRequest.Code
	case errors.Is(err, telemetry.ErrInvalidConfig):
		return kerr.InvalidConfig.Code
	case errors.Is(err, telemetry.ErrThrottled):
		return kerr.ThrottlingQuotaExceeded.Code
	case errors.Is(err, telemetry.ErrUnknownSubscriptionID):
		return kerr.UnknownSubscriptionID.Code
	case errors.Is(err, telemetry.ErrUnsupportedCompression):
		return kerr.UnsupportedCompressionType.Code
	case errors.Is(err, telemetry.ErrTooLarge):
		return kerr.TelemetryTooLarge.Code
	case errors.Is(err, telemetry.ErrInvalidRecord):
		return kerr.InvalidRecord.Code
	}
	return kerr.UnknownServerError.Code
}

func isKerr(err error) bool {
	var ke *kerr.Error
	return errors.As(err, &ke)
}

// errMessage is the error message for a response's ErrorMessage field:
// nil for no error, Kafka's wording where the code that failed has it.
func errMessage(err error) *string {
	if err == nil {
		return nil
	}
	var (
		m  string
		km interface{ KafkaMessage() string }
		ce *config.Error
	)
	switch {
	case errors.As(err, &km):
		m = km.KafkaMessage()
	case errors.As(err, &ce):
		m = ce.Msg
	default:
		m = err.Error()
	}
	return &m
}
