// Package index implements a segment's two sparse indexes, in Kafka's on-disk
// layout so that Kafka's tools and Strata's read each other's files: the
// offset index (`.index`), which maps an offset to the byte position of its
// batch in the segment's `.log`, and the time index (`.timeindex`), which
// maps a timestamp to an offset.
//
// # File layout
//
// Both files are arrays of fixed-size big-endian entries with no header, no
// checksum and no trailer. Offsets are stored relative to the segment's base
// offset (the number in the file name) as a signed 32-bit integer, so an
// index covers at most base .. base+2^31-1.
//
// Offset index, 8 bytes per entry:
//
//	offset  size  field
//	     0     4  relativeOffset  int32   offset - base; >= 0, strictly increasing
//	     4     4  position        uint32  byte position of the batch in the .log; strictly increasing
//
// Time index, 12 bytes per entry:
//
//	offset  size  field
//	     0     8  timestamp       int64   ms since the epoch; >= 0, strictly increasing
//	     8     4  relativeOffset  int32   offset - base; >= 0, strictly increasing
//
// A time index entry (T, O) says that every record with a timestamp greater
// than T lies at an offset greater than O (Kafka's TimeIndex). Indexes are
// sparse: the segment adds an entry once index.interval.bytes (default 4096)
// of log have been appended since the last one; this package only stores
// what it is given.
//
// # Size, preallocation and trimming
//
// While an index is written, its file is preallocated to maxBytes
// (segment.index.bytes, default 10 MiB) rounded down to a multiple of the
// entry size, so appends never extend the file; the unused tail reads as
// zeros. Trim (on roll) and Close shrink the file to exactly Entries()
// entries. Opening a file therefore finds its entries as follows: a trimmed
// file holds size/entrySize entries; an untrimmed one (the process or
// machine crashed before Close) holds the entries up to and including its
// last entry that is not all zero bytes. Because offsets strictly increase,
// no valid entry after the first is all zeros, so for a file written by this
// package that is exactly the written prefix; TruncateTo and Reset zero the
// entries they drop so that a crash cannot resurrect them. An untrimmed file
// whose entries are all zero holds no entries (a fresh index that crashed),
// while a trimmed file of exactly one zero entry holds that entry.
//
// On the mmap path opening a file reads nothing but its tail: a trimmed file
// costs one entry, however large (the heap path reads the whole file). An
// index is derived data (Kafka neither checksums nor
// trusts it): SanityCheck verifies the length and that offsets (and
// positions, and timestamps) strictly increase from the base offset, and
// reports ErrCorruptIndex; the segment then rebuilds the index from its log
// with Reset and Append.
//
// # Lookup
//
// Lookup is a floor search: the greatest entry whose key is at most the
// target. It is Kafka's cache-friendly binary search: when the target is at
// or past the first entry of the warm section (the last 8 KiB of entries,
// which every append and every in-sync lookup touch), only the warm section is
// searched, so a lookup near the tail reads pages that are already in memory;
// otherwise the rest of the index is searched. Lookup does not allocate.
//
// # Storage and concurrency
//
// Over files of vfs.OS the index is mmap'd (internal/mmap, MAP_SHARED): an
// entry is in the page cache once Append returns, and Flush msyncs it. Disk
// blocks are reserved ahead of the append position with fallocate, so a full
// disk fails an Append with ENOSPC instead of raising SIGBUS on a write into
// a sparse page; and the first entry that lands in a page of the file not
// yet written is written with pwrite (zeros) before the store into the
// mapping: a store that faults a new block in cost 2.5 ms on ext4 here, the
// pwrite tens of microseconds. Time.CloseKeeping leaves an index that holds
// no entry with the one Kafka's close appends, written with one pwrite.
// Over any other vfs.FS (the in-memory one in tests) the index
// works on a heap buffer that Flush, Trim and Close write back with WriteAt.
//
// One goroutine appends (Append, MaybeAppend, TruncateTo, Reset, Trim, Close
// are serialised by a mutex); any number of goroutines may call Lookup,
// Entry, LastEntry, Entries, Full, SanityCheck and Flush at the same time. An entry's
// bytes are written before the entry count that makes them visible is
// published (atomically), so a concurrent Lookup sees either the old or the
// new set of entries; operations that remap the file or rewrite existing
// entries (growing the file, Trim, TruncateTo, Reset, Close) hold a
// read-write lock exclusively, and readers hold it shared, so no reader ever
// touches an unmapped page. Lock order: the append mutex before the remap
// lock.
//
// # Transaction index
//
// txn.go holds the layout of the third kind, Kafka's .txnindex
// (TransactionIndex, AbortedTxn): 34-byte entries, version i16 (0),
// producerId, firstOffset, lastOffset (the abort marker's offset) and
// lastStableOffset, all i64 big-endian, one per aborted transaction in
// marker order, no header. ParseTxnIndex, ReadTxnIndex and
// CollectAbortedTxns (Kafka's collectAbortedTxns) read it; the segment
// package writes it.
package index
