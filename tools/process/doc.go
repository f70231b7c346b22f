// Package process is `strata server-stop`, Kafka's kafka-server-stop.sh:
// it finds the brokers this binary runs on this machine and stops them
// gracefully.
//
// # Finding the brokers
//
// Kafka's script greps `ps ax` for java processes running kafka.Kafka.
// Strata does it exactly instead of by name, from /proc (Linux only; on
// other systems the command fails with a clear error):
//
//  1. every process whose /proc/<pid>/exe is the same file as this
//     binary's (os.Executable, compared with os.SameFile), or is that path
//     marked " (deleted)" by the kernel: a broker started before the binary
//     was rebuilt at the same path;
//  2. among their open descriptors (/proc/<pid>/fd), each <dir>/.lock, the
//     file a broker holds flock'd on each log dir (internal/dirlock);
//  3. a dir counts when <dir>/strata.pid (server.PIDFile: the decimal pid
//     and a newline) names that same pid. A process of this binary without
//     such a dir is not a broker (a tool, or dump-log --repair, which takes
//     the lock but writes no pid file) and is left alone; a stale pid file
//     (its process gone, or its pid reused by another process) is never a
//     match, because the process must also hold the dir's .lock open.
//
// The broker's node.id is read from its first log dir's meta.properties;
// its process.roles from the same file when it holds that key, else it is
// "broker,controller": a Strata node is one combined broker and controller
// until the cluster issue brings separate roles.
//
// # Filters and stopping
//
// --node-id N and --process-role ROLES select brokers as Kafka 3.7+'s
// script does (when both are given node-id wins, with Kafka's notice).
// Kafka compares process.roles with the given value as one string; Strata
// compares them as sets of roles, so "controller,broker" also matches a
// combined node, and "broker" alone does not (as in Kafka).
//
// Each selected broker gets the signal named by SIGNAL in the environment
// (TERM by default, as Kafka's script), then server-stop waits, at most
// --timeout ms (60000) in all, for each to exit, polling /proc; a process
// that is a zombie (exited, not yet reaped by its parent) has exited. It
// prints one line per broker stopped:
//
//	Stopped broker pid 4242 (node.id 1, log.dirs data)
//
// and, when the broker exited but left its strata.pid behind (it did not
// run its clean shutdown, e.g. after SIGKILL or a second signal), says so.
// When no broker is found, or none passes the filters, it prints Kafka's
// line "No kafka server to stop" and exits 1 (Kafka's script exits 0
// silently when brokers run but none passes the filters).
//
// The package speaks to no broker and imports none of the broker's
// packages: the file names it reads (.lock, strata.pid, meta.properties)
// are the on-disk contract with server/ and internal/dirlock.
package process
