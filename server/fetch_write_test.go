package server

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/segment"
)

// TestFetchEncodingMatchesKmsg: the hand-written Fetch framing, with the
// file bytes put where the holes say, is byte for byte kmsg's encoding of
// the same response, at every Fetch version kmsg knows: several topics,
// partitions with records from several slices, without records, with
// errors, read_committed's aborted lists (empty and not), a session ID,
// topic IDs.
func TestFetchEncodingMatchesKmsg(t *testing.T) {
	data := make([]byte, 300000)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	path := filepath.Join(t.TempDir(), "00000000000000000000.log")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := vfs.OS.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	slice := func(pos, n int64) segment.Slice { return segment.Slice{File: f, Pos: pos, Len: n} }
	read := func(ss ...segment.Slice) *partition.ReadResult { return &partition.ReadResult{Slices: ss} }
	topicA := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	topicB := [16]byte{0xff, 0xee}

	for _, sizes := range [][2]int64{{100, 7}, {200000, 90000}} { // small and large (multi-byte uvarint lengths)
		for v := int16(0); v <= kmsg.NewPtrFetchResponse().MaxVersion(); v++ {
			for _, aborted := range []bool{false, true} {
				r0 := read(slice(0, sizes[0]), slice(sizes[0], sizes[1]))
				if aborted {
					r0.Aborted = []partition.AbortedTxn{{ProducerID: 5, FirstOffset: 10, LastOffset: 12, LastStableOffset: 13}, {ProducerID: 1 << 40, FirstOffset: 998}}
				}
				resp := &fetchResponse{version: v, errCode: 0, sessionID: 123456, topics: []fetchTopic{
					{name: "alpha", id: topicA, parts: []fetchPart{
						{partition: 0, hw: 1000, lso: 999, logStart: 5, aborted: aborted, read: r0},
						{partition: 3, hw: 7, lso: 7, logStart: 0, aborted: aborted},
						{partition: 9, errCode: 1, hw: -1, lso: -1, logStart: -1, aborted: aborted},
					}},
					{name: "b", id: topicB, parts: []fetchPart{
						{partition: 2, hw: 1 << 40, lso: 1 << 40, logStart: 1 << 39, aborted: aborted, read: read(slice(1000, 61))},
					}},
				}}
				got := fill(t, resp, 77)
				want := kmsgFetch(resp, 77, data)
				if !bytes.Equal(got, want) {
					t.Fatalf("v%d aborted=%v sizes %v: hand encoding differs from kmsg\n got %x\nwant %x", v, aborted, sizes, head(got), head(want))
				}
			}
		}
	}
	// A top-level error with no topics (a session error).
	for v := int16(7); v <= kmsg.NewPtrFetchResponse().MaxVersion(); v++ {
		resp := &fetchResponse{version: v, errCode: 70}
		if got, want := fill(t, resp, 5), kmsgFetch(resp, 5, nil); !bytes.Equal(got, want) {
			t.Fatalf("v%d error response: got %x want %x", v, got, want)
		}
	}
}

func head(b []byte) []byte { return b[:min(len(b), 200)] }

// fill encodes resp and copies the file bytes into the holes.
func fill(t *testing.T, resp *fetchResponse, corr int32) []byte {
	t.Helper()
	frame, holes := resp.encode(nil, corr, nil)
	var out []byte
	pos := 0
	for _, h := range holes {
		out = append(out, frame[pos:h.at]...)
		b := make([]byte, h.slice.Len)
		if _, err := h.slice.File.ReadAt(b, h.slice.Pos); err != nil {
			t.Fatal(err)
		}
		out = append(out, b...)
		pos = h.at
	}
	return append(out, frame[pos:]...)
}

// kmsgFetch is kmsg's encoding of the same response, as a whole frame.
func kmsgFetch(r *fetchResponse, corr int32, data []byte) []byte {
	resp := kmsg.NewPtrFetchResponse()
	resp.Version = r.version
	resp.ErrorCode = r.errCode
	resp.SessionID = r.sessionID
	for _, ft := range r.topics {
		kt := kmsg.NewFetchResponseTopic()
		kt.Topic, kt.TopicID = ft.name, ft.id
		for _, p := range ft.parts {
			kp := kmsg.NewFetchResponseTopicPartition()
			kp.Partition, kp.ErrorCode = p.partition, p.errCode
			kp.HighWatermark, kp.LastStableOffset, kp.LogStartOffset = p.hw, p.lso, p.logStart
			if p.aborted {
				kp.AbortedTransactions = []kmsg.FetchResponseTopicPartitionAbortedTransaction{}
				if p.read != nil {
					for _, a := range p.read.Aborted {
						ka := kmsg.NewFetchResponseTopicPartitionAbortedTransaction()
						ka.ProducerID, ka.FirstOffset = a.ProducerID, a.FirstOffset
						kp.AbortedTransactions = append(kp.AbortedTransactions, ka)
					}
				}
			}
			kp.RecordBatches = []byte{}
			if p.read != nil {
				for _, s := range p.read.Slices {
					kp.RecordBatches = append(kp.RecordBatches, data[s.Pos:s.Pos+s.Len]...)
				}
			}
			kt.Partitions = append(kt.Partitions, kp)
		}
		resp.Topics = append(resp.Topics, kt)
	}
	b := binary.BigEndian.AppendUint32([]byte{0, 0, 0, 0}, uint32(corr))
	if resp.IsFlexible() {
		b = append(b, 0) // response header v1: no tagged fields
	}
	b = resp.AppendTo(b)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}
