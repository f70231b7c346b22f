package partition

import (
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/recordbatch"
)

// TestConcurrentReaders runs readers (and a long-polling reader) against a
// writer that appends, rolls and deletes segments by retention. Every read
// must return whole, valid batches starting at the batch that holds the
// requested offset, or ErrOffsetOutOfRange for an offset retention took.
// Run it with -race.
func TestConcurrentReaders(t *testing.T) {
	fs := vfs.NewMem()
	cfg := rollEvery3(t)
	cfg.RetentionBytes = 4 * int64(len(makeBatch(plain(1, 0, 200, 0))))
	l := mustOpen(t, fs, cfg, Options{})
	defer l.Close()
	const batches = 600
	var done atomic.Bool
	var wg sync.WaitGroup
	var reads, outOfRange atomic.Int64
	errc := make(chan error, 8)
	fail := func(err error) {
		select {
		case errc <- err:
		default:
		}
	}
	for r := range 3 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 1))
			buf := make([]byte, 8192)
			for !done.Load() {
				start, hw := l.LogStartOffset(), l.HighWatermark()
				off := start + rng.Int64N(hw-start+1)
				res, err := l.Read(off, 1000)
				if errors.Is(err, ErrOffsetOutOfRange) {
					outOfRange.Add(1)
					continue
				}
				if err != nil {
					fail(err)
					return
				}
				for i, sl := range res.Slices {
					if sl.Len > int64(len(buf)) {
						fail(errors.New("slice too long"))
						break
					}
					b := buf[:sl.Len]
					if n, err := sl.File.ReadAt(b, sl.Pos); n != len(b) {
						fail(err)
						break
					}
					for len(b) > 0 {
						n, err := recordbatch.BatchSize(b)
						if err != nil || n > len(b) || recordbatch.CheckStored(b[:n]) != nil {
							fail(errors.New("torn batch in a read"))
							break
						}
						h := recordbatch.Header(b)
						if i == 0 && len(b) == int(sl.Len) && (h.BaseOffset() > off || h.LastOffset() < off) {
							fail(errors.New("read did not start at the batch holding the offset"))
						}
						b = b[n:]
					}
				}
				res.Release()
				reads.Add(1)
			}
		})
	}
	wg.Go(func() { // long poll: every wake-up sees the high watermark move
		seen := l.HighWatermark()
		for !done.Load() {
			ch := l.Wait()
			if hw := l.HighWatermark(); hw != seen {
				seen = hw
				continue
			}
			<-ch
			if hw := l.HighWatermark(); hw == seen && !done.Load() {
				fail(errors.New("woken without an append"))
				return
			}
		}
	})
	for i := range batches {
		if _, err := l.Append(makeBatch(plain(1+i%3, int64(i), 200, byte(i))), false); err != nil {
			t.Fatal(err)
		}
		if i%10 == 9 {
			if _, err := l.ApplyRetention(); err != nil {
				t.Fatal(err)
			}
		}
	}
	done.Store(true)
	mustAppend(t, l, makeBatch(plain(1, 0, 1, 0))) // wake the long poll
	wg.Wait()
	select {
	case err := <-errc:
		t.Fatal(err)
	default:
	}
	if l.LogStartOffset() == 0 || len(bases(l)) > 3 {
		t.Fatalf("retention did not run: start %d, segments %v", l.LogStartOffset(), bases(l))
	}
	t.Logf("%d reads, %d out of range", reads.Load(), outOfRange.Load())
}

// TestReadSurvivesSegmentDeletion holds a read across the deletion of its
// segment: the bytes stay readable until Release, and the files go then.
func TestReadSurvivesSegmentDeletion(t *testing.T) {
	fs := vfs.NewMem()
	cfg := rollEvery3(t)
	l := mustOpen(t, fs, cfg, Options{})
	defer l.Close()
	tenIn4(t, l, func(int) int64 { return 0 })
	r, err := l.Read(0, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := readAll(t, l, 0)[:r.Bytes]
	cfg.RetentionBytes = 0
	l.SetConfig(cfg)
	if n, err := l.ApplyRetention(); n != 4 || err != nil {
		t.Fatalf("ApplyRetention = %d, %v", n, err)
	}
	got := make([]byte, r.Bytes)
	if n, err := r.Slices[0].File.ReadAt(got, r.Slices[0].Pos); n != len(got) || string(got) != string(want) {
		t.Fatalf("read of a deleted segment: %d bytes, %v", n, err)
	}
	r.Release()
	if _, err := fs.Stat("/data/t-0/00000000000000000000.log"); err == nil {
		t.Fatal("segment file still there after the last Release")
	}
}

// TestGroupCommit holds the first fsync while ten more appends with
// waitFlush arrive: they all park, and one more fsync covers all ten.
func TestGroupCommit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfs := newCountFS(vfs.NewMem())
		cfg := smallConfig()
		cfg.SegmentBytes = 1 << 20
		cfg.FlushMessages = 1
		l := mustOpen(t, cfs, cfg, Options{})
		defer l.Close()
		gate := make(chan struct{})
		cfs.syncGate.Store(&gate)
		base := cfs.Syncs(".log")

		var wg sync.WaitGroup
		wg.Go(func() {
			if _, err := l.Append(makeBatch(plain(1, 0, 10, 0)), true); err != nil {
				t.Error(err)
			}
		})
		synctest.Wait() // the flusher is inside the first fsync
		var acked atomic.Int64
		for i := range 10 {
			wg.Go(func() {
				if _, err := l.Append(makeBatch(plain(1, 0, 10, byte(i))), true); err != nil {
					t.Error(err)
				}
				acked.Add(1)
			})
		}
		synctest.Wait()
		if acked.Load() != 0 {
			t.Fatalf("%d appends returned before their fsync", acked.Load())
		}
		cfs.syncGate.Store(nil)
		close(gate)
		wg.Wait()
		if got := cfs.Syncs(".log") - base; got != 2 {
			t.Fatalf("%d fsyncs of the log for 11 appends, want 2", got)
		}
	})
}

// TestFlushPolicies checks flush.messages counting and flush.ms timing.
func TestFlushPolicies(t *testing.T) {
	t.Run("flush.messages", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			cfs := newCountFS(vfs.NewMem())
			cfg := smallConfig()
			cfg.SegmentBytes = 1 << 20
			cfg.FlushMessages = 5
			l := mustOpen(t, cfs, cfg, Options{})
			defer l.Close()
			base := cfs.Syncs(".log")
			mustAppend(t, l, makeBatch(plain(2, 0, 10, 0)))
			mustAppend(t, l, makeBatch(plain(2, 0, 10, 0)))
			synctest.Wait()
			if got := cfs.Syncs(".log") - base; got != 0 {
				t.Fatalf("%d fsyncs after 4 messages", got)
			}
			if _, err := l.Append(makeBatch(plain(1, 0, 10, 0)), true); err != nil {
				t.Fatal(err)
			}
			if got := cfs.Syncs(".log") - base; got != 1 {
				t.Fatalf("%d fsyncs after 5 messages, want 1", got)
			}
		})
	})
	t.Run("flush.ms", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			cfs := newCountFS(vfs.NewMem())
			cfg := smallConfig()
			cfg.SegmentBytes = 1 << 20
			cfg.FlushMs = 1000
			l := mustOpen(t, cfs, cfg, Options{})
			defer l.Close()
			base := cfs.Syncs(".log")
			mustAppend(t, l, makeBatch(plain(1, 0, 10, 0)))
			time.Sleep(999 * time.Millisecond)
			synctest.Wait()
			if got := cfs.Syncs(".log") - base; got != 0 {
				t.Fatalf("%d fsyncs before flush.ms", got)
			}
			time.Sleep(2 * time.Millisecond)
			synctest.Wait()
			if got := cfs.Syncs(".log") - base; got != 1 {
				t.Fatalf("%d fsyncs after flush.ms, want 1", got)
			}
			time.Sleep(time.Hour)
			synctest.Wait()
			if got := cfs.Syncs(".log") - base; got != 1 {
				t.Fatalf("%d fsyncs with nothing new, want 1", got)
			}
		})
	})
	t.Run("default: roll and close", func(t *testing.T) {
		cfs := newCountFS(vfs.NewMem())
		cfg := rollEvery3(t)
		l := mustOpen(t, cfs, cfg, Options{})
		base := cfs.Syncs(".log")
		for i := range 3 {
			if _, err := l.Append(makeBatch(plain(1, 0, 200, byte(i))), true); err != nil {
				t.Fatal(err)
			}
		}
		if got := cfs.Syncs(".log") - base; got != 0 {
			t.Fatalf("%d fsyncs without a roll", got)
		}
		mustAppend(t, l, makeBatch(plain(1, 0, 200, 9))) // rolls: segment 0 is sealed
		if err := l.Flush(); err != nil {                // waits for the flusher's round
			t.Fatal(err)
		}
		if got := cfs.Syncs(".log") - base; got != 2 {
			t.Fatalf("%d fsyncs after a roll and Flush, want 2", got)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if got := cfs.Syncs(".log") - base; got != 3 {
			t.Fatalf("%d fsyncs after Close, want 3", got)
		}
	})
}

// TestConcurrentAppendersWaitFlush: appenders racing each other with
// flush.messages=1 and waitFlush, across rolls, all get distinct offsets
// that tile the log, and every acknowledged batch is durable.
func TestConcurrentAppendersWaitFlush(t *testing.T) {
	mem := vfs.NewMem()
	cfg := rollEvery3(t)
	cfg.FlushMessages = 1
	l := mustOpen(t, mem, cfg, Options{})
	defer l.Close()
	const writers, each = 4, 40
	bases := make([][]int64, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				res, err := l.Append(makeBatch(plain(1+i%2, 0, 200, byte(w))), true)
				if err != nil {
					t.Error(err)
					return
				}
				bases[w] = append(bases[w], res.BaseOffset)
			}
		})
	}
	wg.Wait()
	seen := map[int64]bool{}
	records := int64(0)
	for w := range writers {
		for i, b := range bases[w] {
			if seen[b] {
				t.Fatalf("offset %d assigned twice", b)
			}
			seen[b] = true
			records += int64(1 + i%2)
		}
	}
	if l.LogEndOffset() != records {
		t.Fatalf("log end %d, want %d", l.LogEndOffset(), records)
	}
	crashed := mem.CrashClone(vfs.CrashOptions{})
	l2 := mustOpen(t, crashed, cfg, Options{})
	defer l2.Close()
	if l2.LogEndOffset() != records {
		t.Fatalf("after a crash: log end %d, want %d: acknowledged batches lost", l2.LogEndOffset(), records)
	}
	if n := len(splitBatches(t, readAll(t, l2, 0))); n != writers*each {
		t.Fatalf("%d batches after the crash, want %d", n, writers*each)
	}
}
