package quota

import (
	"errors"
	"testing"
	"time"

	"github.com/stratabroker/strata/internal/vfs"
)

func TestThrottleTimeExact(t *testing.T) {
	st, err := Open(vfs.OS, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Alter([]Change{{Entity: Entity{HasUser: true, User: "alice"}, Set: map[string]float64{ProducerByteRate: 100}}}); err != nil {
		t.Fatal(err)
	}
	now := time.UnixMilli(1_000_000)
	m := NewManager(st)
	m.Now = func() time.Time { return now }
	h := m.Resolve(nil, "User:alice", "c1")
	if got := m.Record(h, Produce, 1000); got != 0 { // 1000 B over the padded 10 s: exactly 100 B/s
		t.Fatalf("first record: throttle %d, want 0", got)
	}
	now = now.Add(500 * time.Millisecond)
	// 2000 B over 10.5 s = 190.476 B/s; (190.476-100)/100 * 10500 = 9500
	if got := m.Record(h, Produce, 1000); got != 9500 {
		t.Fatalf("second record: throttle %d, want 9500", got)
	}
	// Another client of alice shares the user quota's sensor.
	h2 := m.Resolve(nil, "User:alice", "c2")
	now = now.Add(500 * time.Millisecond) // t=1000: a new sample; 2100 B over the padded 10 s = 210 B/s
	if got := m.Record(h2, Produce, 100); got != 11000 {
		t.Fatalf("shared sensor: throttle %d, want 11000", got)
	}
	// No quota for bob: nothing recorded.
	if got := m.Record(m.Resolve(nil, "User:bob", "c1"), Produce, 1e9); got != 0 {
		t.Fatalf("bob: throttle %d, want 0", got)
	}
	if m.Resolve(h, "User:alice", "c1") != h {
		t.Fatal("unchanged resolution was not reused")
	}
}

func TestRateWindowPurge(t *testing.T) {
	r := NewRate(DefaultWindow)
	r.Record(5500, 0)
	if got := r.Measure(0); got != 550 {
		t.Fatalf("rate %v, want 550", got)
	}
	// 11 s later the sample is purged: the rate is 0.
	if got := r.Measure(11000); got != 0 {
		t.Fatalf("rate after 11 s %v, want 0", got)
	}
	// 12 windows of 1000 B, one per second: at 11 s the first sample's
	// last event is 11 s old and purged; 11000 B over the 10 s since the
	// oldest kept sample.
	r = NewRate(DefaultWindow)
	for i := int64(0); i < 12; i++ {
		r.Record(1000, i*1000)
	}
	if got, ws := r.Measure(11000), r.WindowSize(11000); ws != 10000 || got != 1100 {
		t.Fatalf("rate %v window %d, want 1100 over 10000", got, ws)
	}
}

func TestResolutionOrder(t *testing.T) {
	st, err := Open(vfs.OS, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	set := func(e Entity, v float64) Change {
		return Change{Entity: e, Set: map[string]float64{ConsumerByteRate: v}}
	}
	if err := st.Alter([]Change{
		set(Entity{HasClient: true, Client: Default}, 8),
		set(Entity{HasClient: true, Client: "c"}, 7),
		set(Entity{HasUser: true, User: Default}, 6),
		set(Entity{HasUser: true, User: "u", HasClient: true, Client: "c"}, 1),
		set(Entity{HasUser: true, User: "u"}, 3),
	}); err != nil {
		t.Fatal(err)
	}
	m := NewManager(st)
	for _, c := range []struct {
		p, c string
		want float64
	}{{"User:u", "c", 1}, {"User:u", "d", 3}, {"User:v", "c", 6}, {"User:ANONYMOUS", "x", 6}} {
		if got, _ := m.Quota(Fetch, c.p, c.c); got != c.want {
			t.Errorf("%s/%s: %v, want %v", c.p, c.c, got, c.want)
		}
	}
	// Durable: a reopened store has them.
	st2, err := Open(vfs.OS, st.dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := NewManager(st2).Quota(Fetch, "User:u", "d"); got != 3 {
		t.Fatalf("reopened: %v, want 3", got)
	}
}

func TestValidation(t *testing.T) {
	name := func(s string) *string { return &s }
	for _, c := range []struct {
		parts []Part
		key   string
		v     float64
		ok    bool
	}{
		{[]Part{{User, name("a")}}, ProducerByteRate, 1024, true},
		{[]Part{{User, nil}, {ClientID, nil}}, RequestPercentage, 12.5, true},
		{[]Part{{IP, name("10.0.0.1")}}, ConnectionCreationRate, 5, true},
		{nil, ProducerByteRate, 1, false},
		{[]Part{{"group", name("g")}}, ProducerByteRate, 1, false},
		{[]Part{{User, name("a")}, {User, name("b")}}, ProducerByteRate, 1, false},
		{[]Part{{User, name("")}}, ProducerByteRate, 1, false},
		{[]Part{{User, name("a")}, {IP, name("10.0.0.1")}}, ConnectionCreationRate, 1, false},
		{[]Part{{IP, name("not an ip")}}, ConnectionCreationRate, 1, false},
		{[]Part{{User, name("a")}}, "foo", 1, false},
		{[]Part{{User, name("a")}}, ConnectionCreationRate, 1, false},
		{[]Part{{User, name("a")}}, ProducerByteRate, 0, false},
		{[]Part{{User, name("a")}}, ProducerByteRate, 1.5, false},
		{[]Part{{IP, nil}}, ProducerByteRate, 1, false},
	} {
		e, err := ParseEntity(c.parts)
		if err == nil {
			err = e.ValidateValue(c.key, c.v)
		}
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("%+v %s=%v: err %v, want ok %v", c.parts, c.key, c.v, err, c.ok)
		}
	}
}

func TestControllerMutationTokenBucket(t *testing.T) {
	st, err := Open(vfs.OS, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Alter([]Change{{Entity: Entity{HasClient: true, Client: Default}, Set: map[string]float64{ControllerMutationRate: 2}}}); err != nil {
		t.Fatal(err)
	}
	now := time.UnixMilli(5_000_000)
	m := NewManager(st)
	m.Now = func() time.Time { return now }
	h := m.Resolve(nil, "User:ANONYMOUS", "admin")
	q := m.Mutation(h, true)
	// Burst: 11 windows x 1 s x 2/s = 22 tokens.
	if !q.Record(20) || !q.Record(5) { // 22 -> 2 -> -3: taken while not below zero
		t.Fatal("strict record refused within the burst")
	}
	if q.Record(1) {
		t.Fatal("strict record taken below zero")
	}
	if got := q.ThrottleMs(); got != 1500 { // 3 tokens at 2/s
		t.Fatalf("throttle %d, want 1500", got)
	}
	now = now.Add(500 * time.Millisecond)
	if got := q.ThrottleMs(); got != 1000 {
		t.Fatalf("throttle after 500 ms %d, want 1000", got)
	}
	// Permissive: taken, and throttled: -2 + -4 = -6 tokens -> 3000 ms.
	p := m.Mutation(h, false)
	if !p.Record(4) || p.ThrottleMs() != 3000 {
		t.Fatalf("permissive: throttle %d, want 3000", p.ThrottleMs())
	}
	if m.Mutation(m.Resolve(nil, "User:x", "y"), true) == nil {
		t.Fatal("the default client's quota did not apply")
	}
}
