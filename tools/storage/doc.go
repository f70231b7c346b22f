// Package storage is kafka-storage.sh: `strata storage` with Kafka 4.1's
// subcommands, flags, messages and output (core/.../kafka/tools/StorageTool.scala
// and metadata/.../storage/Formatter.java of 4.1):
//
//   - random-uuid prints a random Uuid (base64url, 22 characters).
//   - format --config F --cluster-id ID writes meta.properties (through
//     internal/metaprops) into every directory of log.dirs (or log.dir) and
//     metadata.log.dir, with node.id of the configuration, and prints
//     "Formatting <kind> directory <dir> with metadata.version <v>." per
//     directory in the order Kafka's HashMap gives (internal/javahash). A
//     formatted directory is refused unless --ignore-formatted; one of
//     another cluster or node is always refused (MetaPropertiesEnsemble's
//     messages). Nothing is written before every check has passed.
//   - info --config F prints the directories, the first one's metadata and
//     the problems (exit 1 when there are any).
//   - version-mapping [--release-version V] and feature-dependencies
//     --feature f=v print Kafka's lines for the features Strata has.
//
// # Features
//
// The feature tables are Kafka 4.1's, from internal/kafkaver (MetadataVersion
// 3.3-IV3..4.2-IV1, latest production 4.1-IV1; Feature.PRODUCTION_FEATURES),
// and so are the levels Strata supports. The tool prints,
// accepts and records only the features Strata has: metadata.version,
// transaction.version, group.version and share.version (strataFeatures);
// kraft.version, eligible.leader.replicas.version and streams.version are
// answered as Kafka answers a feature it does not know. format records the
// chosen levels in strata.bootstrap.properties in each directory it formats
// (metaprops.BootstrapFile: Strata's own stand-in for Kafka's binary
// bootstrap.checkpoint), for the broker to finalize at its first start.
//
// # Quorum options
//
// --standalone, --initial-controllers and --no-initial-controllers are
// checked as Kafka checks them (process.roles, controller.quorum.voters,
// the controller listener), and the metadata directory is described and
// given its directory.id as Kafka does (a voter's directory takes the
// directory id of its --initial-controllers entry). Kafka also writes a
// KRaft bootstrap snapshot, __cluster_metadata-0/00000000000000000000-0000000000.checkpoint,
// holding the voter set; Strata has no metadata quorum, and its broker would
// take that directory for a partition, so the voters are recorded in
// strata.bootstrap.properties (initial.controllers) instead. The cluster
// work will turn them into the quorum's first voter set.
//
// --add-scram parses as Kafka's ScramParser and writes the credentials
// (internal/scramcred) into each formatted dir; the broker reads the first
// log dir's at start.
//
// # Departures
//
// Strata has no ZooKeeper mode, so a configuration without process.roles
// is a combined node's (broker,controller), which is what the broker runs
// (Kafka 4.1 requires process.roles), and node.id defaults to
// 1 and log.dir to ./data, the broker's defaults. As in Kafka 4.1 the
// cluster id is any string: 4.1's format no longer checks that it is a
// Uuid. Command-line errors are one line and exit 2 (Kafka's argparse
// prints its usage and exits 1); failures are Kafka's message on one line
// and exit 1, never a stack trace.
//
// The package reads the properties file with internal/props (through
// cli.LoadPropsFile) and the on-disk files through internal/metaprops and
// internal/vfs; it imports no broker package.
package storage
