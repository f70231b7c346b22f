// Package topic is the registry of topics: their names, topic IDs,
// partition counts and config overrides, and the partition logs of each.
//
// # Files
//
// Every entry of log.dirs is a log directory (Open's dir, then
// Options.ExtraDirs). Each partition's log lives in one of them, in a
// directory named as Kafka names it, "<topic>-<partition>" (DirName): a
// new partition goes to the log directory holding the fewest partitions
// (the first of those tied), as Kafka's LogManager places them, and Open
// finds an existing one in whichever holds it (two holding the same
// partition is an error: ErrStorage). The registry itself is topics.json,
// in the first log directory only (Kafka's metadata.log.dir default):
//
//	{"version": 1, "topics": [{"name": "orders", "id": "<22-char base64 UUID>",
//	  "partitions": 3, "configs": {"retention.ms": "86400000"}}]}
//
// topics.json is replaced atomically: written to topics.json.tmp, fsynced,
// renamed over topics.json, and the directory fsynced.
//
// In every log directory, as in Kafka's, the registry keeps the state of
// the logs there in three files (written the same way), so that neither a
// clean shutdown nor a start writes or reads a file per partition:
//
//	recovery-point-offset-checkpoint   each log's recovery point
//	log-start-offset-checkpoint        each log's log start offset
//	.strata_cleanshutdown              every log was closed cleanly
//
// The two checkpoints have Kafka's text format (CheckpointFile): a version
// line "0", a count line, then "<topic> <partition> <offset>" lines. They
// are written at Open (once every log is open), every
// RecoveryPointCheckpointInterval and LogStartCheckpointInterval (Kafka's
// log.flush.offset.checkpoint.interval.ms and
// log.flush.start.offset.checkpoint.interval.ms, one minute), after a
// Delete (so that a topic created again with the name never inherits them),
// at every DeleteRecords (log-start only; concurrent ones share a write),
// and at Close. The marker is named for Strata rather than Kafka's
// .kafka_cleanshutdown: Strata's producer snapshots are not Kafka's, so a
// Kafka broker pointed at the directory must not take it as its own clean
// shutdown (it then recovers every log itself). Open removes it once every
// log is open.
//
// Close makes a log directory durable with one vfs.FS.SyncFS (one
// syncfs(2)) instead of an fsync per file: it closes every log with
// partition.Log.CloseUnsynced (which seals and fsyncs nothing, and
// reopens no segment the file budget evicted), one per CPU at a time (at
// least RecoveryThreads), then syncs each log directory once, and only
// if that succeeded writes its two checkpoints (the recovery points are
// then the log end offsets) and, if every log there closed cleanly, the
// marker, last. A directory whose SyncFS fails keeps its older
// checkpoint files and gets no marker (Close returns the error): the next
// Open recovers its logs from their older recovery points. A crash
// before the SyncFS leaves the same. Each log is opened
// with its recovery point, log start offset and whether the marker was
// there (partition.State): after a clean shutdown it scans nothing;
// otherwise it recovers from its recovery point. A partition neither file
// names (a directory written before these files, whose logs then read their
// own partition.checkpoint and marker once; or a partition created since
// the last checkpoint) recovers from its start. Open opens
// Options.RecoveryThreads logs at a time (num.recovery.threads.per.data.dir,
// 2). A clean Close of 5,000 partitions with unflushed data costs six
// fsyncs and one syncfs per log directory (BenchmarkCloseOpen).
//
// # Crash safety
//
// topics.json is the commit point of every change. Create and AddPartitions
// make the new partition directories first (removing anything left at their
// paths), then write topics.json; if either step fails, the directories
// made so far are removed, so a refused request leaves the log
// directories as they were (the error wraps partition.ErrStorage:
// KAFKA_STORAGE_ERROR). Delete writes topics.json first, then closes the
// logs and removes their directories. So a crash leaves, at
// worst, partition directories that belong to no topic in topics.json, and
// Open removes those (directory names that are not "<valid topic>-<n>"
// are left alone). Strata does not rename deleted directories to
// "<dir>.<id>-delete" first as Kafka does: removal happens before Delete
// returns, and leftovers are recognised by topics.json.
//
// A missing topics.json beside partition directories, or one that does not
// parse, is not taken to mean "no topics": Open rebuilds the registry from
// the directory names (topic IDs regenerated, config overrides lost, both
// logged; a corrupt file is kept as topics.json.corrupt).
//
// # Concurrency
//
// Readers (Get, GetByID, List, Partition) load an immutable snapshot from
// an atomic pointer: no lock, no allocation, never blocked by a change.
// Changes are serialised by one mutex held across their file I/O, and each
// publishes a new snapshot after topics.json is written. A *Topic is never
// modified once published.
//
// The log cleaner (cleaner.go): with Options.Cleaner the registry runs a
// compact.Manager over every partition of a compacted topic
// (Options.Compaction), adding and removing partitions as topics are
// opened, created, grown, reconfigured, deleted and closed; the manager
// wakes on a partition's roll. Close stops it before the logs close.
//
// One background goroutine applies retention to every log every
// Options.RetentionCheckInterval (Kafka's log.retention.check.interval.ms;
// zero: never) and writes the checkpoint files at their intervals, until
// Close.
//
// # Names
//
// ValidateName and Collides are Kafka's Topic.validate and hasCollision:
// at most 249 characters of [a-zA-Z0-9._-], not "." or "..", and two names
// that differ only in '.' against '_' cannot both exist.
package topic
