// Package telemetry owns KIP-714 client metrics on the broker side: the
// client-metrics subscriptions (CLIENT_METRICS config resources), the
// client instances that ask for them, and the metrics clients push.
//
// Subscriptions. A subscription is a named set of configs with Kafka's
// names (ClientMetricsConfigs): metrics (metric name prefixes, "*" for
// all), interval.ms (300000 by default, 100 to 3600000) and match
// (selector=regex, the selectors client_instance_id, client_id,
// client_software_name, client_software_version, client_source_address,
// client_source_port; a pattern must match the whole value). Validate
// checks them with Kafka's codes and messages; Manager.Alter replaces one
// subscription's configs, and an empty set deletes it (Kafka's way: every
// config deleted). They persist in the first log dir as
//
//	client_metrics.json: {"version": 1, "subscriptions": {"name": {"interval.ms": "1000", "metrics": "*"}}}
//
// replaced atomically (temp, fsync, rename, fsync dir, internal/vfs)
// before a change is in force, until the cluster's metadata log holds
// them.
//
// Client instances (Kafka's ClientMetricsManager). GetTelemetrySubscriptions
// with the zero id assigns a random (v4) Uuid, as Kafka's Uuid.randomUuid
// does. An instance is evaluated when first seen and again after any change
// of subscriptions: its metrics are the union of the metrics of every
// subscription it matches ("*" alone if any has it), its push interval the
// least of theirs (the default when none matches), and its subscription id
// Kafka's: CRC32C of the text of the Java HashSet of metrics followed by
// the interval, XORed with the Uuid's hashCode (internal/javahash reproduces the
// set's iteration order), so a restart or another broker computes the same
// id. A GetTelemetrySubscriptions sooner than the push interval after the
// last request, and a push sooner than that after the last push (except the
// first push after a GetTelemetrySubscriptions, or a terminating one), is
// THROTTLING_QUOTA_EXCEEDED; a push with another subscription id is
// UNKNOWN_SUBSCRIPTION_ID; a compression type outside 0-4 is
// UNSUPPORTED_COMPRESSION_TYPE; metrics over telemetry.max.bytes are
// TELEMETRY_TOO_LARGE; any push after a terminating one INVALID_REQUEST.
// Instances live in an LRU of 16384 (Kafka's cache size) and are forgotten
// after max(60 s, 3 push intervals) without a request. Unlike Kafka, a
// closed connection does not drop its instance at once.
//
// Pushed metrics. The payload (decompressed with the broker's record
// codecs, given as Options.Decompress) is OTLP MetricsData protobuf,
// decoded with go.opentelemetry.io/proto/otlp. The Store keeps the latest
// state of each series (client instance, metric name, point attributes):
// a gauge's last value, a sum's total and a histogram's or summary's count
// and sum (delta points, which the broker asks for, added up), bounded in
// clients and in series per client, the least recently pushed evicted
// first. Store.Snapshot is what a metrics endpoint reads.
//
// Locking: Manager.mu guards subscriptions and instances; decoding a push
// happens outside it, under the Store's own mutex only while it writes.
package telemetry
