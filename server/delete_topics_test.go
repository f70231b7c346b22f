package server

import (
	"net"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// committedRaw is the group's committed offset of each partition of a
// topic, as an OffsetFetch v8 asking for them by name answers (-1: none).
func committedRaw(t *testing.T, s *Server, group, topicName string, partitions ...int32) []int64 {
	t.Helper()
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Version = 8
	req.Groups = []kmsg.OffsetFetchRequestGroup{{Group: group, Topics: []kmsg.OffsetFetchRequestGroupTopic{{Topic: topicName, Partitions: partitions}}}}
	resp := dialRaw(t, s).roundTrip(req).(*kmsg.OffsetFetchResponse)
	if len(resp.Groups) != 1 || resp.Groups[0].ErrorCode != 0 || len(resp.Groups[0].Topics) != 1 {
		t.Fatalf("OffsetFetch: %+v", resp)
	}
	var out []int64
	for _, p := range resp.Groups[0].Topics[0].Partitions {
		if p.ErrorCode != 0 {
			t.Fatalf("OffsetFetch partition %d: error %d", p.Partition, p.ErrorCode)
		}
		out = append(out, p.Offset)
	}
	return out
}

// groupState is the group's state as ListGroups shows it ("" when it is
// not listed: Dead, or never existed).
func groupState(t *testing.T, adm *kadm.Client, group string) string {
	t.Helper()
	lg, err := adm.ListGroups(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	return lg[group].State
}

// waitGroupState waits until ListGroups shows group in state want.
func waitGroupState(t *testing.T, adm *kadm.Client, group, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := groupState(t, adm, group)
		if st == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("group %s is %q, want %q", group, st, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDeleteTopicDropsGroupOffsets (Strata issue 24, item 11): group
// billing consumes 100 records of orders and commits; orders is deleted
// and recreated and gets 150 records. Deleting the topic removed the
// group's offsets of it (Kafka's onPartitionsDeleted: tombstones in
// __consumer_offsets), so OffsetFetch answers -1, the group, empty and
// without offsets, is Dead, and a consumer of billing with
// auto.offset.reset=earliest reads the new topic from offset 0: all 150
// records. Also when the broker restarts between the recreation and the
// consumer (the tombstones are replayed).
func TestDeleteTopicDropsGroupOffsets(t *testing.T) {
	for _, restart := range []bool{false, true} {
		t.Run(map[bool]string{false: "live", true: "restart"}[restart], func(t *testing.T) {
			dir := t.TempDir()
			s, err := Start(testConfig(t, dir, groupSettings...), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ctx := testCtx(t)
			adm := newAdmin(t, s)
			first, err := adm.CreateTopic(ctx, 1, 1, nil, "orders")
			if err != nil {
				t.Fatal(err)
			}
			produceKeyed(t, s, "orders", 100, 0)
			col := newCollector()
			cl := startConsumer(t, s, "b1", "billing", "orders", col)
			col.waitFor(t, ctx, 100)
			waitCommittedOne(t, s, "billing", "orders", 100)
			cl.Close()
			waitGroupState(t, adm, "billing", "Empty")

			if _, err := adm.DeleteTopic(ctx, "orders"); err != nil {
				t.Fatalf("delete orders: %v", err)
			}
			if got := committedRaw(t, s, "billing", "orders", 0); got[0] != -1 {
				t.Fatalf("billing's offset of the deleted orders: %d, want -1", got[0])
			}
			if st := groupState(t, adm, "billing"); st != "" {
				t.Fatalf("billing is %s after its only offsets went, want Dead (not listed)", st)
			}
			second, err := adm.CreateTopic(ctx, 1, 1, nil, "orders")
			if err != nil {
				t.Fatal(err)
			}
			if second.ID == first.ID {
				t.Fatalf("recreated orders has the old topic ID %s", second.ID)
			}
			produceKeyed(t, s, "orders", 150, 1000)

			if restart {
				port := s.Addr().(*net.TCPAddr).Port
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				s = startServerIn(t, dir, Options{}, append(slices.Clone(groupSettings), "listeners", "PLAINTEXT://127.0.0.1:"+strconv.Itoa(port))...)
				adm = newAdmin(t, s)
				if st := groupState(t, adm, "billing"); st != "" {
					t.Fatalf("billing is %s after the restart, want Dead (not listed)", st)
				}
			}
			if got := committedRaw(t, s, "billing", "orders", 0); got[0] != -1 {
				t.Fatalf("billing's offset of the recreated orders: %d, want -1", got[0])
			}
			col2 := newCollector()
			startConsumer(t, s, "b2", "billing", "orders", col2)
			got := col2.waitFor(t, ctx, 150)
			checkExactlyOnce(t, got, map[int32]int64{0: 150})
			waitCommittedOne(t, s, "billing", "orders", 150)
		})
	}
}

// waitCommittedOne waits until group's committed offset of partition 0 of
// topic is want.
func waitCommittedOne(t *testing.T, s *Server, group, topicName string, want int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := committedRaw(t, s, group, topicName, 0)[0]
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s committed %d of %s, want %d", group, got, topicName, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDeleteTopicWhileGroupStable: deleting the topic a Stable group is
// consuming removes the group's offsets of it and leaves the group alive
// and served: its member keeps heartbeating (the group stays Stable with
// it), another group commits meanwhile, the member leaves cleanly, and a
// new consumer of the group reads the recreated topic from offset 0. (kgo
// itself does not adopt a recreated topic's new ID in a running client,
// so the first consumer could not go on reading it.)
func TestDeleteTopicWhileGroupStable(t *testing.T) {
	s := startGroupServer(t)
	ctx := testCtx(t)
	adm := newAdmin(t, s)
	if _, err := adm.CreateTopic(ctx, 2, 1, nil, "events"); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "other"); err != nil {
		t.Fatal(err)
	}
	produceKeyed(t, s, "events", 20, 0)
	col := newCollector()
	cl := startConsumer(t, s, "l1", "live", "events", col, kgo.MetadataMinAge(50*time.Millisecond), kgo.MetadataMaxAge(250*time.Millisecond))
	col.waitFor(t, ctx, 20)
	before := waitStable(t, adm, "live", 1, 2)
	waitCommitted(t, adm, "live", "events", 10, 10)

	start := time.Now()
	if _, err := adm.DeleteTopic(ctx, "events"); err != nil {
		t.Fatalf("delete events: %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("DeleteTopics took %v", took)
	}
	if got := committedRaw(t, s, "live", "events", 0, 1); got[0] != -1 || got[1] != -1 {
		t.Fatalf("live's offsets of the deleted events: %v, want [-1 -1]", got)
	}
	oc := kadm.Offsets{}
	oc.Add(kadm.Offset{Topic: "other", Partition: 0, At: 3, LeaderEpoch: -1})
	if r, err := adm.CommitOffsets(ctx, "solo", oc); err != nil || r.Error() != nil {
		t.Fatalf("another group's commit: %v %v", err, r.Error())
	}
	if got := committedRaw(t, s, "solo", "other", 0); got[0] != 3 {
		t.Fatalf("solo committed %d, want 3", got[0])
	}
	// Well past a few heartbeats (100 ms), and the client's metadata
	// refreshes without the topic, the group still has its member.
	time.Sleep(time.Second)
	dg, err := adm.DescribeGroups(ctx, "live")
	if err != nil {
		t.Fatal(err)
	}
	if g := dg["live"]; g.Err != nil || g.State != "Stable" || len(g.Members) != 1 || g.Members[0].MemberID != before.Members[0].MemberID {
		t.Fatalf("live after the deletion: %s, members %+v, err %v", g.State, g.Members, g.Err)
	}

	if _, err := adm.CreateTopic(ctx, 2, 1, nil, "events"); err != nil {
		t.Fatal(err)
	}
	produceKeyed(t, s, "events", 30, 100)
	cl.Close()
	waitGroupState(t, adm, "live", "Empty")
	col2 := newCollector()
	startConsumer(t, s, "l2", "live", "events", col2)
	checkExactlyOnce(t, col2.waitFor(t, ctx, 30), map[int32]int64{0: 15, 1: 15})
	waitStable(t, adm, "live", 1, 2)
	waitCommitted(t, adm, "live", "events", 15, 15)
}
