// Package server serves the Kafka wire protocol over Strata's storage.
//
// One Server owns the data directory's topic registry and one TCP listener
// per PLAINTEXT listener of the configuration. Each connection has one read
// goroutine and one write goroutine:
//
//	read:  frame size (checked against socket.request.max.bytes before any
//	       allocation) → a queued.max.requests slot (queue.go) → pooled
//	       buffer → request header → kmsg decode → handler (runs here, so
//	       requests on a connection are served one at a time, as Kafka
//	       does) → slot given back → reply queued
//	write: replies written in request order; a Fetch reply writes its
//	       framing by hand and sends record bytes from the segment file with
//	       sendfile (fetch_write.go); inline and copied replies take their
//	       buffers from the fetch memory budget (budget.go)
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
// Files are named after the API they serve (produce.go, fetch.go, ...), and
// each opens with a comment on its versions.
package server
