package main

import (
	"testing"
)

// TestConsoleConsumerOffsetOutOfRange: --offset past the log end. The
// console consumer's auto.offset.reset is latest unless --from-beginning
// or --consumer-property says otherwise, so Kafka's consumer, told
// OFFSET_OUT_OF_RANGE, starts at the end and prints nothing; with
// auto.offset.reset=earliest it starts at the log start.
func TestConsoleConsumerOffsetOutOfRange(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg target) {
		if r := tool(t, "", "topics", "--bootstrap-server", tg.addr, "--create", "--topic", "short", "--partitions", "1"); r.code != exitOK {
			t.Fatalf("create: %s", r.stderr)
		}
		produce(t, tg.addr, "short", 0, [3]string{"a", "", ""}, [3]string{"b", "", ""}, [3]string{"c", "", ""})
		r := tool(t, "", "console-consumer", "--bootstrap-server", tg.addr, "--topic", "short", "--partition", "0", "--offset", "100", "--timeout-ms", "1000")
		if r.code != exitOK || r.stdout != "" || r.stderr != "Processed a total of 0 messages\n" {
			t.Errorf("--offset 100: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
		r = tool(t, "", "console-consumer", "--bootstrap-server", tg.addr, "--topic", "short", "--partition", "0", "--offset", "100",
			"--consumer-property", "auto.offset.reset=earliest", "--max-messages", "3", "--timeout-ms", "5000")
		if r.code != exitOK || r.stdout != "a\nb\nc\n" || r.stderr != "Processed a total of 3 messages\n" {
			t.Errorf("--offset 100 with auto.offset.reset=earliest: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
		r = tool(t, "", "console-consumer", "--bootstrap-server", tg.addr, "--topic", "short", "--partition", "0", "--offset", "1", "--max-messages", "2", "--timeout-ms", "5000")
		if r.code != exitOK || r.stdout != "b\nc\n" {
			t.Errorf("--offset 1: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
	})
}
