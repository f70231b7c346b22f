package server

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// groupSettings make rebalances quick in tests.
var groupSettings = []string{"group.initial.rebalance.delay.ms", "0", "offsets.topic.num.partitions", "4"}

func startGroupServer(t *testing.T, settings ...string) *Server {
	t.Helper()
	return startServer(t, append(slices.Clone(groupSettings), settings...)...)
}

// groupConsumer is one kgo consumer of a group; it commits synchronously
// after every poll and reports what it got.
type groupConsumer struct {
	name string
	cl   *kgo.Client
}

type delivery struct {
	partition int32
	offset    int64
	consumer  string
}

// collector gathers the records every consumer received.
type collector struct {
	mu   sync.Mutex
	got  []delivery
	more chan struct{}
}

func newCollector() *collector { return &collector{more: make(chan struct{}, 1)} }

func (c *collector) add(d delivery) {
	c.mu.Lock()
	c.got = append(c.got, d)
	c.mu.Unlock()
	select {
	case c.more <- struct{}{}:
	default:
	}
}

// waitFor waits until n deliveries arrived.
func (c *collector) waitFor(t *testing.T, ctx context.Context, n int) []delivery {
	t.Helper()
	for {
		c.mu.Lock()
		got := slices.Clone(c.got)
		c.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-c.more:
		case <-ctx.Done():
			t.Fatalf("received %d of %d records", len(got), n)
		}
	}
}

// startConsumer runs a consumer of topic in group until the test ends.
func startConsumer(t *testing.T, s *Server, name, group, topicName string, col *collector, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(s.Addr().String()),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topicName),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.HeartbeatInterval(100 * time.Millisecond),
		kgo.SessionTimeout(6 * time.Second),
		kgo.ClientID(name),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			if fs.IsClientClosed() {
				return
			}
			fs.EachRecord(func(r *kgo.Record) {
				col.add(delivery{r.Partition, r.Offset, name})
			})
			if err := cl.CommitUncommittedOffsets(ctx); err != nil && ctx.Err() == nil {
				t.Errorf("%s: commit: %v", name, err)
			}
		}
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			<-done
			cl.Close()
		})
	}
	t.Cleanup(stop)
	return cl
}

// waitStable waits until DescribeGroups shows group Stable with members
// members whose consumer assignments cover partitions partitions.
func waitStable(t *testing.T, adm *kadm.Client, group string, members, partitions int) kadm.DescribedGroup {
	t.Helper()
	ctx := testCtx(t)
	for {
		dg, err := adm.DescribeGroups(ctx, group)
		if err != nil {
			t.Fatal(err)
		}
		g := dg[group]
		n := 0
		for _, m := range g.Members {
			if ca, ok := m.Assigned.AsConsumer(); ok {
				for _, tp := range ca.Topics {
					n += len(tp.Partitions)
				}
			}
		}
		if g.State == "Stable" && len(g.Members) == members && n == partitions {
			return g
		}
		select {
		case <-ctx.Done():
			t.Fatalf("group %s: state %s, %d members, %d partitions assigned", group, g.State, len(g.Members), n)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func produceKeyed(t *testing.T, s *Server, topicName string, n, base int) {
	t.Helper()
	cl := newClient(t, s, kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	ctx := testCtx(t)
	rs := make([]*kgo.Record, n)
	for i := range rs {
		rs[i] = &kgo.Record{Topic: topicName, Value: []byte("v" + strconv.Itoa(base+i))}
	}
	if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	cl.Close()
}

// checkExactlyOnce asserts that deliveries are exactly offsets 0..n-1 of
// every partition (n from hw) and returns who consumed each partition.
func checkExactlyOnce(t *testing.T, got []delivery, hw map[int32]int64) map[int32]map[string]bool {
	t.Helper()
	seen := map[[2]int64]string{}
	owners := map[int32]map[string]bool{}
	for _, d := range got {
		k := [2]int64{int64(d.partition), d.offset}
		if prev, dup := seen[k]; dup {
			t.Fatalf("partition %d offset %d delivered twice (%s, %s)", d.partition, d.offset, prev, d.consumer)
		}
		seen[k] = d.consumer
		if owners[d.partition] == nil {
			owners[d.partition] = map[string]bool{}
		}
		owners[d.partition][d.consumer] = true
	}
	total := 0
	for p, n := range hw {
		for o := range n {
			if _, ok := seen[[2]int64{int64(p), o}]; !ok {
				t.Fatalf("partition %d offset %d never delivered", p, o)
			}
		}
		total += int(n)
	}
	if len(seen) != total {
		t.Fatalf("%d distinct deliveries, want %d", len(seen), total)
	}
	return owners
}

func highWatermarks(t *testing.T, s *Server, topicName string) map[int32]int64 {
	t.Helper()
	tp := mustTopic(t, s, topicName)
	hw := map[int32]int64{}
	for i, l := range tp.Partitions {
		hw[int32(i)] = l.HighWatermark()
	}
	return hw
}

// TestGroupPointToPoint: three consumers of one group over six partitions
// get disjoint shares and together every record exactly once; when one
// leaves, the other two take its partitions over from its commits and lose
// nothing. With the cooperative-sticky and the range (eager) assignors.
func TestGroupPointToPoint(t *testing.T) {
	for _, bal := range []struct {
		name string
		b    kgo.GroupBalancer
	}{{"cooperative-sticky", kgo.CooperativeStickyBalancer()}, {"range", kgo.RangeBalancer()}} {
		t.Run(bal.name, func(t *testing.T) {
			s := startGroupServer(t)
			if _, err := s.topics.Create("p2p", 6, nil, false); err != nil {
				t.Fatal(err)
			}
			adm := newAdmin(t, s)
			col := newCollector()
			var cls []*kgo.Client
			for i := range 3 {
				cls = append(cls, startConsumer(t, s, fmt.Sprintf("c%d", i), "g-"+bal.name, "p2p", col, kgo.Balancers(bal.b)))
			}
			waitStable(t, adm, "g-"+bal.name, 3, 6)
			produceKeyed(t, s, "p2p", 600, 0)
			ctx := testCtx(t)
			got := col.waitFor(t, ctx, 600)
			owners := checkExactlyOnce(t, got, highWatermarks(t, s, "p2p"))
			perConsumer := map[string]int{}
			for p, o := range owners {
				if len(o) != 1 {
					t.Fatalf("partition %d consumed by %v", p, o)
				}
				for name := range o {
					perConsumer[name]++
				}
			}
			if len(perConsumer) != 3 || perConsumer["c0"] != 2 || perConsumer["c1"] != 2 || perConsumer["c2"] != 2 {
				t.Fatalf("partitions per consumer: %v", perConsumer)
			}

			// c2 leaves; c0 and c1 take over from its committed offsets.
			cls[2].Close()
			waitStable(t, adm, "g-"+bal.name, 2, 6)
			produceKeyed(t, s, "p2p", 600, 600)
			got = col.waitFor(t, ctx, 1200)
			checkExactlyOnce(t, got, highWatermarks(t, s, "p2p"))
			for _, d := range got[600:] {
				if d.consumer == "c2" {
					t.Fatalf("c2 consumed partition %d offset %d after leaving", d.partition, d.offset)
				}
			}
		})
	}
}

// TestGroupPublishSubscribe: two groups on one topic each get every record.
func TestGroupPublishSubscribe(t *testing.T) {
	s := startGroupServer(t)
	if _, err := s.topics.Create("pubsub", 3, nil, false); err != nil {
		t.Fatal(err)
	}
	produceKeyed(t, s, "pubsub", 300, 0)
	hw := highWatermarks(t, s, "pubsub")
	ctx := testCtx(t)
	for _, g := range []string{"ga", "gb"} {
		col := newCollector()
		startConsumer(t, s, g+"-1", g, "pubsub", col)
		checkExactlyOnce(t, col.waitFor(t, ctx, 300), hw)
	}

	// __consumer_offsets exists now, listed with all topics and flagged
	// internal, as Kafka lists it.
	adm := newAdmin(t, s)
	all, err := adm.Metadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if td, ok := all.Topics["__consumer_offsets"]; !ok || !td.IsInternal || len(all.Topics) != 2 {
		t.Fatalf("all topics: %v", all.Topics.Names())
	}
	named, err := adm.Metadata(ctx, "__consumer_offsets")
	if err != nil {
		t.Fatal(err)
	}
	if td := named.Topics["__consumer_offsets"]; td.Err != nil || !td.IsInternal || len(td.Partitions) != 4 {
		t.Fatalf("named: %+v", td)
	}
}

// copyDir copies a running server's data directory: what a kill -9 leaves
// on disk (every write is in the page cache; no clean-shutdown marker).
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestGroupRestart: a consumer commits, the broker restarts (cleanly, and
// from a copy of its files taken while it ran, as kill -9 leaves them) on
// the same port. The group comes back with its member, which carries on
// heartbeating without a rebalance; committed offsets, DescribeGroups and
// lag are right; a new consumer of the group resumes after the commits.
func TestGroupRestart(t *testing.T) {
	for _, crash := range []bool{false, true} {
		t.Run(map[bool]string{false: "clean", true: "kill"}[crash], func(t *testing.T) {
			dir := t.TempDir()
			s1, err := Start(testConfig(t, dir, groupSettings...), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s1.Close()
			port := s1.Addr().(*net.TCPAddr).Port
			if _, err := s1.topics.Create("rt", 2, nil, false); err != nil {
				t.Fatal(err)
			}
			produceKeyed(t, s1, "rt", 100, 0)
			ctx := testCtx(t)
			col := newCollector()
			cl := startConsumer(t, s1, "r1", "rg", "rt", col, kgo.SeedBrokers(s1.Addr().String()))
			col.waitFor(t, ctx, 100)
			adm1 := kadm.NewClient(newClient(t, s1))
			before := waitStable(t, adm1, "rg", 1, 2)
			waitCommitted(t, adm1, "rg", "rt", 50, 50)

			dataDir := dir
			if crash {
				dataDir = t.TempDir()
				copyDir(t, dir, dataDir)
			}
			if err := s1.Close(); err != nil {
				t.Fatal(err)
			}
			s2 := startServerIn(t, dataDir, Options{}, append(slices.Clone(groupSettings), "listeners", "PLAINTEXT://127.0.0.1:"+strconv.Itoa(port))...)
			adm := newAdmin(t, s2)
			after := waitStable(t, adm, "rg", 1, 2)
			if after.Members[0].MemberID != before.Members[0].MemberID {
				t.Fatalf("member %s after restart, %s before", after.Members[0].MemberID, before.Members[0].MemberID)
			}
			produceKeyed(t, s2, "rt", 50, 100)
			got := col.waitFor(t, ctx, 150)
			checkExactlyOnce(t, got, highWatermarks(t, s2, "rt"))
			waitCommitted(t, adm, "rg", "rt", 75, 75)
			lags, err := adm.Lag(ctx, "rg")
			if err != nil {
				t.Fatal(err)
			}
			if total := lags["rg"].Lag.Total(); total != 0 {
				t.Fatalf("lag %d after consuming everything", total)
			}
			if g := lags["rg"]; g.State != "Stable" || len(g.Members) != 1 || g.Members[0].MemberID != before.Members[0].MemberID {
				t.Fatalf("after restart: state %s, members %+v", g.State, g.Members)
			}

			// The member leaves; a new consumer resumes after the commits.
			cl.Close()
			produceKeyed(t, s2, "rt", 10, 150)
			col2 := newCollector()
			startConsumer(t, s2, "r2", "rg", "rt", col2)
			got = col2.waitFor(t, ctx, 10)
			for _, d := range got {
				if d.offset < 75 {
					t.Fatalf("new consumer got partition %d offset %d, below the committed 75", d.partition, d.offset)
				}
			}
		})
	}
}

// waitCommitted waits until group's committed offsets of topic's
// partitions 0 and 1 are want0 and want1.
func waitCommitted(t *testing.T, adm *kadm.Client, group, topicName string, want0, want1 int64) {
	t.Helper()
	ctx := testCtx(t)
	for {
		offs, err := adm.FetchOffsets(ctx, group)
		if err != nil {
			t.Fatal(err)
		}
		o0, _ := offs.Lookup(topicName, 0)
		o1, _ := offs.Lookup(topicName, 1)
		if o0.At == want0 && o1.At == want1 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("committed %d, %d; want %d, %d", o0.At, o1.At, want0, want1)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestGroupBadInput: hostile and stale requests get Kafka's error codes
// and leave the coordinator's state intact.
func TestGroupBadInput(t *testing.T) {
	s := startGroupServer(t)
	if _, err := s.topics.Create("bt", 2, nil, false); err != nil {
		t.Fatal(err)
	}
	rc := dialRaw(t, s)
	join := func(group, member string, md []byte, session int32) *kmsg.JoinGroupResponse {
		req := kmsg.NewPtrJoinGroupRequest()
		req.Version = 5
		req.Group, req.MemberID, req.ProtocolType = group, member, "consumer"
		req.SessionTimeoutMillis, req.RebalanceTimeoutMillis = session, 10000
		p := kmsg.NewJoinGroupRequestProtocol()
		p.Name, p.Metadata = "range", md
		req.Protocols = []kmsg.JoinGroupRequestProtocol{p}
		return rc.roundTrip(req).(*kmsg.JoinGroupResponse)
	}
	heartbeat := func(group, member string, gen int32) int16 {
		req := kmsg.NewPtrHeartbeatRequest()
		req.Version = 3
		req.Group, req.MemberID, req.Generation = group, member, gen
		return rc.roundTrip(req).(*kmsg.HeartbeatResponse).ErrorCode
	}

	// A 10 MB protocol metadata blob: the join works and the leader sees
	// the blob as sent, but the group record is over __consumer_offsets'
	// max.message.bytes, so SyncGroup fails as Kafka's does and the group
	// goes back to rebalancing.
	big := make([]byte, 10<<20)
	for i := range big {
		big[i] = byte(i)
	}
	r := join("big", "", big, 10000)
	if r.ErrorCode != kerr.MemberIDRequired.Code || r.MemberID == "" {
		t.Fatalf("first join: error %d, member %q", r.ErrorCode, r.MemberID)
	}
	member := r.MemberID
	r = join("big", member, big, 10000)
	if r.ErrorCode != 0 || r.Generation != 1 || r.LeaderID != member || len(r.Members) != 1 || !bytes.Equal(r.Members[0].ProtocolMetadata, big) {
		t.Fatalf("second join: error %d, generation %d, leader %q, %d members", r.ErrorCode, r.Generation, r.LeaderID, len(r.Members))
	}
	sync := kmsg.NewPtrSyncGroupRequest()
	sync.Version = 3
	sync.Group, sync.MemberID, sync.Generation = "big", member, 1
	sync.GroupAssignment = []kmsg.SyncGroupRequestGroupAssignment{{MemberID: member, MemberAssignment: []byte{0, 1}}}
	if code := rc.roundTrip(sync).(*kmsg.SyncGroupResponse).ErrorCode; code != kerr.UnknownServerError.Code {
		t.Fatalf("sync with a 10 MB group record: error %d, want UNKNOWN_SERVER_ERROR", code)
	}
	if code := heartbeat("big", member, 1); code != kerr.RebalanceInProgress.Code {
		t.Fatalf("heartbeat after the failed sync: %d, want REBALANCE_IN_PROGRESS", code)
	}

	// Unknown members, unknown groups, stale generations, no group ID.
	for _, c := range []struct {
		group, member string
		gen           int32
		want          int16
	}{
		{"big", "nobody", 1, kerr.UnknownMemberID.Code},
		{"no-such-group", "nobody", 1, kerr.UnknownMemberID.Code},
		{"big", member, 0, kerr.IllegalGeneration.Code},
		{"big", member, 7, kerr.IllegalGeneration.Code},
		{"", member, 1, kerr.InvalidGroupID.Code},
	} {
		if code := heartbeat(c.group, c.member, c.gen); code != c.want {
			t.Errorf("heartbeat %q/%q gen %d: %d, want %d", c.group, c.member, c.gen, code, c.want)
		}
	}
	if r := join("big", "", nil, 1000); r.ErrorCode != kerr.InvalidSessionTimeout.Code {
		t.Errorf("session timeout 1000 ms: %d, want INVALID_SESSION_TIMEOUT", r.ErrorCode)
	}
	other := kmsg.NewPtrJoinGroupRequest()
	other.Version = 5
	other.Group, other.MemberID, other.ProtocolType, other.SessionTimeoutMillis = "big", member, "connect", 10000
	other.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range"}}
	if code := rc.roundTrip(other).(*kmsg.JoinGroupResponse).ErrorCode; code != kerr.InconsistentGroupProtocol.Code {
		t.Errorf("other protocol type: %d, want INCONSISTENT_GROUP_PROTOCOL", code)
	}

	// The member rejoins with a small blob and the group works again.
	r = join("big", member, []byte{1, 2, 3}, 10000)
	if r.ErrorCode != 0 || r.Generation != 2 {
		t.Fatalf("rejoin: error %d, generation %d", r.ErrorCode, r.Generation)
	}
	sync.Generation = 2
	if sr := rc.roundTrip(sync).(*kmsg.SyncGroupResponse); sr.ErrorCode != 0 || !bytes.Equal(sr.MemberAssignment, []byte{0, 1}) {
		t.Fatalf("sync: error %d, assignment %x", sr.ErrorCode, sr.MemberAssignment)
	}
	if code := heartbeat("big", member, 2); code != 0 {
		t.Fatalf("heartbeat: %d", code)
	}

	// Commits: unknown topics and partitions are refused one by one, the
	// rest is stored; a generation for a group that does not exist is
	// ILLEGAL_GENERATION; oversized metadata is OFFSET_METADATA_TOO_LARGE.
	commit := kmsg.NewPtrOffsetCommitRequest()
	commit.Version = 7
	commit.Group, commit.MemberID, commit.Generation = "big", member, 2
	md := strings.Repeat("m", 4097)
	commit.Topics = []kmsg.OffsetCommitRequestTopic{
		{Topic: "bt", Partitions: []kmsg.OffsetCommitRequestTopicPartition{{Partition: 0, Offset: 5}, {Partition: 2, Offset: 5}, {Partition: 1, Offset: 6, Metadata: &md}}},
		{Topic: "nope", Partitions: []kmsg.OffsetCommitRequestTopicPartition{{Partition: 0, Offset: 1}}},
	}
	cr := rc.roundTrip(commit).(*kmsg.OffsetCommitResponse)
	codes := []int16{cr.Topics[0].Partitions[0].ErrorCode, cr.Topics[0].Partitions[1].ErrorCode, cr.Topics[0].Partitions[2].ErrorCode, cr.Topics[1].Partitions[0].ErrorCode}
	if want := []int16{0, kerr.UnknownTopicOrPartition.Code, kerr.OffsetMetadataTooLarge.Code, kerr.UnknownTopicOrPartition.Code}; !slices.Equal(codes, want) {
		t.Fatalf("commit codes %v, want %v", codes, want)
	}
	commit.Group = "no-such-group"
	if code := rc.roundTrip(commit).(*kmsg.OffsetCommitResponse).Topics[0].Partitions[0].ErrorCode; code != kerr.IllegalGeneration.Code {
		t.Fatalf("commit to a missing group with a generation: %d", code)
	}
	commit.Group, commit.Generation = "big", 1
	if code := rc.roundTrip(commit).(*kmsg.OffsetCommitResponse).Topics[0].Partitions[0].ErrorCode; code != kerr.IllegalGeneration.Code {
		t.Fatalf("commit with a stale generation: %d", code)
	}
	fetch := kmsg.NewPtrOffsetFetchRequest()
	fetch.Version = 5
	fetch.Group = "big"
	fetch.Topics = []kmsg.OffsetFetchRequestTopic{{Topic: "bt", Partitions: []int32{0, 1}}}
	fr := rc.roundTrip(fetch).(*kmsg.OffsetFetchResponse)
	if p := fr.Topics[0].Partitions; p[0].Offset != 5 || p[1].Offset != -1 {
		t.Fatalf("committed offsets %d, %d; want 5, -1", p[0].Offset, p[1].Offset)
	}

	// DeleteGroups: a group with members is not deleted.
	del := kmsg.NewPtrDeleteGroupsRequest()
	del.Version = 2
	del.Groups = []string{"big", "no-such-group"}
	dr := rc.roundTrip(del).(*kmsg.DeleteGroupsResponse)
	if dr.Groups[0].ErrorCode != kerr.NonEmptyGroup.Code || dr.Groups[1].ErrorCode != kerr.GroupIDNotFound.Code {
		t.Fatalf("delete groups: %+v", dr.Groups)
	}
	// The member leaves; then the group and its offsets can be deleted.
	leave := kmsg.NewPtrLeaveGroupRequest()
	leave.Version = 3
	leave.Group = "big"
	leave.Members = []kmsg.LeaveGroupRequestMember{{MemberID: member}, {MemberID: "nobody"}}
	lr := rc.roundTrip(leave).(*kmsg.LeaveGroupResponse)
	if lr.ErrorCode != 0 || lr.Members[0].ErrorCode != 0 || lr.Members[1].ErrorCode != kerr.UnknownMemberID.Code {
		t.Fatalf("leave: %+v", lr)
	}
	describe := kmsg.NewPtrDescribeGroupsRequest()
	describe.Version = 5
	describe.Groups = []string{"big"}
	if g := rc.roundTrip(describe).(*kmsg.DescribeGroupsResponse).Groups[0]; g.State != "Empty" || g.ProtocolType != "consumer" || len(g.Members) != 0 {
		t.Fatalf("after leave: %+v", g)
	}
	del.Groups = []string{"big"}
	if code := rc.roundTrip(del).(*kmsg.DeleteGroupsResponse).Groups[0].ErrorCode; code != 0 {
		t.Fatalf("delete: %d", code)
	}
	describe.Version = 6
	if g := rc.roundTrip(describe).(*kmsg.DescribeGroupsResponse).Groups[0]; g.State != "Dead" || g.ErrorCode != kerr.GroupIDNotFound.Code {
		t.Fatalf("after delete: %+v", g)
	}
	if p := rc.roundTrip(fetch).(*kmsg.OffsetFetchResponse).Topics[0].Partitions; p[0].Offset != -1 {
		t.Fatalf("offset %d after delete", p[0].Offset)
	}
}
