//go:build !unix

package server

// segmentFileBudget is 0 (the segment package's default) where the
// open-file limit is unknown.
func segmentFileBudget() int64 { return 0 }
