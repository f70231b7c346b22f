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

// keyedBatch builds a v2 batch with one record per key; a nil key is a
// keyless record.
func keyedBatch(t *testing.T, codec recordbatch.Codec, keys ...[]byte) []byte {
	t.Helper()
	b := recordbatch.NewBuilder()
	for i, k := range keys {
		b.Add(&recordbatch.Record{Timestamp: 1700000000000, Key: k, Value: []byte("v" + strconv.Itoa(i))})
	}
	out, err := b.AppendTo(nil)
	if err != nil {
		t.Fatal(err)
	}
	if codec != recordbatch.CodecNone {
		if out, err = recordbatch.Recompress(nil, out, codec, recordbatch.DefaultLevel(codec), len(out)); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestProduceKeylessToCompacted: a batch with keyless records to a topic
// whose cleanup.policy holds compact (its own or the broker's) is refused
// as Kafka's LogValidator refuses it: INVALID_RECORD, nothing appended,
// Kafka's message naming the first three, and from v8 a RecordErrors
// entry per keyless record; compressed batches too, and legacy (v2)
// message sets once up-converted. Keyed batches, and keyless ones to
// delete-only topics, are appended.
func TestProduceKeylessToCompacted(t *testing.T) {
	s := startServer(t)
	for name, policy := range map[string]string{"kv": "compact", "both": "delete,compact", "plain": "delete"} {
		if _, err := s.topics.Create(name, 1, map[string]string{"cleanup.policy": policy}, false); err != nil {
			t.Fatal(err)
		}
	}
	rc := dialRaw(t, s)
	msg := func(n int, idx ...int) string {
		m := "One or more records have been rejected due to " + strconv.Itoa(n) + " record errors in total, and only showing the first three errors at most: ["
		for j, i := range idx {
			if j > 0 {
				m += ", "
			}
			m += "RecordError(batchIndex=" + strconv.Itoa(i) + ", message='Compacted topic cannot accept message without key in topic partition kv-0')"
		}
		return m + "]"
	}
	k := func(s string) []byte { return []byte(s) }
	for _, codec := range []recordbatch.Codec{recordbatch.CodecNone, recordbatch.CodecGzip, recordbatch.CodecZstd, recordbatch.CodecLZ4, recordbatch.CodecSnappy} {
		for _, v := range []int16{7, 8, 9, 13} {
			name := codec.String() + " v" + strconv.Itoa(int(v))
			bad := keyedBatch(t, codec, k("a"), nil, k("b"), nil, nil, nil, k(""))
			req := produceReq(v, 1, "kv", map[int32][]byte{0: bad})
			if v >= 13 {
				tp, _ := s.topics.Get("kv")
				req.Topics[0].TopicID = tp.ID
			}
			sp := rc.roundTrip(req).(*kmsg.ProduceResponse).Topics[0].Partitions[0]
			if sp.ErrorCode != kerr.InvalidRecord.Code || sp.BaseOffset != -1 {
				t.Fatalf("%s: code %d base %d, want INVALID_RECORD", name, sp.ErrorCode, sp.BaseOffset)
			}
			if v < 8 {
				if sp.ErrorMessage != nil || len(sp.ErrorRecords) != 0 {
					t.Fatalf("%s: message %v records %v before v8", name, sp.ErrorMessage, sp.ErrorRecords)
				}
				continue
			}
			if sp.ErrorMessage == nil || *sp.ErrorMessage != msg(4, 1, 3, 4) {
				t.Fatalf("%s: message %v\nwant %q", name, sp.ErrorMessage, msg(4, 1, 3, 4))
			}
			var got []int32
			for _, e := range sp.ErrorRecords {
				if e.ErrorMessage == nil || *e.ErrorMessage != "Compacted topic cannot accept message without key in topic partition kv-0" {
					t.Fatalf("%s: record error %+v", name, e)
				}
				got = append(got, e.RelativeOffset)
			}
			if len(got) != 4 || got[0] != 1 || got[1] != 3 || got[2] != 4 || got[3] != 5 {
				t.Fatalf("%s: record errors at %v, want [1 3 4 5]", name, got)
			}
		}
	}
	if got := hw(t, s, "kv", 0); got != 0 {
		t.Fatalf("kv end %d after refused batches, want 0", got)
	}
	res := produceResults(t, rc.roundTrip(produceReq(9, 1, "both", map[int32][]byte{0: keyedBatch(t, recordbatch.CodecNone, nil)})))
	if res[0].code != kerr.InvalidRecord.Code {
		t.Fatalf("delete,compact keyless: %+v", res[0])
	}
	for _, tc := range []struct {
		topic string
		batch []byte
	}{
		{"kv", keyedBatch(t, recordbatch.CodecNone, k("a"), k(""), k("b"))},
		{"kv", keyedBatch(t, recordbatch.CodecZstd, k("a"), k("c"))},
		{"plain", keyedBatch(t, recordbatch.CodecGzip, nil, nil)},
	} {
		if res := produceResults(t, rc.roundTrip(produceReq(9, 1, tc.topic, map[int32][]byte{0: tc.batch}))); res[0].code != 0 {
			t.Fatalf("%s keyed: %+v", tc.topic, res[0])
		}
	}
	if got := hw(t, s, "kv", 0); got != 5 {
		t.Fatalf("kv end %d, want 5", got)
	}
}

// TestProduceKeylessLegacy: a v2 produce (a magic-1 message set) of a
// keyless message to a compacted topic is refused with INVALID_RECORD
// (no per-record errors before v8); a keyed one is appended.
func TestProduceKeylessLegacy(t *testing.T) {
	s := startServer(t, "log.cleanup.policy", "compact")
	if _, err := s.topics.Create("kv", 1, nil, false); err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, s)
	keyed := func(key string) []byte {
		var m []byte
		m = append(m, 1, 0)
		m = binary.BigEndian.AppendUint64(m, 1700000000000)
		m = binary.BigEndian.AppendUint32(m, uint32(len(key)))
		m = append(m, key...)
		m = binary.BigEndian.AppendUint32(m, 1)
		m = append(m, 'v')
		var out []byte
		out = binary.BigEndian.AppendUint64(out, 0)
		out = binary.BigEndian.AppendUint32(out, uint32(4+len(m)))
		out = binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(m))
		return append(out, m...)
	}
	set := func(key []byte) []byte {
		if key == nil {
			return legacyMessage(1, 0, 0, 1700000000000, []byte("v"))
		}
		return keyed(string(key))
	}
	if res := produceResults(t, rc.roundTrip(produceReq(2, 1, "kv", map[int32][]byte{0: set(nil)}))); res[0].code != kerr.InvalidRecord.Code {
		t.Fatalf("keyless v2: %+v", res[0])
	}
	if res := produceResults(t, rc.roundTrip(produceReq(2, 1, "kv", map[int32][]byte{0: set([]byte("k"))}))); res[0].code != 0 || res[0].base != 0 {
		t.Fatalf("keyed v2: %+v", res[0])
	}
}
