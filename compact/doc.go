// Package compact is Kafka's log cleaner (LogCleaner, LogCleanerManager,
// Cleaner, SkimpyOffsetMap) for Strata's partition logs.
//
// Work in progress: the API is fixed, the implementation follows.
package compact
