package reliability

import (
	"bytes"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

var logsOpenedRe = regexp.MustCompile(`msg="logs opened" partitions=(\d+) segments_recovered=(\d+)`)

// TestKillDuringCleanShutdown: a broker with 5 partitions of four or five
// 1 MiB segments each gets SIGTERM and, a few milliseconds into its clean
// shutdown, SIGKILL. The restarted broker serves every acknowledged record
// and recovers only what it must: at most the active segment of each
// partition (the rolled ones were sealed, and their end is the recovery
// point in the log dir's checkpoint), not the ~22 segments there are.
func TestKillDuringCleanShutdown(t *testing.T) {
	dir := t.TempDir()
	b := newBroker(t, dir, "log.segment.bytes", "1048576", "log.flush.offset.checkpoint.interval.ms", "100")
	b.start()
	const parts = 5
	b.createTopic("halt", parts)
	cl := b.client(kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	value := bytes.Repeat([]byte("x"), 1000)
	acked := map[int32]int64{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 22000 {
		wg.Add(1)
		cl.Produce(ctxFor(t, 60*time.Second), &kgo.Record{Topic: "halt", Value: value}, func(r *kgo.Record, err error) {
			defer wg.Done()
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			acked[r.Partition] = max(acked[r.Partition], r.Offset+1)
			mu.Unlock()
		})
	}
	wg.Wait()
	time.Sleep(500 * time.Millisecond) // rolled segments sealed, recovery points checkpointed
	cl.Close()

	b.cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(3 * time.Millisecond)
	b.kill()

	b2 := newBroker(t, dir)
	b2.port = b.port
	b2.start()
	m := logsOpenedRe.FindStringSubmatch(b2.logText())
	if m == nil {
		t.Fatalf("no logs-opened line:\n%s", b2.tail(3000))
	}
	if n, _ := strconv.Atoi(m[1]); n != parts {
		t.Fatalf("%s partitions opened, want %d", m[1], parts)
	}
	if rec, _ := strconv.Atoi(m[2]); rec > parts {
		t.Fatalf("%d segments recovered after the kill, want at most %d (one per partition)", rec, parts)
	}
	t.Logf("after the kill: %s partitions, %s segments recovered", m[1], m[2])
	ends := endOffsets(t, b2.client(), "halt")
	for p, want := range acked {
		if ends[p] < want {
			t.Errorf("partition %d: end offset %d after the kill, %d acknowledged", p, ends[p], want)
		}
	}
}
