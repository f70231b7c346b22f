package storage

import (
	"slices"

	"github.com/stratabroker/strata/internal/javahash"
)

// hashOrder returns keys in the order a java.util.HashMap holding them
// iterates them, having had them put in sorted order (the order the format
// command inserts them; javahash.Order keeps that order within a bucket).
// Kafka's Formatter writes, and so prints, the directories it formats in
// that order, and names the first formatted directory in it.
func hashOrder(keys []string) []string {
	return javahash.Order(slices.Sorted(slices.Values(keys)))
}
