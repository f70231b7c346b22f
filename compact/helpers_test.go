package compact

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/recordbatch"
)

// t0 is the tests' clock start, and every record's timestamp base.
var t0 = time.UnixMilli(1_700_000_000_000)

// clock is a settable time for partition.Options.Now and Clean.
type clock struct{ ms atomic.Int64 }

func newClock() *clock                            { c := &clock{}; c.ms.Store(t0.UnixMilli()); return c }
func (c *clock) now() time.Time                   { return time.UnixMilli(c.ms.Load()) }
func (c *clock) advance(ms int64)                 { c.ms.Add(ms) }
func (c *clock) opts(fs vfs.FS) partition.Options { return partition.Options{FS: fs, Now: c.now} }

// kv is a record to produce: a nil value is a tombstone.
type kv struct {
	key, value string
	tomb       bool
	headers    []kgo.RecordHeader
}

func val(k, v string) kv { return kv{key: k, value: v} }
func tomb(k string) kv   { return kv{key: k, tomb: true} }
func (r kv) bytes() []byte {
	if r.tomb {
		return nil
	}
	return []byte(r.value)
}

// producer captures the batches a kgo client writes (its produce requests
// to an in-process kfake cluster): each batch call is one flush, one batch.
type producer struct {
	cl  *kgo.Client
	got chan []byte
	ts  time.Time
}

func newProducer(t testing.TB, opts ...kgo.Opt) *producer {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "t"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	p := &producer{got: make(chan []byte, 16), ts: t0}
	c.ControlKey(int16(kmsg.Produce), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := kreq.(*kmsg.ProduceRequest)
		p.got <- slices.Clone(req.Topics[0].Partitions[0].Records)
		return nil, nil, false
	})
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(c.ListenAddrs()...),
		kgo.DefaultProduceTopic("t"),
		kgo.ManualFlushing(),
		kgo.ProducerBatchMaxBytes(16 << 20),
		kgo.MaxBufferedRecords(1 << 20),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	p.cl = cl
	p.batch(t, []kv{val("warm-up", "")}) // the client learns the partition
	return p
}

// batch produces recs in one batch and returns its bytes as kgo wrote
// them; record i is stamped p.ts + i ms.
func (p *producer) batch(t testing.TB, recs []kv) []byte {
	t.Helper()
	ctx := context.Background()
	for i, r := range recs {
		p.cl.Produce(ctx, &kgo.Record{Key: []byte(r.key), Value: r.bytes(), Headers: r.headers, Timestamp: p.ts.Add(time.Duration(i) * time.Millisecond)}, nil)
	}
	if err := p.cl.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-p.got:
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("no produce request captured")
	}
	return nil
}

// testConfig is a compacted log with small segments and dense indexes.
func testConfig() partition.Config {
	c := partition.DefaultConfig()
	c.SegmentBytes = 1 << 20
	c.IndexIntervalBytes = 64
	c.SegmentIndexBytes = 4096
	c.RetentionMs = -1
	c.CleanupDelete = false
	c.ProducerIDExpirationMs = 0
	return c
}

// cleanConfig is Kafka's topic defaults for the cleaner.
func cleanConfig() Config {
	return Config{MinCleanableRatio: 0.5, DeleteRetentionMs: 86_400_000, MaxCompactionLagMs: 1<<63 - 1,
		SegmentBytes: 1 << 20, MaxIndexBytes: 4096}
}

func openLog(t testing.TB, fs vfs.FS, c *clock, cfg partition.Config) *partition.Log {
	t.Helper()
	l, err := partition.Open("/data/t-0", cfg, c.opts(fs))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func appendBatch(t testing.TB, l *partition.Log, b []byte) partition.AppendResult {
	t.Helper()
	res, err := l.Append(slices.Clone(b), false)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	return res
}

// roll makes the active segment roll at the next append by lowering
// segment.ms for one append of batch b.
func appendRolling(t testing.TB, l *partition.Log, b []byte) partition.AppendResult {
	t.Helper()
	cfg := l.Config()
	old := cfg.SegmentMs
	cfg.SegmentMs = 1
	l.SetConfig(cfg)
	res := appendBatch(t, l, b)
	cfg.SegmentMs = old
	l.SetConfig(cfg)
	return res
}

// got is a record as read back.
type got struct {
	offset  int64
	ts      int64
	key     string
	value   string
	tomb    bool
	headers string
}

func (g got) String() string {
	v := g.value
	if g.tomb {
		v = "<tombstone>"
	}
	return fmt.Sprintf("%d:%s=%s%s", g.offset, g.key, v, g.headers)
}

// readLog returns every record of l from the log start, and the batches.
func readLog(t testing.TB, l *partition.Log) ([]got, []recordbatch.Header) {
	t.Helper()
	var out []got
	var batches []recordbatch.Header
	var it recordbatch.Iterator
	for off := l.LogStartOffset(); off < l.HighWatermark(); {
		r, err := l.Read(off, 1<<20)
		if err != nil {
			t.Fatalf("Read(%d): %v", off, err)
		}
		if len(r.Slices) == 0 {
			t.Fatalf("Read(%d): nothing below the high watermark %d", off, l.HighWatermark())
		}
		for _, sl := range r.Slices {
			buf := make([]byte, sl.Len)
			if _, err := sl.File.ReadAt(buf, sl.Pos); err != nil {
				t.Fatal(err)
			}
			for len(buf) > 0 {
				n, err := recordbatch.BatchSize(buf)
				if err != nil {
					t.Fatal(err)
				}
				h := recordbatch.Header(buf[:n])
				if err := recordbatch.CheckStored(h); err != nil {
					t.Fatalf("batch at %d: %v", h.BaseOffset(), err)
				}
				batches = append(batches, h)
				it.Reset(h, 1<<26)
				for it.Next() {
					rec := it.Record()
					g := got{offset: rec.Offset, ts: rec.Timestamp, key: string(rec.Key), value: string(rec.Value), tomb: rec.Value == nil}
					for _, hd := range rec.Headers {
						g.headers += fmt.Sprintf("[%s:%s]", hd.Key, hd.Value)
					}
					out = append(out, g)
				}
				if it.Err() != nil {
					t.Fatal(it.Err())
				}
				buf = buf[n:]
			}
			off = sl.LastOffset + 1
		}
		r.Release()
	}
	return out, batches
}

// latest is the model: for each key its last record, in offset order.
func latest(all []got) []got {
	last := map[string]int64{}
	for _, g := range all {
		last[g.key] = g.offset
	}
	var out []got
	for _, g := range all {
		if last[g.key] == g.offset {
			out = append(out, g)
		}
	}
	return out
}

func strs(gs []got) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.String()
	}
	return out
}

func openLogErr(fs vfs.FS, c *clock) (*partition.Log, error) {
	return partition.Open("/data/t-0", testConfig(), c.opts(fs))
}
