package recordbatch

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestHeaderMatchesKmsg reads every field of the golden v2 batches through
// Header and through kmsg.RecordBatch.
func TestHeaderMatchesKmsg(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "kgo", "v2-*.bin"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden batches: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var rb kmsg.RecordBatch
		if err := rb.ReadFrom(b); err != nil {
			t.Fatal(err)
		}
		h := Header(b)
		for _, c := range []struct {
			name      string
			got, want int64
		}{
			{"BaseOffset", h.BaseOffset(), rb.FirstOffset},
			{"BatchLength", int64(h.BatchLength()), int64(rb.Length)},
			{"PartitionLeaderEpoch", int64(h.PartitionLeaderEpoch()), int64(rb.PartitionLeaderEpoch)},
			{"Magic", int64(h.Magic()), int64(rb.Magic)},
			{"CRC", int64(h.CRC()), int64(uint32(rb.CRC))},
			{"Attributes", int64(h.Attributes()), int64(rb.Attributes)},
			{"LastOffsetDelta", int64(h.LastOffsetDelta()), int64(rb.LastOffsetDelta)},
			{"BaseTimestamp", h.BaseTimestamp(), rb.FirstTimestamp},
			{"MaxTimestamp", h.MaxTimestamp(), rb.MaxTimestamp},
			{"ProducerID", h.ProducerID(), rb.ProducerID},
			{"ProducerEpoch", int64(h.ProducerEpoch()), int64(rb.ProducerEpoch)},
			{"BaseSequence", int64(h.BaseSequence()), int64(rb.FirstSequence)},
			{"RecordCount", int64(h.RecordCount()), int64(rb.NumRecords)},
			{"Codec", int64(h.Codec()), int64(rb.Attributes & 7)},
			{"LastOffset", h.LastOffset(), rb.FirstOffset + int64(rb.LastOffsetDelta)},
			{"NextOffset", h.NextOffset(), rb.FirstOffset + int64(rb.LastOffsetDelta) + 1},
			{"Size", int64(h.Size()), int64(len(b))},
			{"len(Records)", int64(len(h.Records())), int64(len(rb.Records))},
		} {
			if c.got != c.want {
				t.Errorf("%s: %s = %d, kmsg %d", f, c.name, c.got, c.want)
			}
		}
	}
}

func TestHeaderSetters(t *testing.T) {
	b := build(t, *NewBuilder(), smallRecords())
	h := Header(b)

	// Outside the CRC: no recomputation needed.
	h.SetBaseOffset(1 << 40)
	h.SetPartitionLeaderEpoch(17)
	if err := CheckStored(b); err != nil {
		t.Fatalf("after setting base offset and epoch: %v", err)
	}
	if h.BaseOffset() != 1<<40 || h.PartitionLeaderEpoch() != 17 || h.LastOffset() != 1<<40+2 || h.NextOffset() != 1<<40+3 {
		t.Fatalf("base %d epoch %d last %d", h.BaseOffset(), h.PartitionLeaderEpoch(), h.LastOffset())
	}

	// LogAppendTime: under the CRC.
	h.SetLogAppendTime(true)
	h.SetMaxTimestamp(99)
	if err := CheckStored(b); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("CRC not stale after SetLogAppendTime: %v", err)
	}
	h.UpdateCRC()
	if err := CheckStored(b); err != nil {
		t.Fatal(err)
	}
	if !h.LogAppendTime() || h.MaxTimestamp() != 99 || h.Codec() != CodecNone {
		t.Fatalf("append time %v, max %d, codec %s", h.LogAppendTime(), h.MaxTimestamp(), h.Codec())
	}
	got, err := iterate(b, 0)
	if err != nil || got[0].Timestamp != 99 || got[2].Offset != 1<<40+2 {
		t.Fatalf("records after the setters: %v, %+v", err, got)
	}
	h.SetLogAppendTime(false)
	h.UpdateCRC()
	if h.LogAppendTime() || h.Attributes() != 0 {
		t.Fatalf("SetLogAppendTime(false) left attributes %#x", h.Attributes())
	}
	if h.ComputeCRC() != h.CRC() || h.CRC() != Checksum(b[OffAttributes:]) {
		t.Fatal("UpdateCRC did not store ComputeCRC")
	}
}
