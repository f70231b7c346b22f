package recordbatch

import (
	"bytes"
	"fmt"
	"testing"
)

// recordsOfSize are n log-line-like records with values of size bytes, a
// short key and one header.
func recordsOfSize(n, size int) []Record {
	recs := make([]Record, n)
	for i := range recs {
		v := fmt.Appendf(nil, "%08d level=info msg=\"request served\" path=/api/v1/items/%d status=200 took=%dms ", i, i*7919%10007, i%97)
		for len(v) < size {
			v = fmt.Appendf(v, "user=%d region=eu-west-%d ", i%50, i%3)
		}
		recs[i] = Record{Timestamp: sampleBase + int64(i), Key: fmt.Appendf(nil, "user-%d", i%50), Value: bytes.Clone(v[:size]),
			Headers: []RecordHeader{{Key: []byte("trace"), Value: []byte("abc")}}}
	}
	return recs
}

// BenchmarkRecompress is what a topic with a compression.type pays per
// produced batch whose codec differs: Recompress of a 16 KiB batch (the
// Java producer's batch.size) of 100-byte or 1 KiB records, produced
// uncompressed or with snappy (kgo's default), to lz4 and zstd at Kafka's
// default levels. MB/s counts the uncompressed record bytes.
func BenchmarkRecompress(b *testing.B) {
	for _, size := range []int{100, 1024} {
		n := (16 << 10) / (size + 30)
		recs := recordsOfSize(n, size)
		raw := build(b, *NewBuilder(), recs)
		section := len(Header(raw).Records())
		for _, from := range []Codec{CodecNone, CodecSnappy} {
			bb := *NewBuilder()
			bb.Codec = from
			src := build(b, bb, recs)
			for _, to := range []Codec{CodecLZ4, CodecZstd} {
				name := fmt.Sprintf("%dB/%s-to-%s", size, from, to)
				b.Run(name, func(b *testing.B) {
					dst := make([]byte, 0, 2*len(raw))
					b.SetBytes(int64(section))
					b.ReportAllocs()
					for b.Loop() {
						var err error
						if dst, err = Recompress(dst[:0], src, to, DefaultLevel(to), 1<<20); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
					b.ReportMetric(float64(len(dst))/float64(len(raw)), "ratio")
				})
			}
		}
	}
}
