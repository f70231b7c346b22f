package server

import (
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestFetchSessionRoundRobin: an incremental fetch moves every partition
// that returned records to the end of the session's order, as Kafka's
// IncrementalFetchContext does, so that with backlogs over MaxBytes on the
// first partitions the later ones get their turn. Partitions 0 and 1 hold
// four batches each and partition 2 two; MaxBytes is one batch, so each
// fetch returns exactly one batch of one partition.
func TestFetchSessionRoundRobin(t *testing.T) {
	s := startServer(t)
	if _, err := s.topics.Create("rr", 3, nil, false); err != nil {
		t.Fatal(err)
	}
	const n = 50 // records per batch
	fillPartition(t, s, "rr", 0, 4, n)
	fillPartition(t, s, "rr", 1, 4, n)
	fillPartition(t, s, "rr", 2, 2, n)
	one := int32(len(batch(t, n, "fill-a", nil)))
	rc := dialRaw(t, s)

	offsets := []int64{0, 0, 0}
	fetch := func(id, epoch int32, name []int32) *kmsg.FetchResponse {
		r := kmsg.NewPtrFetchRequest()
		r.Version, r.MaxBytes, r.MinBytes, r.MaxWaitMillis = 12, one, 0, 0
		r.SessionID, r.SessionEpoch = id, epoch
		if len(name) > 0 {
			ft := kmsg.NewFetchRequestTopic()
			ft.Topic = "rr"
			for _, p := range name {
				fp := kmsg.NewFetchRequestTopicPartition()
				fp.Partition, fp.FetchOffset, fp.PartitionMaxBytes = p, offsets[p], 1<<20
				ft.Partitions = append(ft.Partitions, fp)
			}
			r.Topics = append(r.Topics, ft)
		}
		return rc.roundTrip(r).(*kmsg.FetchResponse)
	}
	// got returns the one partition that carried records and their first
	// and last offsets, and moves the client's position past them.
	got := func(resp *kmsg.FetchResponse) (int32, int64, int64) {
		t.Helper()
		if resp.ErrorCode != 0 {
			t.Fatalf("fetch error %d", resp.ErrorCode)
		}
		p, first, last := int32(-1), int64(-1), int64(-1)
		for _, rt := range resp.Topics {
			for _, rp := range rt.Partitions {
				recs := recordsOf(t, rp.RecordBatches)
				if len(recs) == 0 {
					continue
				}
				if p != -1 {
					t.Fatalf("records from partitions %d and %d, want one", p, rp.Partition)
				}
				p, first, last = rp.Partition, recs[0].Offset, recs[len(recs)-1].Offset
			}
		}
		if p == -1 {
			t.Fatal("no records")
		}
		offsets[p] = last + 1
		return p, first, last
	}

	var r0id int32
	type turn struct {
		p           int32
		first, last int64
	}
	// The full fetch reads in request order and does not reorder; after
	// it every incremental fetch moves the partition it answered to the end.
	want := []turn{
		{0, 0, n - 1},       // full fetch: 0, 1, 2
		{0, n, 2*n - 1},     // 0, 1, 2
		{1, 0, n - 1},       // 1, 2, 0
		{2, 0, n - 1},       // 2, 0, 1
		{0, 2 * n, 3*n - 1}, // 0, 1, 2
		{1, n, 2*n - 1},     // 1, 2, 0
		{2, n, 2*n - 1},     // 2, 0, 1: partition 2 is drained
		{0, 3 * n, 4*n - 1}, // 0, 1, 2: partition 0 is drained
		{1, 2 * n, 3*n - 1}, // 1, 2, 0
		{1, 3 * n, 4*n - 1}, // 2, 0, 1
	}
	var prev int32 = -1
	for i, w := range want {
		var r *kmsg.FetchResponse
		if i == 0 {
			r = fetch(0, 0, []int32{0, 1, 2})
			if r.SessionID == 0 {
				t.Fatal("no session opened")
			}
		} else {
			r = fetch(r0id, int32(i), []int32{prev})
		}
		if i == 0 {
			r0id = r.SessionID
		}
		p, first, last := got(r)
		if (turn{p, first, last}) != w {
			t.Fatalf("fetch %d: partition %d offsets %d-%d, want partition %d offsets %d-%d", i, p, first, last, w.p, w.first, w.last)
		}
		prev = p
	}
}

// fakeClock is an Options.Now that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) set(d time.Duration) {
	c.mu.Lock()
	c.now = time.Unix(1_700_000_000, 0).Add(d)
	c.mu.Unlock()
}

// TestFetchSessionEviction: KIP-227's cache rules, with two slots. A full
// fetch that finds the cache full evicts the least recently used session
// if it has been idle more than 120 s; else the smallest of the sessions
// that were more than 120 s old when last used, and only if the new one
// has more partitions; a follower's (privileged) session evicts the
// smallest consumer session, however young. Otherwise the fetch is
// answered in full without a session (ID 0).
func TestFetchSessionEviction(t *testing.T) {
	clock := &fakeClock{}
	clock.set(0)
	s := startServerIn(t, t.TempDir(), Options{Now: clock.Now}, "max.incremental.fetch.session.cache.slots", "2")
	if _, err := s.topics.Create("ev", 3, nil, false); err != nil {
		t.Fatal(err)
	}
	fillPartition(t, s, "ev", 0, 1, 5)
	rc := dialRaw(t, s)
	// open sends a full fetch of partitions 0..n-1 opening a session, and
	// returns the session ID it got (0: none); the fetch is answered in full.
	open := func(n int, replica int32) int32 {
		t.Helper()
		r := kmsg.NewPtrFetchRequest()
		r.Version, r.MaxBytes, r.MinBytes, r.MaxWaitMillis = 12, 1<<20, 0, 0
		r.ReplicaID, r.SessionID, r.SessionEpoch = replica, 0, 0
		ft := kmsg.NewFetchRequestTopic()
		ft.Topic = "ev"
		for p := range n {
			fp := kmsg.NewFetchRequestTopicPartition()
			fp.Partition, fp.PartitionMaxBytes = int32(p), 1<<20
			ft.Partitions = append(ft.Partitions, fp)
		}
		r.Topics = append(r.Topics, ft)
		resp := rc.roundTrip(r).(*kmsg.FetchResponse)
		if resp.ErrorCode != 0 || len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != n {
			t.Fatalf("full fetch of %d partitions: %+v", n, resp)
		}
		if p := resp.Topics[0].Partitions[0]; p.ErrorCode != 0 || p.HighWatermark != 5 || len(recordsOf(t, p.RecordBatches)) != 5 {
			t.Fatalf("full fetch, partition 0: error %d, high watermark %d, %d bytes", p.ErrorCode, p.HighWatermark, len(p.RecordBatches))
		}
		return resp.SessionID
	}
	// use sends an incremental fetch and returns its error code.
	use := func(id, epoch int32) int16 {
		t.Helper()
		r := kmsg.NewPtrFetchRequest()
		r.Version, r.MaxBytes, r.MinBytes, r.MaxWaitMillis = 12, 1<<20, 0, 0
		r.SessionID, r.SessionEpoch = id, epoch
		resp := rc.roundTrip(r).(*kmsg.FetchResponse)
		if resp.ErrorCode == 0 && resp.SessionID != id {
			t.Fatalf("incremental fetch of session %d answered for session %d", id, resp.SessionID)
		}
		return resp.ErrorCode
	}
	notFound := kerr.FetchSessionIDNotFound.Code

	a, b := open(1, -1), open(1, -1)
	if a == 0 || b == 0 || a == b {
		t.Fatalf("sessions %d and %d, want two", a, b)
	}
	clock.set(time.Second)
	// Full: nothing idle 120 s, nothing created 120 s ago.
	if id := open(1, -1); id != 0 {
		t.Fatalf("full cache, recent sessions: session %d, want 0", id)
	}
	if id := open(3, -1); id != 0 {
		t.Fatalf("full cache, recent sessions, a larger one: session %d, want 0", id)
	}
	clock.set(121 * time.Second)
	if code := use(a, 1); code != 0 {
		t.Fatalf("session a: error %d", code)
	}
	// b has been idle 121 s: evicted, though a is as small and older.
	c := open(1, -1)
	if c == 0 || c == a || c == b {
		t.Fatalf("b idle: session %d", c)
	}
	if code := use(b, 1); code != notFound {
		t.Fatalf("evicted session b: error %d, want %d", code, notFound)
	}
	clock.set(122 * time.Second)
	// a (1 partition, created 121 s before its last use) is evictable, but
	// only by a session with more partitions; c is too young.
	if id := open(1, -1); id != 0 {
		t.Fatalf("no larger than a: session %d, want 0", id)
	}
	d := open(2, -1)
	if d == 0 || d == a || d == c {
		t.Fatalf("larger than a: session %d", d)
	}
	if code := use(a, 2); code != notFound {
		t.Fatalf("evicted session a: error %d, want %d", code, notFound)
	}
	if code := use(c, 1); code != 0 {
		t.Fatalf("session c: error %d", code)
	}
	clock.set(123 * time.Second)
	// A follower's session evicts the smallest consumer session, however
	// recent: c (1 partition) before d (2).
	e := open(1, 1)
	if e == 0 || e == c || e == d {
		t.Fatalf("privileged: session %d", e)
	}
	if code := use(c, 2); code != notFound {
		t.Fatalf("evicted session c: error %d, want %d", code, notFound)
	}
	if code := use(d, 1); code != 0 {
		t.Fatalf("session d: error %d", code)
	}
	// A consumer cannot evict the young follower session, nor d.
	if id := open(3, -1); id != 0 {
		t.Fatalf("consumer against a follower session: session %d, want 0", id)
	}
	s.sessions.mu.Lock()
	n := len(s.sessions.m)
	s.sessions.mu.Unlock()
	if n != 2 {
		t.Fatalf("%d sessions cached, want 2", n)
	}
	// Forgetting every partition closes the session (Kafka answers
	// sessionless): d's slot is free for a consumer's session again.
	r := kmsg.NewPtrFetchRequest()
	r.Version, r.MaxBytes, r.MinBytes, r.MaxWaitMillis = 12, 1<<20, 0, 0
	r.SessionID, r.SessionEpoch = d, 2
	ft := kmsg.NewFetchRequestForgottenTopic()
	ft.Topic, ft.Partitions = "ev", []int32{0, 1}
	r.ForgottenTopics = append(r.ForgottenTopics, ft)
	if resp := rc.roundTrip(r).(*kmsg.FetchResponse); resp.ErrorCode != 0 || resp.SessionID != 0 || len(resp.Topics) != 0 {
		t.Fatalf("fetch forgetting every partition: %+v", resp)
	}
	if code := use(d, 3); code != notFound {
		t.Fatalf("emptied session d: error %d, want %d", code, notFound)
	}
	if id := open(1, -1); id == 0 || id == d || id == e {
		t.Fatalf("free slot: session %d", id)
	}
}
