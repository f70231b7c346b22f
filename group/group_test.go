package group

import (
	"path/filepath"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/partition"
)

// Java's String.hashCode values computed independently; the last one is
// the famous string whose hash is Integer.MIN_VALUE (Utils.abs gives 0).
func TestPartitionFor(t *testing.T) {
	for _, c := range []struct {
		group string
		want  int32
	}{
		{"test", 48}, {"my-group", 12}, {"console-consumer-12345", 6}, {"polygenelubricants", 0}, {"été-😀", 26},
	} {
		if got := PartitionFor(c.group, 50); got != c.want {
			t.Errorf("PartitionFor(%q, 50) = %d, want %d", c.group, got, c.want)
		}
	}
}

// env is a coordinator over __consumer_offsets logs in an in-memory
// filesystem that survives reopening.
type env struct {
	t    *testing.T
	fs   vfs.FS
	cfg  partition.Config // the logs' config
	opts Options
	logs []*partition.Log
	c    *Coordinator
}

func newEnv(t *testing.T, opts Options) *env {
	e := &env{t: t, fs: vfs.NewMem(), opts: opts, cfg: partition.DefaultConfig()}
	e.open()
	t.Cleanup(e.close)
	return e
}

func (e *env) open() {
	e.t.Helper()
	e.openLogs()
	opts := e.opts
	opts.Logs = e.logs
	c, err := Open(opts)
	if err != nil {
		e.t.Fatal(err)
	}
	e.c = c
}

// openLogs opens the three logs without a coordinator.
func (e *env) openLogs() {
	e.t.Helper()
	e.logs = nil
	for p := range 3 {
		l, err := partition.Open(filepath.Join("/data", "__consumer_offsets-"+strconv.Itoa(p)), e.cfg, partition.Options{FS: e.fs})
		if err != nil {
			e.t.Fatal(err)
		}
		e.logs = append(e.logs, l)
	}
}

func (e *env) close() {
	if e.c == nil {
		return
	}
	e.c.Close()
	for _, l := range e.logs {
		if err := l.Close(); err != nil {
			e.t.Error(err)
		}
	}
	e.c = nil
}

func (e *env) reopen() {
	e.close()
	e.open()
}

var testOpts = Options{
	InitialRebalanceDelay: 3 * time.Second,
	MinSessionTimeout:     time.Second,
	MaxSessionTimeout:     time.Minute,
}

func joinReq(group, member string, session, rebalance int32, md string) *kmsg.JoinGroupRequest {
	req := kmsg.NewPtrJoinGroupRequest()
	req.Version = 3 // before KIP-394: no MEMBER_ID_REQUIRED round trip
	req.Group, req.MemberID, req.ProtocolType = group, member, "consumer"
	req.SessionTimeoutMillis, req.RebalanceTimeoutMillis = session, rebalance
	req.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: []byte(md)}}
	return req
}

// joinAsync sends a JoinGroup and returns a channel with its answer.
func (e *env) joinAsync(req *kmsg.JoinGroupRequest) chan *kmsg.JoinGroupResponse {
	ch := make(chan *kmsg.JoinGroupResponse, 1)
	go func() { ch <- e.c.JoinGroup(req, Client{ID: "cl", Host: "/127.0.0.1"}) }()
	return ch
}

func (e *env) sync(group, member string, gen int32, assign map[string]string) *kmsg.SyncGroupResponse {
	req := kmsg.NewPtrSyncGroupRequest()
	req.Group, req.MemberID, req.Generation = group, member, gen
	for m, a := range assign {
		req.GroupAssignment = append(req.GroupAssignment, kmsg.SyncGroupRequestGroupAssignment{MemberID: m, MemberAssignment: []byte(a)})
	}
	return e.c.SyncGroup(req)
}

func (e *env) heartbeat(group, member string, gen int32) int16 {
	req := kmsg.NewPtrHeartbeatRequest()
	req.Group, req.MemberID, req.Generation = group, member, gen
	return e.c.Heartbeat(req).ErrorCode
}

func (e *env) describe(group string) kmsg.DescribeGroupsResponseGroup {
	req := kmsg.NewPtrDescribeGroupsRequest()
	req.Version = 5
	req.Groups = []string{group}
	return e.c.DescribeGroups(req).Groups[0]
}

func (e *env) commit(group, member string, gen int32, topic string, p int32, off int64) int16 {
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Version = 7
	req.Group, req.MemberID, req.Generation = group, member, gen
	req.Topics = []kmsg.OffsetCommitRequestTopic{{Topic: topic, Partitions: []kmsg.OffsetCommitRequestTopicPartition{{Partition: p, Offset: off, LeaderEpoch: -1}}}}
	return e.c.OffsetCommit(req).Topics[0].Partitions[0].ErrorCode
}

func (e *env) fetched(group, topic string, p int32) int64 {
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Version = 8
	req.Groups = []kmsg.OffsetFetchRequestGroup{{Group: group, Topics: []kmsg.OffsetFetchRequestGroupTopic{{Topic: topic, Partitions: []int32{p}}}}}
	return e.c.OffsetFetch(req).Groups[0].Topics[0].Partitions[0].Offset
}

// stableMember joins one member and syncs it: generation 1, Stable.
func (e *env) stableMember(group string, session int32) string {
	e.t.Helper()
	r := <-e.joinAsync(joinReq(group, "", session, 10000, "md"))
	if r.ErrorCode != 0 || r.Generation != 1 {
		e.t.Fatalf("join: error %d, generation %d", r.ErrorCode, r.Generation)
	}
	if s := e.sync(group, r.MemberID, 1, map[string]string{r.MemberID: "a"}); s.ErrorCode != 0 {
		e.t.Fatalf("sync: %d", s.ErrorCode)
	}
	return r.MemberID
}

// TestInitialRebalanceDelay: the first rebalance of a new group waits
// group.initial.rebalance.delay.ms, once more for every member that joined
// meanwhile (up to the rebalance timeout), then completes with everyone.
func TestInitialRebalanceDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, testOpts)
		start := time.Now()
		a := e.joinAsync(joinReq("g", "", 6000, 10000, "a"))
		time.Sleep(time.Second)
		b := e.joinAsync(joinReq("g", "", 6000, 10000, "b"))
		ra, rb := <-a, <-b
		if took := time.Since(start); took != 6*time.Second {
			t.Fatalf("join took %v, want 6s (3 s delay, extended once)", took)
		}
		if ra.ErrorCode != 0 || rb.ErrorCode != 0 || ra.Generation != 1 || rb.Generation != 1 {
			t.Fatalf("joins: %+v %+v", ra, rb)
		}
		if ra.LeaderID != ra.MemberID || len(ra.Members) != 2 || len(rb.Members) != 0 || rb.LeaderID != ra.MemberID {
			t.Fatalf("leader %s got %d members; follower got %d", ra.LeaderID, len(ra.Members), len(rb.Members))
		}
		if string(ra.Members[0].ProtocolMetadata) != "a" || string(ra.Members[1].ProtocolMetadata) != "b" {
			t.Fatalf("member metadata %q %q", ra.Members[0].ProtocolMetadata, ra.Members[1].ProtocolMetadata)
		}
	})
}

// TestSessionTimeout: a member that stops heartbeating is removed after
// its session timeout and the group becomes Empty; heartbeats in time keep
// it.
func TestSessionTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Options{MinSessionTimeout: time.Second, MaxSessionTimeout: time.Minute})
		m := e.stableMember("g", 6000)
		for range 3 {
			time.Sleep(5 * time.Second)
			if code := e.heartbeat("g", m, 1); code != 0 {
				t.Fatalf("heartbeat in time: %d", code)
			}
		}
		time.Sleep(6*time.Second + time.Millisecond)
		synctest.Wait()
		if code := e.heartbeat("g", m, 1); code != kerr.UnknownMemberID.Code {
			t.Fatalf("heartbeat after the session timeout: %d, want UNKNOWN_MEMBER_ID", code)
		}
		if g := e.describe("g"); g.State != "Empty" || len(g.Members) != 0 {
			t.Fatalf("group %s with %d members", g.State, len(g.Members))
		}
	})
}

// TestRebalanceTimeout: when a rebalance starts, members that do not
// rejoin within the rebalance timeout are removed and the others get the
// next generation; heartbeats say REBALANCE_IN_PROGRESS meanwhile.
func TestRebalanceTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, testOpts)
		a, b := e.joinAsync(joinReq("g", "", 30000, 5000, "a")), e.joinAsync(joinReq("g", "", 30000, 5000, "b"))
		ra, rb := <-a, <-b
		if ra.Generation != 1 || rb.Generation != 1 {
			t.Fatalf("generations %d %d", ra.Generation, rb.Generation)
		}
		leader, follower := ra, rb
		if rb.LeaderID == rb.MemberID {
			leader, follower = rb, ra
		}
		done := make(chan *kmsg.SyncGroupResponse, 1)
		go func() { done <- e.sync("g", follower.MemberID, 1, nil) }()
		synctest.Wait()
		if s := e.sync("g", leader.MemberID, 1, map[string]string{leader.MemberID: "L", follower.MemberID: "F"}); s.ErrorCode != 0 || string(s.MemberAssignment) != "L" {
			t.Fatalf("leader sync: %d %q", s.ErrorCode, s.MemberAssignment)
		}
		if s := <-done; s.ErrorCode != 0 || string(s.MemberAssignment) != "F" {
			t.Fatalf("follower sync: %d %q", s.ErrorCode, s.MemberAssignment)
		}
		// The leader rejoins: a rebalance. The follower only heartbeats.
		start := time.Now()
		rejoin := e.joinAsync(joinReq("g", leader.MemberID, 30000, 5000, "a"))
		synctest.Wait()
		if code := e.heartbeat("g", follower.MemberID, 1); code != kerr.RebalanceInProgress.Code {
			t.Fatalf("heartbeat during the rebalance: %d", code)
		}
		r := <-rejoin
		if took := time.Since(start); took != 5*time.Second {
			t.Fatalf("rebalance took %v, want the 5 s rebalance timeout", took)
		}
		if r.ErrorCode != 0 || r.Generation != 2 || len(r.Members) != 1 || r.LeaderID != leader.MemberID {
			t.Fatalf("rejoin: %+v", r)
		}
		if code := e.heartbeat("g", follower.MemberID, 1); code != kerr.UnknownMemberID.Code {
			t.Fatalf("removed follower's heartbeat: %d", code)
		}
		if code := e.heartbeat("g", leader.MemberID, 1); code != kerr.IllegalGeneration.Code {
			t.Fatalf("stale generation heartbeat: %d", code)
		}
	})
}

// TestMemberIDRequired: KIP-394. A v4+ join without a member ID gets one
// with MEMBER_ID_REQUIRED; a pending member that never comes back expires
// after its session timeout and does not hold up the rebalance.
func TestMemberIDRequired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Options{MinSessionTimeout: time.Second, MaxSessionTimeout: time.Minute})
		m := e.stableMember("g", 30000)
		req := joinReq("g", "", 2000, 10000, "x")
		req.Version = 4
		r := <-e.joinAsync(req)
		if r.ErrorCode != kerr.MemberIDRequired.Code || r.MemberID == "" {
			t.Fatalf("v4 join: %d %q", r.ErrorCode, r.MemberID)
		}
		// The stable member rejoins; the pending one does not come back.
		start := time.Now()
		rr := <-e.joinAsync(joinReq("g", m, 30000, 10000, "md"))
		if took := time.Since(start); took != 2*time.Second || rr.Generation != 2 || len(rr.Members) != 1 {
			t.Fatalf("rejoin after %v: generation %d, %d members", took, rr.Generation, len(rr.Members))
		}
	})
}

// TestReplay: offsets, group metadata and tombstones written by one
// coordinator are what the next one loads; a loaded member keeps its
// generation and heartbeats on, and expires if it does not.
func TestReplay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Options{MinSessionTimeout: time.Second, MaxSessionTimeout: time.Minute})
		m := e.replayLog(5)
		e.reopen()
		e.checkReplayed(m, 40, 30)
		time.Sleep(9 * time.Second)
		if code := e.heartbeat("g", m, 1); code != 0 {
			t.Fatalf("loaded member's heartbeat: %d", code)
		}
		time.Sleep(10*time.Second + time.Millisecond)
		synctest.Wait()
		if g := e.describe("g"); g.State != "Empty" {
			t.Fatalf("after the loaded member's session: %s", g.State)
		}
	})
}

// TestOffsetRetention: offsets of an empty group expire
// offsets.retention.minutes after it became empty (after the commit for a
// group-less consumer); the expired group is gone, also after a replay.
func TestOffsetRetention(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Options{OffsetsRetention: time.Minute, RetentionCheckInterval: 10 * time.Second})
		if code := e.commit("simple", "", -1, "t", 0, 7); code != 0 {
			t.Fatalf("commit: %d", code)
		}
		time.Sleep(50 * time.Second)
		if got := e.fetched("simple", "t", 0); got != 7 {
			t.Fatalf("offset %d before the retention", got)
		}
		time.Sleep(20 * time.Second)
		synctest.Wait()
		if got := e.fetched("simple", "t", 0); got != -1 {
			t.Fatalf("offset %d after the retention", got)
		}
		if n := len(e.c.ListGroups(kmsg.NewPtrListGroupsRequest()).Groups); n != 0 {
			t.Fatalf("%d groups after expiry", n)
		}
		e.reopen()
		if got := e.fetched("simple", "t", 0); got != -1 {
			t.Fatalf("offset %d after replay", got)
		}
	})
}

// TestOffsetRetentionUnsubscribedTopics (KIP-496): in a Stable consumer
// group, the offsets of a topic no member subscribes to expire once the
// retention has passed since their commit; those of subscribed topics stay.
func TestOffsetRetentionUnsubscribedTopics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		opts := testOpts
		opts.InitialRebalanceDelay = 0
		opts.OffsetsRetention, opts.RetentionCheckInterval = time.Minute, 10*time.Second
		e := newEnv(t, opts)
		md := kmsg.NewConsumerMemberMetadata()
		md.Topics = []string{"a"}
		req := joinReq("g", "", 30000, 10000, string(md.AppendTo(nil)))
		r := <-e.joinAsync(req)
		if r.ErrorCode != 0 {
			t.Fatalf("join: %d", r.ErrorCode)
		}
		if s := e.sync("g", r.MemberID, r.Generation, map[string]string{r.MemberID: "x"}); s.ErrorCode != 0 {
			t.Fatalf("sync: %d", s.ErrorCode)
		}
		if code := e.commit("g", r.MemberID, r.Generation, "a", 0, 5); code != 0 {
			t.Fatalf("commit a: %d", code)
		}
		if code := e.commit("g", r.MemberID, r.Generation, "b", 0, 9); code != 0 {
			t.Fatalf("commit b: %d", code)
		}
		for range 14 { // 70 s, heartbeating
			time.Sleep(5 * time.Second)
			if code := e.heartbeat("g", r.MemberID, r.Generation); code != 0 {
				t.Fatalf("heartbeat: %d", code)
			}
		}
		synctest.Wait()
		if got := e.fetched("g", "a", 0); got != 5 {
			t.Fatalf("subscribed topic's offset %d after the retention, want 5", got)
		}
		if got := e.fetched("g", "b", 0); got != -1 {
			t.Fatalf("unsubscribed topic's offset %d after the retention, want -1", got)
		}
		if st := e.describe("g").State; st != "Stable" {
			t.Fatalf("group %s, want Stable", st)
		}
	})
}

// replayLog writes TestReplay's and TestCompaction's log: a member group
// "g" with n commits alternating between partitions 0 and 1 (offset 10*i),
// an offsets-only group "simple" (7), and "gone", committed then deleted.
// It returns g's member.
func (e *env) replayLog(n int) string {
	t := e.t
	t.Helper()
	m := e.stableMember("g", 10000)
	for i := range n {
		if code := e.commit("g", m, 1, "t", int32(i%2), int64(10*i)); code != 0 {
			t.Fatalf("commit: %d", code)
		}
	}
	if code := e.commit("simple", "", -1, "t", 0, 7); code != 0 {
		t.Fatalf("simple commit: %d", code)
	}
	if code := e.commit("gone", "", -1, "t", 0, 9); code != 0 {
		t.Fatalf("simple commit: %d", code)
	}
	del := kmsg.NewPtrDeleteGroupsRequest()
	del.Groups = []string{"gone"}
	if code := e.c.DeleteGroups(del).Groups[0].ErrorCode; code != 0 {
		t.Fatalf("delete: %d", code)
	}
	return m
}

// checkReplayed checks the state a replay of replayLog's log rebuilds:
// g's offsets last0 and last1, its member m, "simple" and not "gone".
func (e *env) checkReplayed(m string, last0, last1 int64) {
	t := e.t
	t.Helper()
	if got := []int64{e.fetched("g", "t", 0), e.fetched("g", "t", 1), e.fetched("simple", "t", 0), e.fetched("gone", "t", 0)}; got[0] != last0 || got[1] != last1 || got[2] != 7 || got[3] != -1 {
		t.Fatalf("offsets after replay %v, want [%d %d 7 -1]", got, last0, last1)
	}
	g := e.describe("g")
	if g.State != "Stable" || len(g.Members) != 1 || g.Members[0].MemberID != m || string(g.Members[0].MemberAssignment) != "a" || string(g.Members[0].ProtocolMetadata) != "md" {
		t.Fatalf("group after replay: %+v", g)
	}
	list := e.c.ListGroups(kmsg.NewPtrListGroupsRequest())
	if len(list.Groups) != 2 || list.Groups[0].Group != "g" || list.Groups[1].Group != "simple" || list.Groups[1].GroupState != "Empty" {
		t.Fatalf("groups after replay: %+v", list.Groups)
	}
}

// TestCompaction: the log cleaner (package compact, as the registry runs
// it on __consumer_offsets) keeps the last record of every key; a replay
// of the cleaned logs reads only those (and the tombstones not yet due)
// and rebuilds the same state as TestReplay's: the member group with its
// member, the last offsets, the offsets-only group, not the deleted one.
// The log keeps its offsets: the last commits are where they were.
func TestCompaction(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, Options{MinSessionTimeout: time.Second, MaxSessionTimeout: time.Minute})
		e.cfg.SegmentBytes = 2048 // many segments: only the active one stays dirty
		e.reopen()
		m := e.replayLog(300)
		p := PartitionFor("g", len(e.logs))
		end := e.logs[p].HighWatermark()
		e.close()
		e.openLogs()
		cleanAll(t, e.logs, e.cfg)
		for _, l := range e.logs {
			_ = l.Close()
		}
		e.logs = nil
		e.open()
		if got := e.logs[p].HighWatermark(); got != end {
			t.Fatalf("end offset %d after cleaning, want %d", got, end)
		}
		// Live keys: g's metadata and two offsets; simple's offset;
		// gone's offset and metadata tombstones (delete.retention.ms not
		// passed). Plus what the active segments hold.
		t.Logf("replay after cleaning: %+v", e.c.Replayed())
		if r := e.c.Replayed(); r.Records > 40 {
			t.Fatalf("replay read %+v after cleaning 300 commits; want at most 40 records", r)
		}
		e.checkReplayed(m, 2980, 2990)
	})
}
