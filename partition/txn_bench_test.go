package partition

import (
	"testing"

	"github.com/stratabroker/strata/recordbatch"
)

// BenchmarkReadIsolated is the partition's side of a W7 fetch loop over a
// transactional log: one op reads the whole log from offset 0 in 1 MiB
// reads (slices for sendfile, as Fetch takes them), read_uncommitted
// against read_committed (bounded by the LSO, with the aborted list from
// the .txnindex). The log: 20,000 transactional batches of 10 records of
// 100 bytes over 64 MiB segments, transactions of 10 batches each ended
// by a marker, every tenth aborted.
//
//	go test -run '^$' -bench ReadIsolated -count 9 ./partition/
func BenchmarkReadIsolated(b *testing.B) {
	cfg := DefaultConfig()
	cfg.SegmentBytes = 64 << 20
	cfg.RetentionMs = -1
	cfg.ProducerIDExpirationMs = 0
	l, err := Open(b.TempDir(), cfg, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	const batches, perTxn = 20000, 10
	for i := range batches {
		txn := i / perTxn
		pid := int64(txn % 7)
		s := idem(pid, 0, int32((txn/7)*perTxn*10+(i%perTxn)*10), 10, 1000)
		s.value = 100
		batch := makeBatch(s)
		batch[recordbatch.OffAttributes+1] |= recordbatch.AttrTransactional
		if err := recordbatchUpdateCRC(batch); err != nil {
			b.Fatal(err)
		}
		if _, err := l.Append(batch, false); err != nil {
			b.Fatal(err)
		}
		if i%perTxn == perTxn-1 {
			if _, err := l.AppendMarker(pid, 0, txn%10 != 9, 0, 1000); err != nil {
				b.Fatal(err)
			}
		}
	}
	end := l.HighWatermark()
	for _, committed := range []bool{false, true} {
		name := "read_uncommitted"
		if committed {
			name = "read_committed"
		}
		b.Run(name, func(b *testing.B) {
			var aborted int
			for range b.N {
				aborted = 0
				for off := int64(0); off < end; {
					r, err := l.ReadIsolated(off, 1<<20, committed)
					if err != nil {
						b.Fatal(err)
					}
					off = r.Slices[len(r.Slices)-1].LastOffset + 1
					aborted += len(r.Aborted)
					r.Release()
				}
			}
			if committed && aborted == 0 {
				b.Fatal("no aborted transactions listed")
			}
			b.ReportMetric(float64(end)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

func recordbatchUpdateCRC(b []byte) error {
	recordbatch.Header(b).UpdateCRC()
	return nil
}
