package server

import (
	"net"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/internal/vfs"
)

// waitUntil polls cond (every 5 ms, up to 20 s): for states of
// the server no channel announces, such as writers blocked on sockets.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// TestFetchMemoryBudgetStuckConsumers: 50 connections with a 4 KiB receive
// buffer pipeline 4 Fetches each of a 2 MB log on the in-memory filesystem
// (the copy path: a 64 KiB buffer per response being written) and never
// read. With a 256 KiB budget, exactly 3 writers get their 68 KiB (a 4 KiB
// framing buffer and the 64 KiB chunk) and the other 47 wait without a
// buffer; the heap grows by less than the 50 chunks the writers would
// otherwise hold. When the consumers go away, the budget is whole again.
func TestFetchMemoryBudgetStuckConsumers(t *testing.T) {
	const budget, conns = 256 << 10, 50
	s := startServerIn(t, "data", Options{FS: vfs.NewMem()}, "strata.fetch.memory.max.bytes", strconv.Itoa(budget))
	if _, err := s.topics.Create("stuck", 1, nil, false); err != nil {
		t.Fatal(err)
	}
	fillPartition(t, s, "stuck", 0, 1300, 100) // 130,000 records
	size := mustTopic(t, s, "stuck").Partitions[0].Size()
	if size < 2<<20 {
		t.Fatalf("log of %d bytes, want at least 2 MiB", size)
	}
	var before, during runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	frame := kmsg.NewRequestFormatter(kmsg.FormatterClientID("stuck")).AppendRequest(nil, fetchReq(11, "stuck", 0, 0, 0), 1)
	ncs := make([]net.Conn, conns)
	for i := range ncs {
		nc, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		nc.(*net.TCPConn).SetReadBuffer(4 << 10)
		ncs[i] = nc
		defer nc.Close()
		for range 4 {
			if _, err := nc.Write(frame); err != nil {
				t.Fatal(err)
			}
		}
	}
	const grant = 4<<10 + 64<<10
	waitUntil(t, "every writer stuck or waiting", func() bool {
		s.budget.mu.Lock()
		defer s.budget.mu.Unlock()
		return s.Stats().Requests == 4*conns && len(s.budget.wait) == conns-budget/grant
	})
	runtime.GC()
	runtime.ReadMemStats(&during)
	st := s.Stats()
	if st.FetchMemory != budget/grant*grant || st.FetchMemoryPeak != st.FetchMemory {
		t.Fatalf("fetch memory %d, peak %d; want %d both", st.FetchMemory, st.FetchMemoryPeak, budget/grant*grant)
	}
	grown := int64(during.HeapInuse) - int64(before.HeapInuse)
	t.Logf("heap in use %d -> %d (%+d bytes) with %d stuck consumers, budget %d", before.HeapInuse, during.HeapInuse, grown, conns, budget)
	// The constant: per connection a 16 KiB read buffer, its queued
	// replies (segment references, not bytes) and decoded requests,
	// measured at ~30 KiB. Without the budget the 50 writers hold 3.4 MB
	// of buffers (measured: FetchMemory 3,481,600 with a 64 MiB budget).
	if limit := int64(budget + conns*40<<10); grown > limit {
		t.Fatalf("heap grew by %d bytes with %d stuck consumers, want at most %d", grown, conns, limit)
	}
	for _, nc := range ncs {
		nc.Close()
	}
	waitUntil(t, "the budget to come back", func() bool { return s.Stats().FetchMemory == 0 })
	if st := s.Stats(); st.FetchMemoryPeak > budget {
		t.Fatalf("peak %d over the budget %d", st.FetchMemoryPeak, budget)
	}
}

// TestFetchMemoryBudgetFallsBackToSendfile: a small fetch that would be
// written inline goes by sendfile when the budget is taken, with the same
// bytes, and inline again once it is back.
func TestFetchMemoryBudgetFallsBackToSendfile(t *testing.T) {
	s := startServerIn(t, t.TempDir(), Options{}, "strata.fetch.memory.max.bytes", "1048576")
	if _, err := s.topics.Create("fb", 1, nil, false); err != nil {
		t.Fatal(err)
	}
	fillPartition(t, s, "fb", 0, 1, 20)
	size := mustTopic(t, s, "fb").Partitions[0].Size()
	if size > smallFetch {
		t.Fatalf("log of %d bytes, want an inline fetch", size)
	}
	rc := dialRaw(t, s)
	all, ok := s.budget.tryAcquire(1 << 20)
	if !ok {
		t.Fatal("budget of an idle server not free")
	}
	if got := len(fetchValues(t, rc, "fb", 0, 0)); got != 20 {
		t.Fatalf("%d records, want 20", got)
	}
	rc.roundTrip(kmsg.NewPtrApiVersionsRequest()) // written after the fetch's write finished, and counted
	if st := s.Stats(); st.SendfileBytes != size || st.CopiedBytes != 0 {
		t.Fatalf("budget taken: sendfile %d, copied %d; want %d by sendfile", st.SendfileBytes, st.CopiedBytes, size)
	}
	s.budget.release(all)
	if got := len(fetchValues(t, rc, "fb", 0, 0)); got != 20 {
		t.Fatalf("%d records, want 20", got)
	}
	rc.roundTrip(kmsg.NewPtrApiVersionsRequest())
	if st := s.Stats(); st.SendfileBytes != size || st.CopiedBytes != size {
		t.Fatalf("budget free: sendfile %d, copied %d; want %d each", st.SendfileBytes, st.CopiedBytes, size)
	}
}

// TestByteBudget: grants in arrival order, a request over the whole budget
// waits for all of it, and a waiter that gives up lets the ones behind it in.
func TestByteBudget(t *testing.T) {
	b := newByteBudget(100)
	a, _ := b.tryAcquire(60)
	if _, ok := b.tryAcquire(50); ok {
		t.Fatal("50 granted with 40 free")
	}
	done := make(chan struct{})
	big := make(chan int64, 1)
	go func() { n, _ := b.acquire(500, nil, nil); big <- n }() // clamped to 100
	waitUntil(t, "the big waiter", func() bool { b.mu.Lock(); defer b.mu.Unlock(); return len(b.wait) == 1 })
	if _, ok := b.tryAcquire(10); ok {
		t.Fatal("10 granted ahead of a waiter")
	}
	gaveUp := make(chan bool, 1)
	go func() { _, ok := b.acquire(30, done, nil); gaveUp <- !ok }()
	small := make(chan int64, 1)
	waitUntil(t, "the second waiter", func() bool { b.mu.Lock(); defer b.mu.Unlock(); return len(b.wait) == 2 })
	close(done)
	if !<-gaveUp {
		t.Fatal("waiter did not give up when done closed")
	}
	b.release(a)
	n := <-big
	if n != 100 || b.inUse() != 100 {
		t.Fatalf("big grant %d, in use %d; want 100, 100", n, b.inUse())
	}
	go func() { n, _ := b.acquire(30, nil, nil); small <- n }()
	b.release(n)
	if n := <-small; n != 30 {
		t.Fatalf("grant %d, want 30", n)
	}
	b.release(30)
	if b.inUse() != 0 || b.peak.Load() != 100 {
		t.Fatalf("in use %d, peak %d; want 0, 100", b.inUse(), b.peak.Load())
	}
}
