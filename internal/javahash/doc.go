// Package javahash reproduces two pieces of the JVM that Kafka's output
// depends on: String.hashCode, and the order in which a java.util.HashMap
// or HashSet of strings iterates its keys.
//
// Kafka prints, checks and hashes collections in that order: the
// controller checks UpdateFeatures' updates in a HashMap's order (server/),
// the client-metrics subscription id is the CRC32C of a HashSet's toString
// (telemetry/), and kafka-storage format reports its directories in a
// HashMap's order (tools/storage/).
//
// Iteration order: a HashMap's table starts at 16 buckets and doubles
// when its size passes three quarters of the table (the default load
// factor), so the capacity depends only on the number of keys. A key's
// bucket is its String.hashCode spread (h ^ h>>>16) and masked by the
// capacity; the table is iterated bucket by bucket, and each bucket's
// entries in insertion order (a resize keeps the relative order of the
// entries that land in one bucket). Putting a key again does not move it.
// Java turns a bucket of eight or more colliding keys into a tree once the
// table has 64 buckets; that is not modelled (the few keys these callers
// have never collide so much).
//
// The package holds no state and takes no locks.
package javahash
