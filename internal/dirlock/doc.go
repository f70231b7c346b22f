// Package dirlock gives a process exclusive ownership of a log directory,
// as Kafka's FileLock on <dir>/.lock does: an flock(2) exclusive lock on the
// file .lock in the directory, held until Unlock or the end of the process.
// The kernel drops an flock when its descriptor is closed, so a process
// killed with SIGKILL never leaves a stale lock behind: the next owner takes
// it at once.
//
// The holder writes its pid into .lock after locking it, so that the
// refusal another process gets can name the holder (Kafka's message names
// only the file). The pid is information, not the lock: a .lock that holds
// a pid but has no flock on it is free.
//
// Locks are per open file description, so a second Lock of the same
// directory from the same process is refused as well: two owners in one
// process (a restart that starts before the old server closed) are the
// same hazard as two processes.
package dirlock
