package recordbatch

import "fmt"

// Record is one record of a batch, as an Iterator yields it and a Builder
// takes it. A nil Key or Value is null on the wire (length -1); a non-nil
// empty one is an empty byte string (length 0).
type Record struct {
	Offset     int64 // BaseOffset + offsetDelta; a Builder assigns offsets itself
	Timestamp  int64 // milliseconds; BaseTimestamp + timestampDelta, or MaxTimestamp in a LogAppendTime batch
	Attributes int8  // unused by Kafka so far
	Key        []byte
	Value      []byte
	Headers    []RecordHeader
}

// RecordHeader is one record header. Kafka requires a non-null key; a nil
// Value is null.
type RecordHeader struct {
	Key   []byte
	Value []byte
}

// minRecordSize is the smallest record on the wire: a 1-byte length and six
// 1-byte fields (attributes, timestamp delta, offset delta, key length,
// value length, header count).
const minRecordSize = 7

// Iterator walks the records of one v2 batch. It decompresses a compressed
// batch once, in Reset, into a buffer it keeps for the next batch.
//
// The slices in a Record (Key, Value, Headers and the headers' slices) alias
// the batch or the iterator's buffer. They are valid until the next call to
// Next or Reset and must not be modified; copy what you keep. For an
// uncompressed batch, Next allocates nothing once the header slice has grown
// to the largest header count seen.
//
// Every length and count read from the bytes is bounded by the bytes left:
// a malformed batch ends the iteration with an error wrapping ErrCorrupt,
// never a panic or an allocation larger than the batch (or, compressed,
// than the decompression limit).
type Iterator struct {
	batch      Header
	data       []byte // the record section, decompressed
	pos        int    // next record's start in data
	left       int32  // records still to read
	index      int32  // index of the next record
	baseOffset int64
	baseTime   int64
	appendTime bool // LogAppendTime: every record's timestamp is MaxTimestamp
	maxTime    int64

	rec     Record
	headers []RecordHeader
	buf     []byte // decompression buffer, reused
	err     error
}

// NewIterator returns an Iterator positioned before the first record of
// batch; see Reset.
func NewIterator(batch []byte, maxDecompressed int) *Iterator {
	it := new(Iterator)
	it.Reset(batch, maxDecompressed)
	return it
}

// Reset points the iterator at a new batch, which must be exactly one v2
// batch (its length field equal to len(batch)). A compressed batch is
// decompressed here, to at most maxDecompressed bytes. Reset checks the
// framing, the magic, the codec and that the record count is not negative
// and could fit; it does not check the CRC (Validate and CheckStored do).
// A failure is reported by Err, and Next returns false.
func (it *Iterator) Reset(batch []byte, maxDecompressed int) {
	*it = Iterator{headers: it.headers[:0], buf: it.buf[:0]}
	it.err = it.reset(batch, maxDecompressed)
}

func (it *Iterator) reset(batch []byte, maxDecompressed int) error {
	if len(batch) < HeaderSize {
		return fmt.Errorf("%w: %d bytes, shorter than the %d-byte batch header", ErrCorrupt, len(batch), HeaderSize)
	}
	h := Header(batch)
	if l := h.BatchLength(); l < minBatchLength {
		return fmt.Errorf("%w: batch length %d, less than the minimum %d", ErrCorrupt, l, minBatchLength)
	}
	if h.Size() != len(batch) {
		return fmt.Errorf("%w: batch length field says %d bytes in all, have %d", ErrCorrupt, h.Size(), len(batch))
	}
	if m := h.Magic(); m != MagicV2 {
		return fmt.Errorf("%w: magic %d, want %d", ErrCorrupt, m, MagicV2)
	}
	if n := h.RecordCount(); n < 0 {
		return fmt.Errorf("%w: record count %d is negative", ErrCorrupt, n)
	}
	it.batch = h
	var data []byte
	switch c := h.Codec(); c {
	case CodecNone:
		data = h.Records()
	case CodecGzip, CodecSnappy, CodecLZ4, CodecZstd:
		var err error
		if it.buf, err = Decompress(it.buf[:0], c, h.Records(), maxDecompressed); err != nil {
			return fmt.Errorf("records of batch at base offset %d: %w", h.BaseOffset(), err)
		}
		data = it.buf
	default:
		return fmt.Errorf("%w: %w: codec bits %d", ErrCorrupt, ErrUnknownCodec, c)
	}
	return it.setRecords(h, data)
}

// setRecords points the iterator at data, the decompressed record section
// of h, whose framing and magic were checked.
func (it *Iterator) setRecords(h Header, data []byte) error {
	n := h.RecordCount()
	if n < 0 {
		return fmt.Errorf("%w: record count %d is negative", ErrCorrupt, n)
	}
	it.batch = h
	it.baseOffset = h.BaseOffset()
	it.baseTime = h.BaseTimestamp()
	it.appendTime = h.LogAppendTime()
	it.maxTime = h.MaxTimestamp()
	it.data = data
	if int64(n)*minRecordSize > int64(len(it.data)) {
		return fmt.Errorf("%w: record count %d cannot fit in %d record bytes", ErrCorrupt, n, len(it.data))
	}
	it.left = n
	return nil
}

// Header is the batch the iterator was last Reset to; nil if Reset failed
// before the header was checked.
func (it *Iterator) Header() Header { return it.batch }

// Err is the error that stopped the iteration, or nil if every record was
// read (or none was tried yet).
func (it *Iterator) Err() error { return it.err }

// Record is the record the last successful Next decoded. The pointer stays
// the same for the iterator's life; see Iterator for how long the slices in
// it are valid.
func (it *Iterator) Record() *Record { return &it.rec }

// Next decodes the next record and reports whether there was one. After the
// last record it checks that no bytes follow it. It returns false at the
// end and on error; Err tells them apart.
func (it *Iterator) Next() bool {
	if it.err != nil {
		return false
	}
	if it.left == 0 {
		if extra := len(it.data) - it.pos; extra != 0 && it.batch != nil {
			it.err = fmt.Errorf("%w: %d bytes after the last of %d records", ErrCorrupt, extra, it.index)
			it.pos = len(it.data)
		}
		return false
	}
	if err := it.next(); err != nil {
		it.err = err
		return false
	}
	it.left--
	it.index++
	return true
}

func (it *Iterator) next() error {
	d := it.data[it.pos:]
	length, n := readVarint(d)
	if n <= 0 {
		return it.corrupt("length", n)
	}
	if length < 0 || int64(length) > int64(len(d)-n) {
		return fmt.Errorf("%w: record %d: length %d, %d bytes left in the batch", ErrCorrupt, it.index, length, len(d)-n)
	}
	body := d[n : n+int(length)]
	it.pos += n + int(length)

	if len(body) == 0 {
		return it.corrupt("attributes", varintShort)
	}
	attrs := int8(body[0])
	p := 1
	tsDelta, n := readVarlong(body[p:])
	if n <= 0 {
		return it.corrupt("timestamp delta", n)
	}
	p += n
	offDelta, n := readVarint(body[p:])
	if n <= 0 {
		return it.corrupt("offset delta", n)
	}
	p += n
	key, p, err := it.bytesField(body, p, "key", true)
	if err != nil {
		return err
	}
	value, p, err := it.bytesField(body, p, "value", true)
	if err != nil {
		return err
	}
	count, n := readVarint(body[p:])
	if n <= 0 {
		return it.corrupt("header count", n)
	}
	p += n
	// Each header takes at least two bytes: checking the count first keeps
	// a forged count from growing the header slice.
	if count < 0 || int64(count)*2 > int64(len(body)-p) {
		return fmt.Errorf("%w: record %d: header count %d, %d bytes left in the record", ErrCorrupt, it.index, count, len(body)-p)
	}
	hdrs := it.headers[:0]
	for range count {
		var h RecordHeader
		if h.Key, p, err = it.bytesField(body, p, "header key", false); err != nil {
			return err
		}
		if h.Value, p, err = it.bytesField(body, p, "header value", true); err != nil {
			return err
		}
		hdrs = append(hdrs, h)
	}
	it.headers = hdrs
	if p != len(body) {
		return fmt.Errorf("%w: record %d: length says %d bytes, its fields take %d", ErrCorrupt, it.index, len(body), p)
	}

	it.rec.Offset = it.baseOffset + int64(offDelta)
	if it.appendTime {
		it.rec.Timestamp = it.maxTime
	} else {
		it.rec.Timestamp = it.baseTime + tsDelta
	}
	it.rec.Attributes = attrs
	it.rec.Key = key
	it.rec.Value = value
	it.rec.Headers = nil
	if count > 0 {
		it.rec.Headers = hdrs
	}
	return nil
}

// bytesField reads a varint length and that many bytes from body at p. A
// length of -1 gives nil when nullable. The slice's capacity ends with it,
// so that an append by the caller cannot write over the next field.
func (it *Iterator) bytesField(body []byte, p int, field string, nullable bool) ([]byte, int, error) {
	l, n := readVarint(body[p:])
	if n <= 0 {
		return nil, p, it.corrupt(field+" length", n)
	}
	p += n
	if l == -1 && nullable {
		return nil, p, nil
	}
	if l < 0 || int(l) > len(body)-p {
		return nil, p, fmt.Errorf("%w: record %d: %s length %d, %d bytes left in the record", ErrCorrupt, it.index, field, l, len(body)-p)
	}
	end := p + int(l)
	return body[p:end:end], end, nil
}

func (it *Iterator) corrupt(field string, status int) error {
	if status == varintShort {
		return fmt.Errorf("%w: record %d: %s runs past the end", ErrCorrupt, it.index, field)
	}
	return fmt.Errorf("%w: record %d: %s is not a valid varint", ErrCorrupt, it.index, field)
}
