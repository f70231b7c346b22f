// Package reliability holds the broker's reliability suite: tests that build
// the real strata binary, run it as a child process and attack it with
// kill -9, torn and flipped bytes in its files, a full disk, stuck
// consumers, connection storms and a long soak, then check that nothing
// acknowledged was lost. The package has no API; docs/RELIABILITY.md holds
// what was run and the figures.
//
// go test runs the short form (CI). STRATA_RELIABILITY_FULL=1 runs the long
// counts (20 kill -9 rounds, more torn-write rounds); STRATA_SOAK=1 runs the
// soak (STRATA_SOAK_DURATION, default 10m).
package reliability
