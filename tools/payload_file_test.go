package tools

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stratabroker/strata/tools/cli"
	"github.com/stratabroker/strata/tools/tooltest"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestProducerPerfPayloadFile: --payload-file sends payloads picked from
// the file (split at --payload-delimiter), and --record-size and
// --payload-file exclude each other, as in Kafka's tool.
func TestProducerPerfPayloadFile(t *testing.T) {
	tg := tooltest.StartStrata(t)
	b := []string{"--bootstrap-server", tg.Addr}
	file := filepath.Join(t.TempDir(), "payloads")
	if err := os.WriteFile(file, []byte("alpha|beta||gamma|"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := tool(t, "", append([]string{"producer-perf-test", "--topic", "pf", "--num-records", "300", "--payload-file", file,
		"--payload-delimiter", "|", "--throughput", "-1", "--producer-props", "acks=1"}, b...)...)
	if r.Code != cli.ExitOK {
		t.Fatalf("producer-perf-test: exit %d: %s", r.Code, r.Stderr)
	}
	if want := "Reading payloads from: " + file + "\nNumber of messages read: 4\n"; !strings.HasPrefix(r.Stderr, want) {
		t.Fatalf("stderr %q, want it to start with %q", r.Stderr, want)
	}
	cl := tooltest.Client(t, tg.Addr, kgo.ConsumeTopics("pf"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	seen := map[string]int{}
	for n := 0; n < 300; {
		fs := cl.PollFetches(tooltest.Ctx(t))
		if err := fs.Err0(); err != nil {
			t.Fatal(err)
		}
		fs.EachRecord(func(rec *kgo.Record) { seen[string(rec.Value)]++; n++ })
	}
	if len(seen) != 4 || seen["alpha"] == 0 || seen["beta"] == 0 || seen["gamma"] == 0 || seen[""] == 0 {
		t.Fatalf("payloads seen %v, want alpha, beta, gamma and the empty payload between two delimiters (the trailing one is dropped, as Java split does)", seen)
	}
	r = tool(t, "", append([]string{"producer-perf-test", "--topic", "pf", "--num-records", "1", "--payload-file", file,
		"--record-size", "10", "--throughput", "-1"}, b...)...)
	if r.Code != cli.ExitUsage || !strings.Contains(r.Stderr, "either --record-size or --payload-file") {
		t.Fatalf("both flags: exit %d, stderr %q", r.Code, r.Stderr)
	}
}
