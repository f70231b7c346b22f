package group

import (
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestDeleteTopicOffsets (Strata issue 24, item 11): DeleteTopicOffsets
// removes every group's offsets of the deleted topic, including one whose
// commit is still being appended; empty groups left without offsets are
// removed, others keep their other offsets and their members. The same
// after a replay.
func TestDeleteTopicOffsets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		opts := testOpts
		opts.InitialRebalanceDelay = 0
		h := newHolder("d", &opts)
		e := newEnv(t, opts)
		for _, c := range []struct {
			group, topic string
			off          int64
		}{{"a", "t", 1}, {"a", "u", 2}, {"b", "t", 3}} {
			if code := e.commit(c.group, "", -1, c.topic, 0, c.off); code != 0 {
				t.Fatalf("commit %s: %d", c.group, code)
			}
		}
		m := e.stableMember("c", 10000)
		if code := e.commit("c", m, 1, "t", 1, 4); code != 0 {
			t.Fatalf("commit c: %d", code)
		}
		held := e.commitHeld(h, "d", "", -1, "t", 0, 8)
		errc := make(chan error, 1)
		go func() { errc <- e.c.DeleteTopicOffsets([]string{"t"}) }()
		synctest.Wait()
		h.free()
		if code := <-held; code != 0 {
			t.Fatalf("held commit: %d", code)
		}
		if err := <-errc; err != nil {
			t.Fatalf("DeleteTopicOffsets: %v", err)
		}
		check := func(when string) {
			t.Helper()
			got := []int64{e.fetched("a", "t", 0), e.fetched("a", "u", 0), e.fetched("b", "t", 0), e.fetched("c", "t", 1), e.fetched("d", "t", 0)}
			if !slices.Equal(got, []int64{-1, 2, -1, -1, -1}) {
				t.Fatalf("%s: offsets %v, want [-1 2 -1 -1 -1]", when, got)
			}
			var groups []string
			for _, g := range e.c.ListGroups(kmsg.NewPtrListGroupsRequest()).Groups {
				groups = append(groups, g.Group+":"+g.GroupState)
			}
			if !slices.Equal(groups, []string{"a:Empty", "c:Stable"}) {
				t.Fatalf("%s: groups %v, want [a:Empty c:Stable]", when, groups)
			}
			if code := e.heartbeat("c", m, 1); code != 0 {
				t.Fatalf("%s: c's member heartbeat: %d", when, code)
			}
		}
		check("after the deletion")
		e.reopen()
		check("after replay")
	})
}

// TestDeleteTopicOffsetsChunks: the tombstones of a group's offsets of a
// deleted topic go in batches under max.message.bytes: 3000 partitions of
// a 249-character topic in a 200-character group take about 1.4 MB of
// keys, more than the 1 MiB default, and all go, also after a replay.
func TestDeleteTopicOffsetsChunks(t *testing.T) {
	e := newEnv(t, testOpts)
	group, topic := strings.Repeat("g", 200), strings.Repeat("t", 249)
	for from := int32(0); from < 3000; from += 1000 {
		req := kmsg.NewPtrOffsetCommitRequest()
		req.Version = 7
		req.Group, req.Generation = group, -1
		rt := kmsg.OffsetCommitRequestTopic{Topic: topic}
		for p := from; p < from+1000; p++ {
			rt.Partitions = append(rt.Partitions, kmsg.OffsetCommitRequestTopicPartition{Partition: p, Offset: int64(p), LeaderEpoch: -1})
		}
		req.Topics = []kmsg.OffsetCommitRequestTopic{rt}
		for _, p := range e.c.OffsetCommit(req).Topics[0].Partitions {
			if p.ErrorCode != 0 {
				t.Fatalf("commit of partition %d: %d", p.Partition, p.ErrorCode)
			}
		}
	}
	if got := e.fetched(group, topic, 2999); got != 2999 {
		t.Fatalf("committed %d, want 2999", got)
	}
	if err := e.c.DeleteTopicOffsets([]string{topic}); err != nil {
		t.Fatalf("DeleteTopicOffsets: %v", err)
	}
	for _, when := range []string{"after the deletion", "after replay"} {
		if when == "after replay" {
			e.reopen()
		}
		req := kmsg.NewPtrOffsetFetchRequest()
		req.Version = 8
		req.Groups = []kmsg.OffsetFetchRequestGroup{{Group: group}}
		if left := e.c.OffsetFetch(req).Groups[0].Topics; len(left) != 0 {
			t.Fatalf("%s: %d topics with offsets left", when, len(left))
		}
		if n := len(e.c.ListGroups(kmsg.NewPtrListGroupsRequest()).Groups); n != 0 {
			t.Fatalf("%s: %d groups, want 0", when, n)
		}
	}
}
