package recordbatch

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"io"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// benchRecords are n records with 100-byte values of text-like bytes, a
// short key and one header: something like a log line per record.
func benchRecords(n int) []Record {
	recs := make([]Record, n)
	for i := range recs {
		v := fmt.Appendf(nil, "%08d level=info msg=\"request served\" path=/api/v1/items status=200 took=%dms ", i, i%97)
		v = append(v, bytes.Repeat([]byte{'.'}, 100-len(v))...)
		recs[i] = Record{Timestamp: sampleBase + int64(i), Key: fmt.Appendf(nil, "user-%d", i%50), Value: v[:100],
			Headers: []RecordHeader{{Key: []byte("trace"), Value: []byte("abc")}}}
	}
	return recs
}

// batchOfSize builds an uncompressed batch of bench records no larger
// than size bytes and within a record of it.
func batchOfSize(b *testing.B, size int) []byte {
	per := len(Header(build(b, *NewBuilder(), benchRecords(100))).Records()) / 100
	return build(b, *NewBuilder(), benchRecords((size-HeaderSize)/per))
}

var castagnoliTable = crc32.MakeTable(crc32.Castagnoli)

// BenchmarkValidate validates 16 KiB and 1 MiB batches; BenchmarkCRC32C is
// the raw CRC-32C over the same bytes, the bound Validate approaches.
func BenchmarkValidate(b *testing.B) {
	for _, size := range []int{16 << 10, 1 << 20} {
		batch := batchOfSize(b, size)
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(len(batch)))
			b.ReportAllocs()
			for b.Loop() {
				if err := Validate(batch, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCRC32C(b *testing.B) {
	for _, size := range []int{16 << 10, 1 << 20} {
		batch := batchOfSize(b, size)
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(len(batch)))
			b.ReportAllocs()
			var sink uint32
			for b.Loop() {
				sink += crc32.Checksum(batch, castagnoliTable)
			}
			_ = sink
		})
	}
}

// BenchmarkIterate reads every record of an uncompressed batch of 1000
// records with 100-byte values through one reused Iterator.
func BenchmarkIterate(b *testing.B) {
	batch := build(b, *NewBuilder(), benchRecords(1000))
	it := NewIterator(batch, 0)
	b.SetBytes(int64(len(batch)))
	b.ReportAllocs()
	var n int
	for b.Loop() {
		it.Reset(batch, 0)
		for it.Next() {
			n += len(it.Record().Value)
		}
		if it.Err() != nil {
			b.Fatal(it.Err())
		}
	}
	b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkBuild encodes the same 1000 records, uncompressed.
func BenchmarkBuild(b *testing.B) {
	recs := benchRecords(1000)
	bl := NewBuilder()
	var out []byte
	b.ReportAllocs()
	for b.Loop() {
		bl.Reset()
		for i := range recs {
			bl.Add(&recs[i])
		}
		var err error
		if out, err = bl.AppendTo(out[:0]); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(out)))
}

// benchPayload is the record section of the 1000-record batch: what a
// codec compresses in a real batch.
func benchPayload(b *testing.B) []byte {
	return Header(build(b, *NewBuilder(), benchRecords(1000))).Records()
}

// BenchmarkCompress runs Compress ("pooled") beside the same library used
// directly with one encoder kept by the benchmark ("direct"): the
// difference is what the pools and the append-to-dst plumbing cost.
func BenchmarkCompress(b *testing.B) {
	src := benchPayload(b)
	direct := map[Codec]func(dst []byte) []byte{
		CodecGzip: func() func([]byte) []byte {
			var w appendWriter
			gz, _ := gzip.NewWriterLevel(&w, gzip.DefaultCompression)
			return func(dst []byte) []byte {
				w.b = dst
				gz.Reset(&w)
				_, _ = gz.Write(src)
				_ = gz.Close()
				return w.b
			}
		}(),
		CodecSnappy: func(dst []byte) []byte { return s2.EncodeSnappy(dst[:cap(dst)], src) },
		CodecLZ4: func() func([]byte) []byte {
			var w appendWriter
			lw := lz4.NewWriter(&w)
			_ = lw.Apply(lz4.BlockSizeOption(lz4.Block64Kb), lz4.CompressionLevelOption(lz4.Fast))
			return func(dst []byte) []byte {
				w.b = dst
				lw.Reset(&w)
				_, _ = lw.Write(src)
				_ = lw.Close()
				return w.b
			}
		}(),
		CodecZstd: func() func([]byte) []byte {
			e, _ := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(64<<10), zstd.WithZeroFrames(true))
			return func(dst []byte) []byte { return e.EncodeAll(src, dst) }
		}(),
	}
	for _, c := range allCodecs[1:] {
		b.Run(c.String()+"/pooled", func(b *testing.B) {
			dst := make([]byte, 0, s2.MaxEncodedLen(len(src)))
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if dst, err = Compress(dst[:0], c, src); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(dst))/float64(len(src)), "ratio")
		})
		b.Run(c.String()+"/direct", func(b *testing.B) {
			dst := make([]byte, 0, s2.MaxEncodedLen(len(src)))
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for b.Loop() {
				dst = direct[c](dst[:0])
			}
			b.ReportMetric(float64(len(dst))/float64(len(src)), "ratio")
		})
	}
}

// BenchmarkDecompress runs Decompress ("pooled", bounded by the payload's
// size) beside the library used directly with a kept decoder ("direct",
// unbounded, into a buffer of the right size). For zstd, "decodeall" is
// the library's one-shot DecodeAll, which Decompress does not use (see
// decompressZstd).
func BenchmarkDecompress(b *testing.B) {
	src := benchPayload(b)
	type directFn func(dst, comp []byte) []byte
	readAll := func(r io.Reader, dst []byte) []byte {
		n, err := io.ReadFull(r, dst[:cap(dst)])
		if err != io.ErrUnexpectedEOF && err != nil {
			panic(err)
		}
		return dst[:n]
	}
	direct := map[Codec]directFn{
		CodecGzip: func() directFn {
			var r gzip.Reader
			var br bytes.Reader
			return func(dst, comp []byte) []byte {
				br.Reset(comp)
				_ = r.Reset(&br)
				return readAll(&r, dst)
			}
		}(),
		CodecSnappy: func(dst, comp []byte) []byte {
			out, _ := s2.Decode(dst[:cap(dst)], comp)
			return out
		},
		CodecLZ4: func() directFn {
			r := lz4.NewReader(nil)
			var br bytes.Reader
			return func(dst, comp []byte) []byte {
				br.Reset(comp)
				r.Reset(&br)
				return readAll(r, dst)
			}
		}(),
		CodecZstd: func() directFn {
			d, _ := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(zstdMaxWindow), zstd.WithDecoderMaxMemory(zstdMaxWindow))
			var br bytes.Reader
			return func(dst, comp []byte) []byte {
				br.Reset(comp)
				_ = d.Reset(&br)
				return readAll(d, dst)
			}
		}(),
	}
	for _, c := range allCodecs[1:] {
		comp, err := Compress(nil, c, src)
		if err != nil {
			b.Fatal(err)
		}
		run := func(name string, fn directFn) {
			b.Run(c.String()+"/"+name, func(b *testing.B) {
				dst := make([]byte, 0, len(src)+1)
				b.SetBytes(int64(len(src)))
				b.ReportAllocs()
				for b.Loop() {
					dst = fn(dst[:0], comp)
				}
				if !bytes.Equal(dst, src) {
					b.Fatalf("%s decoded %d bytes, want %d", name, len(dst), len(src))
				}
			})
		}
		run("pooled", func(dst, comp []byte) []byte {
			out, err := Decompress(dst, c, comp, len(src))
			if err != nil {
				panic(err)
			}
			return out
		})
		run("direct", direct[c])
		if c == CodecZstd {
			d, _ := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
			run("decodeall", func(dst, comp []byte) []byte {
				out, _ := d.DecodeAll(comp, dst)
				return out
			})
		}
	}
}
