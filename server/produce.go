package server

// Produce: v0-13
//
// Every version is advertised: librdkafka compresses only when the broker
// advertises Produce v0, and pinned-old clients still send v0-v2.
// v0-v2 carry legacy message sets (magic 0/1), which are up-converted into
// one v2 batch (recordbatch.UpconvertTo, as Kafka's LogValidator does); v3+
// must carry exactly one v2 batch per partition (Kafka's
// ProduceRequest.validateRecords: otherwise INVALID_RECORD). Each batch is
// validated (sizes, magic, CRC-32C, counts; max.message.bytes) and appended
// as produced when its codec is the topic's compression.type (or that is
// producer, the default): compressed batches are stored compressed, without
// being decompressed. Otherwise it is recompressed to the topic's codec
// first (recordbatch.Recompress), and an up-converted set gets that codec
// too; the rebuilt batch is checked against max.message.bytes again.
// produce_compress.go bounds that work per batch and across the broker. A
// bad batch fails its partition alone and appends nothing.
//
// Transactions (Kafka's KafkaApis.handleProduceRequest, ReplicaManager and
// LogValidator): a request carrying a transactional batch without a
// TransactionalID fails whole with TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
// a transactional batch whose producer has no ongoing transaction in the
// partition is first verified with the TxnVerifier (KIP-890: a partition
// the coordinator never added gets its answer, INVALID_TXN_STATE), unless
// verification is off; a control batch is refused with INVALID_RECORD
// ("Clients are not allowed to write control records"); the log applies
// the producer rules (partition.Log.Append).
//
// acks: 0 sends no response (and closes the connection if a partition
// failed, as Kafka does, so the producer notices); 1 answers after the
// append; -1 (all) also waits for the fsync when the topic's flush policy
// asks for one at this append. Anything else: INVALID_REQUIRED_ACKS.
//
// Version notes:
//   - v1: ThrottleMillis
//   - v2: LogAppendTime in the answer
//   - v3: TransactionalID; record batches (magic 2) only
//   - v5: LogStartOffset in the answer
//   - v7: zstd allowed (UNSUPPORTED_COMPRESSION_TYPE below)
//   - v8: RecordErrors, ErrorMessage
//   - v9: flexible
//   - v10: CurrentLeader / Brokers tags (not sent: we are the leader)
//   - v12: transaction v2 (KIP-890); v13: topics by ID (KIP-516)

import (
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/topic"
)

// errAcksZeroFailed ends an acks=0 connection whose produce failed.
var errAcksZeroFailed = errors.New("server: acks=0 produce failed")

func (s *Server) handleProduce(r *request) (reply, error) {
	req := r.kreq.(*kmsg.ProduceRequest)
	resp := req.ResponseKind().(*kmsg.ProduceResponse)

	var reqErr error
	if req.Acks != 0 && req.Acks != 1 && req.Acks != -1 {
		reqErr = kerrf(kerr.InvalidRequiredAcks, "Invalid required acks %d", req.Acks)
	} else if req.TransactionID == nil && hasTransactionalRecords(req) {
		reqErr = kerr.TransactionalIDAuthorizationFailed // the whole request, as Kafka answers it
	} else if req.TransactionID != nil && hasTransactionalRecords(req) && !s.authorize(r.c, opWrite, rtTxnID, *req.TransactionID) {
		reqErr = kerr.TransactionalIDAuthorizationFailed
	}
	failed := false
	wait := newBudgetWait(req.TimeoutMillis)
	defer wait.stop()
	for _, rt := range req.Topics {
		st := kmsg.NewProduceResponseTopic()
		st.Topic, st.TopicID = rt.Topic, rt.TopicID
		var (
			t      *topic.Topic
			topErr error
		)
		switch {
		case reqErr != nil:
			topErr = reqErr
		case req.Version >= 13:
			var ok bool
			if t, ok = s.topics.GetByID(rt.TopicID); !ok {
				topErr = kerrf(kerr.UnknownTopicID, "This server does not host this topic ID.")
			} else if st.Topic = t.Name; !s.authorize(r.c, opWrite, rtTopic, t.Name) {
				topErr = kerr.TopicAuthorizationFailed
			}
		case !s.authorize(r.c, opWrite, rtTopic, rt.Topic):
			topErr = kerr.TopicAuthorizationFailed
		default:
			var ok bool
			if t, ok = s.topics.Get(rt.Topic); !ok {
				topErr = kerrf(kerr.UnknownTopicOrPartition, "This server does not host this topic-partition.")
			}
		}
		var to recordbatch.Target
		if topErr == nil {
			to = s.topicTarget(t)
		}
		for _, rp := range rt.Partitions {
			sp := kmsg.NewProduceResponseTopicPartition()
			sp.Partition = rp.Partition
			err := topErr
			if err == nil {
				err = s.producePartition(req, t, to, wait, &rp, &sp)
			}
			if err != nil {
				failed = true
				sp.ErrorCode = errCode(err)
				sp.BaseOffset, sp.LogAppendTime, sp.LogStartOffset = -1, -1, -1
				if req.Version >= 8 {
					sp.ErrorMessage = errMessage(err)
				}
				s.log.Debug("produce refused", "topic", st.Topic, "partition", rp.Partition, "err", err)
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	if req.Acks == 0 {
		if failed {
			return nil, errAcksZeroFailed
		}
		return nil, nil
	}
	return msgReply{resp}, nil
}

// producePartition validates and appends one partition's records, filling
// sp's offsets.
func (s *Server) producePartition(req *kmsg.ProduceRequest, t *topic.Topic, to recordbatch.Target, wait *budgetWait, rp *kmsg.ProduceRequestTopicPartition, sp *kmsg.ProduceResponseTopicPartition) error {
	if rp.Partition < 0 || rp.Partition >= int32(len(t.Partitions)) {
		return kerrf(kerr.UnknownTopicOrPartition, "This server does not host this topic-partition.")
	}
	if t.Internal {
		// Kafka's ReplicaManager refuses client appends to internal topics.
		return kerrf(kerr.InvalidTopicException, "Cannot append to internal topic %s", t.Name)
	}
	l := t.Partitions[rp.Partition]
	cfg := l.Config()
	r := &reservation{s: s, wait: wait}
	defer r.release()
	var batch []byte
	if req.Version < 3 {
		var err error
		if batch, err = upconvertBatch(r, req.Version, rp.Records, cfg, to); err != nil {
			return err
		}
		if err := s.checkKeys(r, t, rp, batch, cfg.MaxMessageBytes, req.Version, sp); err != nil {
			return err
		}
	} else {
		if err := validateBatch(req.Version, rp.Records, cfg); err != nil {
			return err
		}
		h := recordbatch.Header(rp.Records)
		if h.Codec() == recordbatch.CodecZstd && req.Version < 7 {
			return kerrf(kerr.UnsupportedCompressionType, "Produce requests with version %d cannot carry zstd batches (v7 and above can).", req.Version)
		}
		if h.Transactional() && h.ProducerID() >= 0 {
			if err := s.verifyTxnPartition(req, t.Name, rp.Partition, l, h); err != nil {
				return err
			}
		}
		if h.Control() {
			return kerrf(kerr.InvalidRecord, "Clients are not allowed to write control records in topic partition %s-%d", t.Name, rp.Partition)
		}
		if err := s.checkKeys(r, t, rp, rp.Records, cfg.MaxMessageBytes, req.Version, sp); err != nil {
			return err
		}
		var err error
		if batch, err = r.recompress(rp.Records, to, cfg.MaxMessageBytes); err != nil {
			return err
		}
	}
	res, err := l.Append(batch, req.Acks == -1)
	if err != nil {
		return err
	}
	if !res.Duplicate {
		t.Counters.In(int64(len(batch)), int64(recordbatch.Header(batch).RecordCount()))
	}
	sp.BaseOffset = res.BaseOffset
	sp.LogAppendTime = res.LogAppendTime
	sp.LogStartOffset = res.LogStartOffset
	return nil
}

// checkKeys refuses batch, the partition's records as v2, when its topic
// is compacted and a record has no key (produce_keys.go). A compressed
// batch is decompressed within a reservation of its own, given back here.
func (s *Server) checkKeys(r *reservation, t *topic.Topic, rp *kmsg.ProduceRequestTopicPartition, batch []byte, maxBytes int, version int16, sp *kmsg.ProduceResponseTopicPartition) error {
	if !s.compacted(t) {
		return nil
	}
	kr := &reservation{s: s, wait: r.wait}
	defer kr.release()
	keyless, err := kr.keylessRecords(batch, maxBytes)
	if err != nil || len(keyless) == 0 {
		return err
	}
	return keylessError(t.Name, rp.Partition, keyless, version, sp)
}

// upconvertBatch returns the v2 batch, with the topic's codec, of a
// legacy message set (Produce v0-v2), validated as Kafka validates the
// batch it rebuilds (max.message.bytes included).
func upconvertBatch(r *reservation, version int16, records []byte, cfg partition.Config, to recordbatch.Target) ([]byte, error) {
	maxBytes := cfg.MaxMessageBytes
	if len(records) > recordbatch.OffMagic && records[recordbatch.OffMagic] >= recordbatch.MagicV2 {
		return nil, kerrf(kerr.InvalidRecord, "Produce requests with version %d are only allowed to contain record batches with magic version 1 or less.", version)
	}
	if maxBytes > 0 && len(records) > maxBytes {
		return nil, fmt.Errorf("%w: message set of %d bytes, max.message.bytes %d", recordbatch.ErrTooLarge, len(records), maxBytes)
	}
	batch, err := r.upconvert(records, to, maxBytes)
	if err != nil {
		return nil, err
	}
	return batch, recordbatch.Validate(batch, maxBytes)
}

// validateBatch checks that a v3+ partition's records are one valid v2
// batch.
func validateBatch(version int16, records []byte, cfg partition.Config) error {
	if len(records) == 0 {
		return kerrf(kerr.InvalidRecord, "Produce requests with version %d must have at least one record batch per partition.", version)
	}
	if len(records) > recordbatch.OffMagic && records[recordbatch.OffMagic] != recordbatch.MagicV2 {
		return kerrf(kerr.InvalidRecord, "Produce requests with version %d are only allowed to contain record batches with magic version 2.", version)
	}
	size, err := recordbatch.BatchSize(records)
	if err != nil {
		return err
	}
	if size < len(records) {
		if err := recordbatch.Validate(records[:size], 0); err != nil {
			return err
		}
		return kerrf(kerr.InvalidRecord, "Produce requests with version %d must have exactly one record batch per partition.", version)
	}
	return recordbatch.Validate(records, cfg.MaxMessageBytes)
}
