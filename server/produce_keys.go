package server

// Produce to a compacted topic: every record needs a key. Kafka's
// LogValidator.validateKey refuses a keyless record of a topic whose
// cleanup.policy holds compact with INVALID_RECORD; the whole batch is
// refused (nothing of it is appended), the partition's ErrorMessage is the
// RecordValidationException's and, from Produce v8, RecordErrors lists
// every keyless record by its index in the batch with its own message.
//
// Only each record's key length is read (a record is "length varint,
// attributes int8, timestampDelta varlong, offsetDelta varint, keyLength
// varint, ..."). A compressed batch has to be decompressed for it, as
// Kafka decompresses it (its skipKeyValueIterator reads the key length
// too): within the produce decompression budget (produce_compress.go),
// with the same per-batch bound, and given back before the batch is
// recompressed or appended.

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/config"
	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/topic"
)

// brokerPolicy is whether log.cleanup.policy holds compact under one
// configuration.
type brokerPolicy struct {
	cfg     *config.Broker
	compact bool
}

// compacted reports whether t's cleanup.policy holds compact: its
// override, else the broker's, resolved once per configuration in force.
func (s *Server) compacted(t *topic.Topic) bool {
	cfg := s.config()
	if _, ok := t.Configs["cleanup.policy"]; ok {
		return cfg.IsCompacted(t.Configs)
	}
	if c := s.compactDef.Load(); c != nil && c.cfg == cfg {
		return c.compact
	}
	c := &brokerPolicy{cfg: cfg, compact: cfg.IsCompacted(nil)}
	s.compactDef.Store(c)
	return c.compact
}

// keylessRecords returns the indexes of the records of batch (one valid v2
// batch) that have no key, within r's budget for a compressed batch.
func (r *reservation) keylessRecords(batch []byte, maxBytes int) ([]int32, error) {
	h := recordbatch.Header(batch)
	recs := h.Records()
	if c := h.Codec(); c != recordbatch.CodecNone {
		out, err := r.inflate(len(batch), r.s.decompressLimit(maxBytes, false), func(max int) ([]byte, error) {
			return recordbatch.Decompress(nil, c, recs, max)
		})
		if err != nil {
			return nil, err
		}
		recs = out
	}
	var keyless []int32
	for i := range h.RecordCount() {
		length, k := binary.Varint(recs)
		if k <= 0 || length < 0 || length > int64(len(recs)-k) {
			return nil, fmt.Errorf("%w: record %d: bad length", recordbatch.ErrCorrupt, i)
		}
		body := recs[k : k+int(length)]
		recs = recs[k+int(length):]
		if len(body) < 1 {
			return nil, fmt.Errorf("%w: record %d: no attributes", recordbatch.ErrCorrupt, i)
		}
		p := body[1:]
		for range 2 { // timestampDelta, offsetDelta
			_, m := binary.Varint(p)
			if m <= 0 {
				return nil, fmt.Errorf("%w: record %d: bad delta", recordbatch.ErrCorrupt, i)
			}
			p = p[m:]
		}
		keyLen, m := binary.Varint(p)
		if m <= 0 {
			return nil, fmt.Errorf("%w: record %d: bad key length", recordbatch.ErrCorrupt, i)
		}
		if keyLen < 0 {
			keyless = append(keyless, i)
		}
	}
	return keyless, nil
}

// keylessError is Kafka's answer to keyless records in a compacted topic's
// batch: INVALID_RECORD with RecordValidationException's message, and the
// per-record errors for sp (Produce v8+).
func keylessError(topic string, partition int32, keyless []int32, version int16, sp *kmsg.ProduceResponseTopicPartition) error {
	msg := "Compacted topic cannot accept message without key in topic partition " + topic + "-" + strconv.Itoa(int(partition))
	shown := make([]string, 0, 3)
	for _, i := range keyless[:min(len(keyless), 3)] {
		shown = append(shown, "RecordError(batchIndex="+strconv.Itoa(int(i))+", message='"+msg+"')")
	}
	if version >= 8 {
		sp.ErrorRecords = make([]kmsg.ProduceResponseTopicPartitionErrorRecord, len(keyless))
		for j, i := range keyless {
			e := kmsg.NewProduceResponseTopicPartitionErrorRecord()
			e.RelativeOffset, e.ErrorMessage = i, &msg
			sp.ErrorRecords[j] = e
		}
	}
	return kerrf(kerr.InvalidRecord, "One or more records have been rejected due to %d record errors in total, and only showing the first three errors at most: [%s]",
		len(keyless), strings.Join(shown, ", "))
}
