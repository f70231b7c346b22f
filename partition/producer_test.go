package partition

import (
	"errors"
	"math"
	"testing"

	"github.com/stratabroker/strata/recordbatch"
)

// appendTo assigns offsets from *next as the log would and records the
// batch in p.
func appendTo(p *producers, next *int64, s spec) recordbatch.Header {
	h := recordbatch.Header(makeBatch(s))
	h.SetBaseOffset(*next)
	*next = h.NextOffset()
	p.update(h)
	return h
}

func TestProducerCheck(t *testing.T) {
	type step struct {
		s       spec
		wantErr error // nil: accepted (and appended)
		dupBase int64 // >= 0: a duplicate of the batch at this base offset
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"in sequence", []step{
			{s: idem(1, 0, 0, 3, 10), dupBase: -1},
			{s: idem(1, 0, 3, 2, 11), dupBase: -1},
			{s: idem(1, 0, 5, 1, 12), dupBase: -1},
		}},
		{"gap", []step{
			{s: idem(1, 0, 0, 3, 10), dupBase: -1},
			{s: idem(1, 0, 4, 1, 11), wantErr: ErrOutOfOrderSequence, dupBase: -1},
		}},
		{"sequence behind and not a duplicate", []step{
			{s: idem(1, 0, 0, 3, 10), dupBase: -1},
			{s: idem(1, 0, 1, 1, 11), wantErr: ErrOutOfOrderSequence, dupBase: -1},
		}},
		{"duplicate of the last and of an older batch", []step{
			{s: idem(1, 0, 0, 3, 10), dupBase: -1},
			{s: idem(1, 0, 3, 2, 11), dupBase: -1},
			{s: idem(1, 0, 3, 2, 11), dupBase: 3},
			{s: idem(1, 0, 0, 3, 10), dupBase: 0},
		}},
		{"duplicate range must match exactly", []step{
			{s: idem(1, 0, 0, 3, 10), dupBase: -1},
			{s: idem(1, 0, 0, 2, 10), wantErr: ErrOutOfOrderSequence, dupBase: -1},
		}},
		{"only the last five batches are remembered", []step{
			{s: idem(1, 0, 0, 1, 10), dupBase: -1},
			{s: idem(1, 0, 1, 1, 10), dupBase: -1},
			{s: idem(1, 0, 2, 1, 10), dupBase: -1},
			{s: idem(1, 0, 3, 1, 10), dupBase: -1},
			{s: idem(1, 0, 4, 1, 10), dupBase: -1},
			{s: idem(1, 0, 5, 1, 10), dupBase: -1},
			{s: idem(1, 0, 1, 1, 10), dupBase: 1},
			{s: idem(1, 0, 0, 1, 10), wantErr: ErrOutOfOrderSequence, dupBase: -1},
		}},
		{"fenced epoch", []step{
			{s: idem(1, 5, 0, 1, 10), dupBase: -1},
			{s: idem(1, 4, 1, 1, 10), wantErr: ErrInvalidProducerEpoch, dupBase: -1},
			{s: idem(1, 4, 0, 1, 10), wantErr: ErrInvalidProducerEpoch, dupBase: -1},
		}},
		{"new epoch must start at 0", []step{
			{s: idem(1, 0, 0, 2, 10), dupBase: -1},
			{s: idem(1, 1, 2, 1, 10), wantErr: ErrOutOfOrderSequence, dupBase: -1},
			{s: idem(1, 1, 0, 1, 10), dupBase: -1},
			{s: idem(1, 0, 2, 1, 10), wantErr: ErrInvalidProducerEpoch, dupBase: -1},
		}},
		{"new epoch forgets old duplicates", []step{
			{s: idem(1, 0, 0, 2, 10), dupBase: -1},
			{s: idem(1, 1, 0, 2, 10), dupBase: -1},
			{s: idem(1, 0, 0, 2, 10), wantErr: ErrInvalidProducerEpoch, dupBase: -1},
			{s: idem(1, 1, 0, 2, 10), dupBase: 2},
		}},
		{"unknown producer may start anywhere", []step{
			{s: idem(7, 3, 42, 2, 10), dupBase: -1},
			{s: idem(7, 3, 44, 1, 10), dupBase: -1},
		}},
		{"producers are independent", []step{
			{s: idem(1, 0, 0, 2, 10), dupBase: -1},
			{s: idem(2, 0, 0, 2, 10), dupBase: -1},
			{s: idem(1, 0, 2, 1, 10), dupBase: -1},
			{s: idem(2, 0, 3, 1, 10), wantErr: ErrOutOfOrderSequence, dupBase: -1},
		}},
		{"sequence wraps after MaxInt32", []step{
			{s: idem(1, 0, math.MaxInt32-1, 2, 10), dupBase: -1},
			{s: idem(1, 0, 0, 1, 10), dupBase: -1},
		}},
		{"a batch that wraps", []step{
			{s: idem(1, 0, math.MaxInt32-1, 4, 10), dupBase: -1},
			{s: idem(1, 0, 2, 1, 10), dupBase: -1},
			{s: idem(1, 0, math.MaxInt32-1, 4, 10), dupBase: 0},
		}},
		{"negative sequence with a producer ID", []step{
			{s: idem(1, 0, -1, 1, 10), wantErr: recordbatch.ErrInvalidRecord, dupBase: -1},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newProducers()
			var next int64
			for i, st := range tc.steps {
				h := recordbatch.Header(makeBatch(st.s))
				dup, isDup, err := p.check(h)
				if !errors.Is(err, st.wantErr) || (st.wantErr == nil && err != nil) {
					t.Fatalf("step %d: err %v, want %v", i, err, st.wantErr)
				}
				if isDup != (st.dupBase >= 0) {
					t.Fatalf("step %d: duplicate %v, want %v", i, isDup, st.dupBase >= 0)
				}
				if isDup {
					if dup.firstOffset() != st.dupBase || dup.lastOffset != st.dupBase+int64(len(st.s.ts))-1 {
						t.Fatalf("step %d: duplicate offsets %d..%d, want %d..%d", i, dup.firstOffset(), dup.lastOffset,
							st.dupBase, st.dupBase+int64(len(st.s.ts))-1)
					}
					continue
				}
				if err == nil {
					appendTo(&p, &next, st.s)
				}
			}
		})
	}
}

func TestLastSequence(t *testing.T) {
	for _, c := range []struct{ base, delta, want int32 }{
		{0, 0, 0},
		{5, 3, 8},
		{math.MaxInt32, 0, math.MaxInt32},
		{math.MaxInt32, 1, 0},
		{math.MaxInt32 - 1, 3, 1},
	} {
		if got := lastSequence(c.base, c.delta); got != c.want {
			t.Errorf("lastSequence(%d, %d) = %d, want %d", c.base, c.delta, got, c.want)
		}
	}
}

func TestProducerStatesAndExpire(t *testing.T) {
	p := newProducers()
	var next int64
	appendTo(&p, &next, idem(9, 2, 0, 3, 1000))
	appendTo(&p, &next, idem(4, 0, 0, 1, 5000))
	appendTo(&p, &next, idem(9, 2, 3, 2, 2000))
	got := p.states()
	want := []ProducerState{
		{ProducerID: 4, Epoch: 0, LastSequence: 0, LastTimestamp: 5000, LastOffset: 3, CoordinatorEpoch: -1, CurrentTxnStartOffset: -1},
		{ProducerID: 9, Epoch: 2, LastSequence: 4, LastTimestamp: 2000, LastOffset: 5, CoordinatorEpoch: -1, CurrentTxnStartOffset: -1},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("states = %+v, want %+v", got, want)
	}
	if n := p.expire(3000, 1000); n != 1 {
		t.Fatalf("expire removed %d, want 1", n)
	}
	if got := p.states(); len(got) != 1 || got[0].ProducerID != 4 {
		t.Fatalf("after expire: %+v", got)
	}
	if n := p.expire(1<<40, 0); n != 0 {
		t.Fatalf("expire with expiration 0 removed %d", n)
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	p := newProducers()
	var next int64
	for i := range 7 {
		appendTo(&p, &next, idem(1, 0, int32(i), 1, int64(100+i)))
	}
	appendTo(&p, &next, idem(2, 3, 0, 4, 50))
	b := p.encodeSnapshot(next)
	// 18 header (with the count) + 2 entries of 31 + (5 + 1) batches of 28 + 4 CRC.
	if want := 18 + 2*31 + 6*28 + 4; len(b) != want {
		t.Fatalf("snapshot is %d bytes, want %d", len(b), want)
	}
	off, q, err := decodeSnapshot(b)
	if err != nil || off != next {
		t.Fatalf("decode: offset %d, %v; want %d", off, err, next)
	}
	if len(q.m) != 2 || *q.m[1] != *p.m[1] || *q.m[2] != *p.m[2] {
		t.Fatalf("decoded state differs: %+v vs %+v", q.m, p.m)
	}
	// Every single-byte change and every truncation is refused.
	for i := range b {
		c := append([]byte(nil), b...)
		c[i] ^= 0x40
		if _, _, err := decodeSnapshot(c); !errors.Is(err, errBadFile) {
			t.Fatalf("flipped byte %d: err %v", i, err)
		}
	}
	for n := range len(b) {
		if _, _, err := decodeSnapshot(b[:n]); !errors.Is(err, errBadFile) {
			t.Fatalf("truncated to %d: err %v", n, err)
		}
	}
}

// FuzzDecodeSnapshot feeds arbitrary bytes to the snapshot decoder.
// Invariants: it never panics; what it accepts re-encodes to the same bytes
// (the encoding is canonical: entries sorted by producer ID).
func FuzzDecodeSnapshot(f *testing.F) {
	p := newProducers()
	var next int64
	appendTo(&p, &next, idem(1, 0, 0, 2, 10))
	appendTo(&p, &next, idem(3, 1, 5, 1, 20))
	f.Add(p.encodeSnapshot(next))
	empty := newProducers()
	f.Add(empty.encodeSnapshot(0))
	f.Add([]byte("SPPS"))
	f.Fuzz(func(t *testing.T, b []byte) {
		off, q, err := decodeSnapshot(b)
		if err != nil {
			return
		}
		if got := q.encodeSnapshot(off); string(got) != string(b) {
			t.Fatalf("re-encoded %x, decoded from %x", got, b)
		}
	})
}

func TestCheckpointAndMarkerEncoding(t *testing.T) {
	c := checkpoint{logStart: 12, recoveryPoint: 345}
	b := c.encode()
	want := []byte{'S', 'P', 'C', 'K', 0, 1, 0, 0, 0, 0, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 1, 0x59}
	if len(b) != checkpointSize || string(b[:len(want)]) != string(want) {
		t.Fatalf("checkpoint bytes %x", b)
	}
	if got, err := decodeCheckpoint(b); err != nil || got != c {
		t.Fatalf("decode = %+v, %v", got, err)
	}
	m := marker{logEnd: 77}
	if got, err := decodeMarker(m.encode()); err != nil || got != m {
		t.Fatalf("marker decode = %+v, %v", got, err)
	}
	for i := range b {
		c2 := append([]byte(nil), b...)
		c2[i]++
		if _, err := decodeCheckpoint(c2); !errors.Is(err, errBadFile) {
			t.Fatalf("changed byte %d accepted: %v", i, err)
		}
	}
	if _, err := decodeMarker(b); !errors.Is(err, errBadFile) {
		t.Fatalf("a checkpoint decoded as a marker: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig: %v", err)
	}
	bad := []func(*Config){
		func(c *Config) { c.SegmentBytes = 60 },
		func(c *Config) { c.SegmentBytes = 1 << 31 },
		func(c *Config) { c.SegmentMs = 0 },
		func(c *Config) { c.SegmentIndexBytes = 11 },
		func(c *Config) { c.IndexIntervalBytes = -1 },
		func(c *Config) { c.FlushMessages = 0 },
		func(c *Config) { c.FlushMs = -1 },
		func(c *Config) { c.MaxMessageBytes = -1 },
	}
	for i, f := range bad {
		c := DefaultConfig()
		f(&c)
		if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("case %d: %v", i, err)
		}
	}
}
