// Package quota owns client quotas and throttling, as Kafka's
// ClientQuotaManager, ClientRequestQuotaManager and
// ControllerMutationQuotaManager do them (KIP-13, KIP-55, KIP-124, KIP-219,
// KIP-546, KIP-599, KIP-612).
//
// Entities are Kafka's: a user, a client id, a user with a client id, their
// defaults (the name "<default>", Kafka's ConfigEntityName.DEFAULT), and an
// IP (connection_creation_rate only). Configs: producer_byte_rate,
// consumer_byte_rate (LONG), request_percentage, controller_mutation_rate
// (DOUBLE), connection_creation_rate (INT).
//
// Store holds the configured quotas, durable as quotas.json in the first log
// directory, replaced atomically (temp, fsync, rename, fsync dir through
// internal/vfs) before a change is in force:
//
//	{"version": 1, "entities": [{"user": "alice", "client-id": "<default>",
//	  "quotas": {"producer_byte_rate": 1048576}}]}
//
// Resolution follows Kafka's default quota callback, first match wins:
// user+client, user+<default> client, user, <default> user+client,
// <default> user+<default> client, <default> user, client, <default> client.
// The matched entity names the sensor: connections that resolve to the same
// entity share one rate (a user quota is shared by all of the user's
// clients).
//
// Rate is Kafka's Rate over a SampledStat: quota.window.num (11) samples of
// quota.window.size.seconds (1 s), one extra overlapping sample, samples
// purged when their last event is older than the whole window, and the
// elapsed time padded to at least samples-1 full windows. A record that
// takes the rate over the bound is kept, and the throttle time is
// round((rate-bound)/bound * windowSize), QuotaUtils.throttleTime.
//
// Locking: Store has a mutex for alters and publishes an immutable snapshot
// (atomic pointer) with a generation; each sensor has its own mutex. A
// connection caches its resolution (Handle) and re-resolves only when the
// generation or its client id changes, so the hot path is an atomic load,
// a comparison and the sensor's record.
package quota
