package tools

import (
	"testing"

	"github.com/stratabroker/strata/tools/cli"
	"github.com/stratabroker/strata/tools/tooltest"
)

// TestConsoleConsumerOffsetOutOfRange: --offset past the log end. The
// console consumer's auto.offset.reset is latest unless --from-beginning
// or --consumer-property says otherwise, so Kafka's consumer, told
// OFFSET_OUT_OF_RANGE, starts at the end and prints nothing; with
// auto.offset.reset=earliest it starts at the log start.
func TestConsoleConsumerOffsetOutOfRange(t *testing.T) {
	tooltest.EachTarget(t, func(t *testing.T, tg tooltest.Target) {
		if r := tool(t, "", "topics", "--bootstrap-server", tg.Addr, "--create", "--topic", "short", "--partitions", "1"); r.Code != cli.ExitOK {
			t.Fatalf("create: %s", r.Stderr)
		}
		tooltest.Produce(t, tg.Addr, "short", 0, [3]string{"a", "", ""}, [3]string{"b", "", ""}, [3]string{"c", "", ""})
		r := tool(t, "", "console-consumer", "--bootstrap-server", tg.Addr, "--topic", "short", "--partition", "0", "--offset", "100", "--timeout-ms", "1000")
		if r.Code != cli.ExitOK || r.Stdout != "" || r.Stderr != "Processed a total of 0 messages\n" {
			t.Errorf("--offset 100: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
		}
		r = tool(t, "", "console-consumer", "--bootstrap-server", tg.Addr, "--topic", "short", "--partition", "0", "--offset", "100",
			"--consumer-property", "auto.offset.reset=earliest", "--max-messages", "3", "--timeout-ms", "5000")
		if r.Code != cli.ExitOK || r.Stdout != "a\nb\nc\n" || r.Stderr != "Processed a total of 3 messages\n" {
			t.Errorf("--offset 100 with auto.offset.reset=earliest: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
		}
		r = tool(t, "", "console-consumer", "--bootstrap-server", tg.Addr, "--topic", "short", "--partition", "0", "--offset", "1", "--max-messages", "2", "--timeout-ms", "5000")
		if r.Code != cli.ExitOK || r.Stdout != "b\nc\n" {
			t.Errorf("--offset 1: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
		}
	})
}
