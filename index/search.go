package index

import "encoding/binary"

// warmBytes is the size of the warm section at the tail of an index: Kafka's
// AbstractIndex uses 8192 bytes, small enough that a warm-section search
// touches all of its (at most three) pages on every lookup, so they stay
// in the page cache, and large enough to hold the targets of in-sync readers
// (about 4 MiB of log for the offset index at the default interval).
const warmBytes = 8192

// key selects what a search compares.
type key uint8

const (
	offsetKey key = iota // offset index: relative offset (bytes 0-3)
	timeKey              // time index: timestamp (bytes 0-7)
	timeValue            // time index: relative offset (bytes 8-11)
)

// entrySize is the size of an entry of the index that k searches.
func (k key) entrySize() int {
	if k == offsetKey {
		return offsetEntrySize
	}
	return timeEntrySize
}

// at returns the key of entry i of b.
func (k key) at(b []byte, i int) int64 {
	switch k {
	case offsetKey:
		return int64(int32(binary.BigEndian.Uint32(b[i*offsetEntrySize:])))
	case timeKey:
		return int64(binary.BigEndian.Uint64(b[i*timeEntrySize:]))
	default:
		return int64(int32(binary.BigEndian.Uint32(b[i*timeEntrySize+8:])))
	}
}

// floor returns the slot of the greatest of the n entries of b whose key is
// at most target, or -1 if there is none, and whether the warm section was
// searched. Keys must increase. This is Kafka's
// AbstractIndex.largestLowerBoundSlotFor: if the target is at or past the
// first entry of the warm section, binary-search only the warm section;
// otherwise search the rest, after checking that the target is not below the
// first entry. (Kafka takes the warm branch only strictly past that entry;
// for a target equal to it both branches return it.)
func floor(b []byte, n int, k key, target int64) (slot int, warm bool) {
	if n == 0 {
		return -1, false
	}
	firstHot := max(0, n-1-warmBytes/k.entrySize())
	if k.at(b, firstHot) <= target {
		return search(b, k, target, firstHot, n-1), true
	}
	if k.at(b, 0) > target {
		return -1, false
	}
	return search(b, k, target, 0, firstHot), false
}

// search returns the greatest slot in [lo, hi] whose key is at most target,
// given that the key at lo is.
func search(b []byte, k key, target int64, lo, hi int) int {
	for lo < hi {
		mid := int(uint(lo+hi+1) >> 1)
		switch v := k.at(b, mid); {
		case v > target:
			hi = mid - 1
		case v < target:
			lo = mid
		default:
			return mid
		}
	}
	return lo
}
