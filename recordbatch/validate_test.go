package recordbatch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestValidate(t *testing.T) {
	good := build(t, *NewBuilder(), smallRecords())
	set := func(off int, v any, crc bool) []byte {
		b := bytes.Clone(good)
		switch v := v.(type) {
		case int8:
			b[off] = byte(v)
		case int16:
			binary.BigEndian.PutUint16(b[off:], uint16(v))
		case int32:
			binary.BigEndian.PutUint32(b[off:], uint32(v))
		case int64:
			binary.BigEndian.PutUint64(b[off:], uint64(v))
		}
		if crc {
			Header(b).UpdateCRC()
		}
		return b
	}
	for _, tc := range []struct {
		name   string
		b      []byte
		max    int
		is     []error // nil: valid
		want   string
		stored bool // CheckStored accepts it
	}{
		{"valid", good, 0, nil, "", true},
		{"valid at the limit", good, len(good), nil, "", true},
		{"empty", nil, 0, []error{ErrCorrupt}, "0 bytes, shorter than the 61-byte", false},
		{"header cut", good[:HeaderSize-1], 0, []error{ErrCorrupt}, "60 bytes", false},
		{"length below minimum", set(OffBatchLength, int32(48), false), 0, []error{ErrCorrupt}, "batch length 48, less than the minimum 49", false},
		{"length over the bytes", set(OffBatchLength, int32(len(good)-11), false), 0, []error{ErrCorrupt}, "says", false},
		{"negative length", set(OffBatchLength, int32(-1), false), 0, []error{ErrCorrupt}, "batch length -1", false},
		{"trailing byte", append(bytes.Clone(good), 0), 0, []error{ErrCorrupt}, "have", false},
		{"magic 1", set(OffMagic, int8(1), true), 0, []error{ErrCorrupt}, "magic 1, want 2", false},
		{"base offset", set(OffBaseOffset, int64(5), false), 0, []error{ErrInvalidRecord, ErrCorrupt}, "base offset 5", true},
		{"too large", good, len(good) - 1, []error{ErrTooLarge}, "limit", true},
		{"crc", set(OffCRC, int32(0), false), 0, []error{ErrCorrupt}, "crc 00000000", false},
		{"attributes under the crc", set(OffAttributes, int16(1), false), 0, []error{ErrCorrupt}, "crc", false},
		{"negative last offset delta", set(OffLastOffsetDelta, int32(-1), true), 0, []error{ErrInvalidRecord, ErrCorrupt}, "last offset delta -1", true},
		{"zero count", set(OffRecordCount, int32(0), true), 0, []error{ErrInvalidRecord, ErrCorrupt}, "record count 0", true},
		{"count disagrees", set(OffRecordCount, int32(2), true), 0, []error{ErrInvalidRecord, ErrCorrupt}, "record count 2 disagrees with last offset delta 2", true},
		{"control", set(OffAttributes, int16(AttrControl), true), 0, []error{ErrInvalidRecord, ErrCorrupt}, "control batch", true},
		{"producer without sequence", set(OffProducerID, int64(3), true), 0, []error{ErrInvalidRecord, ErrCorrupt}, "base sequence -1 with producer ID 3", true},
		{"codec 5", set(OffAttributes, int16(5), true), 0, []error{ErrUnknownCodec, ErrCorrupt}, "codec bits 5", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.b, tc.max)
			if tc.is == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
			} else {
				for _, is := range tc.is {
					if !errors.Is(err, is) {
						t.Fatalf("Validate: %v, want %v", err, is)
					}
				}
				if !strings.Contains(fmtErr(err), tc.want) {
					t.Fatalf("Validate: %q does not say %q", err, tc.want)
				}
				if tc.is[0] == ErrTooLarge && errors.Is(err, ErrCorrupt) {
					t.Fatal("ErrTooLarge must not wrap ErrCorrupt: Kafka answers MESSAGE_TOO_LARGE, not CORRUPT_MESSAGE")
				}
			}
			if err := CheckStored(tc.b); (err == nil) != tc.stored {
				t.Fatalf("CheckStored: %v, want accepted %v", err, tc.stored)
			}
		})
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestValidateAgreesWithKmsg: the fields Validate checks are the ones kmsg
// reads, for every golden and built batch.
func TestValidateAgreesWithKmsg(t *testing.T) {
	forEachCodec(t, func(t *testing.T, c Codec) {
		bl := *NewBuilder()
		bl.Codec = c
		b := build(t, bl, sampleRecords())
		if err := Validate(b, 0); err != nil {
			t.Fatal(err)
		}
		var rb kmsg.RecordBatch
		if err := rb.ReadFrom(b); err != nil {
			t.Fatal(err)
		}
		h := Header(b)
		if rb.Length != h.BatchLength() || uint32(rb.CRC) != h.ComputeCRC() || rb.NumRecords != rb.LastOffsetDelta+1 ||
			rb.Magic != 2 || !bytes.Equal(rb.Records, h.Records()) || !bytes.Equal(rb.AppendTo(nil), b) {
			t.Fatalf("kmsg reads %+v", rb)
		}
	})
}

func TestBatchSize(t *testing.T) {
	good := build(t, *NewBuilder(), smallRecords())
	// Given only the first 12 bytes, BatchSize already knows the size.
	if n, err := BatchSize(good[:LogOverhead]); err != nil || n != len(good) {
		t.Fatalf("BatchSize = %d, %v; want %d", n, err, len(good))
	}
	two := append(bytes.Clone(good), good...)
	if n, err := BatchSize(two); err != nil || n != len(good) {
		t.Fatalf("BatchSize of two batches = %d, %v", n, err)
	}
	if _, err := BatchSize(good[:LogOverhead-1]); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("11 bytes: %v", err)
	}
	short := bytes.Clone(good)
	binary.BigEndian.PutUint32(short[OffBatchLength:], 48)
	if _, err := BatchSize(short); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("length 48: %v", err)
	}
}
