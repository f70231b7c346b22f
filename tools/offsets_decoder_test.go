package tools

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stratabroker/strata/tools/tooltest"
	"github.com/twmb/franz-go/pkg/kadm"
)

// TestDumpLogOffsetsDecoder: dump-log --offsets-decoder prints the commits
// a Strata broker wrote to __consumer_offsets as Kafka's decoder does, and
// a deleted group's offsets as tombstones.
func TestDumpLogOffsetsDecoder(t *testing.T) {
	tg := tooltest.StartStrata(t, "group.initial.rebalance.delay.ms", "0", "offsets.topic.num.partitions", "1")
	if r := tool(t, "", "topics", "--create", "--topic", "jobs", "--bootstrap-server", tg.Addr); r.Code != 0 {
		t.Fatalf("create: %+v", r)
	}
	adm := kadm.NewClient(tooltest.Client(t, tg.Addr))
	offs := kadm.Offsets{}
	offs.AddOffset("jobs", 0, 7, -1)
	if _, err := adm.CommitOffsets(tooltest.Ctx(t), "g1", offs); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.DeleteGroups(tooltest.Ctx(t), "g1"); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(tg.Dir, "__consumer_offsets-0", "00000000000000000000.log")
	r := tool(t, "", "dump-log", "--files", log, "--offsets-decoder")
	if r.Code != 0 {
		t.Fatalf("dump-log: code %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	commit := regexp.MustCompile(`\| offset: 0 CreateTime: \d+ keySize: \d+ valueSize: \d+ sequence: -1 headerKeys: \[\] ` +
		`key: \{"type":"1","data":\{"group":"g1","topic":"jobs","partition":0\}\} ` +
		`payload: \{"version":"\d","data":\{"offset":7,("leaderEpoch":-1,)?"metadata":"","commitTimestamp":\d+`)
	if !commit.MatchString(r.Stdout) {
		t.Fatalf("no decoded commit in:\n%s", r.Stdout)
	}
	if !strings.Contains(r.Stdout, `key: {"type":"1","data":{"group":"g1","topic":"jobs","partition":0}} payload: <DELETE>`) {
		t.Fatalf("no tombstone for the deleted group's offset in:\n%s", r.Stdout)
	}
}
