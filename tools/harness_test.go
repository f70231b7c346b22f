package tools

import (
	"strings"
	"testing"

	"github.com/stratabroker/strata/tools/cli"
	"github.com/stratabroker/strata/tools/tooltest"
)

// dispatch runs any tool, as cmd/strata does.
var dispatch tooltest.Dispatch = cli.Dispatcher(Commands())

// tool runs strata with args (no --bootstrap-server added) and stdin.
func tool(t *testing.T, stdin string, args ...string) tooltest.Result {
	t.Helper()
	return tooltest.Run(t, dispatch, &cli.Env{Stdin: strings.NewReader(stdin)}, args...)
}

// toolEnv runs strata with args in e.
func toolEnv(t *testing.T, e *cli.Env, args ...string) tooltest.Result {
	t.Helper()
	return tooltest.Run(t, dispatch, e, args...)
}

// newTranscript starts a golden transcript of tools run against tg.
func newTranscript(t *testing.T, tg tooltest.Target) *tooltest.Transcript {
	return tooltest.NewTranscript(t, tg, dispatch)
}
