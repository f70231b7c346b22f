package group

import (
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// holder holds the appends of the __consumer_offsets partition of one
// group while it is armed: a commit then stays in flight, deterministically,
// until release.
type holder struct {
	part    int32
	armed   atomic.Bool
	release chan struct{}
}

func newHolder(group string, opts *Options) *holder {
	h := &holder{part: PartitionFor(group, 3), release: make(chan struct{})}
	opts.beforeAppend = func(p int32) {
		if p == h.part && h.armed.Load() {
			<-h.release
		}
	}
	return h
}

// commitHeld starts a commit while the holder is armed and returns the
// channel its error code arrives on, once the writer holds its append.
func (e *env) commitHeld(h *holder, group, member string, gen int32, topic string, p int32, off int64) chan int16 {
	h.armed.Store(true)
	ch := make(chan int16, 1)
	go func() { ch <- e.commit(group, member, gen, topic, p, off) }()
	synctest.Wait()
	select {
	case code := <-ch:
		e.t.Fatalf("commit answered %d while its append was held", code)
	default:
	}
	return ch
}

func (h *holder) free() {
	h.armed.Store(false)
	close(h.release)
}

// TestExpirySkipsPendingCommit (Strata issue 24, item 2): the retention
// check that runs while a commit is being appended does not expire that
// partition (Kafka's removeExpiredOffsets skips pendingOffsetCommits): the
// acknowledged offset reads back exactly, also after a replay. Here the
// old offset of the partition has expired and the new commit's append is
// held while the check runs.
func TestExpirySkipsPendingCommit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		opts := Options{OffsetsRetention: time.Minute, RetentionCheckInterval: 10 * time.Second}
		h := newHolder("simple", &opts)
		e := newEnv(t, opts)
		if code := e.commit("simple", "", -1, "t", 0, 7); code != 0 {
			t.Fatalf("commit: %d", code)
		}
		time.Sleep(55 * time.Second)
		ch := e.commitHeld(h, "simple", "", -1, "t", 0, 8)
		time.Sleep(10 * time.Second) // the check at 60 s: offset 7 is a minute old
		synctest.Wait()
		h.free()
		if code := <-ch; code != 0 {
			t.Fatalf("held commit: %d", code)
		}
		synctest.Wait()
		if got := e.fetched("simple", "t", 0); got != 8 {
			t.Fatalf("acknowledged offset 8 reads back %d after the retention check", got)
		}
		time.Sleep(20 * time.Second) // checks at 70 and 80 s: committed at 55 s, not expired
		synctest.Wait()
		if got := e.fetched("simple", "t", 0); got != 8 {
			t.Fatalf("offset %d at 85 s, want 8", got)
		}
		e.reopen()
		if got := e.fetched("simple", "t", 0); got != 8 {
			t.Fatalf("offset %d after replay, want 8", got)
		}
	})
}

// TestExpiryKeepsGroupWithPendingCommit: an empty consumer group whose
// every stored offset expires while a commit of another partition is in
// flight is not marked Dead (Kafka's hasOffsets counts pending commits):
// the expired offset goes, the group keeps its protocol type and
// generation and gets the new offset, also after a replay.
func TestExpiryKeepsGroupWithPendingCommit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		opts := testOpts
		opts.InitialRebalanceDelay = 0
		opts.OffsetsRetention, opts.RetentionCheckInterval = time.Minute, 10*time.Second
		h := newHolder("g", &opts)
		e := newEnv(t, opts)
		m := e.stableMember("g", 10000)
		if code := e.commit("g", m, 1, "t", 0, 5); code != 0 {
			t.Fatalf("commit: %d", code)
		}
		leave := kmsg.NewPtrLeaveGroupRequest()
		leave.Group, leave.MemberID = "g", m
		if code := e.c.LeaveGroup(leave).ErrorCode; code != 0 {
			t.Fatalf("leave: %d", code)
		}
		synctest.Wait()
		if st := e.describe("g").State; st != "Empty" {
			t.Fatalf("group %s after the leave, want Empty", st)
		}
		time.Sleep(55 * time.Second)
		ch := e.commitHeld(h, "g", "", -1, "t", 1, 8)
		time.Sleep(10 * time.Second) // the check at 60 s: empty for a minute
		synctest.Wait()
		h.free()
		if code := <-ch; code != 0 {
			t.Fatalf("held commit: %d", code)
		}
		synctest.Wait()
		check := func(when string) {
			t.Helper()
			if got := []int64{e.fetched("g", "t", 0), e.fetched("g", "t", 1)}; got[0] != -1 || got[1] != 8 {
				t.Fatalf("%s: offsets %v, want [-1 8]", when, got)
			}
			if g := e.describe("g"); g.State != "Empty" || g.ProtocolType != "consumer" {
				t.Fatalf("%s: group %s, protocol type %q; want Empty, consumer", when, g.State, g.ProtocolType)
			}
		}
		check("after the check")
		e.reopen()
		check("after replay")
		// The group kept its generation: the next member gets the third.
		r := <-e.joinAsync(joinReq("g", "", 10000, 10000, "md"))
		if r.ErrorCode != 0 || r.Generation != 3 {
			t.Fatalf("join after replay: error %d, generation %d; want 0, 3", r.ErrorCode, r.Generation)
		}
	})
}
