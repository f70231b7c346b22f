package server

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestOffsetCommitFetchByTopicID: OffsetCommit and OffsetFetch v10 name
// topics by ID; an unknown ID gets UNKNOWN_TOPIC_ID and commits nothing.
func TestOffsetCommitFetchByTopicID(t *testing.T) {
	s := startServer(t, groupSettings...)
	if _, err := s.topics.Create("byid", 2, nil, false); err != nil {
		t.Fatal(err)
	}
	id := mustTopic(t, s, "byid").ID
	bogus := [16]byte{1, 2, 3}
	rc := dialRaw(t, s)

	commit := kmsg.NewPtrOffsetCommitRequest()
	commit.Version, commit.Group, commit.Generation = 10, "g10", -1
	for _, tid := range [][16]byte{id, bogus} {
		rt := kmsg.NewOffsetCommitRequestTopic()
		rt.TopicID = tid
		rp := kmsg.NewOffsetCommitRequestTopicPartition()
		rp.Partition, rp.Offset, rp.LeaderEpoch = 1, 42, -1
		rt.Partitions = append(rt.Partitions, rp)
		commit.Topics = append(commit.Topics, rt)
	}
	cresp := rc.roundTrip(commit).(*kmsg.OffsetCommitResponse)
	if len(cresp.Topics) != 2 || cresp.Topics[0].TopicID != id || cresp.Topics[0].Partitions[0].ErrorCode != 0 ||
		cresp.Topics[1].TopicID != bogus || cresp.Topics[1].Partitions[0].ErrorCode != kerr.UnknownTopicID.Code {
		t.Fatalf("commit v10 answer %+v", cresp.Topics)
	}

	fetch := kmsg.NewPtrOffsetFetchRequest()
	fetch.Version = 10
	rg := kmsg.NewOffsetFetchRequestGroup()
	rg.Group = "g10"
	for _, tid := range [][16]byte{id, bogus} {
		ft := kmsg.NewOffsetFetchRequestGroupTopic()
		ft.TopicID, ft.Partitions = tid, []int32{0, 1}
		rg.Topics = append(rg.Topics, ft)
	}
	fetch.Groups = append(fetch.Groups, rg)
	fresp := rc.roundTrip(fetch).(*kmsg.OffsetFetchResponse)
	g := fresp.Groups[0]
	if g.ErrorCode != 0 || len(g.Topics) != 2 || g.Topics[0].TopicID != id || g.Topics[1].TopicID != bogus {
		t.Fatalf("fetch v10 answer %+v", g)
	}
	if p := g.Topics[0].Partitions; len(p) != 2 || p[0].Offset != -1 || p[1].Offset != 42 {
		t.Fatalf("fetched offsets %+v, want -1 and 42", p)
	}
	if p := g.Topics[1].Partitions; len(p) != 2 || p[0].ErrorCode != kerr.UnknownTopicID.Code {
		t.Fatalf("unknown topic ID answer %+v", p)
	}

	// Every committed topic (null topics), by ID.
	all := kmsg.NewPtrOffsetFetchRequest()
	all.Version = 10
	ag := kmsg.NewOffsetFetchRequestGroup()
	ag.Group = "g10"
	all.Groups = append(all.Groups, ag)
	aresp := rc.roundTrip(all).(*kmsg.OffsetFetchResponse)
	if ts := aresp.Groups[0].Topics; len(ts) != 1 || ts[0].TopicID != id || len(ts[0].Partitions) != 1 || ts[0].Partitions[0].Offset != 42 {
		t.Fatalf("all-topics fetch v10 %+v", ts)
	}
}

// TestDeleteGroupsV3Message: DeleteGroups v3 says why a group was not
// deleted.
func TestDeleteGroupsV3Message(t *testing.T) {
	s := startServer(t, groupSettings...)
	rc := dialRaw(t, s)
	req := kmsg.NewPtrDeleteGroupsRequest()
	req.Version, req.Groups = 3, []string{"nobody"}
	resp := rc.roundTrip(req).(*kmsg.DeleteGroupsResponse)
	g := resp.Groups[0]
	if g.ErrorCode != kerr.GroupIDNotFound.Code || g.ErrorMessage == nil || *g.ErrorMessage != kerr.GroupIDNotFound.Description {
		t.Fatalf("answer %+v (message %v), want GROUP_ID_NOT_FOUND with its description", g, g.ErrorMessage)
	}
}
