package fuzz

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/recordbatch"
)

// FuzzDispatch feeds a stream of request frames (size-prefixed, as on the
// wire; up to 8) to a fresh broker's dispatcher through Server.ServeFrame,
// one after another as one connection would send them, stopping where the
// broker would close the connection. The seeds are requests of every API
// the broker serves and, in testdata/fuzz/FuzzDispatch, request streams
// captured from kgo, kcat (librdkafka) and kafka-python.
//
// Invariants:
//   - no panic, and no request that still runs 10 s after the server closed;
//   - every response is a whole frame: its size prefix matches its length,
//     and it answers the request's correlation ID;
//   - a response of an API and version kmsg knows decodes with kmsg (not
//     checked for ApiVersions, which answers newer versions with v0);
//   - a request allocates at most 8 MiB plus 64 bytes per byte of frame
//     (the 8 MiB is a new partition's index and log buffers), except
//     CreateTopics and CreatePartitions: a few bytes legitimately ask for
//     thousands of partitions (up to topic.MaxPartitions), each with its
//     own log; their cost is per partition, not per byte.
func FuzzDispatch(f *testing.F) {
	for _, seed := range dispatchSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		s := newServer(t)
		var finish func()
		for _, fr := range frames(in, 8) {
			r, fin := serve(t, s, fr)
			if r.waited {
				finish = fin
				break
			}
			checkResponse(t, fr, r)
			if r.closed {
				break
			}
		}
		s.Close()
		if finish != nil {
			finish()
		}
	})
}

func checkResponse(t *testing.T, frame []byte, r served) {
	t.Helper()
	creates := key(frame) == int16(kmsg.CreateTopics) || key(frame) == int16(kmsg.CreatePartitions)
	if limit := uint64(8<<20 + 64*len(frame)); r.alloced > limit && !creates {
		t.Errorf("key %d, %d-byte frame: %d bytes allocated, limit %d", key(frame), len(frame), r.alloced, limit)
	}
	if r.resp == nil {
		return
	}
	if len(r.resp) < 8 || int(binary.BigEndian.Uint32(r.resp)) != len(r.resp)-4 {
		t.Fatalf("key %d: response frame of %d bytes has size prefix %d", key(frame), len(r.resp), binary.BigEndian.Uint32(r.resp))
	}
	if !bytes.Equal(r.resp[4:8], frame[4:8]) {
		t.Fatalf("key %d: response correlation ID %x, request %x", key(frame), r.resp[4:8], frame[4:8])
	}
	k, v := key(frame), int16(binary.BigEndian.Uint16(frame[2:]))
	resp := kmsg.ResponseForKey(k)
	if resp == nil || k == int16(kmsg.ApiVersions) || v < 0 || v > resp.MaxVersion() {
		return
	}
	resp.SetVersion(v)
	if err := decodeResponse(r.resp, resp); err != nil {
		t.Fatalf("%s v%d: response does not decode: %v", kmsg.NameForKey(k), v, err)
	}
}

// dispatchSeeds returns request streams for every API key, built with kmsg.
func dispatchSeeds(tb testing.TB) [][]byte {
	batch := validBatch(tb, 3)
	create := kmsg.NewPtrCreateTopicsRequest()
	create.Version = 7
	ct := kmsg.NewCreateTopicsRequestTopic()
	ct.Topic, ct.NumPartitions, ct.ReplicationFactor = "t", 2, 1
	create.Topics = append(create.Topics, ct)

	produce := kmsg.NewPtrProduceRequest()
	produce.Version, produce.Acks, produce.TimeoutMillis = 9, -1, 1000
	pt := kmsg.NewProduceRequestTopic()
	pt.Topic = "t"
	pp := kmsg.NewProduceRequestTopicPartition()
	pp.Records = batch
	pt.Partitions = append(pt.Partitions, pp)
	produce.Topics = append(produce.Topics, pt)

	fetch := kmsg.NewPtrFetchRequest()
	fetch.Version, fetch.ReplicaID, fetch.MaxBytes, fetch.MaxWaitMillis = 12, -1, 1<<20, 0
	ft := kmsg.NewFetchRequestTopic()
	ft.Topic = "t"
	fp := kmsg.NewFetchRequestTopicPartition()
	fp.PartitionMaxBytes = 1 << 20
	ft.Partitions = append(ft.Partitions, fp)
	fetch.Topics = append(fetch.Topics, ft)

	seeds := [][]byte{stream(create, produce, fetch)}
	// Every key kmsg knows, at its newest version, default fields.
	for k := int16(0); k <= kmsg.MaxKey; k++ {
		req := kmsg.RequestForKey(k)
		if req == nil {
			continue
		}
		req.SetVersion(req.MaxVersion())
		seeds = append(seeds, stream(create, req))
	}
	return seeds
}

// validBatch returns an uncompressed batch of n records.
func validBatch(tb testing.TB, n int) []byte {
	bl := recordbatch.NewBuilder()
	bl.ProducerID = -1
	for i := range n {
		bl.Add(&recordbatch.Record{Timestamp: 1700000000000 + int64(i), Key: []byte{'k', byte(i)}, Value: []byte("value")})
	}
	b, err := bl.AppendTo(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
