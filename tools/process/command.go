package process

import (
	"fmt"
	"io"

	"github.com/stratabroker/strata/tools/cli"
)

// Commands are the process tools: server-stop (kafka-server-stop.sh).
var Commands = []cli.Command{
	{Name: "server-stop", Summary: "stop the brokers this binary runs on this machine (kafka-server-stop.sh)",
		Run: func(args []string, e *cli.Env) int { return RunServerStop(args, e.Environ, e.Stdout, e.Stderr) }},
}

// RunServerStop is `strata server-stop` (kafka-server-stop.sh): args are
// its flags, environ the environment (SIGNAL); it returns the exit code.
func RunServerStop(args, environ []string, stdout, stderr io.Writer) int {
	s, err := newStopper()
	if err != nil {
		fmt.Fprintf(stderr, "strata server-stop: cannot find this executable: %v\n", err)
		return cli.ExitError
	}
	return runServerStop(s, args, environ, stdout, stderr)
}
