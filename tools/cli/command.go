package cli

import "fmt"

// Command is one tool: its name (Kafka's script name without kafka- and
// .sh), a one-line summary for --help, and its entry point, which returns
// the exit code.
type Command struct {
	Name    string
	Summary string
	Run     func(args []string, e *Env) int
}

// Dispatcher returns a function that runs the command named by args[0]
// among cmds, with args[1:]: what cmd/strata does, for tests of one or a
// few families.
func Dispatcher(cmds ...[]Command) func(args []string, e *Env) int {
	return func(args []string, e *Env) int {
		e.Init()
		if len(args) == 0 {
			fmt.Fprintln(e.Stderr, "strata: no command given")
			return ExitUsage
		}
		for _, list := range cmds {
			for _, c := range list {
				if c.Name == args[0] {
					return c.Run(args[1:], e)
				}
			}
		}
		fmt.Fprintf(e.Stderr, "strata: unknown command %q (run strata --help)\n", args[0])
		return ExitUsage
	}
}
