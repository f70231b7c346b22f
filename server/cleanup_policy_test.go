package server

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestCompactTopicKeepsSegments: a topic whose cleanup.policy is compact
// alone loses no segment to retention.ms or retention.bytes (Kafka's
// UnifiedLog.deleteOldSegments applies them only with "delete"), before and
// after a restart, while compact,delete and delete,compact topics, and a
// topic under a broker log.cleanup.policy=compact with its own "delete",
// are cut down to their active segment. DescribeConfigs still shows the
// retention values as set.
func TestCompactTopicKeepsSegments(t *testing.T) {
	dir := t.TempDir()
	// The cleaner would merge the small segments this test counts: it is
	// about retention, so the cleaner stays off.
	settings := []string{"log.cleanup.policy", "compact", "log.cleaner.enable", "false"}
	s, err := Start(testConfig(t, dir, settings...), Options{})
	if err != nil {
		t.Fatal(err)
	}
	small := map[string]string{"internal.segment.bytes": "150", "retention.ms": "1", "retention.bytes": "0"}
	with := func(policy string) map[string]string {
		m := map[string]string{}
		for k, v := range small {
			m[k] = v
		}
		if policy != "" {
			m["cleanup.policy"] = policy
		}
		return m
	}
	topics := map[string]map[string]string{
		"compact":        with("compact"),
		"compact-delete": with("compact,delete"),
		"delete-compact": with("delete,compact"),
		"broker-default": with(""), // log.cleanup.policy=compact
		"delete":         with("delete"),
	}
	for name, cfg := range topics {
		if _, err := s.topics.Create(name, 1, cfg, false); err != nil {
			t.Fatal(err)
		}
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(s.Addr().String()), kgo.ProducerBatchCompression(kgo.NoCompression()))
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	for name := range topics {
		for i := range 5 {
			// One 129-byte batch per record: a segment each.
			r := &kgo.Record{Topic: name, Key: []byte{byte('a' + i)}, Value: make([]byte, 60), Timestamp: old}
			if err := cl.ProduceSync(testCtx(t), r).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	cl.Close()
	segments := func(s *Server, name string) int {
		names, err := os.ReadDir(mustTopic(t, s, name).Partitions[0].Dir())
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range names {
			if strings.HasSuffix(e.Name(), ".log") {
				n++
			}
		}
		return n
	}
	for name := range topics {
		if got := segments(s, name); got != 5 {
			t.Fatalf("%s: %d segments before retention, want 5", name, got)
		}
	}
	s.topics.ApplyRetention()
	want := map[string]int{"compact": 5, "broker-default": 5, "compact-delete": 1, "delete-compact": 1, "delete": 1}
	check := func(s *Server, when string) {
		t.Helper()
		for name, n := range want {
			if got := segments(s, name); got != n {
				t.Errorf("%s %s: %d segments, want %d", name, when, got, n)
			}
			wantStart := int64(0)
			if n == 1 {
				wantStart = 5 // every segment went: the active one was rolled first
			}
			if got := mustTopic(t, s, name).Partitions[0].LogStartOffset(); got != wantStart {
				t.Errorf("%s %s: log start offset %d, want %d", name, when, got, wantStart)
			}
		}
	}
	check(s, "after retention")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2 := startServerIn(t, dir, Options{}, settings...)
	s2.topics.ApplyRetention()
	check(s2, "after a restart and retention")
	adm := newAdmin(t, s2)
	rc, err := adm.DescribeTopicConfigs(testCtx(t), "compact")
	if err != nil {
		t.Fatal(err)
	}
	m := configMap(t, rc)
	value := func(name string) string { c := m[name]; return c.MaybeValue() }
	if value("retention.ms") != "1" || value("retention.bytes") != "0" || value("cleanup.policy") != "compact" {
		t.Fatalf("described retention.ms %q retention.bytes %q cleanup.policy %q",
			value("retention.ms"), value("retention.bytes"), value("cleanup.policy"))
	}
	// DeleteRecords still moves the log start offset of a compacted topic,
	// and retention then deletes the segments below it.
	l := mustTopic(t, s2, "compact").Partitions[0]
	if _, err := l.DeleteRecords(3); err != nil {
		t.Fatal(err)
	}
	s2.topics.ApplyRetention()
	if got := segments(s2, "compact"); got != 2 || l.LogStartOffset() != 3 {
		t.Fatalf("compact after DeleteRecords(3): %d segments, log start %d; want 2, 3", got, l.LogStartOffset())
	}
}
