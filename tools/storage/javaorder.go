package storage

import (
	"slices"
	"unicode/utf16"
)

// javaHashOrder returns keys in the order a java.util.HashMap holding them
// iterates them: by bucket (the spread String.hashCode masked by the table
// size), ties in sorted order (the order the format command inserts them).
// Kafka's Formatter writes, and so prints, the directories it formats in
// that order, and names the first formatted directory in it.
func javaHashOrder(keys []string) []string {
	n := 16
	for float64(len(keys)) > 0.75*float64(n) {
		n *= 2
	}
	out := slices.Clone(keys)
	slices.Sort(out)
	bucket := func(s string) int {
		var h int32
		for _, c := range utf16.Encode([]rune(s)) {
			h = 31*h + int32(c)
		}
		u := uint32(h)
		return int((u ^ u>>16) & uint32(n-1))
	}
	slices.SortStableFunc(out, func(a, b string) int { return bucket(a) - bucket(b) })
	return out
}
