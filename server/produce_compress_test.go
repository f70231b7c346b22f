package server

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"runtime/metrics"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/recordbatch"
)

// legacyMessage encodes one legacy message (magic 0 or 1) with its size
// and CRC-32.
func legacyMessage(magic, attrs int8, offset, ts int64, value []byte) []byte {
	var m []byte
	m = append(m, byte(magic), byte(attrs))
	if magic == 1 {
		m = binary.BigEndian.AppendUint64(m, uint64(ts))
	}
	m = binary.BigEndian.AppendUint32(m, uint32(0xffffffff)) // null key
	m = binary.BigEndian.AppendUint32(m, uint32(len(value)))
	m = append(m, value...)
	var out []byte
	out = binary.BigEndian.AppendUint64(out, uint64(offset))
	out = binary.BigEndian.AppendUint32(out, uint32(4+len(m)))
	out = binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(m))
	return append(out, m...)
}

// legacyWrapper compresses a magic 1 message set with codec into one
// wrapper message, as pre-0.11 producers did.
func legacyWrapper(t *testing.T, c recordbatch.Codec, inner []byte) []byte {
	t.Helper()
	value, err := recordbatch.Compress(nil, c, inner)
	if err != nil {
		t.Fatal(err)
	}
	return legacyMessage(1, int8(c), 0, 1700000000000, value)
}

// heapAllocs is the process's cumulative heap allocation in bytes.
func heapAllocs() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestProduceLegacyGzipBomb: a Produce v2 request whose partitions 0 and 2
// hold a gzip wrapper of a 64 MiB message (64 KiB on the wire) and whose
// partitions 1 and 3 hold ordinary sets. The bombs are refused with
// MESSAGE_TOO_LARGE (their records are more than
// maxDecompressFactor x max.message.bytes), having decompressed no more
// than that bound; the other partitions are appended.
func TestProduceLegacyGzipBomb(t *testing.T) {
	s := startServer(t)
	if _, err := s.topics.Create("bomb", 4, map[string]string{"max.message.bytes": "100000"}, false); err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 64<<20)
	bomb := legacyWrapper(t, recordbatch.CodecGzip, legacyMessage(1, 0, 0, 1700000000000, zeros))
	zeros = nil
	if len(bomb) > 100<<10 {
		t.Fatalf("bomb of %d bytes; want it small", len(bomb))
	}
	good := legacyWrapper(t, recordbatch.CodecGzip, legacySet(t, 1, "gz"))
	rc := dialRaw(t, s)
	req := produceReq(2, 1, "bomb", map[int32][]byte{0: bomb, 1: good, 2: bomb, 3: legacySet(t, 1, "plain")})

	// One warm-up round on another topic so pools and buffers exist.
	if _, err := s.topics.Create("warm", 4, map[string]string{"max.message.bytes": "100000"}, false); err != nil {
		t.Fatal(err)
	}
	warm := produceReq(2, 1, "warm", map[int32][]byte{0: bomb, 1: good, 2: bomb, 3: legacySet(t, 1, "plain")})
	rc.roundTrip(warm)

	before := heapAllocs()
	res := produceResults(t, rc.roundTrip(req))
	allocated := heapAllocs() - before
	want := map[int32]partResult{
		0: {kerr.MessageTooLarge.Code, -1},
		1: {0, 0},
		2: {kerr.MessageTooLarge.Code, -1},
		3: {0, 0},
	}
	for p, w := range want {
		if res[p] != w {
			t.Errorf("partition %d: %+v, want %+v", p, res[p], w)
		}
	}
	for p, w := range map[int32]int64{0: 0, 1: 3, 2: 0, 3: 3} {
		if got := hw(t, s, "bomb", p); got != w {
			t.Errorf("partition %d: high watermark %d, want %d", p, got, w)
		}
	}
	// Each bomb may inflate to the bound (16 x 100000 bytes), once at the
	// first guess and once at the bound, in buffers that grow by doubling.
	const bound = 16 << 20
	if allocated > bound {
		t.Errorf("the request allocated %d bytes, want at most %d", allocated, bound)
	}
	t.Logf("allocated %d bytes", allocated)
}

// TestProduceDecompressionBudget: while the broker-wide decompression
// budget is taken, a produce that must decompress waits for it up to the
// request's timeout and then gets REQUEST_TIMED_OUT for that partition
// only, appending nothing; once the budget is free it is appended, and
// every grant has been given back.
func TestProduceDecompressionBudget(t *testing.T) {
	s := startServer(t, "strata.produce.decompression.memory.max.bytes", "1048576")
	if _, err := s.topics.Create("budget", 2, nil, false); err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, s)
	held, ok := s.decompress.acquire(1<<20, nil, nil)
	if !ok {
		t.Fatal("could not take the budget")
	}
	req := produceReq(2, 1, "budget", map[int32][]byte{
		0: legacyWrapper(t, recordbatch.CodecGzip, legacySet(t, 1, "gz")),
		1: legacySet(t, 1, "plain"), // nothing to decompress: no budget
	})
	req.TimeoutMillis = 300
	start := time.Now()
	res := produceResults(t, rc.roundTrip(req))
	if took := time.Since(start); took < 250*time.Millisecond || took > 5*time.Second {
		t.Errorf("answered after %v, want about the 300 ms timeout", took)
	}
	if res[0] != (partResult{kerr.RequestTimedOut.Code, -1}) || res[1] != (partResult{0, 0}) {
		t.Fatalf("with the budget taken: %+v", res)
	}
	if got := hw(t, s, "budget", 0); got != 0 {
		t.Fatalf("high watermark %d after a timed-out produce", got)
	}
	s.decompress.release(held)
	res = produceResults(t, rc.roundTrip(req))
	if res[0] != (partResult{0, 0}) || res[1] != (partResult{0, 3}) {
		t.Fatalf("with the budget free: %+v", res)
	}
	if n := s.decompress.inUse(); n != 0 {
		t.Fatalf("%d bytes of the budget still taken", n)
	}
}

// sentRecord is what a test produced, to compare with what is stored.
type sentRecord struct {
	key, value []byte
	headers    []kgo.RecordHeader
	ts         int64
}

func sampleSent(prefix string, n int) []sentRecord {
	var out []sentRecord
	for i := range n {
		r := sentRecord{
			key:   []byte(prefix + "-key-" + strconv.Itoa(i)),
			value: bytes.Repeat([]byte(prefix+"-value-"+strconv.Itoa(i)+" "), 20),
			ts:    1700000000000 + int64(i*7),
		}
		if i%2 == 0 {
			r.headers = []kgo.RecordHeader{{Key: "h" + strconv.Itoa(i), Value: []byte("v")}, {Key: "empty", Value: []byte{}}}
		}
		if i == 3 {
			r.key = nil
		}
		out = append(out, r)
	}
	return out
}

// produceKgo produces recs to partition 0 of topicName with a kgo client
// (idempotent, kgo's default) compressing with codec, in one flush.
func produceKgo(t *testing.T, s *Server, topicName string, codec kgo.CompressionCodec, recs []sentRecord) {
	t.Helper()
	cl := newClient(t, s, kgo.ProducerBatchCompression(codec), kgo.ManualFlushing(),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))
	ctx := testCtx(t)
	results := make(chan error, len(recs))
	for _, r := range recs {
		kr := &kgo.Record{Topic: topicName, Partition: 0, Key: r.key, Value: r.value, Headers: r.headers, Timestamp: time.UnixMilli(r.ts)}
		cl.Produce(ctx, kr, func(_ *kgo.Record, err error) { results <- err })
	}
	if err := cl.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for range recs {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
}

// storedBatches fetches partition 0 of topicName with a raw Fetch and
// splits the record bytes into batches, each checked (length, CRC).
func storedBatches(t *testing.T, s *Server, topicName string) [][]byte {
	t.Helper()
	rc := dialRaw(t, s)
	resp := rc.roundTrip(fetchReq(11, topicName, 0, 0, 0)).(*kmsg.FetchResponse)
	fp := resp.Topics[0].Partitions[0]
	if fp.ErrorCode != 0 {
		t.Fatalf("fetch: error %d", fp.ErrorCode)
	}
	var out [][]byte
	for b := fp.RecordBatches; len(b) > 0; {
		n, err := recordbatch.BatchSize(b)
		if err != nil || n > len(b) {
			t.Fatalf("batch size %d: %v", n, err)
		}
		if err := recordbatch.CheckStored(b[:n]); err != nil {
			t.Fatalf("stored batch: %v", err)
		}
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

// checkStored checks that the stored batches of topicName all have codec
// want and together hold exactly recs at offsets 0..n-1, and returns them.
func checkStored(t *testing.T, s *Server, topicName string, want recordbatch.Codec, recs []sentRecord) [][]byte {
	t.Helper()
	batches := storedBatches(t, s, topicName)
	i := 0
	for _, b := range batches {
		if c := recordbatch.Header(b).Codec(); c != want {
			t.Fatalf("%s: stored batch has codec %s, want %s", topicName, c, want)
		}
		it := recordbatch.NewIterator(b, 64<<20)
		for ; it.Next(); i++ {
			r := it.Record()
			if i >= len(recs) {
				t.Fatalf("%s: more than %d records stored", topicName, len(recs))
			}
			w := recs[i]
			if r.Offset != int64(i) || r.Timestamp != w.ts || !bytes.Equal(r.Key, w.key) || (r.Key == nil) != (w.key == nil) ||
				!bytes.Equal(r.Value, w.value) || r.Attributes != 0 || len(r.Headers) != len(w.headers) {
				t.Fatalf("%s: record %d: offset %d ts %d key %q value %q headers %d; want offset %d ts %d key %q value %q headers %d",
					topicName, i, r.Offset, r.Timestamp, r.Key, r.Value, len(r.Headers), i, w.ts, w.key, w.value, len(w.headers))
			}
			for j, h := range r.Headers {
				if string(h.Key) != w.headers[j].Key || !bytes.Equal(h.Value, w.headers[j].Value) || h.Value == nil {
					t.Fatalf("%s: record %d header %d: %q=%q", topicName, i, j, h.Key, h.Value)
				}
			}
		}
		if err := it.Err(); err != nil {
			t.Fatal(err)
		}
	}
	if i != len(recs) {
		t.Fatalf("%s: %d records stored, want %d", topicName, i, len(recs))
	}
	return batches
}

// TestProduceTopicCompression: compression.type decides the stored codec
// as in Kafka: zstd and lz4 topics recompress an uncompressed producer's
// batches, an uncompressed topic decompresses a gzip producer's, producer
// keeps the producer's codec. Records are the same in every field and the
// idempotent producer's header fields survive.
func TestProduceTopicCompression(t *testing.T) {
	s := startServer(t)
	for _, tc := range []struct {
		topic   string
		configs map[string]string
		codec   kgo.CompressionCodec
		want    recordbatch.Codec
	}{
		{"to-zstd", map[string]string{"compression.type": "zstd"}, kgo.NoCompression(), recordbatch.CodecZstd},
		{"to-zstd-level", map[string]string{"compression.type": "zstd", "compression.zstd.level": "12"}, kgo.SnappyCompression(), recordbatch.CodecZstd},
		{"to-lz4", map[string]string{"compression.type": "lz4", "compression.lz4.level": "1"}, kgo.NoCompression(), recordbatch.CodecLZ4},
		{"to-none", map[string]string{"compression.type": "uncompressed"}, kgo.GzipCompression(), recordbatch.CodecNone},
		{"to-gzip", map[string]string{"compression.type": "gzip"}, kgo.ZstdCompression(), recordbatch.CodecGzip},
		{"keep-gzip", nil, kgo.GzipCompression(), recordbatch.CodecGzip},
		{"keep-snappy", map[string]string{"compression.type": "producer"}, kgo.SnappyCompression(), recordbatch.CodecSnappy},
		{"same-zstd", map[string]string{"compression.type": "zstd"}, kgo.ZstdCompression(), recordbatch.CodecZstd},
	} {
		t.Run(tc.topic, func(t *testing.T) {
			if _, err := s.topics.Create(tc.topic, 1, tc.configs, false); err != nil {
				t.Fatal(err)
			}
			recs := sampleSent(tc.topic, 12)
			produceKgo(t, s, tc.topic, tc.codec, recs)
			for _, b := range checkStored(t, s, tc.topic, tc.want, recs) {
				h := recordbatch.Header(b)
				if h.ProducerID() < 0 || h.ProducerEpoch() != 0 || h.BaseSequence() != int32(h.BaseOffset()) {
					t.Fatalf("producer ID %d epoch %d base sequence %d at offset %d", h.ProducerID(), h.ProducerEpoch(), h.BaseSequence(), h.BaseOffset())
				}
			}
		})
	}
}

// TestProduceRecompressIdempotent: on a zstd topic an uncompressed
// idempotent batch is stored as zstd with its producer ID, epoch and base
// sequence; a retry of it is still recognised (its original offset, no
// append) and a gap still refused.
func TestProduceRecompressIdempotent(t *testing.T) {
	s := startServer(t)
	if _, err := s.topics.Create("idem-zstd", 1, map[string]string{"compression.type": "zstd"}, false); err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, s)
	ip := rc.roundTrip(kmsg.NewPtrInitProducerIDRequest()).(*kmsg.InitProducerIDResponse)
	if ip.ErrorCode != 0 {
		t.Fatalf("InitProducerID: %+v", ip)
	}
	seq := func(base int32, n int) []byte {
		return batch(t, n, "i"+strconv.Itoa(int(base)), func(b *recordbatch.Builder) {
			b.ProducerID, b.ProducerEpoch, b.BaseSequence = ip.ProducerID, ip.ProducerEpoch, base
		})
	}
	steps := []struct {
		b    []byte
		want partResult
	}{
		{seq(0, 3), partResult{0, 0}},
		{seq(3, 2), partResult{0, 3}},
		{seq(3, 2), partResult{0, 3}}, // a retry: the original's offset
		{seq(0, 3), partResult{0, 0}}, // an older retry
		{seq(9, 1), partResult{kerr.OutOfOrderSequenceNumber.Code, -1}},
		{seq(5, 1), partResult{0, 5}},
	}
	for i, st := range steps {
		if got := produceResults(t, rc.roundTrip(produceReq(9, -1, "idem-zstd", map[int32][]byte{0: st.b})))[0]; got != st.want {
			t.Fatalf("step %d: %+v, want %+v", i, got, st.want)
		}
	}
	batches := storedBatches(t, s, "idem-zstd")
	if len(batches) != 3 {
		t.Fatalf("%d batches stored, want 3", len(batches))
	}
	for i, wantSeq := range []int32{0, 3, 5} {
		h := recordbatch.Header(batches[i])
		if h.Codec() != recordbatch.CodecZstd || h.ProducerID() != ip.ProducerID || h.ProducerEpoch() != ip.ProducerEpoch || h.BaseSequence() != wantSeq {
			t.Fatalf("batch %d: codec %s producer %d/%d sequence %d; want zstd %d/%d %d",
				i, h.Codec(), h.ProducerID(), h.ProducerEpoch(), h.BaseSequence(), ip.ProducerID, ip.ProducerEpoch, wantSeq)
		}
	}
	if got := hw(t, s, "idem-zstd", 0); got != 6 {
		t.Fatalf("high watermark %d, want 6", got)
	}
}

// TestProduceLegacyToTopicCodec: legacy sets go to the topic's codec too:
// a gzip wrapper on a zstd topic, an uncompressed set on an lz4 topic.
func TestProduceLegacyToTopicCodec(t *testing.T) {
	s := startServer(t)
	for name, codec := range map[string]string{"legacy-zstd": "zstd", "legacy-lz4": "lz4"} {
		if _, err := s.topics.Create(name, 2, map[string]string{"compression.type": codec}, false); err != nil {
			t.Fatal(err)
		}
	}
	rc := dialRaw(t, s)
	res := produceResults(t, rc.roundTrip(produceReq(2, 1, "legacy-zstd", map[int32][]byte{
		0: legacyWrapper(t, recordbatch.CodecGzip, legacySet(t, 1, "gz")),
	})))
	if res[0] != (partResult{0, 0}) {
		t.Fatalf("gzip wrapper: %+v", res[0])
	}
	res = produceResults(t, rc.roundTrip(produceReq(1, 1, "legacy-lz4", map[int32][]byte{0: legacySet(t, 1, "plain")})))
	if res[0] != (partResult{0, 0}) {
		t.Fatalf("plain set: %+v", res[0])
	}
	for name, want := range map[string]recordbatch.Codec{"legacy-zstd": recordbatch.CodecZstd, "legacy-lz4": recordbatch.CodecLZ4} {
		b := storedBatches(t, s, name)
		if len(b) != 1 || recordbatch.Header(b[0]).Codec() != want {
			t.Fatalf("%s: %d batches, first codec %s; want one %s", name, len(b), recordbatch.Header(b[0]).Codec(), want)
		}
	}
}

// TestProduceRecompressBomb: a v2 gzip batch of one 64 MiB record (64 KiB
// on the wire) is stored as it is on a producer topic (Kafka does not
// decompress it), and refused with MESSAGE_TOO_LARGE on topics that would
// rebuild it (zstd: past 16 x max.message.bytes; uncompressed: past
// max.message.bytes), having decompressed no more than the bound; the
// other partition of the request is appended.
func TestProduceRecompressBomb(t *testing.T) {
	s := startServer(t)
	b := recordbatch.NewBuilder()
	b.Codec = recordbatch.CodecGzip
	b.Add(&recordbatch.Record{Timestamp: 1700000000000, Value: make([]byte, 64<<20)})
	bomb, err := b.AppendTo(nil)
	if err != nil {
		t.Fatal(err)
	}
	b = nil
	rc := dialRaw(t, s)
	for _, tc := range []struct {
		topic   string
		configs map[string]string
		want    partResult
	}{
		{"bomb-producer", map[string]string{"max.message.bytes": "100000"}, partResult{0, 0}},
		{"bomb-zstd", map[string]string{"max.message.bytes": "100000", "compression.type": "zstd"}, partResult{kerr.MessageTooLarge.Code, -1}},
		{"bomb-none", map[string]string{"max.message.bytes": "100000", "compression.type": "uncompressed"}, partResult{kerr.MessageTooLarge.Code, -1}},
	} {
		if _, err := s.topics.Create(tc.topic, 2, tc.configs, false); err != nil {
			t.Fatal(err)
		}
		req := produceReq(9, 1, tc.topic, map[int32][]byte{0: bomb, 1: batch(t, 4, "ok", nil)})
		before := heapAllocs()
		res := produceResults(t, rc.roundTrip(req))
		allocated := heapAllocs() - before
		if res[0] != tc.want || res[1] != (partResult{0, 0}) {
			t.Errorf("%s: %+v, want %+v and an appended partition 1", tc.topic, res, tc.want)
		}
		// zstd: a first guess of 16 x 64 KiB, then the bound of 1.6 MB, each
		// in buffers that grow by doubling.
		const bound = 12 << 20
		if allocated > bound {
			t.Errorf("%s: the request allocated %d bytes, want at most %d", tc.topic, allocated, bound)
		}
		t.Logf("%s: allocated %d bytes", tc.topic, allocated)
	}
	if n := s.decompress.inUse(); n != 0 {
		t.Fatalf("%d bytes of the budget still taken", n)
	}
}

// TestProduceRecompressedReadByKgo: kgo consumes what zstd and lz4 (at a
// high-compression level) topics stored, records intact.
func TestProduceRecompressedReadByKgo(t *testing.T) {
	s := startServer(t)
	for name, configs := range map[string]map[string]string{
		"read-zstd": {"compression.type": "zstd"},
		"read-lz4":  {"compression.type": "lz4", "compression.lz4.level": "12"},
		"read-gzip": {"compression.type": "gzip", "compression.gzip.level": "9"},
	} {
		if _, err := s.topics.Create(name, 1, configs, false); err != nil {
			t.Fatal(err)
		}
		recs := sampleSent(name, 30)
		produceKgo(t, s, name, kgo.NoCompression(), recs)
		cl := newClient(t, s, kgo.ConsumeTopics(name), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		ctx := testCtx(t)
		var got []*kgo.Record
		for len(got) < len(recs) {
			fs := cl.PollFetches(ctx)
			if err := fs.Err(); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got = append(got, fs.Records()...)
		}
		for i, r := range got {
			w := recs[i]
			if r.Offset != int64(i) || !bytes.Equal(r.Key, w.key) || !bytes.Equal(r.Value, w.value) ||
				r.Timestamp.UnixMilli() != w.ts || len(r.Headers) != len(w.headers) {
				t.Fatalf("%s: record %d: offset %d key %q ts %d", name, i, r.Offset, r.Key, r.Timestamp.UnixMilli())
			}
		}
	}
}

// TestProduceLegacyOverheadNotCounted: a gzip wrapper whose legacy
// messages take more than max.message.bytes uncompressed, but whose v2
// records fit, is stored on an uncompressed topic, as Kafka stores it
// (its check is on the rebuilt batch).
func TestProduceLegacyOverheadNotCounted(t *testing.T) {
	s := startServer(t)
	if _, err := s.topics.Create("overhead", 1, map[string]string{"compression.type": "uncompressed", "max.message.bytes": "10000"}, false); err != nil {
		t.Fatal(err)
	}
	var inner []byte
	for i := range 400 {
		inner = append(inner, legacyMessage(1, 0, int64(i), 1700000000000, []byte{'x'})...)
	}
	if len(inner) <= 10000 {
		t.Fatalf("inner set of %d bytes; want it over max.message.bytes", len(inner))
	}
	rc := dialRaw(t, s)
	res := produceResults(t, rc.roundTrip(produceReq(2, 1, "overhead", map[int32][]byte{0: legacyWrapper(t, recordbatch.CodecGzip, inner)})))
	if res[0] != (partResult{0, 0}) {
		t.Fatalf("%+v, want stored at 0", res[0])
	}
	b := storedBatches(t, s, "overhead")
	if len(b) != 1 || recordbatch.Header(b[0]).Codec() != recordbatch.CodecNone || recordbatch.Header(b[0]).RecordCount() != 400 || len(b[0]) > 10000 {
		t.Fatalf("stored %d batches, first of %d bytes", len(b), len(b[0]))
	}
}

// TestProduceBrokerCompressionType: the broker's compression.type (and
// level) applies to topics without an override; a topic's override wins.
func TestProduceBrokerCompressionType(t *testing.T) {
	s := startServer(t, "compression.type", "lz4", "compression.lz4.level", "3")
	for name, configs := range map[string]map[string]string{
		"broker-default": nil,
		"topic-producer": {"compression.type": "producer"},
	} {
		if _, err := s.topics.Create(name, 1, configs, false); err != nil {
			t.Fatal(err)
		}
	}
	recs := sampleSent("b", 5)
	produceKgo(t, s, "broker-default", kgo.NoCompression(), recs)
	checkStored(t, s, "broker-default", recordbatch.CodecLZ4, recs)
	produceKgo(t, s, "topic-producer", kgo.NoCompression(), recs)
	checkStored(t, s, "topic-producer", recordbatch.CodecNone, recs)
	if got := s.topicTarget(mustTopic(t, s, "broker-default")); got != (recordbatch.Target{Codec: recordbatch.CodecLZ4, Level: 3}) {
		t.Fatalf("broker target %+v", got)
	}

	// A dynamic broker compression.type applies to the next produce.
	resp, err := newAdmin(t, s).AlterBrokerConfigs(testCtx(t), []kadm.AlterConfig{{Name: "compression.type", Value: kadm.StringPtr("zstd")}}, 1)
	if err == nil {
		_, err = resp.On("1", nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	if got := s.topicTarget(mustTopic(t, s, "broker-default")); got != (recordbatch.Target{Codec: recordbatch.CodecZstd, Level: recordbatch.DefaultLevel(recordbatch.CodecZstd)}) {
		t.Fatalf("broker target after the dynamic change %+v", got)
	}
}

// TestProduceConcurrentBombs: eight connections each sending two legacy
// gzip bombs at once share the 8 MiB budget (its peak stays within it),
// every bomb is refused with MESSAGE_TOO_LARGE and every good partition
// appended, and nothing stays reserved.
func TestProduceConcurrentBombs(t *testing.T) {
	s := startServer(t, "strata.produce.decompression.memory.max.bytes", "8388608")
	if _, err := s.topics.Create("many", 3, map[string]string{"max.message.bytes": "100000"}, false); err != nil {
		t.Fatal(err)
	}
	bomb := legacyWrapper(t, recordbatch.CodecGzip, legacyMessage(1, 0, 0, 1700000000000, make([]byte, 32<<20)))
	good := legacyWrapper(t, recordbatch.CodecGzip, legacySet(t, 1, "gz"))
	const conns = 8
	// All requests are sent before any answer is read: the connections'
	// read loops serve them at once.
	type sent struct {
		rc   *rawClient
		req  *kmsg.ProduceRequest
		corr int32
	}
	var all []sent
	for range conns {
		rc := dialRaw(t, s)
		req := produceReq(2, 1, "many", map[int32][]byte{0: bomb, 1: good, 2: bomb})
		all = append(all, sent{rc, req, rc.send(req)})
	}
	for _, x := range all {
		resp, err := x.rc.readResponse(x.req, x.corr)
		if err != nil {
			t.Fatal(err)
		}
		res := produceResults(t, resp)
		if res[0].code != kerr.MessageTooLarge.Code || res[1].code != 0 || res[2].code != kerr.MessageTooLarge.Code {
			t.Errorf("%+v", res)
		}
	}
	if got := hw(t, s, "many", 1); got != 3*conns {
		t.Errorf("good partition: high watermark %d, want %d", got, 3*conns)
	}
	if peak := s.decompress.peak.Load(); peak == 0 || peak > 8<<20 {
		t.Errorf("budget peak %d, want within (0, %d]", peak, 8<<20)
	}
	if n := s.decompress.inUse(); n != 0 {
		t.Errorf("%d bytes of the budget still taken", n)
	}
}
