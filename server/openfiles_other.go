//go:build !unix

package server

// openSegmentLimit is 0 (no limit) where the open-file limit is unknown.
func openSegmentLimit() int64 { return 0 }
