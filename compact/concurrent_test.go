package compact

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/stratabroker/strata/recordbatch"
)

// TestCleaningUnderLoad: a manager cleans a log while it takes appends
// that roll a segment every few batches and while a reader reads it from
// the start again and again: every read sees strictly increasing offsets,
// and once the writes stop a last pass leaves exactly each key's last
// record (run with -race).
func TestCleaningUnderLoad(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	cfg := testConfig()
	cfg.SegmentBytes = 8 << 10
	l := openAt(t, filepath.Join(dir, "t-0"), c, cfg)
	defer l.Close()
	ccfg := cleanConfig()
	ccfg.MinCleanableRatio = 0.01
	ccfg.SegmentBytes = 32 << 10
	ev := events{ch: make(chan string, 1024)}
	m := NewManager(Options{BackoffMs: 5, DedupeBufferSize: 64 * BytesPerSlot, Logger: slog.New(ev), Now: c.now})
	m.Add("t-0", l, func() Config { return ccfg })
	m.Start()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	readErr := make(chan error, 1)
	go func() {
		defer wg.Done()
		var it recordbatch.Iterator
		for {
			select {
			case <-stop:
				return
			default:
			}
			last := int64(-1)
			for off := l.LogStartOffset(); off < l.HighWatermark(); {
				r, err := l.Read(off, 64<<10)
				if err != nil {
					readErr <- err
					return
				}
				for _, sl := range r.Slices {
					buf := make([]byte, sl.Len)
					sl.File.ReadAt(buf, sl.Pos)
					for len(buf) > 0 {
						n, _ := recordbatch.BatchSize(buf)
						it.Reset(buf[:n], 1<<20)
						for it.Next() {
							if o := it.Record().Offset; o <= last {
								readErr <- fmt.Errorf("offset %d after %d", o, last)
								r.Release()
								return
							} else {
								last = o
							}
						}
						buf = buf[n:]
					}
					off = sl.LastOffset + 1
				}
				r.Release()
			}
		}
	}()
	bl := recordbatch.NewBuilder()
	value := make([]byte, 200)
	var batch []byte
	for i := range 400 {
		if i == 200 || i == 399 {
			waitFor(t, ev, "cleaned log t-0") // passes overlap the appends and the reads
		}
		bl.Reset()
		for j := range 5 {
			bl.Add(&recordbatch.Record{Timestamp: t0.UnixMilli() + int64(i), Key: fmt.Appendf(nil, "k%d", (i*5+j)%97), Value: fmt.Appendf(value[:0], "v%d", i)})
		}
		batch, _ = bl.AppendTo(batch[:0])
		if _, err := l.Append(batch, false); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	select {
	case err := <-readErr:
		t.Fatal(err)
	default:
	}
	m.Remove("t-0")
	m.Close()
	before, _ := readLog(t, l)
	active := l.CleanerView().ActiveBase
	from := int64(0)
	for from < active {
		st, err := NewCleaner(1<<20, 4096, nil).Clean(l, from, ccfg, c.now())
		if err != nil {
			t.Fatal(err)
		}
		from = st.EndOffset
	}
	after, _ := readLog(t, l)
	if want := model(before, active); !slices.Equal(strs(after), strs(want)) {
		t.Fatalf("after the last pass: %d records, want %d", len(after), len(want))
	}
	if st := m.Stats(); st.Passes == 0 {
		t.Fatal("the manager never cleaned")
	}
}
