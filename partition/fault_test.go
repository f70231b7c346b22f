package partition

import (
	"bytes"
	"errors"
	"slices"
	"syscall"
	"testing"

	"github.com/stratabroker/strata/internal/vfs"
)

// TestENOSPC fills the disk mid-stream: appends fail with ErrStorage
// wrapping ENOSPC, in the middle of a segment and when a roll must create
// files; the log stays readable and unchanged; once space is back appends
// continue at the same offsets and nothing written before is lost.
func TestENOSPC(t *testing.T) {
	mem := vfs.NewMem()
	ffs := vfs.NewFaulty(mem)
	cfg := rollEvery3(t)
	l := mustOpen(t, ffs, cfg, Options{Preallocate: -1})
	for i := range 4 {
		mustAppend(t, l, makeBatch(plain(1, 0, 200, byte(i))))
	}
	before := readAll(t, l, 0)

	ffs.SetFull(true)
	for i := range 3 {
		_, err := l.Append(makeBatch(plain(1, 0, 200, 0xaa)), false)
		if !errors.Is(err, ErrStorage) || !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("append %d on a full disk: %v", i, err)
		}
	}
	if l.LogEndOffset() != 4 || l.HighWatermark() != 4 {
		t.Fatalf("failed appends moved the log end to %d", l.LogEndOffset())
	}
	if got := readAll(t, l, 0); !bytes.Equal(got, before) {
		t.Fatal("log changed by failed appends")
	}
	ffs.SetFull(false)
	for i := 4; i < 6; i++ {
		if res := mustAppend(t, l, makeBatch(plain(1, 0, 200, byte(i)))); res.BaseOffset != int64(i) {
			t.Fatalf("append after space came back at %d, want %d", res.BaseOffset, i)
		}
	}
	// Segment 3 is full: the next append must roll, and creating files fails.
	ffs.SetFull(true)
	if _, err := l.Append(makeBatch(plain(1, 0, 200, 0xbb)), false); !errors.Is(err, ErrStorage) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("roll on a full disk: %v", err)
	}
	if got := bases(l); len(got) != 2 || got[1] != 3 {
		t.Fatalf("segments after a failed roll: %v", got)
	}
	ffs.SetFull(false)
	if res := mustAppend(t, l, makeBatch(plain(1, 0, 200, 6))); res.BaseOffset != 6 {
		t.Fatalf("append after the failed roll at %d", res.BaseOffset)
	}
	want := readAll(t, l, 0)
	if len(splitBatches(t, want)) != 7 || !bytes.HasPrefix(want, before) {
		t.Fatal("data lost")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l2 := mustOpen(t, mem, cfg, Options{})
	defer l2.Close()
	if got := readAll(t, l2, 0); !bytes.Equal(got, want) {
		t.Fatal("data differs after reopen")
	}
}

// TestWriteErrorTruncatesBack injects EIO into the log write: the append
// fails, nothing partial remains, and later appends work.
func TestWriteErrorTruncatesBack(t *testing.T) {
	mem := vfs.NewMem()
	ffs := vfs.NewFaulty(mem)
	cfg := smallConfig()
	cfg.FlushMessages = 1
	l := mustOpen(t, ffs, cfg, Options{})
	defer l.Close()
	mustAppend(t, l, makeBatch(plain(2, 0, 50, 1)))
	ffs.Inject(vfs.Fault{Op: vfs.OpWrite, Path: ".log", Err: syscall.EIO, Count: 1})
	if _, err := l.Append(makeBatch(plain(2, 0, 50, 2)), true); !errors.Is(err, ErrStorage) || !errors.Is(err, syscall.EIO) {
		t.Fatalf("append with a failing write: %v", err)
	}
	if res, err := l.Append(makeBatch(plain(2, 0, 50, 3)), true); err != nil || res.BaseOffset != 2 {
		t.Fatalf("append after the fault = %+v, %v", res, err)
	}
	var want []byte
	for i, fill := range []byte{1, 3} {
		want = append(want, withOffset(makeBatch(plain(2, 0, 50, fill)), int64(2*i))...)
	}
	if got := readAll(t, l, 0); !bytes.Equal(got, want) {
		t.Fatalf("log holds %d batches, not the two appended", len(splitBatches(t, got)))
	}
}

// TestFsyncFailureIsSticky: a failed fsync fails the waiting append and
// every later one (the kernel may have dropped the pages), reads go on,
// Close leaves no clean-shutdown marker, and a reopen recovers the log and
// takes appends again.
func TestFsyncFailureIsSticky(t *testing.T) {
	mem := vfs.NewMem()
	ffs := vfs.NewFaulty(mem)
	cfg := smallConfig()
	cfg.FlushMessages = 1
	l := mustOpen(t, ffs, cfg, Options{})
	if _, err := l.Append(makeBatch(plain(2, 0, 50, 1)), true); err != nil {
		t.Fatal(err)
	}
	ffs.Inject(vfs.Fault{Op: vfs.OpSync, Path: ".log", Err: syscall.EIO, Count: 1})
	if _, err := l.Append(makeBatch(plain(2, 0, 50, 2)), true); !errors.Is(err, ErrStorage) || !errors.Is(err, syscall.EIO) {
		t.Fatalf("append with a failing fsync: %v", err)
	}
	if _, err := l.Append(makeBatch(plain(2, 0, 50, 3)), true); !errors.Is(err, ErrStorage) || !errors.Is(err, syscall.EIO) {
		t.Fatalf("append after a failed fsync: %v", err)
	}
	if err := l.Flush(); !errors.Is(err, ErrStorage) {
		t.Fatalf("Flush after a failed fsync: %v", err)
	}
	if got := len(splitBatches(t, readAll(t, l, 0))); got != 2 || l.LogEndOffset() != 4 {
		t.Fatalf("%d batches readable, log end %d; want 2, 4", got, l.LogEndOffset())
	}
	if err := l.Close(); !errors.Is(err, ErrStorage) {
		t.Fatalf("Close after a failed fsync: %v", err)
	}
	if _, err := mem.Stat("/data/t-0/" + markerName); err == nil {
		t.Fatal("clean-shutdown marker written after a failed fsync")
	}
	l2 := mustOpen(t, mem, cfg, Options{})
	defer l2.Close()
	if l2.LogEndOffset() != 4 {
		t.Fatalf("log end after recovery %d, want 4", l2.LogEndOffset())
	}
	if res, err := l2.Append(makeBatch(plain(2, 0, 50, 4)), true); err != nil || res.BaseOffset != 4 {
		t.Fatalf("append after reopen = %+v, %v", res, err)
	}
}

// TestENOSPCPreallocated: with the log preallocated (4 KiB ahead), a full
// disk lets appends go on into the reserved blocks and fails the first one
// that needs more; space back, appends continue.
func TestENOSPCPreallocated(t *testing.T) {
	mem := vfs.NewMem()
	ffs := vfs.NewFaulty(mem)
	cfg := smallConfig()
	cfg.SegmentBytes = 1 << 20
	cfg.SegmentIndexBytes = 1 << 20
	l := mustOpen(t, ffs, cfg, Options{Preallocate: 4096})
	defer l.Close()
	B := len(makeBatch(plain(1, 0, 200, 0)))
	mustAppend(t, l, makeBatch(plain(1, 0, 200, 0)))
	fi, err := mem.Stat("/data/t-0/00000000000000000000.log")
	if err != nil || fi.Size() < 4096 {
		t.Fatalf("the log was not preallocated: %v, %v", fi, err)
	}
	fit := int(fi.Size()) / B // batches the reservation holds
	ffs.SetFull(true)
	for i := 1; i < fit; i++ {
		if _, err := l.Append(makeBatch(plain(1, 0, 200, byte(i))), false); err != nil {
			t.Fatalf("append %d into reserved blocks: %v", i, err)
		}
	}
	if _, err := l.Append(makeBatch(plain(1, 0, 200, 0xff)), false); !errors.Is(err, ErrStorage) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("append %d past the reservation on a full disk: %v", fit, err)
	}
	if l.LogEndOffset() != int64(fit) || l.Size() != int64(fit*B) {
		t.Fatalf("log end %d, size %d; want %d, %d", l.LogEndOffset(), l.Size(), fit, fit*B)
	}
	ffs.SetFull(false)
	if res := mustAppend(t, l, makeBatch(plain(1, 0, 200, byte(fit)))); res.BaseOffset != int64(fit) {
		t.Fatalf("append after space came back at %d", res.BaseOffset)
	}
	if n := len(splitBatches(t, readAll(t, l, 0))); n != fit+1 {
		t.Fatalf("%d batches, want %d", n, fit+1)
	}
}

// TestRetentionWithoutCheckpoint: when the checkpoint cannot be written
// (EMFILE, a full disk), retention still deletes the segments it chose:
// stopping would keep the open files it is about to give back. A reopen
// finds the log start at the first remaining segment.
func TestRetentionWithoutCheckpoint(t *testing.T) {
	mem := vfs.NewMem()
	ffs := vfs.NewFaulty(mem)
	cfg := rollEvery3(t)
	l := mustOpen(t, ffs, cfg, Options{})
	B := tenIn4(t, l, func(int) int64 { return 0 })
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	cfg.RetentionBytes = 4 * B // drops segments 0 and 3
	l.SetConfig(cfg)
	ffs.Inject(vfs.Fault{Op: vfs.OpCreate, Path: checkpointName, Err: syscall.EMFILE})
	if err := l.writeCheckpoint(0); !errors.Is(err, syscall.EMFILE) {
		t.Fatalf("checkpoint write with the fault = %v, want EMFILE", err)
	}
	if n, err := l.ApplyRetention(); n != 2 || err != nil {
		t.Fatalf("ApplyRetention = %d, %v; want 2, nil", n, err)
	}
	ffs.Clear()
	if got := bases(l); !slices.Equal(got, []int64{6, 9}) || l.LogStartOffset() != 6 {
		t.Fatalf("segments %v start %d", got, l.LogStartOffset())
	}
	crashed := mem.CrashClone(vfs.CrashOptions{})
	l.Close()
	l2 := mustOpen(t, crashed, cfg, Options{})
	defer l2.Close()
	if got := bases(l2); !slices.Equal(got, []int64{6, 9}) || l2.LogStartOffset() != 6 || l2.LogEndOffset() != 10 {
		t.Fatalf("after a crash: segments %v start %d end %d", got, l2.LogStartOffset(), l2.LogEndOffset())
	}
}
