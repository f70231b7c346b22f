package recordbatch

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// Compress appends src compressed with codec c to dst and returns the
// extended slice. CodecNone appends src unchanged. The formats are the ones
// Kafka clients write: a gzip stream, a raw snappy block (kgo's choice; Java
// consumers read it as well as xerial framing), an LZ4 frame with 64 KiB
// independent blocks (the Java client's block size), and a zstd frame.
// Each codec runs at Kafka's default level (DefaultLevel).
//
// Encoders come from pools, so steady-state calls allocate only when dst
// must grow. Compress is safe for concurrent use.
func Compress(dst []byte, c Codec, src []byte) ([]byte, error) {
	return CompressLevel(dst, c, src, DefaultLevel(c))
}

// Kafka's compression levels (KIP-390: compression.gzip.level,
// compression.lz4.level, compression.zstd.level), with its ranges and
// defaults. Snappy has none.
const (
	GzipMinLevel, GzipMaxLevel, GzipDefaultLevel = 1, 9, -1 // -1: the codec's own default
	LZ4MinLevel, LZ4MaxLevel, LZ4DefaultLevel    = 1, 17, 9
	ZstdMinLevel, ZstdMaxLevel, ZstdDefaultLevel = -131072, 22, 3
)

// DefaultLevel is Kafka's default level for codec c (0 for a codec without
// levels).
func DefaultLevel(c Codec) int {
	switch c {
	case CodecGzip:
		return GzipDefaultLevel
	case CodecLZ4:
		return LZ4DefaultLevel
	case CodecZstd:
		return ZstdDefaultLevel
	}
	return 0
}

// CompressLevel is Compress at a level in Kafka's numbering for the codec:
//
//   - gzip: 1-9, or -1 for the library default (as Java's Deflater);
//   - lz4: 9 (Kafka's default) is the fast compressor, as Kafka's
//     Lz4BlockOutputStream uses it; any other level is the high-compression
//     mode, 1-8 at that depth and 10-17 at the deepest (pierrec/lz4 has nine
//     depths, lz4-java's HC seventeen);
//   - zstd: mapped as klauspost's EncoderLevelFromZstd does (below 3
//     fastest, 3-5 default, 6-9 better, 10 and above best), 0 being zstd's
//     default (3);
//   - snappy and none ignore it.
//
// A level outside Kafka's range is clamped into it.
func CompressLevel(dst []byte, c Codec, src []byte, level int) ([]byte, error) {
	switch c {
	case CodecNone:
		return append(dst, src...), nil
	case CodecGzip:
		return compressGzip(dst, src, level)
	case CodecSnappy:
		return compressSnappy(dst, src)
	case CodecLZ4:
		return compressLZ4(dst, src, level)
	case CodecZstd:
		return compressZstd(dst, src, level), nil
	}
	return dst, fmt.Errorf("%w: %w: codec %d", ErrCorrupt, ErrUnknownCodec, int8(c))
}

// Decompress appends the decompression of src (compressed with codec c) to
// dst and returns the extended slice. It never appends more than max bytes:
// a payload that would inflate past max fails with an error wrapping
// ErrMaxDecompress, having allocated at most about max bytes for output
// (and the codec's own buffers: an LZ4 block of up to 4 MiB, a zstd window
// of up to 8 MiB). Snappy input may be a raw block or xerial-framed, as
// Java producers send it.
//
// Decoders come from pools; Decompress is safe for concurrent use. An
// empty src is an error for every codec but CodecNone. Every error wraps
// ErrCorrupt and returns dst at its original length (the bytes past it, up
// to its capacity, may have been written).
func Decompress(dst []byte, c Codec, src []byte, max int) ([]byte, error) {
	max = maxInt(max, 0)
	start := len(dst)
	var err error
	switch c {
	case CodecNone:
		if len(src) > max {
			return dst, errMaxDecompress(c, max)
		}
		return append(dst, src...), nil
	case CodecGzip, CodecSnappy, CodecLZ4, CodecZstd:
		if len(src) == 0 {
			return dst, fmt.Errorf("%w: %s: empty payload", ErrCorrupt, c)
		}
	default:
		return dst, fmt.Errorf("%w: %w: codec %d", ErrCorrupt, ErrUnknownCodec, int8(c))
	}
	switch c {
	case CodecGzip:
		dst, err = decompressGzip(dst, src, max)
	case CodecSnappy:
		dst, err = decompressSnappy(dst, src, max)
	case CodecLZ4:
		dst, err = decompressLZ4(dst, src, max)
	case CodecZstd:
		dst, err = decompressZstd(dst, src, max)
	}
	if err != nil {
		if errors.Is(err, ErrMaxDecompress) {
			return dst[:start], err
		}
		return dst[:start], fmt.Errorf("%w: %s: %w", ErrCorrupt, c, err)
	}
	return dst, nil
}

func errMaxDecompress(c Codec, max int) error {
	return fmt.Errorf("%w: %w: %s payload inflates past %d bytes", ErrMaxDecompress, ErrCorrupt, c, max)
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// appendWriter is an io.Writer that appends to b. Codec writers write into
// one so that the output lands in the caller's dst without a copy.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// errNoProgress guards readBounded against a reader that keeps returning
// nothing and no error.
var errNoProgress = errors.New("decoder makes no progress")

// readBounded appends everything r produces to dst, failing once the output
// passes max bytes. The first allocation is 4*hint bytes (hint is the
// compressed size, or a quarter of a declared size), then the output
// doubles; no allocation grows it past max+1 bytes.
func readBounded(dst []byte, r io.Reader, max, hint int, c Codec) ([]byte, error) {
	start := len(dst)
	limit := max + 1 // room for one byte past max, to see that it exists
	idle := 0
	for {
		if len(dst) == cap(dst) {
			have := len(dst) - start
			grow := maxInt(maxInt(have, 4*hint), 4096)
			dst = slices.Grow(dst, min(grow, limit-have))
		}
		n, err := r.Read(dst[len(dst):min(cap(dst), start+limit)])
		dst = dst[:len(dst)+n]
		if len(dst)-start > max {
			return dst, errMaxDecompress(c, max)
		}
		switch {
		case err == io.EOF:
			return dst, nil
		case err != nil:
			return dst, err
		case n == 0:
			if idle++; idle > 100 {
				return dst, errNoProgress
			}
		default:
			idle = 0
		}
	}
}

// gzip: klauspost's package, the same format as compress/gzip and faster in
// both directions.

type gzipEncoder struct {
	w   *gzip.Writer
	out appendWriter
}

// gzipEncoders holds a pool per level: index 0 is the default (-1), 1-9
// the levels.
var gzipEncoders = func() []sync.Pool {
	p := make([]sync.Pool, GzipMaxLevel+1)
	for i := range p {
		level := i
		if i == 0 {
			level = gzip.DefaultCompression
		}
		p[i].New = func() any {
			e := new(gzipEncoder)
			e.w, _ = gzip.NewWriterLevel(&e.out, level) // a valid level: no error
			return e
		}
	}
	return p
}()

func gzipPool(level int) *sync.Pool {
	if level < GzipMinLevel {
		return &gzipEncoders[0]
	}
	return &gzipEncoders[min(level, GzipMaxLevel)]
}

func compressGzip(dst, src []byte, level int) ([]byte, error) {
	pool := gzipPool(level)
	e := pool.Get().(*gzipEncoder)
	e.out.b = dst
	e.w.Reset(&e.out)
	_, err := e.w.Write(src)
	if err == nil {
		err = e.w.Close()
	}
	dst = e.out.b
	e.out.b = nil
	pool.Put(e)
	if err != nil {
		return dst, fmt.Errorf("recordbatch: gzip: %w", err)
	}
	return dst, nil
}

type gzipDecoder struct {
	r   gzip.Reader
	src bytes.Reader
}

var gzipDecoders = sync.Pool{New: func() any { return new(gzipDecoder) }}

func decompressGzip(dst, src []byte, max int) ([]byte, error) {
	d := gzipDecoders.Get().(*gzipDecoder)
	defer gzipDecoders.Put(d)
	d.src.Reset(src)
	if err := d.r.Reset(&d.src); err != nil {
		return dst, err
	}
	dst, err := readBounded(dst, &d.r, max, len(src), CodecGzip)
	d.src.Reset(nil)
	return dst, err
}

// lz4: the LZ4 frame format (magic 0x184D2204), which Kafka has used since
// magic 1. Magic 0 producers wrote a wrong header checksum; legacy.go
// repairs it before decoding.

type lz4Encoder struct {
	w   *lz4.Writer
	out appendWriter
}

// lz4Levels are pierrec/lz4's levels: index 0 the fast compressor, 1-9
// the high-compression depths.
var lz4Levels = [...]lz4.CompressionLevel{lz4.Fast, lz4.Level1, lz4.Level2, lz4.Level3,
	lz4.Level4, lz4.Level5, lz4.Level6, lz4.Level7, lz4.Level8, lz4.Level9}

// lz4Encoders holds a pool per entry of lz4Levels.
var lz4Encoders = func() []sync.Pool {
	p := make([]sync.Pool, len(lz4Levels))
	for i := range p {
		level := lz4Levels[i]
		p[i].New = func() any {
			e := new(lz4Encoder)
			e.w = lz4.NewWriter(&e.out)
			// Valid options on a fresh writer: Apply cannot fail.
			_ = e.w.Apply(lz4.BlockSizeOption(lz4.Block64Kb), lz4.CompressionLevelOption(level))
			return e
		}
	}
	return p
}()

// lz4Pool maps a Kafka lz4 level to its pool (see CompressLevel).
func lz4Pool(level int) *sync.Pool {
	if level == LZ4DefaultLevel {
		return &lz4Encoders[0]
	}
	return &lz4Encoders[min(max(level, 1), len(lz4Levels)-1)]
}

func compressLZ4(dst, src []byte, level int) ([]byte, error) {
	pool := lz4Pool(level)
	e := pool.Get().(*lz4Encoder)
	e.out.b = dst
	e.w.Reset(&e.out)
	_, err := e.w.Write(src)
	if err == nil {
		err = e.w.Close()
	}
	dst = e.out.b
	e.out.b = nil
	e.w.Reset(nil)
	pool.Put(e)
	if err != nil {
		return dst, fmt.Errorf("recordbatch: lz4: %w", err)
	}
	return dst, nil
}

type lz4Decoder struct {
	r   *lz4.Reader
	src bytes.Reader
}

var lz4Decoders = sync.Pool{New: func() any { return &lz4Decoder{r: lz4.NewReader(nil)} }}

func decompressLZ4(dst, src []byte, max int) ([]byte, error) {
	d := lz4Decoders.Get().(*lz4Decoder)
	defer lz4Decoders.Put(d)
	d.src.Reset(src)
	d.r.Reset(&d.src)
	dst, err := readBounded(dst, d.r, max, len(src), CodecLZ4)
	d.r.Reset(nil)
	d.src.Reset(nil)
	return dst, err
}

// zstd: klauspost's package. EncodeAll and DecodeAll with concurrency 1 run
// on the calling goroutine; the pooled coders start no goroutines.

type zstdEncoder struct{ e *zstd.Encoder }

// zstdEncoders holds a pool per klauspost level (SpeedFastest to
// SpeedBestCompression).
var zstdEncoders = func() []sync.Pool {
	p := make([]sync.Pool, zstd.SpeedBestCompression+1)
	for i := range p {
		level := zstd.EncoderLevel(i)
		p[i].New = func() any {
			// kgo's settings: a 64 KiB window bounds a reader's memory, and an
			// empty input still makes a frame.
			e, _ := zstd.NewWriter(nil,
				zstd.WithEncoderConcurrency(1),
				zstd.WithWindowSize(64<<10),
				zstd.WithZeroFrames(true),
				zstd.WithEncoderLevel(max(level, zstd.SpeedFastest)),
			) // fixed valid options: no error
			w := &zstdEncoder{e}
			runtime.AddCleanup(w, func(e *zstd.Encoder) { _ = e.Close() }, e)
			return w
		}
	}
	return p
}()

// zstdPool maps a Kafka zstd level to its pool (see CompressLevel).
func zstdPool(level int) *sync.Pool {
	if level == 0 {
		level = ZstdDefaultLevel
	}
	return &zstdEncoders[zstd.EncoderLevelFromZstd(level)]
}

func compressZstd(dst, src []byte, level int) []byte {
	pool := zstdPool(level)
	w := pool.Get().(*zstdEncoder)
	dst = w.e.EncodeAll(src, dst)
	pool.Put(w)
	return dst
}

type zstdDecoder struct {
	d   *zstd.Decoder
	src bytes.Reader
}

// zstdMaxWindow is the largest frame window a decoder accepts, and so the
// most history it allocates. The zstd format asks decoders to accept
// windows up to 8 MiB; Java's zstd-jni streams declare 2 MiB at its
// default level whatever the content size.
const zstdMaxWindow = 8 << 20

var zstdDecoders = sync.Pool{New: func() any {
	d, _ := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(1), // synchronous: no goroutines
		zstd.WithDecoderMaxWindow(zstdMaxWindow),
		zstd.WithDecoderMaxMemory(zstdMaxWindow),
	) // fixed valid options: no error
	w := &zstdDecoder{d: d}
	runtime.AddCleanup(w, func(d *zstd.Decoder) { d.Close() }, d)
	return w
}}

// decompressZstd streams the frames through readBounded, which holds the
// output to max exactly; the decoder's own memory is its window, at most
// zstdMaxWindow. (DecodeAll would be a few percent faster, but grows its
// output by append up to its memory limit when a frame does not declare
// its size, so a bomb could cost many times max.) A first frame that
// declares a content size over max is refused before decoding, and one
// that declares its size sets the first allocation.
func decompressZstd(dst, src []byte, max int) ([]byte, error) {
	hint := len(src)
	var fh zstd.Header
	if fh.Decode(src) == nil && fh.HasFCS {
		if fh.FrameContentSize > uint64(max) {
			return dst, errMaxDecompress(CodecZstd, max)
		}
		hint = int(fh.FrameContentSize)/4 + 1 // readBounded allocates 4*hint first
	}
	w := zstdDecoders.Get().(*zstdDecoder)
	defer zstdDecoders.Put(w)
	w.src.Reset(src)
	if err := w.d.Reset(&w.src); err != nil {
		return dst, err
	}
	dst, err := readBounded(dst, w.d, max, hint, CodecZstd)
	_ = w.d.Reset(nil) // drop the reference to src; Reset(nil) cannot fail
	w.src.Reset(nil)
	return dst, err
}

// snappy: raw blocks are encoded with s2's snappy-compatible encoder; see
// snappy.go for decoding both raw blocks and xerial framing.

func compressSnappy(dst, src []byte) ([]byte, error) {
	n := s2.MaxEncodedLen(len(src))
	if n < 0 {
		return dst, fmt.Errorf("recordbatch: snappy: %d bytes is too large to encode", len(src))
	}
	dst = slices.Grow(dst, n)
	out := s2.EncodeSnappy(dst[len(dst):len(dst)+n], src) // room given: encodes in place
	return dst[:len(dst)+len(out)], nil
}
