package reliability

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestLogDirLock: a second broker on the first one's log dir exits
// non-zero naming the dir and the holder's pid, and the first keeps
// serving with its data intact; after a kill -9 of the first, a new broker
// takes the dir at once and serves everything acknowledged.
func TestLogDirLock(t *testing.T) {
	dir := t.TempDir()
	first := newBroker(t, dir)
	first.start()
	first.createTopic("locked", 1)
	cl := first.client()
	for i := range 50 {
		if err := cl.ProduceSync(ctxFor(t, 30*time.Second), &kgo.Record{Topic: "locked", Value: fmt.Appendf(nil, "r%d", i)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}

	second := newBroker(t, dir)
	err := second.tryStart()
	if err == nil {
		t.Fatal("a second broker started on a locked log dir")
	}
	<-second.exited
	if code := second.cmd.ProcessState.ExitCode(); code != 1 {
		t.Fatalf("second broker exited %d, want 1 (%v)", code, err)
	}
	want := fmt.Sprintf("A Kafka instance in another process or thread (pid %d) is using this directory", first.cmd.Process.Pid)
	if log := second.logText(); !strings.Contains(log, want) || !strings.Contains(log, dir) {
		t.Fatalf("second broker's log lacks %q and the dir:\n%s", want, log)
	}
	second.cmd = nil

	if got := endOffsets(t, cl, "locked")[0]; got != 50 {
		t.Fatalf("first broker's end offset %d, want 50", got)
	}
	if err := cl.ProduceSync(ctxFor(t, 30*time.Second), &kgo.Record{Topic: "locked", Value: []byte("r50")}).FirstErr(); err != nil {
		t.Fatalf("produce to the first broker after the refused start: %v", err)
	}

	first.kill()
	third := newBroker(t, dir)
	third.port = first.port
	began := time.Now()
	third.start() // fails the test if the lock were still held
	if waited := time.Since(began); waited > 30*time.Second {
		t.Fatalf("new broker took %v to start after kill -9", waited)
	}
	cl3 := third.client()
	if got := endOffsets(t, cl3, "locked")[0]; got != 51 {
		t.Fatalf("end offset after kill -9 and restart: %d, want 51", got)
	}
}
