package segment

import "errors"

// Errors returned by this package. I/O errors from the filesystem are
// returned wrapped with context, so errors.Is(err, syscall.ENOSPC) and the
// like hold.
var (
	// ErrOffsetNotFound is returned by Read when no batch of the segment
	// holds the offset or a later one: the offset is past the segment's end.
	ErrOffsetNotFound = errors.New("segment: offset not found")

	// ErrClosed is returned by every method once the segment was closed or
	// deleted and its last reference released.
	ErrClosed = errors.New("segment: closed")

	// ErrInvalidBatch is returned by Append for bytes that are not one
	// whole v2 batch whose offsets follow the segment's last offset and fit
	// its relative-offset range. The segment is unchanged.
	ErrInvalidBatch = errors.New("segment: invalid batch for append")

	// ErrCorrupt marks log bytes that are not a batch where a batch must
	// start: a reader met a torn or garbled log that Recover has not cut
	// yet. Recover repairs it.
	ErrCorrupt = errors.New("segment: corrupt log")

	// ErrSegmentFull is returned by Append when the log would grow past
	// MaxLogBytes: the caller must roll.
	ErrSegmentFull = errors.New("segment: log full")
)

// ErrInvalidArgument is returned by Create and Open for a negative base
// offset or a negative option.
var ErrInvalidArgument = errors.New("segment: invalid argument")
