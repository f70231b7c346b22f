package compact

import (
	"encoding/hex"
	"slices"
	"testing"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/segment"
)

// keyedTs stamps each keyed batch 10 ms after the previous one (segment.ms
// rolls need time to pass between batches).
var keyedTs = t0.UnixMilli()

// keyed builds a batch of key=value records; pid >= 0 makes it
// transactional for that producer.
func keyed(t testing.TB, pid int64, seq int32, kvs ...string) []byte {
	t.Helper()
	keyedTs += 10
	b := recordbatch.NewBuilder()
	if pid >= 0 {
		b.ProducerID, b.ProducerEpoch, b.BaseSequence, b.Transactional = pid, 0, seq, true
	}
	for i := 0; i < len(kvs); i += 2 {
		b.Add(&recordbatch.Record{Timestamp: keyedTs, Key: []byte(kvs[i]), Value: []byte(kvs[i+1])})
	}
	out, err := b.AppendTo(nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func marker(t testing.TB, l *partition.Log, pid int64, commit bool, now int64) int64 {
	t.Helper()
	off, err := l.AppendMarker(pid, 0, commit, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	return off
}

// batchBases lists the base offsets of the log's batches, and which
// carry a delete horizon.
func batchBases(t *testing.T, l *partition.Log) (bases []int64, horizons []int64) {
	t.Helper()
	_, bs := readLog(t, l)
	for _, h := range bs {
		bases = append(bases, h.BaseOffset())
		if h.Attributes()&recordbatch.AttrDeleteHorizonMs != 0 {
			horizons = append(horizons, h.BaseOffset())
		}
	}
	return bases, horizons
}

// TestCleanTransactions follows Kafka's cleaner over an aborted and a
// committed transaction: the aborted data goes at once, the abort marker
// stays (and in the cleaned segment's .txnindex) while its data was still
// there in the pass, then both markers get a delete horizon and go after
// it.
func TestCleanTransactions(t *testing.T) {
	fs := vfs.NewMem()
	c := newClock()
	l := openLog(t, fs, c, testConfig())
	defer l.Close()
	now := c.now().UnixMilli()
	appendBatch(t, l, keyed(t, 1, 0, "k1", "a1", "k2", "a2")) // 0-1, aborted
	appendBatch(t, l, keyed(t, 2, 0, "k1", "c1"))             // 2, committed
	marker(t, l, 1, false, now)                               // 3
	marker(t, l, 2, true, now)                                // 4
	appendBatch(t, l, keyed(t, -1, 0, "k1", "z1"))            // 5
	appendRolling(t, l, keyed(t, 1, 2, "k4", "x"))            // 6: a new segment
	marker(t, l, 1, true, now)                                // 7
	appendBatch(t, l, keyed(t, 2, 1, "k5", "y"))              // 8
	marker(t, l, 2, true, now)                                // 9
	if got := l.AbortedTransactions(0, 10); !slices.Equal(got, []partition.AbortedTxn{{ProducerID: 1, FirstOffset: 0, LastOffset: 3, LastStableOffset: 2}}) {
		t.Fatalf("aborted before cleaning: %+v", got)
	}

	cl := NewCleaner(1<<20, 64<<10, nil)
	cfg := cleanConfig()
	if _, err := cl.Clean(l, 0, cfg, c.now()); err != nil {
		t.Fatal(err)
	}
	bases, horizons := batchBases(t, l)
	if want := []int64{3, 4, 5, 6, 7, 8, 9}; !slices.Equal(bases, want) || horizons != nil {
		t.Fatalf("pass 1: batches %v (horizons %v), want %v (none)", bases, horizons, want)
	}
	recs, _ := readLog(t, l)
	if got := strs(recs[2:3]); !slices.Equal(got, []string{"5:k1=z1"}) {
		t.Fatalf("pass 1: data %v", got)
	}
	// The cleaned segment indexes the abort whose marker it keeps.
	b, err := vfs.ReadFile(fs, segment.TxnIndexPath("/data/t-0", 0), 1<<10)
	want := "0000" + "0000000000000001" + "0000000000000000" + "0000000000000003" + "0000000000000002"
	if err != nil || hex.EncodeToString(b) != want {
		t.Fatalf("cleaned .txnindex: %x, %v; want %s", b, err, want)
	}

	// Pass 2: no data of either transaction left: both markers get a
	// delete horizon, and the abort leaves the index.
	c.advance(1)
	if _, err := cl.Clean(l, 0, cfg, c.now()); err != nil {
		t.Fatal(err)
	}
	bases, horizons = batchBases(t, l)
	if want := []int64{3, 4, 5, 6, 7, 8, 9}; !slices.Equal(bases, want) || !slices.Equal(horizons, []int64{3, 4}) {
		t.Fatalf("pass 2: batches %v, horizons %v; want %v, [3 4]", bases, horizons, want)
	}
	if got := l.AbortedTransactions(0, 10); got != nil {
		t.Fatalf("aborted after pass 2: %+v", got)
	}
	// Pass 3, before the horizon: kept; after it: gone.
	c.advance(cfg.DeleteRetentionMs - 1)
	if _, err := cl.Clean(l, 0, cfg, c.now()); err != nil {
		t.Fatal(err)
	}
	if bases, _ := batchBases(t, l); !slices.Equal(bases, []int64{3, 4, 5, 6, 7, 8, 9}) {
		t.Fatalf("before the horizon: %v", bases)
	}
	c.advance(2)
	if _, err := cl.Clean(l, 0, cfg, c.now()); err != nil {
		t.Fatal(err)
	}
	if bases, _ := batchBases(t, l); !slices.Equal(bases, []int64{5, 6, 7, 8, 9}) {
		t.Fatalf("after the horizon: %v, want [5 6 7 8 9]", bases)
	}
}

// TestCleanStopsAtLSO: an ongoing transaction is not cleaned, nor
// anything after it (Kafka's firstUnstableOffset bounds the pass).
func TestCleanStopsAtLSO(t *testing.T) {
	fs := vfs.NewMem()
	c := newClock()
	l := openLog(t, fs, c, testConfig())
	defer l.Close()
	appendBatch(t, l, keyed(t, -1, 0, "k1", "a")) // 0
	appendBatch(t, l, keyed(t, 3, 0, "k1", "b"))  // 1: ongoing
	appendBatch(t, l, keyed(t, -1, 0, "k1", "c")) // 2
	appendRolling(t, l, keyed(t, -1, 0, "k9", "z"))
	if _, err := NewCleaner(1<<20, 64<<10, nil).Clean(l, 0, cleanConfig(), c.now()); err != nil {
		t.Fatal(err)
	}
	recs, _ := readLog(t, l)
	if got, want := strs(recs), []string{"0:k1=a", "1:k1=b", "2:k1=c", "3:k9=z"}; !slices.Equal(got, want) {
		t.Fatalf("records %v, want %v", got, want)
	}
	// Once it commits, the pass goes to the active segment.
	marker(t, l, 3, true, c.now().UnixMilli())
	appendRolling(t, l, keyed(t, -1, 0, "k9", "y"))
	if _, err := NewCleaner(1<<20, 64<<10, nil).Clean(l, 0, cleanConfig(), c.now()); err != nil {
		t.Fatal(err)
	}
	recs, _ = readLog(t, l)
	var data []string
	for _, g := range recs {
		if g.key != "\x00\x00\x00\x01" { // the commit marker's record
			data = append(data, g.String())
		}
	}
	if want := []string{"2:k1=c", "3:k9=z", "5:k9=y"}; !slices.Equal(data, want) {
		t.Fatalf("after the commit: %v, want %v", data, want)
	}
}

// TestCleanKeepsFencingMarker: a producer whose state is only a marker
// (its epoch bumped by the coordinator's abort, so no data offset) keeps
// that marker, emptied, past its horizon (Kafka's
// isBatchLastRecordOfProducer): its epoch survives cleaning.
func TestCleanKeepsFencingMarker(t *testing.T) {
	fs := vfs.NewMem()
	c := newClock()
	l := openLog(t, fs, c, testConfig())
	defer l.Close()
	appendBatch(t, l, keyed(t, 9, 0, "k1", "a")) // 0
	if _, err := l.AppendMarker(9, 1, false, 0, c.now().UnixMilli()); err != nil {
		t.Fatal(err) // 1: the abort with the bumped epoch
	}
	appendBatch(t, l, keyed(t, -1, 0, "k2", "b"))   // 2
	appendRolling(t, l, keyed(t, -1, 0, "k3", "c")) // 3
	cl := NewCleaner(1<<20, 64<<10, nil)
	cfg := cleanConfig()
	for _, adv := range []int64{0, 1, cfg.DeleteRetentionMs + 1} {
		c.advance(adv)
		if _, err := cl.Clean(l, 0, cfg, c.now()); err != nil {
			t.Fatal(err)
		}
	}
	_, bs := readLog(t, l)
	var got [][3]int64
	for _, h := range bs {
		got = append(got, [3]int64{h.BaseOffset(), int64(h.RecordCount()), int64(h.ProducerEpoch())})
	}
	if want := [][3]int64{{1, 0, 1}, {2, 1, -1}, {3, 1, -1}}; !slices.Equal(got, want) {
		t.Fatalf("batches (base, records, epoch) %v, want %v", got, want)
	}
}
