package server

import (
	"encoding/binary"
	"hash/crc32"
	"strconv"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/recordbatch"
)

// batch builds a v2 batch of n records "<prefix>-<i>".
func batch(t *testing.T, n int, prefix string, mod func(*recordbatch.Builder)) []byte {
	t.Helper()
	b := recordbatch.NewBuilder()
	if mod != nil {
		mod(b)
	}
	for i := range n {
		b.Add(&recordbatch.Record{Timestamp: 1700000000000 + int64(i), Value: []byte(prefix + "-" + strconv.Itoa(i))})
	}
	out, err := b.AppendTo(nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// produceReq builds a produce request for one topic.
func produceReq(version, acks int16, topicName string, records map[int32][]byte) *kmsg.ProduceRequest {
	req := kmsg.NewPtrProduceRequest()
	req.Version, req.Acks, req.TimeoutMillis = version, acks, 5000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topicName
	for p := int32(0); p < int32(len(records))+10; p++ {
		if r, ok := records[p]; ok {
			rp := kmsg.NewProduceRequestTopicPartition()
			rp.Partition, rp.Records = p, r
			rt.Partitions = append(rt.Partitions, rp)
		}
	}
	req.Topics = append(req.Topics, rt)
	return req
}

type partResult struct {
	code int16
	base int64
}

func produceResults(t *testing.T, resp kmsg.Response) map[int32]partResult {
	t.Helper()
	out := map[int32]partResult{}
	for _, rt := range resp.(*kmsg.ProduceResponse).Topics {
		for _, rp := range rt.Partitions {
			out[rp.Partition] = partResult{rp.ErrorCode, rp.BaseOffset}
		}
	}
	return out
}

func hw(t *testing.T, s *Server, name string, p int32) int64 {
	t.Helper()
	return mustTopic(t, s, name).Partitions[p].HighWatermark()
}

// TestProduceBadBatchFailsItsPartitionOnly: a corrupt batch, two batches
// in one partition, a batch over max.message.bytes, a magic-1 set in v3+,
// a magic-2 batch in v2, zstd below v7 and an empty partition each fail
// their own partition with Kafka's code, append nothing there, and leave
// the good partition of the same request appended.
func TestProduceBadBatchFailsItsPartitionOnly(t *testing.T) {
	s := startServer(t)
	if _, err := s.topics.Create("p", 8, map[string]string{"max.message.bytes": "2000"}, false); err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, s)

	corrupt := batch(t, 3, "c", nil)
	corrupt[len(corrupt)-1] ^= 0xff
	two := append(batch(t, 2, "a", nil), batch(t, 2, "b", nil)...)
	big := batch(t, 200, "big-record-value-padding-padding", nil)
	magic1 := legacySet(t, 1, "old")
	zstd := batch(t, 5, "z", func(b *recordbatch.Builder) { b.Codec = recordbatch.CodecZstd })

	res := produceResults(t, rc.roundTrip(produceReq(7, -1, "p", map[int32][]byte{
		0: batch(t, 5, "good", nil),
		1: corrupt,
		2: two,
		3: big,
		4: magic1,
		5: {},
	})))
	want := map[int32]partResult{
		0: {0, 0},
		1: {kerr.CorruptMessage.Code, -1},
		2: {kerr.InvalidRecord.Code, -1},
		3: {kerr.MessageTooLarge.Code, -1},
		4: {kerr.InvalidRecord.Code, -1},
		5: {kerr.InvalidRecord.Code, -1},
	}
	for p, w := range want {
		if res[p] != w {
			t.Errorf("partition %d: %+v, want %+v", p, res[p], w)
		}
	}
	if got := hw(t, s, "p", 0); got != 5 {
		t.Errorf("good partition: high watermark %d, want 5", got)
	}
	for p := int32(1); p <= 5; p++ {
		if got := hw(t, s, "p", p); got != 0 {
			t.Errorf("partition %d: high watermark %d after a refused batch", p, got)
		}
	}
	res = produceResults(t, rc.roundTrip(produceReq(6, 1, "p", map[int32][]byte{6: zstd})))
	if res[6].code != kerr.UnsupportedCompressionType.Code {
		t.Errorf("zstd in v6: %+v", res[6])
	}
	res = produceResults(t, rc.roundTrip(produceReq(2, 1, "p", map[int32][]byte{7: batch(t, 1, "x", nil)})))
	if res[7].code != kerr.InvalidRecord.Code {
		t.Errorf("magic 2 in v2: %+v", res[7])
	}
	res = produceResults(t, rc.roundTrip(produceReq(7, 1, "nope", map[int32][]byte{0: batch(t, 1, "x", nil)})))
	if res[0].code != kerr.UnknownTopicOrPartition.Code {
		t.Errorf("unknown topic: %+v", res[0])
	}
	res = produceResults(t, rc.roundTrip(produceReq(7, 2, "p", map[int32][]byte{0: batch(t, 1, "x", nil)})))
	if res[0].code != kerr.InvalidRequiredAcks.Code {
		t.Errorf("acks=2: %+v", res[0])
	}
}

// legacySet is a magic 0 or 1 message set of three uncompressed messages.
func legacySet(t *testing.T, magic int8, prefix string) []byte {
	t.Helper()
	var out []byte
	for i := range 3 {
		var m []byte
		m = append(m, byte(magic), 0)
		if magic == 1 {
			m = binary.BigEndian.AppendUint64(m, uint64(1700000000000+i))
		}
		m = binary.BigEndian.AppendUint32(m, uint32(0xffffffff)) // null key
		v := prefix + "-" + strconv.Itoa(i)
		m = binary.BigEndian.AppendUint32(m, uint32(len(v)))
		m = append(m, v...)
		out = binary.BigEndian.AppendUint64(out, uint64(i))
		out = binary.BigEndian.AppendUint32(out, uint32(4+len(m)))
		out = binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(m))
		out = append(out, m...)
	}
	return out
}

// TestProduceUpconvertsLegacy: Produce v0-v2 message sets (magic 0 and 1)
// are stored as v2 batches and read back by a modern fetch.
func TestProduceUpconvertsLegacy(t *testing.T) {
	s := startServer(t)
	if _, err := s.topics.Create("legacy", 1, nil, false); err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, s)
	for i, v := range []int16{0, 1, 2} {
		magic := int8(min(v, 1))
		res := produceResults(t, rc.roundTrip(produceReq(v, 1, "legacy", map[int32][]byte{0: legacySet(t, magic, "m"+strconv.Itoa(int(v)))})))
		if res[0] != (partResult{0, int64(3 * i)}) {
			t.Fatalf("v%d: %+v", v, res[0])
		}
	}
	values := fetchValues(t, rc, "legacy", 0, 0)
	want := []string{"m0-0", "m0-1", "m0-2", "m1-0", "m1-1", "m1-2", "m2-0", "m2-1", "m2-2"}
	if len(values) != len(want) {
		t.Fatalf("fetched %q, want %q", values, want)
	}
	for i := range want {
		if values[i] != want[i] {
			t.Fatalf("fetched %q, want %q", values, want)
		}
	}
}

// fetchValues fetches a partition from offset (Fetch v11, no session)
// and decodes the values.
func fetchValues(t *testing.T, rc *rawClient, topicName string, p int32, offset int64) []string {
	t.Helper()
	resp := rc.roundTrip(fetchReq(11, topicName, p, offset, 0)).(*kmsg.FetchResponse)
	fp := resp.Topics[0].Partitions[0]
	if fp.ErrorCode != 0 {
		t.Fatalf("fetch: error %d", fp.ErrorCode)
	}
	var out []string
	for _, r := range recordsOf(t, fp.RecordBatches) {
		out = append(out, string(r.Value))
	}
	return out
}

func fetchReq(version int16, topicName string, p int32, offset int64, maxWait int32) *kmsg.FetchRequest {
	req := kmsg.NewPtrFetchRequest()
	req.Version, req.MaxWaitMillis, req.MinBytes, req.MaxBytes = version, maxWait, 1, 50<<20
	req.SessionEpoch = -1
	ft := kmsg.NewFetchRequestTopic()
	ft.Topic = topicName
	fp := kmsg.NewFetchRequestTopicPartition()
	fp.Partition, fp.FetchOffset, fp.PartitionMaxBytes = p, offset, 50<<20
	ft.Partitions = append(ft.Partitions, fp)
	req.Topics = append(req.Topics, ft)
	return req
}

// recordsOf decodes every record of some batches.
func recordsOf(t *testing.T, b []byte) []recordbatch.Record {
	t.Helper()
	var out []recordbatch.Record
	for len(b) > 0 {
		n, err := recordbatch.BatchSize(b)
		if err != nil || n > len(b) {
			t.Fatalf("batch size: %v", err)
		}
		it := recordbatch.NewIterator(b[:n], 64<<20)
		for it.Next() {
			r := it.Record()
			out = append(out, recordbatch.Record{Offset: r.Offset, Timestamp: r.Timestamp, Key: append([]byte(nil), r.Key...), Value: append([]byte(nil), r.Value...)})
		}
		if err := it.Err(); err != nil {
			t.Fatal(err)
		}
		b = b[n:]
	}
	return out
}

// TestProduceAcksZero: acks=0 gets no response (the next request's answer
// comes next), and a failed acks=0 produce closes the connection.
func TestProduceAcksZero(t *testing.T) {
	s := startServer(t)
	if _, err := s.topics.Create("z", 1, nil, false); err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, s)
	rc.send(produceReq(7, 0, "z", map[int32][]byte{0: batch(t, 4, "z", nil)}))
	req := kmsg.NewPtrApiVersionsRequest()
	corr := rc.send(req)
	if _, err := rc.readResponse(req, corr); err != nil {
		t.Fatal(err)
	}
	if got := hw(t, s, "z", 0); got != 4 {
		t.Fatalf("high watermark %d, want 4", got)
	}
	bad := batch(t, 1, "z", nil)
	bad[len(bad)-1] ^= 1
	rc.send(produceReq(7, 0, "z", map[int32][]byte{0: bad}))
	rc.expectClosed()
}

// TestProduceIdempotence: sequence checks with Kafka's codes, and a
// retried batch answered with its original offset.
func TestProduceIdempotence(t *testing.T) {
	s := startServer(t)
	if _, err := s.topics.Create("idem", 1, nil, false); err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, s)
	ip := rc.roundTrip(kmsg.NewPtrInitProducerIDRequest()).(*kmsg.InitProducerIDResponse)
	if ip.ErrorCode != 0 || ip.ProducerEpoch != 0 {
		t.Fatalf("InitProducerID: %+v", ip)
	}
	seq := func(base int32, n int) []byte {
		return batch(t, n, "i", func(b *recordbatch.Builder) {
			b.ProducerID, b.ProducerEpoch, b.BaseSequence = ip.ProducerID, 0, base
		})
	}
	steps := []struct {
		b    []byte
		want partResult
	}{
		{seq(0, 3), partResult{0, 0}},
		{seq(3, 2), partResult{0, 3}},
		{seq(3, 2), partResult{0, 3}}, // a retry: the original's offset
		{seq(9, 1), partResult{kerr.OutOfOrderSequenceNumber.Code, -1}},
		{seq(5, 1), partResult{0, 5}},
	}
	for i, st := range steps {
		if got := produceResults(t, rc.roundTrip(produceReq(9, -1, "idem", map[int32][]byte{0: st.b})))[0]; got != st.want {
			t.Fatalf("step %d: %+v, want %+v", i, got, st.want)
		}
	}
	if got := hw(t, s, "idem", 0); got != 6 {
		t.Fatalf("high watermark %d, want 6", got)
	}
	ip2 := rc.roundTrip(kmsg.NewPtrInitProducerIDRequest()).(*kmsg.InitProducerIDResponse)
	if ip2.ProducerID == ip.ProducerID {
		t.Fatalf("InitProducerID handed out %d twice", ip.ProducerID)
	}
	txn := kmsg.NewPtrInitProducerIDRequest()
	id := "txn"
	txn.TransactionalID = &id
	// The transaction coordinator answers (txn_test.go); a zero
	// transaction.timeout.ms is Kafka's INVALID_TRANSACTION_TIMEOUT.
	if r := rc.roundTrip(txn).(*kmsg.InitProducerIDResponse); r.ErrorCode != kerr.InvalidTransactionTimeout.Code {
		t.Fatalf("transactional InitProducerID: error %d", r.ErrorCode)
	}
}

// TestProducerIDsSurviveRestart: IDs handed out before a restart are not
// handed out again.
func TestProducerIDsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	s, err := Start(testConfig(t, dir), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var first int64
	for i := range 3 {
		id, err := s.pids.allocate()
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = id
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := startServerIn(t, dir, Options{})
	id, err := s2.pids.allocate()
	if err != nil {
		t.Fatal(err)
	}
	if id < first+3 {
		t.Fatalf("after restart: producer ID %d, first run handed out %d..%d", id, first, first+2)
	}
	if s2.ClusterID() != s.ClusterID() {
		t.Fatalf("cluster ID %q after restart, was %q", s2.ClusterID(), s.ClusterID())
	}
}
