package telemetry

import (
	"hash/crc32"
	"strconv"
	"strings"
)

// Kafka computes a client's subscription id from the text of a Java
// HashSet<String> (its toString, "[a, b]"), so the order of the set's
// iteration is part of the id. javaStringSet reproduces that order: a
// HashSet iterates its table's buckets in index order and each bucket's
// entries in insertion order (buckets of eight or more collisions become
// trees in Java; with the few prefixes a subscription has, that does not
// happen in practice). The table starts at 16 buckets and doubles when the
// size passes three quarters of it; a resize keeps the relative order of
// the entries that land in one bucket.

// javaStringHash is Java's String.hashCode over UTF-16 code units.
func javaStringHash(s string) int32 {
	var h int32
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			h = 31*h + int32(0xD800+(r>>10))
			h = 31*h + int32(0xDC00+(r&0x3FF))
			continue
		}
		h = 31*h + int32(r)
	}
	return h
}

// javaSetOrder returns items (duplicates dropped, first insertion kept) in
// the order a java.util.HashSet built by adding them in this order
// iterates them.
func javaSetOrder(items []string) []string {
	var uniq []string
	seen := make(map[string]bool, len(items))
	for _, it := range items {
		if !seen[it] {
			seen[it] = true
			uniq = append(uniq, it)
		}
	}
	capacity := 16
	for len(uniq) > capacity*3/4 {
		capacity *= 2
	}
	buckets := make([][]string, capacity)
	for _, it := range uniq {
		h := uint32(javaStringHash(it))
		i := (h ^ h>>16) & uint32(capacity-1)
		buckets[i] = append(buckets[i], it)
	}
	out := make([]string, 0, len(uniq))
	for _, b := range buckets {
		out = append(out, b...)
	}
	return out
}

// subscriptionID is Kafka's ClientMetricsManager.computeSubscriptionId:
// the CRC32C of the metrics set's text followed by the push interval,
// XORed with the client instance id's hashCode. metrics must be in the
// set's iteration order (javaSetOrder).
func subscriptionID(metrics []string, pushIntervalMs int32, instance [16]byte) int32 {
	text := "[" + strings.Join(metrics, ", ") + "]" + strconv.Itoa(int(pushIntervalMs))
	crc := crc32.Checksum([]byte(text), crc32.MakeTable(crc32.Castagnoli))
	return int32(crc) ^ uuidHash(instance)
}

// uuidHash is Kafka's Uuid.hashCode: the two 64-bit halves XORed, then
// the high and low 32 bits of that XORed.
func uuidHash(id [16]byte) int32 {
	var hi, lo uint64
	for i := 0; i < 8; i++ {
		hi = hi<<8 | uint64(id[i])
		lo = lo<<8 | uint64(id[8+i])
	}
	h := hi ^ lo
	return int32(uint32(h>>32)) ^ int32(uint32(h))
}
