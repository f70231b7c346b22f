package index

import "errors"

var (
	// ErrIndexFull is returned by Append and MaybeAppend when the index has
	// no free entry (or was trimmed): the segment must roll.
	ErrIndexFull = errors.New("index: index full")
	// ErrCorruptIndex is returned by SanityCheck when the file's length or
	// entries are not those of a valid index. The caller rebuilds the index
	// from the log (Reset, then Append each entry).
	ErrCorruptIndex = errors.New("index: corrupt index")
	// ErrOutOfOrder is returned by Append and MaybeAppend for an entry that
	// does not follow the last one (a caller bug: offsets, positions and
	// timestamps only grow).
	ErrOutOfOrder = errors.New("index: entry out of order")
	// ErrRelativeOffset is returned for an offset below the base offset or
	// more than 2^31-1 past it: it does not fit the 4-byte relative offset.
	ErrRelativeOffset = errors.New("index: offset out of the index's range")
	// ErrPosition is returned by Append for a position outside [0, 2^32-1].
	ErrPosition = errors.New("index: position out of range")
	// ErrClosed is returned by operations on a closed index.
	ErrClosed = errors.New("index: closed")
	// ErrInvalidArgument is returned by OpenOffset and OpenTime for a
	// negative base offset or a maxBytes smaller than one entry or above
	// 2^31-1.
	ErrInvalidArgument = errors.New("index: invalid argument")
)
