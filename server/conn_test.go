package server

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestApiVersionsAdvertisesTable: every version of ApiVersions answers
// the handler table, sorted by key, and nothing else.
func TestApiVersionsAdvertisesTable(t *testing.T) {
	s := startServer(t)
	rc := dialRaw(t, s)
	var want []kmsg.ApiVersionsResponseApiKey
	for key, h := range handlers {
		if h.serve != nil {
			k := kmsg.NewApiVersionsResponseApiKey()
			k.ApiKey, k.MinVersion, k.MaxVersion = int16(key), h.min, h.max
			want = append(want, k)
		}
	}
	for v := int16(0); v <= 5; v++ {
		req := kmsg.NewPtrApiVersionsRequest()
		req.Version = v
		req.ClientSoftwareName, req.ClientSoftwareVersion = "strata-test", "1.0"
		resp := rc.roundTrip(req).(*kmsg.ApiVersionsResponse)
		if resp.ErrorCode != 0 {
			t.Fatalf("v%d: error %d", v, resp.ErrorCode)
		}
		if !slices.EqualFunc(resp.ApiKeys, want, func(a, b kmsg.ApiVersionsResponseApiKey) bool {
			return a.ApiKey == b.ApiKey && a.MinVersion == b.MinVersion && a.MaxVersion == b.MaxVersion
		}) {
			t.Fatalf("v%d: keys %v, want %v", v, resp.ApiKeys, want)
		}
	}
	// Spot checks of the table against the floors.
	ranges := map[int16][2]int16{}
	for _, k := range want {
		ranges[k.ApiKey] = [2]int16{k.MinVersion, k.MaxVersion}
	}
	for key, r := range map[kmsg.Key][2]int16{
		kmsg.Produce: {0, 13}, kmsg.Fetch: {4, 18}, kmsg.Metadata: {0, 13}, kmsg.ApiVersions: {0, 5},
		kmsg.ListOffsets: {0, 11}, kmsg.CreateTopics: {0, 7}, kmsg.DescribeACLs: {0, 3},
	} {
		if got := ranges[int16(key)]; got != r {
			t.Errorf("%s advertised %v, want %v", kmsg.NameForKey(int16(key)), got, r)
		}
	}
	for key, r := range map[kmsg.Key][2]int16{
		kmsg.JoinGroup: {0, 9}, kmsg.SyncGroup: {0, 5}, kmsg.Heartbeat: {0, 4}, kmsg.LeaveGroup: {0, 5},
		kmsg.OffsetCommit: {0, 10}, kmsg.OffsetFetch: {0, 10}, kmsg.DescribeGroups: {0, 6}, kmsg.ListGroups: {0, 5},
		kmsg.DeleteGroups: {0, 3}, kmsg.OffsetDelete: {0, 0},
	} {
		if got := ranges[int16(key)]; got != r {
			t.Errorf("%s advertised %v, want %v", kmsg.NameForKey(int16(key)), got, r)
		}
	}
}

// TestApiVersionsTooNew: KIP-511. A version above ours gets a v0 answer
// (v0 response header: no tagged fields even though the request was
// flexible) with UNSUPPORTED_VERSION and ApiVersions' own range, and the
// connection stays usable.
func TestApiVersionsTooNew(t *testing.T) {
	s := startServer(t)
	rc := dialRaw(t, s)
	// Request header v2 for ApiVersions v9: key, version, correlation,
	// client ID, empty tags; then an unknown body.
	frame := []byte{0, 0, 0, 0, 0, 18, 0, 9, 0, 0, 0, 42, 0, 3, 'a', 'b', 'c', 0, 0xde, 0xad}
	binary.BigEndian.PutUint32(frame, uint32(len(frame)-4))
	rc.write(frame)
	b, err := rc.readFrame()
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{
		0, 0, 0, 42, // correlation ID, no header tags
		0, 35, // UNSUPPORTED_VERSION
		0, 0, 0, 1, 0, 18, 0, 0, 0, 5, // one key: ApiVersions 0-5
	}
	if !bytes.Equal(b, want) {
		t.Fatalf("answer %x, want %x", b, want)
	}
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = 3
	req.ClientSoftwareName, req.ClientSoftwareVersion = "x", "1"
	if resp := rc.roundTrip(req).(*kmsg.ApiVersionsResponse); resp.ErrorCode != 0 || len(resp.ApiKeys) < 10 {
		t.Fatalf("after KIP-511 answer: error %d, %d keys", resp.ErrorCode, len(resp.ApiKeys))
	}
}

func TestApiVersionsInvalidSoftwareName(t *testing.T) {
	s := startServer(t)
	rc := dialRaw(t, s)
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = 3
	req.ClientSoftwareName, req.ClientSoftwareVersion = "-bad", "1.0"
	if resp := rc.roundTrip(req).(*kmsg.ApiVersionsResponse); resp.ErrorCode != kerr.InvalidRequest.Code {
		t.Fatalf("error %d, want INVALID_REQUEST", resp.ErrorCode)
	}
	req.Version = 5
	req.ClientSoftwareName = "ok"
	id := "someone-else"
	req.ClusterID, req.NodeID = &id, 1
	if resp := rc.roundTrip(req).(*kmsg.ApiVersionsResponse); resp.ErrorCode != kerr.RebootstrapRequired.Code {
		t.Fatalf("wrong cluster: error %d, want REBOOTSTRAP_REQUIRED", resp.ErrorCode)
	}
}

// TestUnsupportedKeysAndVersions: keys we do not serve, versions outside
// our range and keys nobody knows all get UNSUPPORTED_VERSION, and the
// connection carries on.
func TestUnsupportedKeysAndVersions(t *testing.T) {
	s := startServer(t)
	rc := dialRaw(t, s)
	metadataWorks := func() {
		t.Helper()
		req := kmsg.NewPtrMetadataRequest()
		req.Version = 9
		if resp := rc.roundTrip(req).(*kmsg.MetadataResponse); len(resp.Brokers) != 1 {
			t.Fatalf("metadata after refusal: %d brokers", len(resp.Brokers))
		}
	}

	// A key kmsg knows and we do not serve: its response with the top-level code.
	// (SaslHandshake, then CreateDelegationToken, were the example until
	// they were served.)
	dq := kmsg.NewPtrDescribeQuorumRequest()
	dq.Version = 1
	if resp := rc.roundTrip(dq).(*kmsg.DescribeQuorumResponse); resp.ErrorCode != kerr.UnsupportedVersion.Code {
		t.Fatalf("DescribeQuorum: error %d, want UNSUPPORTED_VERSION", resp.ErrorCode)
	}
	metadataWorks()

	// Fetch v3: below our floor, refused per partition.
	f := kmsg.NewPtrFetchRequest()
	f.Version = 3
	ft := kmsg.NewFetchRequestTopic()
	ft.Topic = "t"
	ft.Partitions = []kmsg.FetchRequestTopicPartition{kmsg.NewFetchRequestTopicPartition()}
	f.Topics = append(f.Topics, ft)
	resp := rc.roundTrip(f).(*kmsg.FetchResponse)
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 || resp.Topics[0].Partitions[0].ErrorCode != kerr.UnsupportedVersion.Code {
		t.Fatalf("Fetch v3: %+v", resp.Topics)
	}
	metadataWorks()

	// A key nobody knows, and a version beyond kmsg's: header v0 and the code.
	for _, kv := range [][2]int16{{999, 0}, {int16(kmsg.Metadata), 99}} {
		rc.corr++
		frame := binary.BigEndian.AppendUint32(nil, 0)
		frame = binary.BigEndian.AppendUint16(frame, uint16(kv[0]))
		frame = binary.BigEndian.AppendUint16(frame, uint16(kv[1]))
		frame = binary.BigEndian.AppendUint32(frame, uint32(rc.corr))
		frame = append(frame, 0xff, 0xff, 1, 2, 3) // null client ID, some body
		binary.BigEndian.PutUint32(frame, uint32(len(frame)-4))
		rc.write(frame)
		b, err := rc.readFrame()
		if err != nil {
			t.Fatal(err)
		}
		want := binary.BigEndian.AppendUint32(nil, uint32(rc.corr))
		want = append(want, 0, 35)
		if !bytes.Equal(b, want) {
			t.Fatalf("key %d v%d: answer %x, want %x", kv[0], kv[1], b, want)
		}
		metadataWorks()
	}
}

// TestBadFrames: frames the server cannot trust end their connection (and
// only theirs): over socket.request.max.bytes, negative, shorter than a
// header, a truncated body, garbage in a known request.
func TestBadFrames(t *testing.T) {
	s := startServer(t, "socket.request.max.bytes", "1024")
	bystander := dialRaw(t, s)
	check := func() {
		t.Helper()
		req := kmsg.NewPtrApiVersionsRequest()
		if resp := bystander.roundTrip(req).(*kmsg.ApiVersionsResponse); resp.ErrorCode != 0 {
			t.Fatalf("bystander: error %d", resp.ErrorCode)
		}
	}
	check()

	frames := map[string][]byte{
		"over the limit": {0, 0, 4, 1},             // 1025 bytes announced, none sent
		"negative size":  {0xff, 0xff, 0xff, 0xfe}, // -2
		"too short":      {0, 0, 0, 3, 0, 18, 0},
		// Metadata v1 whose topic array says 2 but holds nothing.
		"truncated body": {0, 0, 0, 14, 0, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2},
		// Produce v7 whose transactional ID claims 300 bytes.
		"garbage body": {0, 0, 0, 13, 0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0x01, 0x2c, 0xaa},
		// A client ID longer than the frame.
		"bad client id": {0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 1, 0x7f, 0},
		// Flexible header with a tagged field running past the frame.
		"bad header tags": {0, 0, 0, 13, 0, 18, 0, 3, 0, 0, 0, 1, 0, 0, 1, 5, 9},
	}
	for name, frame := range frames {
		t.Run(name, func(t *testing.T) {
			rc := dialRaw(t, s)
			rc.write(frame)
			rc.expectClosed()
			check()
		})
	}
}

// TestNegativeArrayLength: a negative array length decodes as null, as
// kmsg and Kafka read it; Metadata v1 with null topics lists every topic.
func TestNegativeArrayLength(t *testing.T) {
	s := startServer(t)
	if _, err := s.topics.Create("seen", 1, nil, false); err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, s)
	frame := []byte{0, 0, 0, 0, 0, 3, 0, 1, 0, 0, 0, 9, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfb} // topics: -5
	binary.BigEndian.PutUint32(frame, uint32(len(frame)-4))
	rc.write(frame)
	b, err := rc.readFrame()
	if err != nil {
		t.Fatal(err)
	}
	resp := kmsg.NewPtrMetadataResponse()
	resp.Version = 1
	if err := resp.ReadFrom(b[4:]); err != nil {
		t.Fatal(err)
	}
	if len(resp.Topics) != 1 || *resp.Topics[0].Topic != "seen" {
		t.Fatalf("topics %+v, want [seen]", resp.Topics)
	}
}

// TestFrameSizeBoundsAllocation: a frame that announces far more than it
// sends costs at most about twice what arrived, not what it announced.
func TestFrameSizeBoundsAllocation(t *testing.T) {
	s := startServer(t, "socket.request.max.bytes", "104857600")
	client, server := net.Pipe()
	defer client.Close()
	c := newConn(s, server, "PLAINTEXT")
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		client.Write([]byte{0x05, 0xf5, 0xe1, 0x00}) // 100,000,000 bytes announced
		client.Write(make([]byte, 3<<20))            // 3 MiB sent
		client.Close()
	}()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := c.readFrame()
	runtime.ReadMemStats(&after)
	<-sent
	if err != io.ErrUnexpectedEOF {
		t.Fatalf("readFrame: %v, want io.ErrUnexpectedEOF", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Fatalf("allocated %d bytes for a 3 MiB partial frame", alloc)
	}
}

// TestRepliesInOrder: one connection pipelines 30 requests: large fetches
// (written by the write loop, with sendfile), small fetches and Metadata
// and ApiVersions requests (written by the read loop when the write loop
// is idle). Every answer comes in request order, and every large fetch
// carries the whole log.
func TestRepliesInOrder(t *testing.T) {
	s := startServer(t)
	if _, err := s.topics.Create("o", 1, nil, false); err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, s)
	var logBytes int
	for i := range 4 { // 4 batches of 2,000 records: about 4 × 20 KB, more than smallFetch
		b := batch(t, 2000, "r"+strconv.Itoa(i), nil)
		logBytes += len(b)
		resp := rc.roundTrip(produceReq(9, -1, "o", map[int32][]byte{0: b}))
		if r := produceResults(t, resp)[0]; r.code != 0 || r.base != int64(2000*i) {
			t.Fatalf("produce %d: %+v", i, r)
		}
	}
	if logBytes <= smallFetch {
		t.Fatalf("log of %d bytes is not a large fetch", logBytes)
	}
	type sent struct {
		req  kmsg.Request
		corr int32
	}
	var reqs []sent
	for i := range 30 {
		var req kmsg.Request
		switch i % 5 {
		case 0, 3:
			req = fetchReq(11, "o", 0, 0, 0) // the whole log
		case 1:
			req = fetchReq(11, "o", 0, 6000, 0) // the last batch only
		case 2:
			m := kmsg.NewPtrMetadataRequest()
			m.Version = 9
			req = m
		default:
			a := kmsg.NewPtrApiVersionsRequest()
			a.Version = 3
			a.ClientSoftwareName, a.ClientSoftwareVersion = "raw", "1"
			req = a
		}
		reqs = append(reqs, sent{req, rc.send(req)})
	}
	for i, r := range reqs {
		resp, err := rc.readResponse(r.req, r.corr)
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		f, ok := resp.(*kmsg.FetchResponse)
		if !ok {
			continue
		}
		p := f.Topics[0].Partitions[0]
		want := logBytes
		if i%5 == 1 {
			want = logBytes / 4
		}
		if p.ErrorCode != 0 || p.HighWatermark != 8000 || len(p.RecordBatches) != want {
			t.Fatalf("fetch %d: error %d, high watermark %d, %d record bytes; want 0, 8000, %d", i, p.ErrorCode, p.HighWatermark, len(p.RecordBatches), want)
		}
	}
}

// TestLargeFrames: a frame above frameStep is allocated whole, with no
// copy, while Server.frames has room: one that announces 48 MiB and stalls
// holds 48 MiB of it until its connection ends; meanwhile a 32 MiB frame
// does not fit and is read in growing steps, and arrives intact.
func TestLargeFrames(t *testing.T) {
	s := startServer(t, "socket.request.max.bytes", "104857600")
	frame := func(n int) []byte {
		b := make([]byte, 4+n)
		binary.BigEndian.PutUint32(b, uint32(n))
		for i := 4; i < len(b); i++ {
			b[i] = byte(i * 7)
		}
		return b
	}
	// The staller: 48 MiB announced, 1 MiB sent.
	c1, s1 := net.Pipe()
	stalled := newConn(s, s1, "PLAINTEXT")
	go c1.Write(frame(48 << 20)[:4+1<<20])
	res1 := make(chan error, 1)
	go func() {
		_, err := stalled.readFrame()
		res1 <- err
	}()
	// 48 MiB is taken before its bytes are read: wait for the grant.
	for deadline := time.Now().Add(30 * time.Second); s.frames.inUse() != 48<<20; runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatalf("frames in use %d, want %d", s.frames.inUse(), 48<<20)
		}
	}
	// The honest client: 32 MiB, all of it.
	c2, s2 := net.Pipe()
	defer c2.Close()
	honest := newConn(s, s2, "PLAINTEXT")
	want := frame(32 << 20)
	go c2.Write(want)
	bufp, err := honest.readFrame()
	if err != nil {
		t.Fatal(err)
	}
	if honest.frameGrant != 0 || !bytes.Equal(*bufp, want[4:]) {
		t.Fatalf("32 MiB frame: grant %d, intact %v; want no grant (stepwise) and the bytes sent", honest.frameGrant, bytes.Equal(*bufp, want[4:]))
	}
	putBuf(bufp)
	if got := s.frames.inUse(); got != 48<<20 {
		t.Fatalf("frames in use %d while the staller waits, want %d", got, 48<<20)
	}
	c1.Close()
	if err := <-res1; err != io.ErrUnexpectedEOF {
		t.Fatalf("stalled readFrame: %v, want io.ErrUnexpectedEOF", err)
	}
	if got := s.frames.inUse(); got != 0 {
		t.Fatalf("frames in use %d after the staller's connection ended, want 0", got)
	}
	// With the room back, a 32 MiB frame is read whole.
	c3, s3 := net.Pipe()
	defer c3.Close()
	third := newConn(s, s3, "PLAINTEXT")
	go c3.Write(want)
	bufp, err = third.readFrame()
	if err != nil {
		t.Fatal(err)
	}
	if third.frameGrant != 32<<20 || !bytes.Equal(*bufp, want[4:]) {
		t.Fatalf("32 MiB frame with room: grant %d, intact %v", third.frameGrant, bytes.Equal(*bufp, want[4:]))
	}
	putBuf(bufp)
	third.releaseFrame()
	if got := s.frames.inUse(); got != 0 {
		t.Fatalf("frames in use %d after release, want 0", got)
	}
}
