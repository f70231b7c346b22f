package main

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestBrokerSecondSignalExitsAtOnce: a second signal during the clean
// shutdown ends the process at once with status 1, and the broker starts
// again from what it left (recovering, as after a crash). The clean
// shutdown of 200 partitions with data (about a second here) takes far
// longer than the second signal needs to arrive.
func TestBrokerSecondSignalExitsAtOnce(t *testing.T) {
	dir := t.TempDir()
	b := startBroker(t, dir)
	cl := client(t, b.addr, kgo.DefaultProduceTopic("many"), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 200, 1, nil, "many"); err != nil {
		t.Fatal(err)
	}
	recs := make([]*kgo.Record, 400)
	for i := range recs {
		recs[i] = &kgo.Record{Value: []byte("v")}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	cl.Close()

	// Two signals sent back to back merge into one pending signal, so the
	// second goes once the first has been taken.
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(b.output(), "shutting down") {
		if ctx.Err() != nil {
			t.Fatalf("no shutdown after SIGTERM:\n%s", b.output())
		}
		time.Sleep(time.Millisecond)
	}
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-b.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("broker did not exit after two signals:\n%s", b.output())
	}
	b.done <- nil // for the cleanup
	if code := b.cmd.ProcessState.ExitCode(); code != exitError {
		t.Fatalf("exit status %d after two signals, want %d:\n%s", code, exitError, b.output())
	}
	if out := b.output(); !strings.Contains(out, "exiting immediately") || strings.Contains(out, "stopped cleanly") {
		t.Fatalf("want an immediate exit and no clean stop in the log:\n%s", out)
	}

	b2 := startBroker(t, dir)
	adm := kadm.NewClient(client(t, b2.addr))
	ends, err := adm.ListEndOffsets(ctx, "many")
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	ends.Each(func(o kadm.ListedOffset) { total += o.Offset })
	if total != 400 {
		t.Fatalf("%d records after the restart, want 400", total)
	}
}
