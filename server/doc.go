// Package server serves the Kafka wire protocol over Strata's storage.
//
// One Server owns the data directory's topic registry and one TCP listener
// per broker listener of the configuration (PLAINTEXT, SSL, SASL_PLAINTEXT,
// SASL_SSL; tls.go runs the TLS handshake on the connection's goroutine and
// sets the principal from a client certificate). A connection knows its
// listener name, security protocol and principal (conn.go). On a
// SASL_PLAINTEXT or SASL_SSL listener, sasl.go gates every request until
// the connection authenticates (KIP-152: only ApiVersions and SaslHandshake
// before; raw tokens after SaslHandshake v0, SaslAuthenticate after v1;
// frames bounded by sasl.server.max.receive.size), sets the principal
// User:<name>, answers a failure after connection.failed.authentication.delay.ms
// through the write goroutine and closes, and closes a session past its
// lifetime at its next request unless it re-authenticates (KIP-368); the
// mechanisms and SCRAM credentials are package auth's
// (scram_credentials.go serves Describe/AlterUserScramCredentials). Each
// connection has one read goroutine and one write goroutine:
//
//	read:  frame size (checked against socket.request.max.bytes before any
//	       allocation) → its bytes reserved from queued.max.request.bytes
//	       (queue.go) → pooled buffer, frame read → a queued.max.requests
//	       slot → request header → kmsg decode → handler (runs here, so
//	       requests on a connection are served one at a time, as Kafka
//	       does) → slot and bytes given back → reply queued
//	write: replies written in request order; a Fetch reply writes its
//	       framing by hand and sends record bytes from the segment file with
//	       sendfile (fetch_write.go); inline and copied replies take their
//	       buffers from the fetch memory budget (budget.go)
//
// Each reply's write must finish within connections.max.idle.ms (600 s)
// of its start (conn.armWrite); else the write fails, the connection is
// closed and every reply still queued on it is released with its segment
// references. While the reply queue is full the read side's idle timer
// stays armed too (conn.queue). The bound is connections.max.idle.ms and
// not request.timeout.ms because it is what Kafka applies to the same
// client: its selector counts a connection whose pending send makes no
// progress as idle and closes it after connections.max.idle.ms, while
// request.timeout.ms is a client setting (the broker's own is for its
// requests to other brokers); a consumer's request.timeout.ms (30 s)
// would also cut off slow but live readers of large fetches. Without the
// bound a client that stops reading parks a sendfile forever, and the
// queued replies pin segments retention has deleted (disk space and
// descriptors).
//
// Metrics: the read loop times each request's phases (Kafka's
// RequestMetrics split: queue, local, remote, response queue, response
// send) and counts requests and answered error codes per API key and
// version in fixed arrays of atomics (stats.go); produce and fetch add
// bytes and records to the topic's topic.Counters. Package metrics reads
// them at scrape time through APIStats, Listeners, GroupStats, LogDirs and
// Registry (stats_state.go); nothing here knows Prometheus.
//
// Produce decompresses records only to rebuild a batch: a legacy message
// set up-converted, or a batch whose codec is not the topic's
// compression.type. That work is bounded per batch (16 x max.message.bytes
// of records) and across the broker by the produce decompression budget
// (produce_compress.go, strata.produce.decompression.memory.max.bytes).
//
// Every API is one entry of the handler table (handlers.go): its version
// range and its function. The same table answers ApiVersions, so what is
// advertised and what is served cannot drift apart. A key or version outside
// the table gets UNSUPPORTED_VERSION and the connection stays usable.
// errors.go is the only place that maps Go errors to Kafka error codes.
//
// The configuration given to Start is the static one and is never changed.
// Dynamic broker configs (dynamic_configs.go), altered through
// IncrementalAlterConfigs and AlterConfigs on the BROKER resource and
// persisted in the data directory's dynamic_configs.json, are merged over it
// into the configuration in force (Server.config, swapped atomically);
// topics resolve their configs over that one, and an alter re-resolves
// every topic's logs.
//
// Finalized features (features.go): the levels of metadata.version and the
// other KIP-584 features, changed by UpdateFeatures and reported by
// ApiVersions v3+, live in the first log dir's finalized_features.json
// (temp, fsync, rename, fsync dir) until the cluster's metadata log holds
// them as FeatureLevelRecords.
//
// Files are named after the API they serve (produce.go, fetch.go, ...), and
// each opens with a comment on its versions.
package server
