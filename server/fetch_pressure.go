package server

import (
	"errors"
	"fmt"
	"io"

	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/segment"
)

// Under the segment file budget (segment.SetFileBudget) a Fetch would pin
// every segment it answers from until its response is written: a consumer
// of thousands of partitions could hold thousands of segments' files open
// at once and run the process out of descriptors. While the segments hold
// more files than the budget, a read of at most pressureCopyMax bytes is
// copied out and its segments released at once, up to pressureRequestMax
// bytes per request; past that, the request's further partitions are
// answered without records (their offsets and watermarks only), and the
// client fetches them next time (a session moves answered partitions to
// the end, so the others come first then).
const (
	pressureCopyMax    = 64 << 10
	pressureRequestMax = 1 << 20
)

// underPressure reports whether the segments hold more files than their
// budget allows.
func underPressure() bool {
	return segment.OpenSegmentFiles() > segment.FileBudget()
}

// unpin replaces rr's slices by one copy of their bytes and releases its
// segments.
func unpin(rr *partition.ReadResult) error {
	buf := make([]byte, rr.Bytes)
	n := int64(0)
	for _, sl := range rr.Slices {
		m, err := sl.File.ReadAt(buf[n:n+sl.Len], sl.Pos)
		if int64(m) < sl.Len {
			if err == nil || errors.Is(err, io.EOF) {
				err = errShortSlice
			}
			return fmt.Errorf("server: read %s at %d: %w", sl.File.Name(), sl.Pos, err)
		}
		n += sl.Len
	}
	first, last := rr.Slices[0].FirstOffset, rr.Slices[len(rr.Slices)-1].LastOffset
	rr.Release()
	rr.Slices = []segment.Slice{{File: copiedFile(buf), Pos: 0, Len: n, FirstOffset: first, LastOffset: last}}
	return nil
}

// copiedFile is record bytes copied out of a segment, read-only.
type copiedFile []byte

var errCopiedFile = errors.New("server: copied records are read-only")

func (f copiedFile) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(f)) {
		return 0, io.EOF
	}
	n := copy(p, f[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
func (copiedFile) WriteAt([]byte, int64) (int, error) { return 0, errCopiedFile }
func (copiedFile) Close() error                       { return nil }
func (copiedFile) Sync() error                        { return nil }
func (copiedFile) Truncate(int64) error               { return errCopiedFile }
func (f copiedFile) Size() (int64, error)             { return int64(len(f)), nil }
func (copiedFile) Allocate(int64, int64) error        { return nil }
func (copiedFile) Name() string                       { return "copied records" }
