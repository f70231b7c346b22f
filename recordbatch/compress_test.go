package recordbatch

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/twmb/franz-go/pkg/kgo"
)

// payloads are the inputs every codec must round-trip: empty, tiny,
// incompressible, and larger than a block of each codec.
func payloads() map[string][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 100<<10)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	text := bytes.Repeat([]byte("the quick brown fox jumps over the lazy dog; "), 30000) // ~1.3 MiB
	return map[string][]byte{
		"empty":  {},
		"byte":   {42},
		"random": random,
		"text":   text,
	}
}

func TestCompressRoundTrip(t *testing.T) {
	forEachCodec(t, func(t *testing.T, c Codec) {
		for name, src := range payloads() {
			prefix := []byte("prefix")
			comp, err := Compress(bytes.Clone(prefix), c, src)
			if err != nil {
				t.Fatalf("%s: Compress: %v", name, err)
			}
			if !bytes.HasPrefix(comp, prefix) {
				t.Fatalf("%s: Compress overwrote dst", name)
			}
			comp = comp[len(prefix):]
			out, err := Decompress(bytes.Clone(prefix), c, comp, len(src))
			if err != nil {
				t.Fatalf("%s: Decompress with max = len: %v", name, err)
			}
			if !bytes.Equal(out, append(bytes.Clone(prefix), src...)) {
				t.Fatalf("%s: round trip changed %d bytes into %d", name, len(src), len(out)-len(prefix))
			}
			if len(src) > 0 {
				_, err := Decompress(nil, c, comp, len(src)-1)
				if !errors.Is(err, ErrMaxDecompress) || !errors.Is(err, ErrCorrupt) {
					t.Fatalf("%s: Decompress with max = len-1: %v, want ErrMaxDecompress and ErrCorrupt", name, err)
				}
			}
			// kgo's consumer must read what we write.
			if c != CodecNone && len(src) > 0 {
				theirs, err := kgo.DefaultDecompressor().Decompress(comp, kgo.CompressionCodecType(c))
				if err != nil || !bytes.Equal(theirs, src) {
					t.Fatalf("%s: kgo decompress: %v", name, err)
				}
			}
		}
	})
}

// TestDecompressForeign decodes what other encoders write: kgo's
// compressor, snappy-java's xerial framing, lz4 frames with other options.
func TestDecompressForeign(t *testing.T) {
	src := payloads()["text"]
	for _, kc := range []kgo.CompressionCodec{kgo.GzipCompression(), kgo.SnappyCompression(), kgo.Lz4Compression(), kgo.ZstdCompression()} {
		cc, err := kgo.DefaultCompressor(kc)
		if err != nil {
			t.Fatal(err)
		}
		out, codec := cc.Compress(new(bytes.Buffer), src)
		got, err := Decompress(nil, Codec(codec), out, len(src))
		if err != nil || !bytes.Equal(got, src) {
			t.Fatalf("kgo %d: %v", codec, err)
		}
	}

	for _, block := range []int{1, 32 << 10, 1 << 20} {
		x := appendXerial(nil, src, block)
		got, err := Decompress(nil, CodecSnappy, x, len(src))
		if err != nil || !bytes.Equal(got, src) {
			t.Fatalf("xerial %d-byte blocks: %v", block, err)
		}
		if _, err := Decompress(nil, CodecSnappy, x, len(src)-1); !errors.Is(err, ErrMaxDecompress) {
			t.Fatalf("xerial %d-byte blocks, max len-1: %v", block, err)
		}
		theirs, err := kgo.DefaultDecompressor().Decompress(x, kgo.CodecSnappy)
		if err != nil || !bytes.Equal(theirs, src) {
			t.Fatalf("kgo reading our xerial test framing: %v", err)
		}
	}
	if got, err := Decompress(nil, CodecSnappy, appendXerial(nil, nil, 1), 0); err != nil || len(got) != 0 {
		t.Fatalf("xerial header alone: %q, %v; want empty", got, err)
	}

	for _, opts := range [][]lz4.Option{
		{lz4.BlockSizeOption(lz4.Block4Mb)},
		{lz4.ChecksumOption(false), lz4.BlockChecksumOption(true)},
		{lz4.SizeOption(uint64(len(src)))},
		{lz4.ConcurrencyOption(2), lz4.BlockSizeOption(lz4.Block256Kb)},
	} {
		var buf bytes.Buffer
		w := lz4.NewWriter(&buf)
		if err := w.Apply(opts...); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(src); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		got, err := Decompress(nil, CodecLZ4, buf.Bytes(), len(src))
		if err != nil || !bytes.Equal(got, src) {
			t.Fatalf("lz4 %v: %v", opts, err)
		}
	}
}

// TestDecompressBombs inflates highly compressible payloads with a small
// limit: each must fail with ErrMaxDecompress having allocated little more
// than the limit.
func TestDecompressBombs(t *testing.T) {
	const inflated = 64 << 20
	const limit = 1 << 20
	zeros := make([]byte, inflated)
	bombs := map[string]struct {
		c   Codec
		src []byte
	}{}
	for _, c := range allCodecs[1:] {
		src, err := Compress(nil, c, zeros)
		if err != nil {
			t.Fatal(err)
		}
		bombs[c.String()] = struct {
			c   Codec
			src []byte
		}{c, src}
	}
	bombs["snappy-xerial"] = struct {
		c   Codec
		src []byte
	}{CodecSnappy, appendXerial(nil, zeros, 64<<10)}
	var two []byte // zstd: two frames, each under the limit, together over it
	for range 2 {
		two, _ = Compress(two, CodecZstd, zeros[:limit*3/4])
	}
	bombs["zstd-two-frames"] = struct {
		c   Codec
		src []byte
	}{CodecZstd, two}
	var streamed bytes.Buffer // no content size in the frame header
	zw, err := zstd.NewWriter(&streamed, zstd.WithEncoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(zeros); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	var fh zstd.Header
	if err := fh.Decode(streamed.Bytes()); err != nil || fh.HasFCS {
		t.Fatalf("streamed zstd frame: %v, has content size %v", err, fh.HasFCS)
	}
	bombs["zstd-streamed"] = struct {
		c   Codec
		src []byte
	}{CodecZstd, streamed.Bytes()}
	zeros = nil

	for name, bomb := range bombs {
		t.Run(name, func(t *testing.T) {
			// Warm the pools so the measurement sees only this call.
			if _, err := Decompress(nil, bomb.c, bomb.src, limit); !errors.Is(err, ErrMaxDecompress) {
				t.Fatalf("got %v, want ErrMaxDecompress", err)
			}
			// The output buffer grows to at most limit+1 bytes, in
			// doubling steps; zstd's decoder adds its window.
			bound := uint64(4*limit + 1<<20)
			if bomb.c == CodecZstd {
				bound += zstdMaxWindow + 1<<20
			}
			var err error
			n, ok := allocatedWithin(bound, func() { _, err = Decompress(nil, bomb.c, bomb.src, limit) })
			if !errors.Is(err, ErrMaxDecompress) || !errors.Is(err, ErrCorrupt) {
				t.Fatalf("got %v, want ErrMaxDecompress wrapping ErrCorrupt", err)
			}
			if !ok {
				t.Fatalf("allocated %d bytes for a %d-byte limit (bound %d)", n, limit, bound)
			}
			t.Logf("allocated %d bytes", n)
		})
	}
}

func TestDecompressCorrupt(t *testing.T) {
	src := payloads()["text"][:100<<10]
	forEachCodec(t, func(t *testing.T, c Codec) {
		if c == CodecNone {
			return
		}
		comp, err := Compress(nil, c, src)
		if err != nil {
			t.Fatal(err)
		}
		// Every truncation must fail (each format ends with a checksum or
		// a length that covers the end), and never panic.
		for n := 0; n < len(comp); n += max(1, len(comp)/300) {
			if out, err := Decompress(nil, c, comp[:n], len(src)); err == nil {
				t.Fatalf("truncated to %d of %d bytes: no error, %d bytes out", n, len(comp), len(out))
			} else if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("truncated to %d: %v does not wrap ErrCorrupt", n, err)
			}
		}
		// Flipped bits: an error or some output, never a panic or more
		// than max bytes.
		for i := 0; i < len(comp); i += max(1, len(comp)/200) {
			bad := bytes.Clone(comp)
			bad[i] ^= 0x10
			out, err := Decompress(nil, c, bad, len(src))
			if err != nil && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("flip at %d: %v does not wrap ErrCorrupt", i, err)
			}
			if len(out) > len(src) {
				t.Fatalf("flip at %d: %d bytes out, max %d", i, len(out), len(src))
			}
		}
	})
	if _, err := Decompress(nil, Codec(5), []byte{1}, 10); !errors.Is(err, ErrUnknownCodec) || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("codec 5: %v", err)
	}
	if _, err := Compress(nil, Codec(7), []byte{1}); !errors.Is(err, ErrUnknownCodec) {
		t.Fatalf("Compress codec 7: %v", err)
	}
	// A raw snappy block that claims more than max is refused before any
	// decoding; so is a xerial block length past the end.
	claim := s2.EncodeSnappy(nil, make([]byte, 1000))
	if _, err := Decompress(nil, CodecSnappy, claim, 999); !errors.Is(err, ErrMaxDecompress) {
		t.Fatalf("snappy claim over max: %v", err)
	}
	x := appendXerial(nil, []byte("abc"), 10)
	x[xerialHeaderSize+3]++ // the block length
	if _, err := Decompress(nil, CodecSnappy, x, 100); !errors.Is(err, ErrCorrupt) || !errors.Is(err, errXerialFraming) {
		t.Fatalf("xerial length past the end: %v", err)
	}
	if _, err := Decompress(nil, CodecSnappy, append(appendXerial(nil, []byte("abc"), 10), 0, 0), 100); !errors.Is(err, errXerialFraming) {
		t.Fatalf("xerial with 2 stray bytes: %v", err)
	}
}

// TestCompressConcurrent shares the pools between goroutines; run with
// -race.
func TestCompressConcurrent(t *testing.T) {
	src := payloads()["text"][:64<<10]
	var wg sync.WaitGroup
	errs := make(chan error, 4*len(allCodecs))
	for g := range 4 {
		for _, c := range allCodecs {
			wg.Go(func() {
				for i := range 20 {
					in := src[:len(src)-g*100-i]
					comp, err := Compress(nil, c, in)
					if err != nil {
						errs <- err
						return
					}
					out, err := Decompress(make([]byte, 0, 10), c, comp, len(in))
					if err != nil || !bytes.Equal(out, in) {
						errs <- fmt.Errorf("%s goroutine %d round %d: %v", c, g, i, err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestReadBoundedNoProgress stops a reader that returns nothing forever.
func TestReadBoundedNoProgress(t *testing.T) {
	_, err := readBounded(nil, stuckReader{}, 10, 1, CodecGzip)
	if !errors.Is(err, errNoProgress) {
		t.Fatalf("got %v", err)
	}
	out, err := readBounded([]byte("x"), io.LimitReader(bytes.NewReader(make([]byte, 100)), 100), 100, 1, CodecGzip)
	if err != nil || len(out) != 101 {
		t.Fatalf("exactly max: %d bytes, %v", len(out), err)
	}
}

type stuckReader struct{}

func (stuckReader) Read([]byte) (int, error) { return 0, nil }
