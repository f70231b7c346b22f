package javahash

import "math"

// StringHash is Java's String.hashCode: s*31^(n-1) + ... over the UTF-16
// code units of s, in 32-bit arithmetic. Invalid UTF-8 counts as U+FFFD,
// as Java decodes it.
func StringHash(s string) int32 {
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

// Order returns keys in the order a java.util.HashMap (or HashSet) that
// had them put (added) in the given order iterates them. A key given more
// than once appears once, where it was first put.
func Order(keys []string) []string {
	var uniq []string
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			uniq = append(uniq, k)
		}
	}
	capacity := 16
	for len(uniq) > capacity*3/4 {
		capacity *= 2
	}
	buckets := make([][]string, capacity)
	for _, k := range uniq {
		h := uint32(StringHash(k))
		i := (h ^ h>>16) & uint32(capacity-1)
		buckets[i] = append(buckets[i], k)
	}
	out := make([]string, 0, len(uniq))
	for _, b := range buckets {
		out = append(out, b...)
	}
	return out
}

// Partition is Kafka's partition of an internal topic for a key (a group
// id, a transactional id): Utils.abs(key.hashCode()) % partitions, where
// Utils.abs maps math.MinInt32 to 0.
func Partition(key string, partitions int) int32 {
	h := StringHash(key)
	if h == math.MinInt32 {
		h = 0
	} else if h < 0 {
		h = -h
	}
	return h % int32(partitions)
}
