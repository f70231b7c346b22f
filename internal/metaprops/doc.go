// Package metaprops owns meta.properties, the file in each log directory
// that says which cluster and which node the directory belongs to, in
// Kafka 4.1's format (org.apache.kafka.metadata.properties: MetaProperties,
// MetaPropertiesEnsemble, PropertiesUtils), and Strata's bootstrap feature
// file (BootstrapFile). The broker (server/meta.go) and the storage tool
// (tools/storage) both use it; it imports only internal/vfs and
// internal/props (the Java properties parser).
//
// # Byte layout
//
// A java.util.Properties written by Properties.store(Writer, ""):
//
//	#
//	#Tue Dec 08 01:08:05 UTC 2026
//	node.id=1
//	directory.id=ZdAcXJLCTlWzm2SJT7XT-w
//	version=1
//	cluster.id=4L6g3nShT-eMCtK--X86sw
//
// The first line is the empty comment, the second java.util.Date.toString
// of the time of writing, then the entries in the iteration order of the
// Properties' hash table for these keys (checked against a JVM). Version 0
// (ZooKeeper era) names broker.id instead of node.id and may lack
// cluster.id; version 1 requires both. directory.id (KIP-858) is a random
// Uuid per directory, never one of Kafka's 100 reserved ones and never
// starting with '-'. Uuids are 16 bytes in base64url without padding.
//
// Files are replaced atomically: a temporary file, fsync, rename, fsync of
// the directory (internal/vfs.WriteFileAtomic).
//
// # Rules
//
// Ensemble.Verify is MetaPropertiesEnsemble.verify with Kafka's messages:
// one cluster.id and one node id across the dirs (the configured ones
// when given), no reserved or duplicate directory.id. Open adds what a
// broker does at start (KafkaRaftServer.initializeLogDirs): refuse a
// formatted dir without node or cluster id, give each dir a directory.id,
// and, Strata's departure from Kafka, format an unformatted dir instead of
// refusing to start, so a first start needs no format step and a dir added
// to log.dirs joins the node with its own directory.id.
//
// Kafka 4.1 accepts a version 0 file that names broker.id and cluster.id
// (a cluster migrated from ZooKeeper keeps them) and rewrites it with a
// directory.id, still version 0; Open does the same. `storage info` reports
// such dirs as formatted for legacy mode, as Kafka's does.
//
// Nothing here locks: the broker holds the dirs' locks (internal/dirlock)
// before Open, and `storage format` runs on a stopped node as Kafka's does.
package metaprops
