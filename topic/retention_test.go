package topic

import (
	"encoding/binary"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/recordbatch"
)

// batch builds a valid v2 batch of one record with timestamp ts.
func batch(t testing.TB, ts int64, value []byte) []byte {
	t.Helper()
	var rec []byte
	rec = append(rec, 0)               // attributes
	rec = binary.AppendVarint(rec, 0)  // timestamp delta
	rec = binary.AppendVarint(rec, 0)  // offset delta
	rec = binary.AppendVarint(rec, -1) // null key
	rec = binary.AppendVarint(rec, int64(len(value)))
	rec = append(rec, value...)
	rec = binary.AppendVarint(rec, 0) // no headers
	b := make([]byte, recordbatch.HeaderSize)
	b = binary.AppendVarint(b, int64(len(rec)))
	b = append(b, rec...)
	be := binary.BigEndian
	be.PutUint32(b[recordbatch.OffBatchLength:], uint32(len(b)-recordbatch.LogOverhead))
	b[recordbatch.OffMagic] = recordbatch.MagicV2
	be.PutUint64(b[recordbatch.OffBaseTimestamp:], uint64(ts))
	be.PutUint64(b[recordbatch.OffMaxTimestamp:], uint64(ts))
	be.PutUint64(b[recordbatch.OffProducerID:], ^uint64(0))
	be.PutUint16(b[recordbatch.OffProducerEpoch:], ^uint16(0))
	be.PutUint32(b[recordbatch.OffBaseSequence:], ^uint32(0))
	be.PutUint32(b[recordbatch.OffRecordCount:], 1)
	recordbatch.Header(b).UpdateCRC()
	if err := recordbatch.Validate(b, len(b)); err != nil {
		t.Fatal(err)
	}
	return b
}

// smallSegments resolves every topic to 200-byte segments kept for one
// second, so that each test batch gets a segment of its own.
func smallSegments(map[string]string) (partition.Config, error) {
	cfg := partition.DefaultConfig()
	cfg.SegmentBytes = 200
	cfg.RetentionMs = 1000
	return cfg, nil
}

func TestBackgroundRetention(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := Open("/data", Options{FS: vfs.NewMem(), Resolve: smallSegments, RetentionCheckInterval: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		tp := create(t, r, "t", 1, nil)
		l := tp.Partitions[0]
		for range 3 {
			if _, err := l.Append(batch(t, time.Now().UnixMilli(), make([]byte, 80)), false); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(30 * time.Second) // expired, but no check has run yet
		synctest.Wait()
		if got := l.LogStartOffset(); got != 0 {
			t.Fatalf("log start offset %d before the first check", got)
		}
		time.Sleep(30 * time.Second) // the first tick
		synctest.Wait()
		if got := l.LogStartOffset(); got != 3 {
			t.Fatalf("log start offset %d after the first check, want 3", got)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestApplyRetentionNow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := Open("/data", Options{FS: vfs.NewMem(), Resolve: smallSegments})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		a := create(t, r, "a", 2, nil)
		for p := range 2 {
			for range 2 {
				if _, err := a.Partitions[p].Append(batch(t, time.Now().UnixMilli(), make([]byte, 80)), false); err != nil {
					t.Fatal(err)
				}
			}
		}
		if n := r.ApplyRetention(); n != 0 {
			t.Fatalf("deleted %d fresh segments", n)
		}
		time.Sleep(2 * time.Second)
		// Each partition: two expired segments, the active one rolled
		// first, both deleted.
		if n := r.ApplyRetention(); n != 4 {
			t.Fatalf("deleted %d segments, want 4", n)
		}
		if a.Partitions[0].LogStartOffset() != 2 || a.Partitions[1].LogStartOffset() != 2 {
			t.Fatal("log start offsets")
		}
	})
}
