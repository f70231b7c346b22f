package compact

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/segment"
)

// manyKeysLog writes keys k0..k(n-1) three times each (values r0, r1,
// r2), 50 records a batch, plus one record in
// the active segment.
// Segments roll every rollEvery batches.
func manyKeysLog(t *testing.T, fs vfs.FS, c *clock, n, rollEvery int) *partition.Log {
	t.Helper()
	p := newProducer(t, kgo.DisableIdempotentWrite())
	l := openLog(t, fs, c, testConfig())
	var recs []kv
	for round := range 3 {
		for k := range n {
			recs = append(recs, val(fmt.Sprintf("k%d", (k*7+round)%n), fmt.Sprintf("r%d", round)))
		}
	}
	for i := 0; i < len(recs); i += 50 {
		b := p.batch(t, recs[i:min(i+50, len(recs))])
		p.ts = p.ts.Add(time.Second)
		if (i/50)%rollEvery == 0 && i > 0 {
			appendRolling(t, l, b)
		} else {
			appendBatch(t, l, b)
		}
	}
	p.ts = p.ts.Add(time.Second)
	appendRolling(t, l, p.batch(t, []kv{val("tail", "x")}))
	return l
}

// TestManyKeysSeveralPasses: a dedupe buffer of 100 slots (90 keys a
// pass) and 1,000 keys written three times: the cleaner needs 34 passes of the same memory,
// each ending where its map filled, and the log then holds exactly each
// key's last record.
func TestManyKeysSeveralPasses(t *testing.T) {
	c := newClock()
	l := manyKeysLog(t, vfs.NewMem(), c, 1000, 10)
	defer l.Close()
	before, _ := readLog(t, l)
	active := l.CleanerView().ActiveBase
	if n := len(l.CleanerView().Segments); n != 6 {
		t.Fatalf("%d inactive segments, want 6", n)
	}
	cl := NewCleaner(100*BytesPerSlot, 4096, nil)
	words := len(cl.m.t)
	from, passes := int64(0), 0
	for from < active {
		st, err := cl.Clean(l, from, cleanConfig(), c.now())
		if err != nil {
			t.Fatal(err)
		}
		if st.EndOffset <= from || st.Keys > 90 {
			t.Fatalf("pass %d: %d..%d with %d keys", passes, from, st.EndOffset, st.Keys)
		}
		from = st.EndOffset
		passes++
		if len(cl.m.t) != words {
			t.Fatalf("offset map grew from %d to %d words", words, len(cl.m.t))
		}
	}
	after, _ := readLog(t, l)
	if want := model(before, active); !slices.Equal(strs(after), strs(want)) {
		t.Fatalf("after %d passes: %d records, want %d", passes, len(after), len(want))
	}
	if len(after) != 1001 || passes != 34 {
		t.Fatalf("%d records after %d passes; want 1001 after 34", len(after), passes)
	}
	// The six 500-record segments were merged into one (segment.bytes 1 MiB).
	if n := len(l.CleanerView().Segments); n != 1 {
		t.Fatalf("%d inactive segments after cleaning, want 1", n)
	}
}

// TestProducerStateSurvives: an idempotent producer whose last batch
// holds only records a later producer overwrote keeps that batch as an
// empty header: its state is the same after cleaning and after a reopen
// that rebuilds it from the log, a retry of its last batch is still a
// duplicate, and its next batch is in sequence.
func TestProducerStateSurvives(t *testing.T) {
	mem := vfs.NewMem()
	c := newClock()
	cfg := testConfig()
	l := openLog(t, mem, c, cfg)
	a, b := newProducer(t), newProducer(t)
	appendBatch(t, l, a.batch(t, []kv{val("k", "a1")}))
	lastA := a.batch(t, []kv{val("k", "a2"), val("j", "a2")})
	appendBatch(t, l, lastA)
	b.ts = b.ts.Add(time.Second)
	appendRolling(t, l, b.batch(t, []kv{val("k", "b1"), val("j", "b1")}))
	b.ts = b.ts.Add(time.Second)
	appendRolling(t, l, b.batch(t, []kv{val("x", "b2")}))
	states := l.ProducerStates()
	if len(states) != 2 {
		t.Fatalf("%d producers", len(states))
	}
	if _, err := NewCleaner(1<<20, 4096, nil).Clean(l, 0, cleanConfig(), c.now()); err != nil {
		t.Fatal(err)
	}
	all, batches := readLog(t, l)
	if got, want := strs(all), []string{"3:k=b1", "4:j=b1", "5:x=b2"}; !slices.Equal(got, want) {
		t.Fatalf("records %v, want %v", got, want)
	}
	if batches[0].BaseOffset() != 1 || batches[0].LastOffset() != 2 || batches[0].RecordCount() != 0 ||
		batches[0].ProducerID() != states[0].ProducerID && batches[0].ProducerID() != states[1].ProducerID {
		t.Fatalf("first batch %d..%d with %d records, producer %d: want a's last batch, empty", batches[0].BaseOffset(), batches[0].LastOffset(), batches[0].RecordCount(), batches[0].ProducerID())
	}
	if got := l.ProducerStates(); !slices.Equal(got, states) {
		t.Fatalf("producer state %+v after cleaning, want %+v", got, states)
	}
	l.Close()
	// A crash: no snapshot; the state is rebuilt from the batch headers.
	names, _ := mem.ReadDir("/data/t-0")
	for _, n := range names {
		if len(n) > 9 && n[len(n)-9:] == ".snapshot" || n == ".strata_cleanshutdown" {
			mem.Remove("/data/t-0/" + n)
		}
	}
	l = openLog(t, mem, c, cfg)
	defer l.Close()
	if got := l.ProducerStates(); !slices.Equal(got, states) {
		t.Fatalf("producer state %+v after replay, want %+v", got, states)
	}
	if res := appendBatch(t, l, lastA); !res.Duplicate || res.BaseOffset != 1 || res.LastOffset != 2 {
		t.Fatalf("retry of a's last batch: %+v, want a duplicate at 1..2", res)
	}
	if res := appendBatch(t, l, a.batch(t, []kv{val("k", "a3")})); res.Duplicate || res.BaseOffset != 6 {
		t.Fatalf("a's next batch: %+v", res)
	}
}

// TestCompressedKeysFitOnePass: 2,000 keys zstd-compressed into far fewer
// bytes than 7 per record (the bound the map first sizes itself by) still
// take one pass when the whole table holds them: the map starts over with
// the whole table.
func TestCompressedKeysFitOnePass(t *testing.T) {
	c := newClock()
	l := openLog(t, vfs.NewMem(), c, testConfig())
	defer l.Close()
	bl := recordbatch.NewBuilder()
	bl.Codec = recordbatch.CodecZstd
	for round := range 2 {
		bl.Reset()
		for k := range 2000 {
			bl.Add(&recordbatch.Record{Timestamp: t0.UnixMilli(), Key: fmt.Appendf(nil, "key-%06d", k), Value: []byte{byte(round)}})
		}
		b, err := bl.AppendTo(nil)
		if err != nil {
			t.Fatal(err)
		}
		if round == 0 && 2*len(b)/7 >= 2000 {
			t.Fatalf("batch of %d bytes: not packed enough for the test", len(b))
		}
		appendBatch(t, l, b)
	}
	bl.Reset()
	bl.Add(&recordbatch.Record{Timestamp: t0.UnixMilli() + 10, Key: []byte("tail")})
	b, _ := bl.AppendTo(nil)
	appendRolling(t, l, b)
	st, err := NewCleaner(10_000*BytesPerSlot, 4096, nil).Clean(l, 0, cleanConfig(), c.now())
	if err != nil {
		t.Fatal(err)
	}
	if st.EndOffset != 4000 || st.Keys != 2000 || st.RecordsKept != 2000 {
		t.Fatalf("pass ended at %d with %d keys, kept %d; want 4000, 2000, 2000", st.EndOffset, st.Keys, st.RecordsKept)
	}
}

// TestAbortLeavesTheLog: a pass stopped midway (Remove, Close) leaves the
// log as it was and no cleaned file behind.
func TestAbortLeavesTheLog(t *testing.T) {
	mem := vfs.NewMem()
	c := newClock()
	l := manyKeysLog(t, mem, c, 200, 2)
	defer l.Close()
	before, _ := readLog(t, l)
	for _, after := range []int{5, 15} { // batches into the map (12 batches), into the copy
		calls := 0
		cl := NewCleaner(1<<20, 4096, nil)
		cl.Abort = func() bool { calls++; return calls > after }
		if _, err := cl.Clean(l, 0, cleanConfig(), c.now()); !errors.Is(err, errAborted) {
			t.Fatalf("abort after %d batches: %v", after, err)
		}
		if got, _ := readLog(t, l); !slices.Equal(strs(got), strs(before)) {
			t.Fatalf("abort after %d batches changed the log", after)
		}
		names, _ := mem.ReadDir("/data/t-0")
		for _, n := range names {
			if strings.HasSuffix(n, segment.CleanedSuffix) || strings.HasSuffix(n, segment.SwapSuffix) {
				t.Fatalf("abort after %d batches left %s", after, n)
			}
		}
	}
}
