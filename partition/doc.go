// Package partition is the log of one partition: Kafka's UnifiedLog and
// LocalLog for a single node, over the segment package.
//
// # Files
//
// A partition directory holds:
//
//	<base>.log, <base>.index, <base>.timeindex   one segment per base offset (package segment)
//	<base>.txnindex                              its aborted transactions, if any (Kafka's
//	                                             TransactionIndex; package index)
//	<offset>.snapshot                            producer state after every batch below offset
//	partition.checkpoint                         log start offset and recovery point (not Managed)
//	.strata_cleanshutdown                        the clean-shutdown marker, with the log end offset
//	                                             (not Managed)
//	*.tmp, *.deleted                             a state file being replaced, a deleted segment's
//	                                             files awaiting removal; Open removes both
//	<base>.{log,...,txnindex}.cleaned            the log cleaner's segment being written
//	<base>.{log,...,txnindex}.swap               a cleaned segment being swapped in; Open
//	                                             finishes or discards the swap (below)
//
// A Managed log (Options.Managed: every log the topic registry opens) has
// no partition.checkpoint or marker of its own: its owner keeps every
// log's recovery point and log start offset in two files per log
// directory and one clean-shutdown marker there (package topic), reads
// them once at start and hands each log its State, so that after a clean
// shutdown Open reads only the directory listing. A Managed log given no State reads its own two files if the
// listing shows them (a directory written before Managed existed) and
// removes them once it is given a State.
//
// State files are written atomically (temporary file, fsync, rename, fsync
// of the directory; CloseUnsynced leaves out both fsyncs, see Durability)
// and carry a magic, a version and a CRC-32C; one that does not check is
// ignored. Their layouts are in checkpoint.go and
// producer.go. A snapshot is written at every roll (at the new segment's
// base) and at Close (at the log end offset) if the producer state or the
// log end moved since the last one, unless the state was never read since
// Open (only plain batches were appended and nothing rolled: the next Open
// replays them after the same snapshot) or the log has no producer and
// neither has its newest snapshot (or it has none); the newest two are
// kept. A snapshot
// larger than maxSnapshotBytes (256 MiB) is ignored like a malformed one
// (producer state is rebuilt from the log), and a log keeps at most the
// producers such a snapshot holds (about 1.5 million): past that, those
// whose last batch is oldest are forgotten at the next snapshot, as
// producer.id.expiration.ms would.
//
// # Segments and readers
//
// The segments are held in an immutable view (segments, log start offset,
// high watermark and its byte position) published through an atomic
// pointer: Read, ListOffset and the offset getters never take the append
// lock. Read acquires a reference on each segment it returns, so retention
// may delete a segment under a reader: its files go with the last Release.
//
// A segment rolls, before an append, when (Kafka's LogSegment.shouldRoll)
// its size plus the batch would pass segment.bytes; segment.ms has passed
// since its first batch's max timestamp, measured with the incoming batch's
// max timestamp (since its creation if it has no timestamps); an index is
// full; or the batch's last offset does not fit a 4-byte relative offset.
// Retention (ApplyRetention) follows UnifiedLog.deleteOldSegments; see its
// comment.
//
// Append checks, before it takes the append lock, every record timestamp
// of a CreateTime topic against message.timestamp.before.max.ms and
// after.max.ms (Kafka's LogValidator.validateTimestamp: the batch header
// bounds no record, so the records of an uncompressed batch are read; a
// compressed one is decompressed for it only when before.max.ms is set,
// and otherwise judged by its MaxTimestamp); see checkTimestamps.
//
// # Compaction
//
// The log cleaner (package compact) reads the inactive segments of a
// CleanerView, writes a cleaned segment (NewCleanedSegment: .cleaned files)
// and puts it in the place of a run of inactive segments with
// ReplaceSegments (clean.go; Kafka's LocalLog.replaceSegments): seal and
// fsync it, rename it .swap (the .log last) and sync the directory, publish
// a view with it in the middle, retire the old segments (renamed .deleted
// at once, removed with their last reference: a Fetch in flight keeps its
// files), sync, drop the .swap suffix (the .log first) and sync. Offsets
// never change: a cleaned log has gaps, and Read, ListOffset and recovery
// take a gap as normal (a read into one returns the next batch). Open
// first follows Kafka's LogLoader: .cleaned files are deleted with every
// .swap file at or above the smallest of them (a swap not wholly renamed:
// the old segments stay); for the remaining .swap logs, the segment files
// whose base lies in [smallest swap base, largest swap next offset) are
// deleted and the .swap files renamed (the swap is finished), and the
// log is then recovered as after a crash. ReplaceSegments holds retainMu
// (retention, DeleteRecords and Close wait) and takes mu only to publish
// the view; it refuses (ErrSwapAborted) segments that are no longer the
// log's. OnRoll registers the callback a roll runs (the cleaner's wake).
//
// # Durability
//
// The flush policy is Kafka's: by default data stays in the page cache and
// is fsynced when a segment is rolled (the sealed segment, by the flusher,
// as Kafka's roll schedules an asynchronous flush) and at Close.
// flush.messages=N asks for an fsync once N messages are unflushed, and an
// Append with waitFlush (acks=all) returns only after it; flush.ms bounds
// how long appended data stays unflushed. One Flusher serves many logs and
// groups the fsyncs of concurrent appends. On a single node acks=all thus
// means "appended, and fsynced if the topic's flush policy says so"; with
// flush.messages=1 no acknowledged batch is lost by a machine crash, and
// with any policy none is lost by a process crash.
//
// The recovery point is the offset below which everything is known
// durable. A standalone log persists it with the log start offset in
// partition.checkpoint after a sealed segment's fsync, after retention or
// DeleteRecords move the log start offset, and at Close. A Managed log
// only raises it in memory after each flush (RecoveryPoint); its owner
// writes it periodically and at Close. After a crash a recovery point older
// than the truth costs only a longer scan, and a log start offset older
// than the truth is at least the first segment's base (what retention
// left), so neither needs a write of its own; a log start offset that
// DeleteRecords moved into the log must survive, so DeleteRecords calls
// Options.PersistLogStart before it returns.
//
// Close fsyncs only what needs it: the rolled segments not yet sealed and
// the active one if it took appends since it was last sealed (or was
// recovered at Open); an idle log's Close writes and fsyncs nothing. A
// standalone log then writes its checkpoint and the marker last; Open
// removes the marker. A Managed log's owner may instead close it with
// CloseUnsynced, which fsyncs nothing at all (no seal, no directory sync,
// snapshots renamed into place unsynced, evicted segments left closed): the
// owner then makes every log of a directory durable with one vfs.FS.SyncFS,
// and only after that succeeded records the logs' RecoveryPoint (their log
// end offsets) and its clean-shutdown marker. A crash before that leaves the
// last recorded recovery points and no marker, so the next Open recovers; a
// snapshot torn by it fails its CRC and is ignored. A segment left evicted
// gets no final time-index entry (its largest timestamp is found again by
// the walk of the batches after its last index entry when it is next
// loaded). After a clean shutdown Open reads nothing but the listing (and a
// standalone log's own checkpoint and marker): segments and indexes open
// lazily, so 1,000 segments open in well under 50 ms, and the producer state
// is read at its first use (an idempotent producer's append, ProducerStates
// or a roll), so a log no idempotent producer writes to never reads its
// snapshot, nor writes one at Close. Otherwise Open recovers every segment
// from the one holding the recovery point (segment.Recover checks every
// batch's frame and CRC, truncates at the first bad one and rebuilds the
// indexes), deletes the segments after the first one that recovery cut
// bytes from and that then ends short of its successor's base (a gap alone
// is a cleaned log's, and kept), and rebuilds producer state from the
// newest snapshot and the batch headers after it.
//
// A write that fails (ENOSPC, EIO) returns an error wrapping ErrStorage and
// the segment is truncated back to the last whole batch, so the log stays
// readable and takes appends again once the fault clears. A failed fsync
// is different: the kernel may have dropped the pages it could not write,
// so the log stops taking appends (ErrStorage) until it is reopened and
// recovered, as Kafka takes the log directory offline; reads go on, and
// Close leaves no clean-shutdown marker.
//
// # Idempotent producers
//
// Kafka's rules (ProducerAppendInfo, ProducerStateEntry) for batches with a
// producer ID: the log keeps each producer's epoch and its last five
// batches; a retried batch matching one of them is reported as a duplicate
// with the original offsets; an older epoch is ErrInvalidProducerEpoch; a
// newer epoch must start at sequence 0; within an epoch sequences must be
// consecutive (wrapping after math.MaxInt32) or ErrOutOfOrderSequence. A
// producer the log does not know may start at any sequence, as in Kafka
// since 2.5 (KIP-360).
//
// # Transactions
//
// txn.go, Kafka's ProducerStateManager and ProducerAppendInfo. A
// transactional batch records its producer's ongoing transaction (the
// offset of its first batch, CurrentTxnStartOffset); a non-transactional
// batch from a producer in a transaction is ErrInvalidTxnState. A marker
// is written only by AppendMarker (Append refuses a client's control
// batch, recordbatch.ErrInvalidRecord): one control batch in Kafka's
// exact format (markerBatch), checked for an older producer epoch
// (ErrInvalidProducerEpoch) and an older coordinator epoch than the
// producer's last marker (ErrTransactionCoordinatorFenced); it ends the
// transaction, and an abort of a transaction with data is appended to the
// .txnindex of the segment the marker lands in, with the LSO it leaves
// (the oldest other ongoing transaction's first offset, else the marker's
// offset + 1).
//
// The last stable offset is the first offset of the oldest ongoing
// transaction, at least the log start offset, else the high watermark
// (one node: the high watermark is the log end). The view carries it with
// the segment and byte position of its batch, found when it changes (an
// append that starts the first ongoing transaction knows it; a marker
// that ends the oldest one, retention moving the log start past it or a
// swap that rewrote its segment look it up), so a read_committed Read
// (ReadIsolated) is the same sendfile slices bounded by that position
// instead of the high watermark's, with ReadResult.Aborted from the
// .txnindex of the segment holding the fetch offset and the later ones
// (Kafka's collectAbortedTransactions: entries with last offset >= the
// fetch offset and first offset < the end of what was read, until an
// entry's LSO reaches that end). After a clean shutdown the producer state
// is read at its first use, so the view's LSO is unknown until then: the
// first read_committed read, LastStableOffset or CleanerView reads it.
//
// Producer snapshots are version 2 (the coordinator epoch and the ongoing
// transaction's first offset per producer); a version 1 snapshot is read
// with neither (nothing could be ongoing then) and the next snapshot is
// version 2. A producer in a transaction is never expired nor trimmed.
// Recovery after a crash resets the .txnindex of every segment it
// recovers and rebuilds it while it replays the log into the producer
// state, from a snapshot at or below the first recovered segment's base
// (Kafka's LogLoader.recoverSegment); the control batches' records are
// read for it. The .txnindex of a segment below the recovery point is
// trusted: it was fsynced with the segment's seal, and the roll before
// the seal had the directory synced.
//
// # Locks
//
// Four per log, always in this order: retainMu (retention, DeleteRecords,
// Close: the log start offset and segment deletion), flushMu (flushes,
// seals, producer snapshots, Close), ckMu (each checkpoint write, which
// reads the values it writes under it) and mu (the append lock: in-memory
// state and the append's write). Append takes only mu, so an fsync in
// progress never blocks appends, and retention does not wait for a flush:
// under a load that rolls segments faster than they are fsynced, a flush
// round seals hundreds of them, and retention that waited for it fell
// behind until the open files ran out (the soak in docs/RELIABILITY.md).
// The Flusher's own mutex is taken with or without mu held and never the
// other way round.
//
// Options.PersistLogStart is called with ckMu held (and retainMu by
// DeleteRecords, or flushMu by a flush retrying it), never with mu.
//
// # Long polls
//
// Wait takes no lock. The append signal is a channel behind an atomic
// value and a "waited" flag: Wait loads the channel, then sets the flag;
// an append, after publishing its offsets, replaces and closes the channel
// only if the flag is set, so an append with no waiter pays one atomic
// load and a waiter registered before an append is always woken by it (or
// sees its offsets when it checks for data). Close closes the channel for
// good.
//
// Retention reads segment sizes and timestamps from the view without mu:
// the first pass after a clean start loads lazily opened segments (and may
// recover one) while appends go on; it takes mu only to publish the new
// view (rolling the active segment first when every segment goes).
package partition
