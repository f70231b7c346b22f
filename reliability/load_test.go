package reliability

import (
	"net"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// produceLatencies sends n one-record acks=all produces one after another
// on rc and returns their round-trip times, sorted.
func produceLatencies(t *testing.T, rc *rawConn, topic string, seq, n int) []time.Duration {
	t.Helper()
	out := make([]time.Duration, 0, n)
	for i := range n {
		began := time.Now()
		code, _ := produceRaw(t, rc, topic, seq+i, 1, 100)
		out = append(out, time.Since(began))
		if code != 0 {
			t.Fatalf("produce: %v", kerr.ErrorForCode(code))
		}
	}
	slices.Sort(out)
	return out
}

func fetchFrame(rc *rawConn, topic string) []byte {
	req := kmsg.NewPtrFetchRequest()
	req.Version = 12
	req.ReplicaID = -1
	req.MaxBytes = 64 << 20
	req.MaxWaitMillis = 0
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.PartitionMaxBytes = 64 << 20
	rp.FetchOffset = 0
	rp.CurrentLeaderEpoch = -1
	rp.LogStartOffset = -1
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	return rc.frame(req)
}

// TestStuckConsumers opens 50 connections that each ask for 4 fetches of
// the whole ~10 MiB log and never read their socket. The broker's RSS must
// stay within 64 MiB of what it was, and the p99 latency of another
// client's acks=all produces must not grow by more than 25 ms (the figures
// are in docs/RELIABILITY.md).
func TestStuckConsumers(t *testing.T) {
	b := newBroker(t, t.TempDir())
	b.start()
	b.createTopic("slow", 1)
	b.createTopic("lat", 1)
	big := dialRaw(t, b.addr)
	seq := 0
	for range 12 {
		if code, _ := produceRaw(t, big, "slow", seq, 8, 100<<10); code != 0 {
			t.Fatalf("produce: %v", kerr.ErrorForCode(code))
		}
		seq += 8
	}
	lat := dialRaw(t, b.addr)
	produceLatencies(t, lat, "lat", 0, 200) // warm up
	base := produceLatencies(t, lat, "lat", 200, 1000)
	rssBefore, grBefore := b.rss(), b.goroutines()

	const stuck = 50
	conns := make([]*rawConn, stuck)
	for i := range conns {
		nc, err := net.Dial("tcp", b.addr)
		if err != nil {
			t.Fatal(err)
		}
		nc.(*net.TCPConn).SetReadBuffer(4 << 10)
		rc := &rawConn{Conn: nc}
		conns[i] = rc
		t.Cleanup(func() { nc.Close() })
		for range 4 {
			if _, err := nc.Write(fetchFrame(rc, "slow")); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The broker is stuck in sendfile on every connection once each has
	// taken its replies' framing and filled its socket buffers.
	during := produceLatencies(t, lat, "lat", 1200, 1000)
	rssDuring, grDuring := b.rss(), b.goroutines()
	for _, rc := range conns {
		rc.Close()
	}
	if !waitFor(20*time.Second, func() bool { return b.goroutines() <= grBefore+2 }) {
		t.Errorf("goroutines did not return to %d after the stuck consumers left: %d", grBefore, b.goroutines())
	}
	t.Logf("RESULT stuck: %d stuck consumers; produce p50/p99/max %v/%v/%v before, %v/%v/%v during; RSS %s before, %s during; goroutines %d before, %d during, %d after",
		stuck, percentile(base, .5), percentile(base, .99), base[len(base)-1],
		percentile(during, .5), percentile(during, .99), during[len(during)-1],
		mib(rssBefore), mib(rssDuring), grBefore, grDuring, b.goroutines())
	if rssDuring-rssBefore > 64<<20 {
		t.Errorf("RSS grew by %s with %d stuck consumers", mib(rssDuring-rssBefore), stuck)
	}
	if d := percentile(during, .99) - percentile(base, .99); d > 25*time.Millisecond {
		t.Errorf("p99 produce latency grew by %v with %d stuck consumers", d, stuck)
	}
}

// TestConnectionStorm opens and drops 2,000 connections, then holds 300
// half-open ones (connected, silent), 50 that stopped inside a frame and
// 20 that send one byte a second. Goroutines and RSS stay bounded, every
// silent or trickling connection is closed by the broker after
// connections.max.idle.ms (2 s here), and the broker keeps serving.
func TestConnectionStorm(t *testing.T) {
	const idle = 2 * time.Second
	b := newBroker(t, t.TempDir(), "connections.max.idle.ms", "2000")
	b.start()
	b.createTopic("storm", 1)
	rssBefore, grBefore := b.rss(), b.goroutines()

	// 2,000 connections opened and dropped, 200 at a time.
	var peakGr int
	for range 10 {
		batch := make([]net.Conn, 0, 200)
		for range 200 {
			nc, err := net.Dial("tcp", b.addr)
			if err != nil {
				t.Fatal(err)
			}
			batch = append(batch, nc)
		}
		peakGr = max(peakGr, b.goroutines())
		for _, nc := range batch {
			nc.Close()
		}
	}
	if !waitFor(20*time.Second, func() bool { return b.goroutines() <= grBefore+2 }) {
		t.Fatalf("goroutines after 2,000 dropped connections: %d, before %d", b.goroutines(), grBefore)
	}
	rssAfterStorm := b.rss()

	// Half-open, mid-frame and trickling connections.
	began := time.Now()
	var held []net.Conn
	dial := func() net.Conn {
		nc, err := net.Dial("tcp", b.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		held = append(held, nc)
		return nc
	}
	for range 300 {
		dial()
	}
	for range 50 {
		dial().Write([]byte{0, 0, 0, 100, 0, 3}) // a 100-byte frame that never comes
	}
	trickle := make([]net.Conn, 20)
	for i := range trickle {
		trickle[i] = dial()
	}
	stop := make(chan struct{})
	tricklers := make(chan struct{})
	go func() {
		defer close(tricklers)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		frame := []byte{0, 0, 0, 30}
		for i := 0; ; i++ {
			for _, nc := range trickle {
				nc.Write(frame[i%len(frame) : i%len(frame)+1])
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	grHeld := b.goroutines()
	rssHeld := b.rss()
	// A well-behaved client is served meanwhile.
	rc := dialRaw(t, b.addr)
	if code, _ := produceRaw(t, rc, "storm", 0, 1, 100); code != 0 {
		t.Fatalf("produce during the storm: %v", kerr.ErrorForCode(code))
	}
	// Every held connection is closed by the broker: a read sees EOF.
	closedAt := make([]time.Duration, len(held))
	for i, nc := range held {
		nc.SetReadDeadline(began.Add(idle + 10*time.Second))
		var one [1]byte
		_, err := nc.Read(one[:])
		closedAt[i] = time.Since(began)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("held connection %d still open %v after the storm began (idle limit %v)", i, closedAt[i], idle)
		}
	}
	close(stop)
	<-tricklers
	slices.Sort(closedAt)
	if !waitFor(20*time.Second, func() bool { return b.goroutines() <= grBefore+4 }) {
		t.Errorf("goroutines after idle connections closed: %d, before %d", b.goroutines(), grBefore)
	}
	t.Logf("RESULT storm: goroutines %d before, peak %d with 200 open, %d with %d held, %d after; RSS %s before, %s after 2,000 dropped, %s with %d held; held connections closed by the broker %v..%v after opening (idle %v)",
		grBefore, peakGr, grHeld, len(held), b.goroutines(), mib(rssBefore), mib(rssAfterStorm), mib(rssHeld), len(held),
		closedAt[0], closedAt[len(closedAt)-1], idle)
	if closedAt[0] < idle-100*time.Millisecond {
		t.Errorf("a held connection was closed after %v, before the idle limit %v", closedAt[0], idle)
	}
	if grHeld > grBefore+2*len(held)+20 {
		t.Errorf("%d goroutines for %d connections (before: %d)", grHeld, len(held), grBefore)
	}
	if rssHeld-rssBefore > 64<<20 {
		t.Errorf("RSS grew by %s with %d held connections", mib(rssHeld-rssBefore), len(held))
	}
}

// TestLimits checks Kafka's limits on the real binary: max.connections.per.ip
// and max.connections close connections over them at once while the others
// are served; a frame over socket.request.max.bytes closes its connection
// without the broker allocating it; a batch over message.max.bytes gets
// MESSAGE_TOO_LARGE.
func TestLimits(t *testing.T) {
	b := newBroker(t, t.TempDir(), "max.connections.per.ip", "10", "message.max.bytes", "100000",
		"socket.request.max.bytes", "1048576")
	b.start()
	b.createTopic("lim", 1)
	// From 127.0.0.2, which no other client of this broker uses.
	grBefore := b.goroutines()
	var open, refused int
	conns := make([]*rawConn, 15)
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	for i := range conns {
		nc, err := d.Dial("tcp", b.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		conns[i] = &rawConn{Conn: nc}
	}
	for _, rc := range conns {
		rc.SetDeadline(time.Now().Add(10 * time.Second))
		req := kmsg.NewPtrApiVersionsRequest()
		if _, err := rc.roundTrip(req); err != nil {
			refused++
		} else {
			open++
		}
	}
	if open != 10 || refused != 5 {
		t.Errorf("max.connections.per.ip=10, 15 connections: %d served, %d closed; want 10 and 5 (goroutines before %d)", open, refused, grBefore)
	}
	for _, rc := range conns {
		rc.Close()
	}

	// socket.request.max.bytes: a 200 MB frame is refused from its size alone.
	rss := b.rss()
	rc := dialRaw(t, b.addr)
	rc.Write([]byte{0x0b, 0xeb, 0xc2, 0x00, 0, 18, 0, 3})
	rc.SetReadDeadline(time.Now().Add(10 * time.Second))
	var one [1]byte
	if _, err := rc.Read(one[:]); err == nil {
		t.Errorf("a 200 MB frame header got a response")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Errorf("a 200 MB frame header did not close the connection")
	}
	if grown := b.rss() - rss; grown > 16<<20 {
		t.Errorf("RSS grew by %s on a 200 MB frame header", mib(grown))
	}

	// message.max.bytes: a 150 KB batch is refused, a 50 KB one taken.
	rc = dialRaw(t, b.addr)
	if code, _ := produceRaw(t, rc, "lim", 0, 3, 50_000); code != kerr.MessageTooLarge.Code {
		t.Errorf("150 KB batch with message.max.bytes=100000: %v, want MESSAGE_TOO_LARGE", kerr.ErrorForCode(code))
	}
	if code, _ := produceRaw(t, rc, "lim", 0, 1, 50_000); code != 0 {
		t.Errorf("50 KB batch: %v", kerr.ErrorForCode(code))
	}

	// max.connections on a second broker.
	b2 := newBroker(t, t.TempDir(), "max.connections", "5")
	b2.start()
	open, refused = 0, 0
	for range 8 {
		rc := dialRaw(t, b2.addr)
		rc.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := rc.roundTrip(kmsg.NewPtrApiVersionsRequest()); err != nil {
			refused++
		} else {
			open++
		}
	}
	if open != 5 || refused != 3 {
		t.Errorf("max.connections=5, 8 connections: %d served, %d closed; want 5 and 3", open, refused)
	}
	t.Logf("RESULT limits: max.connections.per.ip, max.connections, socket.request.max.bytes, message.max.bytes enforced")
}
