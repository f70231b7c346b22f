// Package topic is the registry of topics: their names, topic IDs,
// partition counts and config overrides, and the partition logs of each.
//
// # Files
//
// In the data directory, each partition's log lives in a directory named as
// Kafka names it, "<topic>-<partition>" (DirName), and the registry itself
// is topics.json:
//
//	{"version": 1, "topics": [{"name": "orders", "id": "<22-char base64 UUID>",
//	  "partitions": 3, "configs": {"retention.ms": "86400000"}}]}
//
// topics.json is replaced atomically: written to topics.json.tmp, fsynced,
// renamed over topics.json, and the directory fsynced.
//
// # Crash safety
//
// topics.json is the commit point of every change. Create and AddPartitions
// make the new partition directories first (removing anything left at their
// paths), then write topics.json; Delete writes topics.json first, then
// closes the logs and removes their directories. So a crash leaves, at
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
// With Options.RetentionCheckInterval set, one goroutine applies retention
// to every log at that interval (Kafka's log.retention.check.interval.ms)
// until Close.
//
// # Names
//
// ValidateName and Collides are Kafka's Topic.validate and hasCollision:
// at most 249 characters of [a-zA-Z0-9._-], not "." or "..", and two names
// that differ only in '.' against '_' cannot both exist.
package topic
