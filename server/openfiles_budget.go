package server

// fileBudget is half of the open-file limit, so that connections, state
// files and segments pinned past the budget by reads in flight keep the
// other half; and, since a loaded segment also holds up to three mappings
// (as many as descriptors), at most half of the mapping limit, so that
// the heap and the rest of the process keep the other half of theirs.
// A limit of 0 or less is unknown; 0 (the segment package's default) when
// neither is known.
func fileBudget(nofile, maps int64) int64 {
	n := max(nofile/2, 0)
	if m := maps / 2; m > 0 && (n == 0 || m < n) {
		n = m
	}
	return n
}
