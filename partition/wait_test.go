package partition

import (
	"sync"
	"testing"
	"time"

	"github.com/stratabroker/strata/internal/vfs"
)

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// TestWaitWithoutAppendLock: Wait takes no lock an append holds. With an
// append stopped inside its write (holding the append lock), Wait returns
// at once, and that append, once it completes, closes the channel.
func TestWaitWithoutAppendLock(t *testing.T) {
	gfs := newGateFS(vfs.NewMem())
	l := mustOpen(t, gfs, smallConfig(), Options{})
	defer l.Close()
	gt := gfs.hold(t, "write", ".log")
	appended := make(chan error, 1)
	go func() {
		_, err := l.Append(makeBatch(plain(1, 0, 10, 1)), false)
		appended <- err
	}()
	gt.wait(t) // the append is in its write, under the append lock

	waited := make(chan (<-chan struct{}), 1)
	go func() { waited <- l.Wait() }()
	var ch <-chan struct{}
	select {
	case ch = <-waited:
	case <-time.After(5 * time.Second):
		t.Error("Wait blocked behind an append's write")
		gt.open()
		ch = <-waited
	}
	if isClosed(ch) {
		t.Fatal("the channel is closed before the append completed")
	}
	gt.open()
	if err := <-appended; err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("the append did not close the channel of a Wait made during its write")
	}
	if l.HighWatermark() != 1 {
		t.Fatalf("high watermark %d", l.HighWatermark())
	}
	// A new Wait gets a new channel, closed by the next append only.
	ch = l.Wait()
	if isClosed(ch) {
		t.Fatal("a Wait after the append got a closed channel")
	}
	mustAppend(t, l, makeBatch(plain(1, 0, 10, 2)))
	if !isClosed(ch) {
		t.Fatal("the next append did not close the channel")
	}
	// Close wakes waiters, and every later Wait returns a closed channel.
	ch = l.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if !isClosed(ch) || !isClosed(l.Wait()) {
		t.Fatal("Close left a Wait channel open")
	}
}

// TestWaitNeverMissesWakeup: waiters that call Wait, find no new data and
// block on the channel are always woken by a later append. Appenders add
// one batch each per round and the round ends only when every waiter has
// seen all of it; a missed wake-up leaves a waiter blocked with no append
// to come, and fails the test. Meant for -race.
func TestWaitNeverMissesWakeup(t *testing.T) {
	l := mustOpen(t, vfs.NewMem(), smallConfig(), Options{})
	defer l.Close()
	const waiters, appenders, rounds = 8, 4, 200
	batch := makeBatch(plain(1, 0, 10, 1))
	var wg sync.WaitGroup
	seen := make([]chan struct{}, waiters)
	for w := range waiters {
		seen[w] = make(chan struct{}, rounds)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := int64(1); r <= rounds; r++ {
				for {
					ch := l.Wait()
					if l.HighWatermark() >= r*appenders {
						break
					}
					select {
					case <-ch:
					case <-time.After(10 * time.Second):
						t.Errorf("waiter %d missed a wake-up in round %d (high watermark %d)", w, r, l.HighWatermark())
						return
					}
				}
				seen[w] <- struct{}{}
			}
		}()
	}
	for r := range rounds {
		var aw sync.WaitGroup
		for range appenders {
			aw.Add(1)
			go func() {
				defer aw.Done()
				if _, err := l.Append(append([]byte(nil), batch...), false); err != nil {
					t.Error(err)
				}
			}()
		}
		aw.Wait()
		for w := range waiters {
			select {
			case <-seen[w]:
			case <-time.After(15 * time.Second):
				t.Fatalf("round %d: waiter %d never saw the appends", r, w)
			}
		}
	}
	wg.Wait()
}

// TestWaitAppendBetweenSteps: an append that lands between Wait's load of
// the channel and its registration is seen by the caller's check for data,
// and the next append wakes the channel Wait returned.
func TestWaitAppendBetweenSteps(t *testing.T) {
	l := mustOpen(t, vfs.NewMem(), smallConfig(), Options{})
	defer l.Close()
	batch := makeBatch(plain(1, 0, 10, 1))
	first := true
	l.notify.between = func() {
		if first {
			first = false
			mustAppend(t, l, append([]byte(nil), batch...))
		}
	}
	ch := l.Wait()
	if hw := l.HighWatermark(); hw != 1 {
		t.Fatalf("high watermark %d after the append inside Wait, want 1", hw)
	}
	mustAppend(t, l, append([]byte(nil), batch...))
	if !isClosed(ch) {
		t.Fatal("the append after Wait did not close its channel")
	}
}
