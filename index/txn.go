package index

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/stratabroker/strata/internal/vfs"
)

// The transaction index (.txnindex) of a segment, Kafka's TransactionIndex:
// one entry per transaction aborted by a marker in the segment, in marker
// order, 34 big-endian bytes each (Kafka's AbortedTxn), no header:
//
//	offset  size  field
//	     0     2  version           int16  0
//	     2     8  producerId        int64
//	    10     8  firstOffset       int64  the transaction's first offset in the partition
//	    18     8  lastOffset        int64  the offset of its abort marker
//	    26     8  lastStableOffset  int64  the partition's LSO once the marker was written
//
// The file exists only once a segment has an aborted transaction (Kafka
// creates it lazily too). Unlike the offset and time indexes it cannot be
// rebuilt from the segment alone (the first offset comes from the producer
// state), so the partition rebuilds it while it replays the log.

// AbortedTxnSize is the size of one .txnindex entry.
const AbortedTxnSize = 34

// TxnIndexVersion is AbortedTxn.CURRENT_VERSION.
const TxnIndexVersion = 0

// AbortedTxn is one entry of a transaction index.
type AbortedTxn struct {
	ProducerID       int64
	FirstOffset      int64
	LastOffset       int64
	LastStableOffset int64
}

// AppendEntry appends a's 34-byte entry to b.
func (a AbortedTxn) AppendEntry(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, TxnIndexVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(a.ProducerID))
	b = binary.BigEndian.AppendUint64(b, uint64(a.FirstOffset))
	b = binary.BigEndian.AppendUint64(b, uint64(a.LastOffset))
	return binary.BigEndian.AppendUint64(b, uint64(a.LastStableOffset))
}

// ParseTxnIndex decodes a transaction index file. A trailing partial
// entry (a torn append) is ignored, as Kafka's iterator ignores it; an
// entry of a version above TxnIndexVersion is ErrCorruptIndex (Kafka
// refuses it too).
func ParseTxnIndex(b []byte) ([]AbortedTxn, error) {
	n := len(b) / AbortedTxnSize
	out := make([]AbortedTxn, 0, n)
	for i := range n {
		e := b[i*AbortedTxnSize:]
		if v := int16(binary.BigEndian.Uint16(e)); v > TxnIndexVersion || v < 0 {
			return nil, fmt.Errorf("%w: transaction index entry %d has version %d", ErrCorruptIndex, i, v)
		}
		out = append(out, AbortedTxn{
			ProducerID:       int64(binary.BigEndian.Uint64(e[2:])),
			FirstOffset:      int64(binary.BigEndian.Uint64(e[10:])),
			LastOffset:       int64(binary.BigEndian.Uint64(e[18:])),
			LastStableOffset: int64(binary.BigEndian.Uint64(e[26:])),
		})
	}
	return out, nil
}

// ReadTxnIndex reads the transaction index at path: nil and no error if
// there is no file.
func ReadTxnIndex(fsys vfs.FS, path string) ([]AbortedTxn, error) {
	f, err := fsys.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	n, err := f.Size()
	if err != nil {
		return nil, err
	}
	b := make([]byte, n-n%AbortedTxnSize)
	if _, err := f.ReadAt(b, 0); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return ParseTxnIndex(b)
}

// CollectAbortedTxns is Kafka's TransactionIndex.collectAbortedTxns: the
// entries whose transaction overlaps [fetchOffset, upperBound) (last
// offset >= fetchOffset, first offset < upperBound); complete reports
// that an entry's last stable offset reached upperBound, so no later
// segment's index can hold another. entries are in marker order (last
// offsets increasing, as a transaction index holds them): the entries
// that end before fetchOffset are skipped by a binary search (none of
// them could complete the search: an entry's last stable offset is at
// most its last offset + 1 <= fetchOffset < upperBound).
func CollectAbortedTxns(entries []AbortedTxn, fetchOffset, upperBound int64) (out []AbortedTxn, complete bool) {
	i, _ := slices.BinarySearchFunc(entries, fetchOffset, func(a AbortedTxn, off int64) int { return cmp.Compare(a.LastOffset, off) })
	if i > 0 && entries[i-1].LastStableOffset >= upperBound {
		// Not in an index this package wrote; answer as the full scan.
		return collectScan(entries, fetchOffset, upperBound)
	}
	// Count first: one allocation of the answer.
	n, end := 0, len(entries)
	for j, a := range entries[i:] {
		if a.FirstOffset < upperBound {
			n++
		}
		if a.LastStableOffset >= upperBound {
			end, complete = i+j+1, true
			break
		}
	}
	if n == 0 {
		return nil, complete
	}
	out = make([]AbortedTxn, 0, n)
	for _, a := range entries[i:end] {
		if a.FirstOffset < upperBound {
			out = append(out, a)
		}
	}
	return out, complete
}

// collectScan is CollectAbortedTxns scanning every entry.
func collectScan(entries []AbortedTxn, fetchOffset, upperBound int64) (out []AbortedTxn, complete bool) {
	for _, a := range entries {
		if a.LastOffset >= fetchOffset && a.FirstOffset < upperBound {
			out = append(out, a)
		}
		if a.LastStableOffset >= upperBound {
			return out, true
		}
	}
	return out, false
}
