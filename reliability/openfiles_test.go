package reliability

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestOpenSegmentBound runs the broker with an open-file limit of 200, so
// it allows itself 50 open segments (a quarter), on a topic of 16 KiB
// segments and no retention. Produce fills 50 segments; the next produce
// waits its 5 s for retention and is refused with KAFKA_STORAGE_ERROR,
// appending nothing, while the process stays well under its descriptor
// limit: new connections, Metadata and Fetch keep working. Once retention
// is set, segments go and produce is accepted again, without a restart.
func TestOpenSegmentBound(t *testing.T) {
	b := newBroker(t, t.TempDir(), "log.retention.check.interval.ms", "100")
	b.nofile = 200
	b.start()
	if !strings.Contains(b.logText(), "msg=\"open segments\" limit=50") {
		t.Fatalf("the broker did not log its open segment limit of 50:\n%s", b.tail(2000))
	}
	const topic = "fdbound"
	b.createTopic(topic, 1, "internal.segment.bytes", "16384")
	rc := dialRaw(t, b.addr)
	dir := filepath.Join(b.dir, topic+"-0")
	logFiles := func() int {
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".log") {
				n++
			}
		}
		return n
	}

	// Batches of one 4,000-byte record: four to a 16 KiB segment.
	var acked int64
	var refused int16
	for seq := 0; seq < 1000; seq++ {
		code, base := produceRaw(t, rc, topic, seq, 1, 4000)
		if code != 0 {
			refused = code
			break
		}
		if base != acked {
			t.Fatalf("batch %d at offset %d, want %d", seq, base, acked)
		}
		acked++
	}
	if refused != kerr.KafkaStorageError.Code {
		t.Fatalf("produce at the bound: error %d, want KAFKA_STORAGE_ERROR (%d); %d acked", refused, kerr.KafkaStorageError.Code, acked)
	}
	if got := logFiles(); got != 50 || acked != 49*4+1 {
		t.Fatalf("%d segments and %d batches when produce was refused, want 50 and %d", got, acked, 49*4+1)
	}
	atBound := b.openFiles()
	if atBound >= 190 {
		t.Fatalf("%d descriptors open at the bound, limit 200", atBound)
	}
	// The broker still serves: a new connection, Metadata, a Fetch.
	rc2 := dialRaw(t, b.addr)
	f := kmsg.NewPtrFetchRequest()
	f.Version, f.MaxBytes, f.SessionEpoch = 11, 1<<20, -1
	ft := kmsg.NewFetchRequestTopic()
	ft.Topic = topic
	fp := kmsg.NewFetchRequestTopicPartition()
	fp.FetchOffset, fp.PartitionMaxBytes = 10, 1<<20
	ft.Partitions = append(ft.Partitions, fp)
	f.Topics = append(f.Topics, ft)
	resp, err := rc2.roundTrip(f)
	if err != nil {
		t.Fatal(err)
	}
	if p := resp.(*kmsg.FetchResponse).Topics[0].Partitions[0]; p.ErrorCode != 0 || p.HighWatermark != acked || len(p.RecordBatches) == 0 {
		t.Fatalf("fetch at the bound: error %d, high watermark %d (want %d), %d bytes", p.ErrorCode, p.HighWatermark, acked, len(p.RecordBatches))
	}

	// Retention makes room; produce goes on.
	adm := kadm.NewClient(b.client())
	r, err := adm.AlterTopicConfigs(ctxFor(t, 30*time.Second), []kadm.AlterConfig{{Name: "retention.bytes", Value: kadm.StringPtr("163840")}}, topic)
	if err == nil {
		_, err = r.On(topic, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	code, base := produceRaw(t, rc, topic, int(acked), 1, 4000)
	if code != 0 || base != acked {
		t.Fatalf("produce after retention: error %d at offset %d, want 0 at %d", code, base, acked)
	}
	// The produce went through as soon as the first segment was gone;
	// the pass deletes down to retention.bytes (ten or eleven segments).
	if !waitFor(10*time.Second, func() bool { return logFiles() <= 11 }) {
		t.Fatalf("%d segments 10 s after retention.bytes was set, want at most 11", logFiles())
	}
	t.Logf("RESULT open segments: %d batches in 50 segments, the next refused with KAFKA_STORAGE_ERROR after its wait, %d of 200 descriptors open then; accepted again once retention ran (%d open)",
		acked, atBound, b.openFiles())
}
