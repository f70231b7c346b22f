package process

import (
	"fmt"
	"io"
)

// ServerStopSummary is server-stop's line in strata --help.
const ServerStopSummary = "stop the brokers this binary runs on this machine (kafka-server-stop.sh)"

// RunServerStop is `strata server-stop` (kafka-server-stop.sh): args are
// its flags, environ the environment (SIGNAL); it returns the exit code.
func RunServerStop(args, environ []string, stdout, stderr io.Writer) int {
	s, err := newStopper()
	if err != nil {
		fmt.Fprintf(stderr, "strata server-stop: cannot find this executable: %v\n", err)
		return 1
	}
	return runServerStop(s, args, environ, stdout, stderr)
}
