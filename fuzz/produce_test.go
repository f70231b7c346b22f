package fuzz

import (
	"bytes"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/server"
)

// FuzzProduce sends arbitrary bytes as the records of one partition of a
// Produce request (version 3 + version%11, so v3..v13) to a fresh broker,
// then fetches the partition from offset 0.
//
// Invariants:
//   - no panic;
//   - every batch the log serves passes recordbatch.CheckStored;
//   - every batch the log serves is, from its magic byte on, byte for byte
//     one of the input's batches that passes recordbatch.Validate (base
//     offset and partition leader epoch are the broker's to set): nothing
//     invalid is ever appended;
//   - the produce succeeds exactly when something was appended, and a
//     failed produce leaves the log empty.
func FuzzProduce(f *testing.F) {
	f.Add(byte(6), validBatch(f, 1))
	f.Add(byte(9), validBatch(f, 5))
	two := append(validBatch(f, 2), validBatch(f, 3)...)
	f.Add(byte(10), two)
	bad := validBatch(f, 2)
	bad[len(bad)-1] ^= 1
	f.Add(byte(6), bad)
	f.Add(byte(0), []byte{})
	f.Fuzz(func(t *testing.T, version byte, records []byte) {
		s := newServer(t)
		defer s.Close()
		create := kmsg.NewPtrCreateTopicsRequest()
		ct := kmsg.NewCreateTopicsRequestTopic()
		ct.Topic, ct.NumPartitions, ct.ReplicationFactor = "t", 1, 1
		create.Topics = append(create.Topics, ct)
		roundTrip(t, s, create, kmsg.NewPtrCreateTopicsResponse())

		produce := kmsg.NewPtrProduceRequest()
		produce.Version, produce.Acks, produce.TimeoutMillis = 3+int16(version%11), -1, 1000
		pt := kmsg.NewProduceRequestTopic()
		pt.Topic = "t"
		pp := kmsg.NewProduceRequestTopicPartition()
		pp.Records = records
		pt.Partitions = append(pt.Partitions, pp)
		produce.Topics = append(produce.Topics, pt)
		presp := kmsg.NewPtrProduceResponse()
		roundTrip(t, s, produce, presp)
		code := presp.Topics[0].Partitions[0].ErrorCode

		fetch := kmsg.NewPtrFetchRequest()
		fetch.Version, fetch.ReplicaID, fetch.MaxBytes = 12, -1, 4<<20
		ft := kmsg.NewFetchRequestTopic()
		ft.Topic = "t"
		fp := kmsg.NewFetchRequestTopicPartition()
		fp.PartitionMaxBytes = 4 << 20
		ft.Partitions = append(ft.Partitions, fp)
		fetch.Topics = append(fetch.Topics, ft)
		fresp := kmsg.NewPtrFetchResponse()
		roundTrip(t, s, fetch, fresp)
		part := fresp.Topics[0].Partitions[0]
		if part.ErrorCode != 0 {
			t.Fatalf("fetch: error %d", part.ErrorCode)
		}

		valid := validInputBatches(records)
		stored := part.RecordBatches
		n := 0
		for len(stored) > 0 {
			size, err := recordbatch.BatchSize(stored)
			if err != nil || size > len(stored) {
				t.Fatalf("served log bytes do not frame: %v (size %d of %d)", err, size, len(stored))
			}
			b := stored[:size]
			if err := recordbatch.CheckStored(b); err != nil {
				t.Fatalf("served batch %d fails CheckStored: %v", n, err)
			}
			if !matchesOne(b, valid) {
				t.Fatalf("served batch %d (%d bytes) is none of the input's %d valid batches", n, size, len(valid))
			}
			stored = stored[size:]
			n++
		}
		if (code == 0) != (n > 0) {
			t.Fatalf("produce v%d returned error %d, but the log holds %d batches", produce.Version, code, n)
		}
	})
}

// roundTrip serves req and decodes the response into resp.
func roundTrip(t *testing.T, s *server.Server, req kmsg.Request, resp kmsg.Response) {
	t.Helper()
	w := kmsg.NewRequestFormatter(kmsg.FormatterClientID("fuzz"))
	frame := w.AppendRequest(nil, req, 7)[4:]
	out, closed := s.ServeFrame(frame)
	if closed || out == nil {
		t.Fatalf("%s: connection closed (%v) or no response", kmsg.NameForKey(req.Key()), closed)
	}
	resp.SetVersion(req.GetVersion())
	if err := decodeResponse(out, resp); err != nil {
		t.Fatalf("%s response: %v", kmsg.NameForKey(req.Key()), err)
	}
}

// validInputBatches splits records into the batches their length fields
// frame and keeps those that pass Validate.
func validInputBatches(records []byte) [][]byte {
	var out [][]byte
	for len(records) >= 61 {
		size, err := recordbatch.BatchSize(records)
		if err != nil || size > len(records) {
			break
		}
		if recordbatch.Validate(records[:size], 0) == nil {
			out = append(out, records[:size])
		}
		records = records[size:]
	}
	return out
}

// matchesOne reports whether stored equals one of valid from the magic byte
// on, and in its length field.
func matchesOne(stored []byte, valid [][]byte) bool {
	for _, v := range valid {
		if len(v) == len(stored) && bytes.Equal(v[8:12], stored[8:12]) && bytes.Equal(v[16:], stored[16:]) {
			return true
		}
	}
	return false
}
