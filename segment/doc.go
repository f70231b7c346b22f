// Package segment stores one segment of a partition's log: a .log file of
// record batches, stored exactly as appended, and its two sparse indexes
// (package index), in Kafka's layout so that Kafka's tools can read them:
//
//	<dir>/00000000000000000042.log        batches, back to back
//	<dir>/00000000000000000042.index      offset index: relative offset -> position
//	<dir>/00000000000000000042.timeindex  time index: timestamp -> relative offset
//	<dir>/00000000000000000042.txnindex   aborted transactions (only once there is one)
//
// The .txnindex (txn.go) is Kafka's TransactionIndex: the partition
// writes it (AppendAbortedTxn) and rebuilds it after a crash
// (ResetTxnIndex, then appends while it replays); the segment keeps its
// entries in memory once read, holds no descriptor for it (each append
// opens, writes and closes the file; Seal and Flush fsync it when written
// since), and carries it through Rename, Delete, Retire and TruncateTo
// with the other three files. Recover leaves it alone (it cannot be
// rebuilt from the segment alone).
// The number is the segment's base offset, zero-padded to 20 digits
// (LogPath, IndexPath, TimeIndexPath, ParseLogName). A segment holds
// offsets base .. base+2^31-1 (Fits) and at most MaxLogBytes of log.
//
// # Appending and reading
//
// Append follows Kafka's LogSegment.append: the batch is written at the end
// of the log, and once more than index.interval.bytes were appended since
// the batch of the last offset-index entry, the batch gets an entry (its
// last offset and its position) and the time index gets the largest
// timestamp so far with the last offset of the batch that first carried it
// (maybeAppend: only if larger than the last entry). The largest timestamp
// and its batch are kept in memory (maxTimestampAndOffsetSoFar).
//
// Read(offset, maxBytes, maxPos) finds the batch holding offset as Kafka's
// translateOffset does, the offset index's floor entry then a walk of batch
// headers, and returns a Slice {File, Pos, Len, FirstOffset, LastOffset} of
// whole batches for sendfile: at least one (KIP-74), then as many as end
// within maxBytes and at or before maxPos (Kafka's maxPosition, the high
// watermark's position). An index is derived data and never trusted: the
// entry a lookup lands on must start a batch whose last offset is the
// entry's offset, or Read walks from the start of the log and the indexes
// are rebuilt before the next call. So Read never returns a position that
// does not start a batch holding the offset (or, in an offset gap, the
// first batch after it).
//
// FindTimestamp is Kafka's findOffsetByTimestamp (time index floor, offset
// index position, first batch whose MaxTimestamp reaches the target, first
// record in it that does). MaxTimestamp answers ListOffsets(-3) as Kafka
// does since KAFKA-16310 (3.7.1, 3.8; UnifiedLog.fetchOffsetByTimestamp and
// RecordBatch.offsetOfMaxTimestamp): in the first batch whose MaxTimestamp
// is the segment's largest, the offset of the first record carrying it
// (for a LogAppendTime batch, its first record); the releases that bug
// affected answered the batch's last offset. LargestTimestamp is the cheap
// part of it (retention, and picking the segment).
//
// # Recovery
//
// Recover checks every batch from the start of the log (length, magic, CRC
// with recordbatch.CheckStored, offsets increasing and in range), truncates
// the log at the first that fails (a torn tail, the zeros of a preallocated
// tail, garbage) and rebuilds both indexes with Kafka's interval rule; it
// returns the number of bytes cut. Batches larger than its 1 MiB read
// window are checked in pieces, so memory stays bounded.
//
// Open opens and reads nothing: a clean startup costs a stat per segment.
// The first method that needs the files opens them (see File budget) and,
// the first time, runs SanityCheck's cheap checks (each index's own ordering
// checks; the last offset-index entry starts a batch ending at its offset;
// the batches after it are well formed and none lacks the entry the
// interval rule calls for, which catches a truncated or stale index; the
// time index's last offset is in the log). If they fail, that method runs
// Recover first and says so through Options.Logger (nil discards). A caller
// that wants the verdict calls SanityCheck, which repairs nothing, and then
// Recover.
//
// # File budget
//
// A segment holds descriptors and mappings only while it is loaded: its
// .log, its two indexes (three descriptors) and, over vfs.OS, the log's
// read mapping and the two index mappings. It is loaded by the first call
// that needs its files (Append, Read, FindTimestamp, MaxTimestamp,
// RollTimestamp, IndexFull, TruncateTo, Recover, SanityCheck, Seal, and
// Flush when something is unsynced) and stays loaded until it is evicted
// or torn down. Create loads the segment it creates; Open loads nothing.
// NextOffset, LargestTimestamp, Size, Base and Fits answer from memory.
//
// A process-wide budget (SetFileBudget, in descriptors; DefaultFileBudget
// until set: the broker sets half its RLIMIT_NOFILE) bounds what loaded
// segments hold. Loading one more when that would pass the budget first
// evicts segments that nobody uses, chosen by a clock sweep with a second
// chance: every call on a loaded segment sets its used bit (one atomic
// load, a store only when it was clear); the sweep clears set bits and
// evicts segments whose bit is clear, that have no reference but their
// owner's (no call running, no reader's Acquire, no Slice being sent),
// that were not closed or deleted, and whose appendMu and trunc it gets
// with TryLock. The budget is soft: when every loaded segment is in use,
// loading goes over it rather than wait (a Fetch pins every segment it
// sends from until its response is written), and each Release that leaves
// only the owner's reference, while the process is over its budget, moves
// the sweep on by up to 16 segments (without waiting for the sweep's
// lock), so the count comes back within the budget as the pins go. LoadedSegments, OpenSegmentFiles
// and Evictions are the counters.
//
// Eviction trims the .log's preallocated tail and each index's (index
// Close), unmaps, and closes the three files; it writes no final
// time-index entry and does not fsync (Flush later reopens a segment
// evicted with unsynced writes and fsyncs it; Linux reports a writeback
// error nobody saw to the next fsync of the file on any descriptor). What
// the segment knows stays in memory: size, next offset, largest timestamp
// and its offset, roll timestamp, bytes since the last index entry, the
// preallocation lead (halved), and whether its indexes were checked, so a
// reload opens the files, maps the log to its size and reads each index's
// last entry, and neither checks nor recovers a segment that was fine when
// evicted. A reload that finds the .log shorter than the size it knew
// (cut behind its back) recovers it.
//
// The race between a call and an eviction is closed by the reference
// count. A call takes a reference (hold) before it looks at the files and
// drops it when it is done; a reader that keeps a Slice keeps its
// reference (Acquire). The sweep, holding the segment's appendMu and trunc
// exclusively, sets evicting, then reads the count: only the owner's
// reference lets it close the files. hold adds its reference, then reads
// evicting. Go's atomics being sequentially consistent, either the sweep
// sees the new reference and gives up, or hold sees evicting and waits for
// the sweep to release trunc, after which the segment is unloaded and the
// call loads it again under appendMu. While a reference is held no
// eviction can start, so a call that saw the segment loaded uses its
// descriptors and mappings until it releases; none is ever closed or
// unmapped under it.
//
// The budget's lock (budget.mu) is taken to load (after the segment's
// appendMu), to sweep and at teardown, never on a call to a loaded
// segment; under it the sweep only TryLocks segments' appendMu and trunc,
// so it never waits for a segment, and no segment lock holder waits for a
// sweep except a loader (appendMu, then budget.mu).
//
// # Concurrency and lifetime
//
// One appender and any number of readers. Mutations (Append, Recover,
// TruncateTo, Seal, Close) are serialised by the caller, the partition's
// lock; the segment also serialises them itself (appendMu). Readers never
// wait for an append: the appender writes the batch and its index entries,
// then publishes the new size atomically, and readers read only below the
// size they loaded (after their index lookup, so an entry they see is
// published or past that size). Recover, TruncateTo and remapping the log
// hold trunc exclusively, which readers hold shared while they read log
// bytes. Lock order: appendMu, budget.mu (loading only), trunc, then
// lifeMu and maxMu (leaves); the indexes' own locks are taken inside any
// of them. The sweep holds budget.mu and takes segments' appendMu and
// trunc only with TryLock; the teardown takes appendMu, trunc and lifeMu,
// then, with appendMu still held, budget.mu.
//
// The log cleaner's segments are created with CreateSuffixed (names ending
// in CleanedSuffix) and renamed with Rename (CleanedSuffix to SwapSuffix,
// then to the live names), and the segments they replace are retired with
// Retire: Delete that renames the files with DeletedSuffix at once whatever
// the readers (the replacement takes the same names) and drops the owner's
// reference in the background. IndexBytes (the bytes of index entries)
// bounds the cleaner's groups, and Scan hands it every batch of an
// inactive segment in turn, through the read mapping (no copy), with the
// read lock held for the whole walk.
//
// Create and Open hold a reference; Close or Delete drops it. A reader that
// uses a Slice after the call that returned it holds its own (Acquire,
// Release); every method holds one while it runs. The last Release closes
// the files if they are loaded, unmaps the log and, after Delete, removes
// the files, which Delete renamed with DeletedSuffix at once (when a
// reader holds the segment) so that a restart cannot mistake them for a
// live segment. Nothing is unmapped or closed under a reader.
//
// # Where mmap is used, measured
//
// Reads walk batch headers through a read-only mapping of the .log (over
// vfs.OS; ReadAt elsewhere), appends use pwrite. Each is the faster of the
// two in the form a segment can use, on the development machine (2 vCPU AMD
// EPYC, ext4, Linux 6.18; medians of interleaved runs, other work running;
// cpu-ns/op is the process's user+system time):
//
//	header walk, one 61-byte header per op, 64 MiB log of 1 KiB batches
//	  BenchmarkWalkHeadersPread    521 ns/op   (pread into a pooled buffer)
//	  BenchmarkWalkHeadersMmap     3.7 ns/op   (the mapping)
//	lookup (Read, maxBytes 1) of random offsets, warm 1 GiB segment, 0 allocs
//	  BenchmarkLookupWarm/16KiB/mmap   166 ns/op    /pread   671 ns/op
//	  BenchmarkLookupWarm/1KiB/mmap    256 ns/op    /pread  1719 ns/op
//	append, 16 KiB batches (16,384+ bytes: not page-aligned, as batches are)
//	  BenchmarkRawWrite16K                    1423 MB/s  11.5 µs cpu  write(2) loop, same file cycle
//	  BenchmarkAppend16K                      1343 MB/s  11.8 µs cpu  Segment.Append: pwrite, preallocation lead up to 4 MiB
//	  BenchmarkAppend16KNoPrealloc            1225 MB/s  13.3 µs cpu  pwrite extending the file
//	  BenchmarkAppendMmap16K                  2722 MB/s   5.9 µs cpu  memcpy into a region fallocated whole first
//	  BenchmarkAppendMmapGrow16K/lead=4MiB    1212 MB/s  13.4 µs cpu  memcpy, file grown under the mapping
//	  BenchmarkAppendMmapGrow16K/lead=16MiB   1268 MB/s  12.8 µs cpu
//	  BenchmarkAppendMmapGrow16K/lead=32MiB   2546 MB/s   6.3 µs cpu
//	recovery of a warm 256 MiB log (CRC of every batch, indexes rebuilt)
//	  BenchmarkRecover             7.3 GB/s
//	opening and closing 1,000 segments
//	  BenchmarkOpen1000            7.5 ms
//
// The header walk through the mapping is 140 times faster than pread and is
// what makes a warm lookup cost well under a microsecond, so reads map.
// Copying a batch into a mapping is only faster than pwrite when the file
// already extends far past the copy: fallocating the whole segment up front
// (Kafka's preallocate, a segment.bytes reservation per partition) or
// keeping the file 16-32 MiB ahead. Closer to the end of the file the write
// faults lose the kernel's readahead (perf shows page_cache_ra_* under
// exc_page_fault; a variant with MADV_RANDOM cost 19 µs per copy) and the
// copy is slower than pwrite. Neither reservation is acceptable per partition, the
// threshold depends on the kernel's readahead, and a write fault stalls the
// OS thread of a Go P where a syscall would hand the P off; so appends use
// pwrite, which runs at the speed of a plain write(2) loop (0.94 of it
// above, 0.90 in a second set of runs), with a small preallocation that
// saves growing the file on every write: a lead that starts at 64 KiB and
// doubles each time appends use half of it, up to PreallocateBytes (4 MiB),
// so an idle partition reserves little disk and a busy one writes into
// reserved blocks.
//
// Mapped bytes are touched only below the published size (which never
// exceeds the file's length) and with debug.SetPanicOnFault, so the SIGBUS
// of an I/O error paging the log in fails the call with EIO instead of
// killing the process. A reader that pages in cold data still blocks its OS
// thread for the length of a disk read; the walk touches a few pages per
// lookup.
//
// Reproduce (each line several times, alternating, medians):
//
//	go test -run '^$' -bench 'Append16K$|Append16KNoPrealloc|RawWrite16K|AppendMmap16K|AppendMmapGrow16K' -benchtime 0.5s ./segment/
//	go test -run '^$' -bench WalkHeaders -benchtime 0.3s ./segment/
//	go test -run '^$' -bench LookupWarm -benchtime 1s ./segment/
//	go test -run '^$' -bench 'Recover|Open1000' -benchtime 2s ./segment/
package segment
