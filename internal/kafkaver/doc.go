// Package kafkaver is Kafka 4.1's own knowledge of feature versions, as
// server-common's MetadataVersion, Feature and FeatureVersion enums hold
// it, and the levels of each feature Strata supports. The broker
// (server/: UpdateFeatures' checks, ApiVersions' supported features) and
// the tools (tools/cluster's features, tools/storage's format,
// version-mapping and feature-dependencies) read this one table.
//
// MetadataVersions are the metadata.version levels 7 (3.3-IV3,
// MINIMUM_VERSION) to 29 (4.2-IV1): 27 (4.1-IV1) is LATEST_PRODUCTION,
// 28 and 29 are the unstable levels Kafka 4.1 already names (share.version
// and streams.version bootstrap at them). Each level has its release and
// IV name and whether it changed the metadata (didMetadataChange: a
// downgrade across such a level may lose information).
//
// Features are Feature.PRODUCTION_FEATURES in Kafka's order, each with its
// levels (the metadata.version a new cluster gets a level from by default,
// the level's dependencies) and its latest production level.
//
// Supported is what this build of Strata can run: metadata.version 7 to
// 27 (a single node has no metadata log or inter-broker protocol, which is
// all a metadata.version governs), every other feature at level 0 only,
// since level 1 of each means something Strata has not built (KIP-890
// transactions, the KIP-848 protocol, KIP-932 share groups, KIP-966,
// KIP-853, KIP-1071). The broker refuses to start on a log dir that
// finalizes more, and `strata storage format` caps Kafka's defaults here.
//
// The tables are read-only after init; no locks.
package kafkaver
