package compact

import (
	"math/bits"

	farm "github.com/dgryski/go-farm"
)

// slotWords is one slot of the offset map: a 128-bit key hash and the
// offset plus one (0: an empty slot), 24 bytes as in Kafka's
// SkimpyOffsetMap with MD5.
const slotWords = 3

// BytesPerSlot is the memory one key of the offset map takes.
const BytesPerSlot = slotWords * 8

// loadFactor is log.cleaner.io.buffer.load.factor (Kafka's default): the
// share of the slots a pass fills before it stops mapping.
const loadFactor = 0.9

// offsetMap is Kafka's SkimpyOffsetMap: a fixed-size open-addressed table
// from a key's 128-bit farm hash (Fingerprint128) to the offset of the
// key's last record in the mapped part of the log, probed linearly. Two
// keys with the same 128-bit hash are taken for one (Kafka takes the same
// risk with MD5): at a billion keys the chance of any collision is about
// 10^-21. Its memory is the table alone, allocated once.
type offsetMap struct {
	t      []uint64 // slots*slotWords
	slots  uint64
	active uint64 // the slots this pass uses (reset)
	size   int    // keys in the table
	latest int64  // the largest offset mapped (Kafka's latestOffset), -1 after clear
}

func newOffsetMap(memory int64) *offsetMap {
	slots := max(memory/BytesPerSlot, 1)
	return &offsetMap{t: make([]uint64, slots*slotWords), slots: uint64(slots), active: uint64(slots), latest: -1}
}

// capacity is how many keys a pass maps before it stops (the load factor).
func (m *offsetMap) capacity() int { return max(int(float64(m.active)*loadFactor), 1) }

// reset empties the map for a pass that maps at most maxKeys keys: it
// uses (and clears) only the slots that many keys need at the load
// factor, so a small dirty part neither clears nor touches the whole
// buffer (Kafka clears all of it every pass). A bound too low costs only
// passes: the map is full at the smaller capacity.
func (m *offsetMap) reset(maxKeys int64) {
	want := uint64(m.slots)
	if maxKeys >= 0 && float64(maxKeys) < float64(m.slots)*loadFactor {
		want = max(uint64(float64(maxKeys)/loadFactor)+2, 16)
		want = min(want, m.slots)
	}
	m.active = want
	clear(m.t[:want*slotWords])
	m.size = 0
	m.latest = -1
}

func (m *offsetMap) clear() { m.reset(-1) }

// slot finds key's slot: the one holding its hash, or the empty one where
// it goes.
func (m *offsetMap) slot(hi, lo uint64) uint64 {
	i, _ := bits.Mul64(lo, m.active) // lo * active / 2^64: uniform, no division
	for {
		s := m.t[i*slotWords : i*slotWords+slotWords : i*slotWords+slotWords]
		if s[2] == 0 || (s[0] == hi && s[1] == lo) {
			return i
		}
		if i++; i == m.active {
			i = 0
		}
	}
}

// put records offset as key's latest. The caller keeps size below the
// slot count (capacity).
func (m *offsetMap) put(key []byte, offset int64) {
	lo, hi := farm.Fingerprint128(key)
	i := m.slot(hi, lo) * slotWords
	if m.t[i+2] == 0 {
		m.size++
		m.t[i], m.t[i+1] = hi, lo
	}
	m.t[i+2] = uint64(offset) + 1
	m.latest = max(m.latest, offset)
}

// get returns the offset mapped for key, -1 if none.
func (m *offsetMap) get(key []byte) int64 {
	lo, hi := farm.Fingerprint128(key)
	i := m.slot(hi, lo) * slotWords
	return int64(m.t[i+2]) - 1
}

// utilization is the share of slots in use.
func (m *offsetMap) utilization() float64 { return float64(m.size) / float64(m.active) }
