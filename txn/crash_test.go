package txn

import (
	"errors"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stratabroker/strata/internal/vfs"
)

var errUnavailable = errors.New("partition unavailable")

// Kill -9 after AddPartitions: the transaction comes back Ongoing with its
// partitions and is aborted by its timeout.
func TestCrashAfterAddPartitions(t *testing.T) {
	e := newEnv(t, Options{AbortCheckInterval: time.Millisecond})
	r, err := e.c.InitProducerID("tx", 1000, -1, -1, false)
	wantErr(t, "init", err, nil)
	wantErr(t, "add", e.c.AddPartitions("tx", r.ProducerID, r.Epoch, []TopicPartition{tp("a", 0), tp("b", 3)}), nil)
	e.crash()
	tx, err := e.c.Describe("tx")
	wantErr(t, "describe", err, nil)
	if tx.State != Ongoing || !reflect.DeepEqual(tx.Partitions, []TopicPartition{tp("a", 0), tp("b", 3)}) {
		t.Fatalf("after restart: %+v", tx)
	}
	e.clock.add(1001 * time.Millisecond)
	e.waitState("tx", CompleteAbort)
	want := []marker{{tp("a", 0), r.ProducerID, 1, false}, {tp("b", 3), r.ProducerID, 1, false}}
	if got := e.markers.all(); !reflect.DeepEqual(got, want) {
		t.Fatalf("markers %+v\nwant %+v", got, want)
	}
}

// Kill -9 between the PrepareCommit record and the markers, and between
// the markers of two partitions: the restarted coordinator writes every
// marker (again) and completes the commit.
func TestCrashDuringMarkers(t *testing.T) {
	for _, c := range []struct {
		name    string
		blocked TopicPartition // markers from this one on fail until the crash
		before  []marker       // written before the crash
	}{
		{"before the first marker", tp("a", 0), nil},
		{"between markers", tp("b", 0), []marker{{tp("a", 0), 1001, 0, true}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			var attempts atomic.Int64
			e.markers.hold = func(p TopicPartition) error {
				if p == c.blocked || (p.Topic > c.blocked.Topic) {
					attempts.Add(1)
					return errUnavailable
				}
				return nil
			}
			r := e.init("tx")
			wantErr(t, "add", e.c.AddPartitions("tx", r.ProducerID, r.Epoch, []TopicPartition{tp("a", 0), tp("b", 0)}), nil)
			wantErr(t, "commit", e.c.EndTxn("tx", r.ProducerID, r.Epoch, true), nil)
			for i := 0; attempts.Load() < 2; i++ { // the blocked marker was tried (and retried)
				if i > 5000 {
					t.Fatal("marker not attempted")
				}
				time.Sleep(time.Millisecond)
			}
			if got := e.markers.all(); !reflect.DeepEqual(got, c.before) {
				t.Fatalf("before crash: markers %+v, want %+v", got, c.before)
			}
			// Crash while the marker is still refused (releasing it first
			// would let the old coordinator's retry write it before the
			// crash), then let the restarted coordinator write.
			e.crash()
			e.markers.mu.Lock()
			e.markers.hold = nil
			e.markers.mu.Unlock()
			e.waitState("tx", CompleteCommit)
			want := append(c.before, marker{tp("a", 0), 1001, 0, true}, marker{tp("b", 0), 1001, 0, true})
			if got := e.markers.all(); !reflect.DeepEqual(got, want) {
				t.Fatalf("markers %+v\nwant %+v", got, want)
			}
			// And it stays completed across one more restart.
			e.crash()
			if tx, _ := e.c.Describe("tx"); tx.State != CompleteCommit {
				t.Fatalf("after second restart: %v", tx.State)
			}
			if n := len(e.markers.all()); n != len(want) {
				t.Fatalf("%d markers after second restart, want %d", n, len(want))
			}
		})
	}
}

// Kill -9 after the last marker, before the CompleteAbort record: the
// markers are written again (idempotent) and the abort completes.
func TestCrashBeforeCompleteRecord(t *testing.T) {
	hold := make(chan struct{})
	var holding atomic.Bool
	var blocked atomic.Int64
	e := newEnv(t, Options{beforeAppend: func(int32) {
		if holding.Load() {
			blocked.Add(1)
			<-hold
		}
	}})
	e.markers.ch = make(chan marker) // unbuffered: the marker waits until holding is set
	r := e.init("tx")
	wantErr(t, "add", e.c.AddPartitions("tx", r.ProducerID, r.Epoch, []TopicPartition{tp("a", 0)}), nil)
	wantErr(t, "abort", e.c.EndTxn("tx", r.ProducerID, r.Epoch, false), nil)
	holding.Store(true)
	<-e.markers.ch
	for i := 0; blocked.Load() == 0; i++ {
		if i > 5000 {
			t.Fatal("complete record not attempted")
		}
		time.Sleep(time.Millisecond)
	}
	snap := e.fs.Snapshot()
	close(hold)
	e.close()
	e.fs = snap
	holding.Store(false)
	e.open()
	<-e.markers.ch
	e.waitState("tx", CompleteAbort)
	want := []marker{{tp("a", 0), 1001, 0, false}, {tp("a", 0), 1001, 0, false}}
	if got := e.markers.all(); !reflect.DeepEqual(got, want) {
		t.Fatalf("markers %+v", got)
	}
}

// A machine crash (only fsynced bytes survive) with flush.messages=1 on
// __transaction_state: the PrepareCommit record was synced, so the commit
// completes after the restart.
func TestMachineCrashAfterPrepare(t *testing.T) {
	e := &env{t: t, fs: vfs.NewMem(), opts: Options{}, markers: &fakeMarkers{}, clock: newClock()}
	e.cfg = partitionConfigFlushEach()
	e.nextPID.Store(1000)
	e.open()
	t.Cleanup(e.close)
	e.markers.hold = func(TopicPartition) error { return errUnavailable }
	r := e.init("tx")
	wantErr(t, "add", e.c.AddPartitions("tx", r.ProducerID, r.Epoch, []TopicPartition{tp("a", 0)}), nil)
	wantErr(t, "commit", e.c.EndTxn("tx", r.ProducerID, r.Epoch, true), nil)
	clone := e.fs.CrashClone(vfs.CrashOptions{TearUnsynced: true, Garble: true})
	e.close()
	e.fs = clone
	e.markers.hold = nil
	e.open()
	e.waitState("tx", CompleteCommit)
	if got, want := e.markers.all(), []marker{{tp("a", 0), 1001, 0, true}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("markers %+v", got)
	}
}
