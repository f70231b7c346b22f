// Package cluster holds the tools that look at the cluster as a whole, with
// Kafka 4.1's flags and output:
//
//   - broker-api-versions (kafka-broker-api-versions.sh,
//     BrokerApiVersionsCommand): per broker, every API with the versions the
//     broker serves and the newest this client (franz-go's kmsg) can use,
//     the lines of Kafka's NodeApiVersions.toString(true).
//   - features (kafka-features.sh, FeatureCommand): describe, upgrade,
//     downgrade, disable (UpdateFeatures, KIP-584/KIP-778/KIP-1022),
//     version-mapping and feature-dependencies, which read Kafka 4.1's own
//     table of metadata.version levels and feature versions (versions.go),
//     as Kafka's tool reads the one compiled into it.
//   - cluster (kafka-cluster.sh, ClusterTool): cluster-id, list-endpoints
//     (KIP-919's DescribeCluster endpoint types; --include-fenced-brokers)
//     and unregister --id (UnregisterBroker).
//
// Each command with subcommands takes the subcommand as its first word that
// is not a flag's value (features.go: splitSubcommand), and its flags
// before or after it. --bootstrap-controller asks the seeds for controller
// endpoints (DescribeCluster EndpointType 2) before anything else, so a
// broker port answers with Kafka's MISMATCHED_ENDPOINT_TYPE, printed on one
// line. Errors are one line on stderr: exit 2 for a bad command line, 1 for
// a failed operation.
//
// The package speaks only the Kafka protocol (kgo, kmsg) and shares
// tools/cli with the other tool families; it holds no state.
package cluster
