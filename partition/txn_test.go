package partition

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"path/filepath"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/segment"
)

// txnBatch is a transactional batch of n records of producer pid.
func txnBatch(pid int64, epoch int16, seq int32, n int, ts int64) []byte {
	b := makeBatch(idem(pid, epoch, seq, n, ts))
	binary.BigEndian.PutUint16(b[recordbatch.OffAttributes:], recordbatch.AttrTransactional)
	recordbatch.Header(b).UpdateCRC()
	return b
}

func mustMarker(t testing.TB, l *Log, pid int64, epoch int16, commit bool, coord int32, now int64) int64 {
	t.Helper()
	off, err := l.AppendMarker(pid, epoch, commit, coord, now)
	if err != nil {
		t.Fatalf("AppendMarker(%d, %d, %v, %d): %v", pid, epoch, commit, coord, err)
	}
	return off
}

// readCommitted reads from offset with read_committed and returns the
// offsets of the batches read (base, last), the LSO and the aborted list.
func readCommitted(t testing.TB, l *Log, offset int64) (ranges [][2]int64, lso int64, aborted []AbortedTxn) {
	t.Helper()
	r, err := l.ReadIsolated(offset, 1<<20, true)
	if err != nil {
		t.Fatalf("ReadIsolated(%d): %v", offset, err)
	}
	defer r.Release()
	for _, sl := range r.Slices {
		buf := make([]byte, sl.Len)
		if _, err := sl.File.ReadAt(buf, sl.Pos); err != nil {
			t.Fatal(err)
		}
		for len(buf) > 0 {
			h := recordbatch.Header(buf)
			ranges = append(ranges, [2]int64{h.BaseOffset(), h.LastOffset()})
			buf = buf[h.Size():]
		}
	}
	return ranges, r.LastStableOffset, r.Aborted
}

func checkLSO(t testing.TB, l *Log, want int64) {
	t.Helper()
	if got := l.LastStableOffset(); got != want {
		t.Fatalf("LastStableOffset = %d, want %d (high watermark %d)", got, want, l.HighWatermark())
	}
}

// txnScenario writes, into l (empty): plain 0-2, txn of 7 at 3-4, plain
// 5, txn of 8 at 6-7, abort of 7 at 8. It checks the LSO at each step.
func txnScenario(t *testing.T, l *Log) {
	t.Helper()
	mustAppend(t, l, makeBatch(plain(3, 1000, 10, 'a')))
	checkLSO(t, l, 3)
	mustAppend(t, l, txnBatch(7, 0, 0, 2, 1001))
	checkLSO(t, l, 3)
	mustAppend(t, l, makeBatch(plain(1, 1002, 10, 'b')))
	checkLSO(t, l, 3)
	mustAppend(t, l, txnBatch(8, 0, 0, 2, 1003))
	checkLSO(t, l, 3)
	if off := mustMarker(t, l, 7, 0, false, 1, 1004); off != 8 {
		t.Fatalf("abort marker at %d, want 8", off)
	}
	checkLSO(t, l, 6)
}

func TestTxnLSOAndReadCommitted(t *testing.T) {
	fs := vfs.NewMem()
	l := mustOpen(t, fs, smallConfig(), Options{})
	defer l.Close()
	txnScenario(t, l)

	got, lso, aborted := readCommitted(t, l, 0)
	wantAborted := []AbortedTxn{{ProducerID: 7, FirstOffset: 3, LastOffset: 8, LastStableOffset: 6}}
	if want := [][2]int64{{0, 2}, {3, 4}, {5, 5}}; !slices.Equal(got, want) || lso != 6 || !slices.Equal(aborted, wantAborted) {
		t.Fatalf("read_committed from 0: batches %v, LSO %d, aborted %+v; want %v, 6, %+v", got, lso, aborted, want, wantAborted)
	}
	// From the LSO up to the high watermark there is nothing to read yet.
	if got, lso, aborted := readCommitted(t, l, 6); len(got) != 0 || lso != 6 || aborted != nil {
		t.Fatalf("read_committed from 6: %v, LSO %d, aborted %v; want nothing", got, lso, aborted)
	}
	// read_uncommitted sees everything, and reports the LSO.
	r, err := l.Read(0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(splitBatches(t, readAll(t, l, 0))); n != 5 || r.LastStableOffset != 6 || r.HighWatermark != 9 || r.Aborted != nil {
		t.Fatalf("read_uncommitted: %d batches, LSO %d, HW %d, aborted %v", n, r.LastStableOffset, r.HighWatermark, r.Aborted)
	}
	r.Release()
	if want := []OngoingTxn{{ProducerID: 8, Epoch: 0, FirstOffset: 6, CoordinatorEpoch: -1, LastTimestamp: 1003}}; !slices.Equal(l.OngoingTransactions(), want) {
		t.Fatalf("ongoing = %+v, want %+v", l.OngoingTransactions(), want)
	}

	if off := mustMarker(t, l, 8, 0, true, 1, 1005); off != 9 {
		t.Fatalf("commit marker at %d", off)
	}
	checkLSO(t, l, 10)
	got, lso, aborted = readCommitted(t, l, 0)
	if want := [][2]int64{{0, 2}, {3, 4}, {5, 5}, {6, 7}, {8, 8}, {9, 9}}; !slices.Equal(got, want) || lso != 10 || !slices.Equal(aborted, wantAborted) {
		t.Fatalf("read_committed after commit: %v, LSO %d, aborted %+v", got, lso, aborted)
	}
	// Aborted transactions end before offset 9: none listed from there.
	if _, _, aborted := readCommitted(t, l, 9); aborted != nil {
		t.Fatalf("aborted from 9: %+v", aborted)
	}
	if a := l.AbortedTransactions(5, 6); !slices.Equal(a, wantAborted) {
		t.Fatalf("AbortedTransactions(5, 6) = %+v", a)
	}
	if a := l.AbortedTransactions(0, 3); a != nil {
		t.Fatalf("AbortedTransactions(0, 3) = %+v, want none (the transaction starts at 3)", a)
	}
	if len(l.OngoingTransactions()) != 0 {
		t.Fatalf("ongoing after both markers: %+v", l.OngoingTransactions())
	}
	states := l.ProducerStates()
	want := []ProducerState{
		{ProducerID: 7, Epoch: 0, LastSequence: 1, LastTimestamp: 1004, LastOffset: 4, CoordinatorEpoch: 1, CurrentTxnStartOffset: -1},
		{ProducerID: 8, Epoch: 0, LastSequence: 1, LastTimestamp: 1005, LastOffset: 7, CoordinatorEpoch: 1, CurrentTxnStartOffset: -1},
	}
	if !slices.Equal(states, want) {
		t.Fatalf("states = %+v, want %+v", states, want)
	}

	// The .txnindex holds Kafka's 34-byte AbortedTxn entry.
	b, err := vfs.ReadFile(fs, filepath.Join("/data/t-0", "00000000000000000000.txnindex"), 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	wantHex := "0000" + "0000000000000007" + "0000000000000003" + "0000000000000008" + "0000000000000006"
	if hex.EncodeToString(b) != wantHex {
		t.Fatalf(".txnindex = %x, want %s", b, wantHex)
	}
}

// TestTxnMarkerBytes compares the control batch AppendMarker stores with
// the one built from kmsg's ControlRecordKey and EndTxnMarker (as kfake
// and Kafka's MemoryRecords.withEndTransactionMarker build it).
func TestTxnMarkerBytes(t *testing.T) {
	l := mustOpen(t, vfs.NewMem(), smallConfig(), Options{})
	defer l.Close()
	mustAppend(t, l, makeBatch(plain(2, 1000, 10, 'a')))
	for i, commit := range []bool{true, false} {
		off := mustMarker(t, l, 42, 3, commit, 17, 123456789)
		if off != int64(2+i) {
			t.Fatalf("marker at %d", off)
		}
		got := splitBatches(t, readAll(t, l, off))[0]

		key := kmsg.ControlRecordKey{Type: kmsg.ControlRecordKeyTypeAbort}
		if commit {
			key.Type = kmsg.ControlRecordKeyTypeCommit
		}
		m := kmsg.EndTxnMarker{CoordinatorEpoch: 17}
		rec := kmsg.Record{Key: key.AppendTo(nil), Value: m.AppendTo(nil)}
		rec.Length = int32(len(rec.AppendTo(nil)) - 1)
		kb := kmsg.RecordBatch{
			FirstOffset: off, PartitionLeaderEpoch: 0, Magic: 2,
			Attributes:     recordbatch.AttrTransactional | recordbatch.AttrControl,
			FirstTimestamp: 123456789, MaxTimestamp: 123456789,
			ProducerID: 42, ProducerEpoch: 3, FirstSequence: -1, NumRecords: 1,
			Records: rec.AppendTo(nil),
		}
		enc := kb.AppendTo(nil)
		kb.Length = int32(len(enc) - 12)
		kb.CRC = int32(crc32.Checksum(enc[21:], crc32.MakeTable(crc32.Castagnoli)))
		want := kb.AppendTo(nil)
		if !bytes.Equal(got, want) {
			t.Fatalf("commit=%v marker\n got %x\nwant %x", commit, got, want)
		}
	}
}

func TestTxnProducerRules(t *testing.T) {
	l := mustOpen(t, vfs.NewMem(), smallConfig(), Options{})
	defer l.Close()
	mustAppend(t, l, txnBatch(5, 2, 0, 1, 1000))
	// A non-transactional batch while the transaction is ongoing:
	// INVALID_TXN_STATE (ProducerAppendInfo.appendDataBatch).
	if _, err := l.Append(makeBatch(idem(5, 2, 1, 1, 1001)), false); !errors.Is(err, ErrInvalidTxnState) {
		t.Fatalf("plain batch in a transaction: %v, want ErrInvalidTxnState", err)
	}
	// An older epoch's batch or marker: INVALID_PRODUCER_EPOCH.
	if _, err := l.Append(txnBatch(5, 1, 1, 1, 1001), false); !errors.Is(err, ErrInvalidProducerEpoch) {
		t.Fatalf("older epoch batch: %v", err)
	}
	if _, err := l.AppendMarker(5, 1, true, 0, 1001); !errors.Is(err, ErrInvalidProducerEpoch) {
		t.Fatalf("older epoch marker: %v", err)
	}
	if !l.HasOngoingTransaction(5, 2) || l.HasOngoingTransaction(5, 3) || l.HasOngoingTransaction(6, 2) {
		t.Fatal("HasOngoingTransaction")
	}
	mustMarker(t, l, 5, 2, true, 4, 1002)
	// A coordinator epoch older than the last marker's: fenced.
	if _, err := l.AppendMarker(5, 2, true, 3, 1003); !errors.Is(err, ErrTransactionCoordinatorFenced) {
		t.Fatalf("older coordinator epoch: %v", err)
	}
	// A marker with no ongoing transaction is written and changes no LSO.
	if off := mustMarker(t, l, 5, 2, false, 4, 1003); off != 2 {
		t.Fatalf("empty-transaction marker at %d, want 2", off)
	}
	checkLSO(t, l, 3)
	if a := l.AbortedTransactions(0, 3); a != nil {
		t.Fatalf("an empty transaction's abort is indexed: %+v", a)
	}
	// A marker with a bumped epoch (the coordinator's fencing abort)
	// takes the epoch: the next batch must start at sequence 0.
	mustMarker(t, l, 5, 3, false, 4, 1004)
	if _, err := l.Append(txnBatch(5, 3, 5, 1, 1005), false); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("new epoch at sequence 5: %v", err)
	}
	mustAppend(t, l, txnBatch(5, 3, 0, 1, 1005))
	checkLSO(t, l, 4)
	// A client's control batch is refused (LogValidator: "Clients are not
	// allowed to write control records").
	cb, _ := markerBatch(9, 0, true, 0, 1006)
	if _, err := l.Append(cb, false); !errors.Is(err, recordbatch.ErrInvalidRecord) {
		t.Fatalf("client control batch: %v", err)
	}
	if l.HighWatermark() != 5 {
		t.Fatalf("high watermark %d after refused appends, want 5", l.HighWatermark())
	}
}

// TestTxnIndexAcrossSegments: an aborted transaction whose data is in one
// segment and marker in a later one is found from the data's segment, and
// the list stops at the entry whose LSO covers the read (Kafka's
// collectAbortedTransactions).
func TestTxnIndexAcrossSegments(t *testing.T) {
	fs := vfs.NewMem()
	cfg := smallConfig()
	cfg.SegmentBytes = 100 // one batch per segment
	l := mustOpen(t, fs, cfg, Options{})
	defer l.Close()
	mustAppend(t, l, txnBatch(1, 0, 0, 1, 1000)) // 0
	mustAppend(t, l, txnBatch(2, 0, 0, 1, 1000)) // 1
	mustMarker(t, l, 1, 0, false, 0, 1001)       // 2: LSO 1 (2 ongoing)
	mustMarker(t, l, 2, 0, false, 0, 1001)       // 3: LSO 4
	mustAppend(t, l, txnBatch(3, 0, 0, 1, 1002)) // 4
	mustMarker(t, l, 3, 0, false, 0, 1003)       // 5
	if n := len(l.view.Load().segs); n != 6 {
		t.Fatalf("%d segments, want 6", n)
	}
	a1 := AbortedTxn{ProducerID: 1, FirstOffset: 0, LastOffset: 2, LastStableOffset: 1}
	a2 := AbortedTxn{ProducerID: 2, FirstOffset: 1, LastOffset: 3, LastStableOffset: 4}
	a3 := AbortedTxn{ProducerID: 3, FirstOffset: 4, LastOffset: 5, LastStableOffset: 6}
	for _, c := range []struct {
		from, upTo int64
		want       []AbortedTxn
	}{
		{0, 1, []AbortedTxn{a1}},
		{0, 2, []AbortedTxn{a1, a2}},
		{0, 6, []AbortedTxn{a1, a2, a3}},
		{3, 6, []AbortedTxn{a2, a3}},
		{4, 5, []AbortedTxn{a3}},
		{6, 6, nil},
	} {
		if got := l.AbortedTransactions(c.from, c.upTo); !slices.Equal(got, c.want) {
			t.Errorf("AbortedTransactions(%d, %d) = %+v, want %+v", c.from, c.upTo, got, c.want)
		}
	}
	for base, want := range map[int64]string{2: "0000" + "0000000000000001" + "0000000000000000" + "0000000000000002" + "0000000000000001"} {
		b, err := vfs.ReadFile(fs, segment.TxnIndexPath("/data/t-0", base), 1<<10)
		if err != nil || hex.EncodeToString(b) != want {
			t.Fatalf("txnindex of %d: %x, %v", base, b, err)
		}
	}
	// Retention of the first segments deletes their .txnindex with them.
	if _, err := l.DeleteRecords(4); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ApplyRetention(); err != nil {
		t.Fatal(err)
	}
	for _, base := range []int64{2, 3} {
		if _, err := fs.Stat(segment.TxnIndexPath("/data/t-0", base)); err == nil {
			t.Fatalf("txnindex of deleted segment %d still there", base)
		}
	}
	if _, err := fs.Stat(segment.TxnIndexPath("/data/t-0", 5)); err != nil {
		t.Fatalf("txnindex of segment 5: %v", err)
	}
}

// TestTxnConcurrentReadCommitted: read_committed readers run beside an
// appender of transactional data, plain batches and markers (some
// aborting), rolling segments: every read ends below the LSO it reports,
// the LSO never goes back, and every aborted transaction a read lists
// overlaps what it read. Run with -race.
func TestTxnConcurrentReadCommitted(t *testing.T) {
	cfg := smallConfig()
	cfg.SegmentBytes = 1000
	l := mustOpen(t, vfs.NewMem(), cfg, Options{})
	defer l.Close()
	done := make(chan struct{})
	errs := make(chan error, 4)
	go func() {
		defer close(done)
		seq := map[int64]int32{}
		for i := range 600 {
			pid := int64(i % 3)
			switch {
			case i%7 == 6:
				if _, err := l.AppendMarker(pid, 0, i%2 == 0, 0, 1000); err != nil {
					errs <- err
					return
				}
			case i%5 == 4:
				if _, err := l.Append(makeBatch(plain(1, 1000, 10, 'p')), false); err != nil {
					errs <- err
					return
				}
			default:
				if _, err := l.Append(txnBatch(pid, 0, seq[pid], 2, 1000), false); err != nil {
					errs <- err
					return
				}
				seq[pid] += 2
			}
		}
	}()
	for range 2 {
		go func() {
			var lastLSO int64
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				r, err := l.ReadIsolated(0, 1<<20, true)
				if err != nil {
					errs <- err
					return
				}
				if r.LastStableOffset < lastLSO {
					errs <- fmt.Errorf("LSO went back from %d to %d", lastLSO, r.LastStableOffset)
				}
				lastLSO = r.LastStableOffset
				var end int64
				if n := len(r.Slices); n > 0 {
					end = r.Slices[n-1].LastOffset + 1
				}
				if end > r.LastStableOffset {
					errs <- fmt.Errorf("read up to %d past the LSO %d", end, r.LastStableOffset)
				}
				for _, a := range r.Aborted {
					if a.FirstOffset >= end {
						errs <- fmt.Errorf("aborted %+v listed for a read ending at %d", a, end)
					}
				}
				r.Release()
			}
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err := <-errs:
		if err != nil {
			t.Fatal(err)
		}
	default:
	}
	if len(l.view.Load().segs) < 3 {
		t.Fatalf("%d segments: the test wants rolls", len(l.view.Load().segs))
	}
}

// TestTxnLSOPastLogStart: DeleteRecords past an ongoing transaction's
// first offset moves the LSO to the log start offset (Kafka's
// maybeIncrementFirstUnstableOffset), and the marker then frees it.
func TestTxnLSOPastLogStart(t *testing.T) {
	l := mustOpen(t, vfs.NewMem(), smallConfig(), Options{})
	defer l.Close()
	mustAppend(t, l, txnBatch(1, 0, 0, 3, 1000)) // 0-2
	mustAppend(t, l, makeBatch(plain(2, 1000, 10, 'a')))
	checkLSO(t, l, 0)
	if _, err := l.DeleteRecords(2); err != nil {
		t.Fatal(err)
	}
	checkLSO(t, l, 2)
	if got, lso, _ := readCommitted(t, l, 2); len(got) != 0 || lso != 2 {
		t.Fatalf("read_committed at the log start: %v, LSO %d", got, lso)
	}
	mustMarker(t, l, 1, 0, true, 0, 1001)
	checkLSO(t, l, 6)
	if got, _, _ := readCommitted(t, l, 2); !slices.Equal(got, [][2]int64{{0, 2}, {3, 4}, {5, 5}}) {
		t.Fatalf("after the marker: %v", got)
	}
}
