// Package compact is Kafka's log cleaner (cleanup.policy=compact): the
// Manager is LogCleaner with LogCleanerManager, the Cleaner is Cleaner,
// the offset map SkimpyOffsetMap. It works on a partition.Log through what
// the partition exposes for it (CleanerView, NewCleanedSegment,
// ReplaceSegments, OnRoll) and never changes an offset.
//
// # A pass
//
// A log's first dirty offset is kept in its log directory's
// cleaner-offset-checkpoint (Kafka's file and layout; one outside the log
// means the log start). A pass (Cleaner.Clean) reads segments with
// segment.Scan (through the log's read mapping, no copy), checks every
// batch's CRC once, and:
//
//  1. bounds the dirty part: it ends at the active segment (never
//     cleaned), the high watermark (the last stable offset once
//     transactions exist) and the first dirty segment whose largest
//     timestamp is within min.compaction.lag.ms;
//  2. maps each key of the dirty part (records from the first dirty
//     offset) to the offset of its last record, in a fixed table of
//     go-farm 128-bit key hashes (offsetmap.go) sized by the thread's share
//     of log.cleaner.dedupe.buffer.size, filled to 90 %; when the table is
//     full the map ends there (its latest offset) and the next pass goes on
//     from it, so a dirty part with more keys than fit takes several passes
//     with the same memory;
//  3. groups the segments below the map's end (Kafka's groupSegmentsBySize:
//     log bytes up to segment.bytes, each index's bytes up to
//     segment.index.bytes, offsets within 2^31) and rewrites each group
//     into one cleaned segment: a record is kept if it lies past the map's
//     end, or it is its key's last and has a value, or it is a tombstone
//     whose batch has no delete horizon yet or one not reached; a keyless
//     record below the map's end is dropped (Kafka counts it invalid);
//  4. swaps each cleaned segment in (partition.Log.ReplaceSegments) and
//     checkpoints the map's end.
//
// # Batches
//
// A batch whose records are all kept and that needs no delete horizon is
// copied byte for byte. Otherwise its kept records are written into a new
// batch with the same base offset, last offset delta, producer ID, epoch
// and base sequence, leader epoch, timestamp type, transactional and
// control bits and codec (recompressed at the codec's default level); each
// record keeps its offset delta, timestamp, attributes, key, value and
// headers (rewrite.go, Kafka's MemoryRecords.filterTo). A batch whose
// records all go is dropped, except that its header stays, empty, when it
// is an idempotent producer's last batch (so its sequence and epoch survive
// cleaning and a restart's replay), when it ends the pass (the log's last
// offset stays), and (Strata's addition) when it ends a group, so that a
// cleaned segment ends exactly where the segments it replaces ended: the
// swap's offset range is theirs, and a crash can never leave a mix.
//
// Tombstones (KIP-534): the first pass that keeps a tombstone sets the
// batch's delete horizon, now + delete.retention.ms (attribute bit 6; the
// base timestamp then holds the horizon and record timestamps stay what
// they were through their deltas); a pass at or after the horizon drops
// the tombstone.
//
// Transactions: the TxnMetadata hook (txn.go, Kafka's
// CleanedTransactionMetadata) sees every data and control batch of a pass.
// Transactions, the default, takes the pass's aborted transactions from
// the segments' .txnindex (partition.Log.AbortedTransactions): aborted
// data is removed at once (not mapped either); an abort marker stays
// while its transaction still had batches in the pass, and is indexed in
// the cleaned segment's .txnindex; a marker whose transaction has no batch
// left gets a delete horizon like a tombstone and goes after it. A pass
// never reaches the last stable offset (an ongoing transaction is never
// cleaned). NoTransactions keeps every batch and marker.
//
// # Crash safety
//
// The cleaned segment is written under .cleaned names, sealed (fsynced),
// renamed .swap, swapped into the view, the old segments renamed .deleted,
// and the .swap names dropped, each step's directory change fsynced; the
// partition's Open finishes a swap whose .swap files are all there and
// discards one that is not (Kafka's LogLoader rules; partition/clean.go).
// A reader holding an old segment keeps its files until it releases it.
//
// # Errors
//
// A batch that fails its checks (frame, magic, CRC, records) ends the
// pass with ErrUncleanable: the cleaned segment is deleted, the log stays
// as it was and serves every record, and the manager marks the partition
// uncleanable (logged, counted in Stats) and goes on with the others. A
// pass whose segments retention deleted meanwhile, or that Remove or
// Close interrupted, is abandoned without harm.
//
// # Manager, threads and locks
//
// Options.Threads goroutines each own a Cleaner (its offset map and
// buffers are allocated when the thread starts). A thread takes the
// registered log with the highest dirty ratio among those due (ratio above
// min.cleanable.dirty.ratio, or a dirty segment older than
// max.compaction.lag.ms, with bytes to clean), marks it busy, cleans it
// without any manager lock, then checkpoints. It looks for work after each
// pass, when a registered log rolls a segment (Wake: Add hooks the log's
// OnRoll, so a roll, the only event that changes a dirty ratio, wakes a
// thread at once), and every log.cleaner.backoff.ms (for lags passing).
// Manager.mu guards the registry, the checkpoints (written under it) and
// the per-log figures; it is never held during a pass. Remove marks the
// entry removed (the pass stops at its next batch) and waits for the pass.
// The throttle (log.cleaner.io.max.bytes.per.second) is shared by all
// threads and counts reads and writes, as Kafka's Throttler does.
//
// # Measured
//
// BenchmarkClean, one pass over a 64 MiB dirty log of 1 KiB records with
// 10 % live keys (16 records a batch, uncompressed) on ext4, on the
// development machine (2 vCPU, other work running: medians of 7-iteration
// runs, each figure moving by half between runs):
//
//	cleaner                       700-1,100 MB/s of dirty log
//	copy floor                    ~1,200 MB/s  (read the files, write as many bytes, fsync)
//	minimum floor                 ~7,000 MB/s  (read the files, write what the pass wrote, fsync)
//	ratio to the copy floor       0.5-0.85 (median ~0.8)
//	ratio to the minimum floor    ~0.12 (a pass reads the log twice, hashes every key twice,
//	                              checks every CRC once)
//	peak heap during a pass       < 0.2 MiB above the heap before it, plus the offset map
//	                              (allocated once per thread: 32 MiB in the benchmark)
//
// The offset map's random accesses (one per record mapped and one per
// record copied, in a table of tens of MiB) and the two walks of the
// mapping are most of the CPU. Reproduce:
//
//	go test -run '^$' -bench Clean -benchtime 7x ./compact/
//
// Each pass is logged at Info: partition, first dirty and end offsets,
// bytes read, written and saved, records, keys, segments, duration, and
// the dirty ratio before and after. Manager.Stats is the figures behind
// the metrics (strata_cleaner_*) and the console: counters, each thread's
// last pass (Kafka's LogCleaner gauges aggregate those), the dirtiest
// ratio and each log directory's last pass (LogCleanerManager), and per
// partition its dirty ratio, checkpoint, last pass, bytes saved and, when
// uncleanable, the bytes it would clean (assessed at the call).
package compact
