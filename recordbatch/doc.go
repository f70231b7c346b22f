// Package recordbatch reads, validates and builds Kafka record batches.
//
// A RecordBatch v2 (magic 2) is a 61-byte header followed by records. All
// integers are big-endian. These offsets are part of the wire and disk format
// and must not change.
//
//	offset  size  field
//	     0     8  BaseOffset            first offset of the batch (the broker assigns it)
//	     8     4  BatchLength           bytes after this field: len(batch) - 12
//	    12     4  PartitionLeaderEpoch  written by the broker, outside the CRC
//	    16     1  Magic                 2
//	    17     4  CRC                   CRC-32C (Castagnoli) of bytes [21:]
//	    21     2  Attributes            bits 0-2 codec, 3 timestamp type, 4 transactional,
//	                                    5 control, 6 delete horizon set
//	    23     4  LastOffsetDelta       offset of the last record minus BaseOffset
//	    27     8  BaseTimestamp         (FirstTimestamp)
//	    35     8  MaxTimestamp
//	    43     8  ProducerID            -1 when not idempotent
//	    51     2  ProducerEpoch
//	    53     4  BaseSequence
//	    57     4  RecordCount
//	    61     …  Records               compressed as a whole when the codec bits are set
//
// Each record inside is varint-framed (zigzag varints, minimally encoded):
//
//	length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
//	keyLength varint (-1 = null), key, valueLength varint (-1 = null), value,
//	headerCount varint, then per header: keyLength varint (never null), key,
//	valueLength varint (-1 = null), value.
//
// A record's offset is BaseOffset + offsetDelta and its timestamp
// BaseTimestamp + timestampDelta, except in a LogAppendTime batch, where
// every record's timestamp is MaxTimestamp.
//
// The broker stores batches as produced when their codec is the topic's
// compression.type (or that is "producer"). It rewrites BaseOffset and
// PartitionLeaderEpoch in place (both lie before the CRC'd range, so the CRC
// stays valid); only LogAppendTime rewrites MaxTimestamp and the timestamp-type
// bit, and that requires recomputing the CRC (Header.UpdateCRC). A batch with
// another codec is rebuilt with the topic's (Recompress), with a new CRC.
//
// What the package offers:
//
//   - Header, a zero-copy view of the fixed fields, with the setters the
//     broker needs.
//   - Validate (a producer's batch, as Kafka checks it before appending:
//     framing, magic, base offset 0, size limit, CRC, counts, no control
//     batches; compressed records are not decompressed), CheckStored (a
//     batch read back from a log) and BatchSize.
//   - Iterator, which walks the records of a batch, decompressing it first
//     when needed; Builder, which encodes records into a batch (byte for
//     byte what kgo writes, uncompressed).
//   - Compress and Decompress for gzip, snappy (raw blocks, and the xerial
//     framing Java producers send), LZ4 (the frame format) and zstd, with
//     pooled coders and decompression bounded by the caller's limit;
//     CompressLevel at Kafka's compression.<codec>.level (KIP-390).
//   - Recompress, which rebuilds a producer's batch with another codec as
//     Kafka's LogValidator does for a topic whose compression.type differs
//     (producer ID, epoch, base sequence and records kept; codec, count,
//     timestamps and CRC recomputed; records compressed without a copy
//     when they are already as Kafka's builder writes them).
//   - Upconvert, which turns a legacy message set (magic 0 or 1, see
//     legacy.go for its layout) into one v2 batch, as Kafka's LogValidator
//     does for old producers; UpconvertTo gives it the topic's codec
//     (Target, Kafka's compression.type).
//
// Every length and count read from bytes is checked against the bytes that
// remain before it is used, so malformed input gives an error wrapping
// ErrCorrupt, never a panic or an allocation out of proportion to the
// input (or, for compressed data, to the decompression limit).
//
// Header is a zero-copy view: it aliases the caller's bytes and is valid as
// long as they are. An Iterator aliases the batch it was Reset to, and the
// records it yields alias the batch or its decompression buffer; nothing
// else in this package retains a slice after returning.
package recordbatch
