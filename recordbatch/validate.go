package recordbatch

import "fmt"

// minBatchLength is the smallest legal BatchLength: a header with no records.
const minBatchLength = HeaderSize - LogOverhead

// Validate checks one v2 batch that a producer sent, as Kafka does before
// appending it, in Kafka's order:
//
//   - the header is complete and the length field matches len(b);
//   - the magic is 2;
//   - BaseOffset is 0 (Kafka refuses anything else from a client);
//   - the batch is no larger than maxBytes, when maxBytes > 0;
//   - the CRC-32C over [OffAttributes:] matches;
//   - LastOffsetDelta is not negative, RecordCount is positive, and
//     RecordCount equals LastOffsetDelta+1;
//   - the control bit is clear (clients may not write control batches);
//   - a batch with a producer ID has a non-negative base sequence;
//   - the codec is one Kafka defines.
//
// A compressed batch is not decompressed, and records are not parsed:
// Iterator does that. Validate does not allocate on success.
//
// Errors say which field failed. A size over maxBytes wraps ErrTooLarge;
// the count, offset, control and sequence checks wrap ErrInvalidRecord
// (and ErrCorrupt); everything else wraps ErrCorrupt.
func Validate(b []byte, maxBytes int) error {
	if err := checkLength(b); err != nil {
		return err
	}
	h := Header(b)
	if o := h.BaseOffset(); o != 0 {
		return fmt.Errorf("%w: %w: base offset %d, a producer must send 0", ErrInvalidRecord, ErrCorrupt, o)
	}
	if maxBytes > 0 && len(b) > maxBytes {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(b), maxBytes)
	}
	if err := checkCRC(h); err != nil {
		return err
	}
	d, n := h.LastOffsetDelta(), h.RecordCount()
	if d < 0 {
		return fmt.Errorf("%w: %w: last offset delta %d is negative", ErrInvalidRecord, ErrCorrupt, d)
	}
	if n <= 0 {
		return fmt.Errorf("%w: %w: record count %d, want at least 1", ErrInvalidRecord, ErrCorrupt, n)
	}
	if int64(n) != int64(d)+1 {
		return fmt.Errorf("%w: %w: record count %d disagrees with last offset delta %d",
			ErrInvalidRecord, ErrCorrupt, n, d)
	}
	if h.Control() {
		return fmt.Errorf("%w: %w: control batch from a producer", ErrInvalidRecord, ErrCorrupt)
	}
	if id, seq := h.ProducerID(), h.BaseSequence(); id >= 0 && seq < 0 {
		return fmt.Errorf("%w: %w: base sequence %d with producer ID %d", ErrInvalidRecord, ErrCorrupt, seq, id)
	}
	if h.Codec() > CodecZstd {
		return fmt.Errorf("%w: %w: codec bits %d", ErrCorrupt, ErrUnknownCodec, h.Codec())
	}
	return nil
}

// CheckStored checks a batch read back from a log: the length field matches
// len(b), the magic is 2 and the CRC-32C matches. It is laxer than Validate
// about counts because compaction may leave batches with offset gaps or no
// records, and it is what recovery runs on every batch after a crash.
func CheckStored(b []byte) error {
	if err := checkLength(b); err != nil {
		return err
	}
	return checkCRC(Header(b))
}

// checkLength checks that b holds a whole header, that its length field
// accounts for exactly len(b) bytes, and that the magic is 2.
func checkLength(b []byte) error {
	if len(b) < HeaderSize {
		return fmt.Errorf("%w: %d bytes, shorter than the %d-byte batch header", ErrCorrupt, len(b), HeaderSize)
	}
	h := Header(b)
	if l := h.BatchLength(); l < minBatchLength {
		return fmt.Errorf("%w: batch length %d, less than the minimum %d", ErrCorrupt, l, minBatchLength)
	}
	if h.Size() != len(b) {
		return fmt.Errorf("%w: batch length field says %d bytes in all, have %d", ErrCorrupt, h.Size(), len(b))
	}
	if m := h.Magic(); m != MagicV2 {
		return fmt.Errorf("%w: magic %d, want %d", ErrCorrupt, m, MagicV2)
	}
	return nil
}

func checkCRC(h Header) error {
	if got, want := h.CRC(), h.ComputeCRC(); got != want {
		return fmt.Errorf("%w: crc %08x, computed %08x (base offset %d)", ErrCorrupt, got, want, h.BaseOffset())
	}
	return nil
}

// BatchSize returns the total size of the batch that starts b, from its
// length field, given at least LogOverhead bytes. It checks only that the
// length is not below the v2 minimum; callers compare it with what they have.
func BatchSize(b []byte) (int, error) {
	if len(b) < LogOverhead {
		return 0, fmt.Errorf("%w: %d bytes, too short for a batch length", ErrCorrupt, len(b))
	}
	if l := Header(b).BatchLength(); l < minBatchLength {
		return 0, fmt.Errorf("%w: batch length %d, less than the minimum %d", ErrCorrupt, l, minBatchLength)
	}
	return Header(b).Size(), nil
}
