package metrics

import (
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stratabroker/strata/server"
)

// clock is a settable server clock.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }
func newClock(start time.Time) *clock    { c := &clock{}; c.ns.Store(start.UnixNano()); return c }
func sp(s string) *string                { return &s }
func (b *broker) size(t *testing.T, topic string) int64 {
	t.Helper()
	tp, ok := b.srv.Registry().Get(topic)
	if !ok {
		t.Fatalf("no topic %s", topic)
	}
	return tp.Partitions[0].Size()
}

// keyed produces one batch a record, keys k<i%5>, values of one length,
// so every batch has the same size, stamped by the clock (segment.ms
// measures batch timestamps).
func keyed(t *testing.T, c *clock, cl *kgo.Client, topic string, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		r := &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, "k%d", i%5), Value: fmt.Appendf(nil, "value-%03d", i), Timestamp: c.now()}
		if err := cl.ProduceSync(ctx(t), r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCleanerMetrics: a compacted partition of ten same-sized batches
// (keys k0-k4 twice) rolled by segment.ms (on the server's clock) is
// cleaned once: the cleaner read its ten batches twice (map, copy) and
// wrote the last five; with the next five batches rolled, its dirty
// ratio is one half (under min.cleanable.dirty.ratio 0.6, so no pass),
// and the log dir's last pass was the 7.3 s the clock moved since. A
// corrupt batch in another partition makes it uncleanable: its log dir
// counts it and its dirty segment's bytes.
func TestCleanerMetrics(t *testing.T) {
	c := newClock(time.Now())
	b := startBrokerWith(t, false, server.Options{Now: c.now}, "log.cleaner.backoff.ms", "3600000")
	adm := kadm.NewClient(b.client(t))
	if _, err := adm.CreateTopic(ctx(t), 1, 1, map[string]*string{"cleanup.policy": sp("compact"), "segment.ms": sp("100"),
		"min.cleanable.dirty.ratio": sp("0.6")}, "kv"); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Clean(b.dir)
	dl := fmt.Sprintf("{dir=%q}", dir)
	s := b.scrape(t)
	check(t, s, map[string]float64{
		"strata_cleaner_passes_total": 0, "strata_cleaner_bytes_read_total": 0, "strata_cleaner_bytes_written_total": 0,
		"strata_cleaner_recopy_ratio": 0, "strata_cleaner_max_dirty_ratio": 0,
		"strata_cleaner_seconds_since_last_run" + dl: 0, `strata_cleaner_dirty_ratio{partition="0",topic="kv"}`: 0,
	})
	cl := b.client(t, kgo.DisableIdempotentWrite(), kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.ProducerLinger(0))
	keyed(t, c, cl, "kv", 0, 10)
	s0 := b.size(t, "kv")
	batch := s0 / 10
	c.advance(200 * time.Millisecond)
	keyed(t, c, cl, "kv", 10, 1) // rolls: offsets 0-9 are cleaned
	b.waitFor(t, "a pass", func(s samples) bool { return s["strata_cleaner_passes_total"] == 1 })
	c.advance(100 * time.Millisecond)
	keyed(t, c, cl, "kv", 11, 4)
	c.advance(200 * time.Millisecond)
	keyed(t, c, cl, "kv", 15, 1) // rolls: offsets 10-14 are dirty, 0-9 clean
	b.waitFor(t, "the second roll assessed", func(s samples) bool { return s["strata_cleaner_max_dirty_ratio"] != 0 })
	c.advance(7 * time.Second)
	th := b.srv.CleanerStats().Threads[0]
	check(t, b.scrape(t), map[string]float64{
		"strata_cleaner_passes_total":                          1,
		"strata_cleaner_bytes_read_total":                      float64(2 * s0),
		"strata_cleaner_bytes_written_total":                   float64(5 * batch),
		"strata_cleaner_recopy_ratio":                          0.25,
		"strata_cleaner_max_buffer_utilization_ratio":          th.BufferUse,
		"strata_cleaner_max_clean_time_seconds":                th.Duration.Seconds(),
		"strata_cleaner_max_compaction_delay_seconds":          0,
		"strata_cleaner_max_dirty_ratio":                       0.5,
		`strata_cleaner_dirty_ratio{partition="0",topic="kv"}`: 0.5,
		"strata_cleaner_seconds_since_last_run" + dl:           (7300 * time.Millisecond).Seconds(),
		"strata_cleaner_uncleanable_partitions" + dl:           0,
		"strata_cleaner_uncleanable_bytes" + dl:                0,
	})
	if th.BufferUse <= 0 || th.Duration <= 0 || b.size(t, "kv") != 11*batch {
		t.Fatalf("thread %+v, kv size %d, want %d", th, b.size(t, "kv"), 11*batch)
	}

	// A corrupt batch: a byte of bad's second value flipped on disk.
	if _, err := adm.CreateTopic(ctx(t), 1, 1, map[string]*string{"cleanup.policy": sp("compact"), "segment.ms": sp("100"),
		"min.cleanable.dirty.ratio": sp("0.01")}, "bad"); err != nil {
		t.Fatal(err)
	}
	keyed(t, c, cl, "bad", 0, 2)
	badSize := b.size(t, "bad")
	f, err := os.OpenFile(filepath.Join(b.dir, "bad-0", "00000000000000000000.log"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{'X'}, badSize-2); err != nil {
		t.Fatal(err)
	}
	f.Close()
	c.advance(200 * time.Millisecond)
	keyed(t, c, cl, "bad", 2, 1)
	b.waitFor(t, "bad marked uncleanable", func(s samples) bool { return s["strata_cleaner_uncleanable_partitions"+dl] == 1 })
	check(t, b.scrape(t), map[string]float64{
		"strata_cleaner_uncleanable_bytes" + dl:                 float64(badSize),
		`strata_cleaner_dirty_ratio{partition="0",topic="bad"}`: 1,
		"strata_cleaner_passes_total":                           1,
	})
}
