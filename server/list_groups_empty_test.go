package server

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestListGroupsCreatesNothing: ListGroups on a broker that has never
// served a group answers an empty list without error and does not create
// __consumer_offsets; FindCoordinator for a group does.
func TestListGroupsCreatesNothing(t *testing.T) {
	s := startServer(t)
	cl := newClient(t, s)
	for v := int16(0); v <= 5; v++ {
		req := kmsg.NewPtrListGroupsRequest()
		req.Version = v
		resp, err := req.RequestWith(testCtx(t), cl)
		if err != nil {
			t.Fatal(err)
		}
		if resp.ErrorCode != 0 || len(resp.Groups) != 0 {
			t.Fatalf("v%d: error %d, groups %v", v, resp.ErrorCode, resp.Groups)
		}
	}
	if _, ok := s.topics.Get(offsetsTopic); ok {
		t.Fatal("ListGroups created __consumer_offsets")
	}
	fc := kmsg.NewPtrFindCoordinatorRequest()
	fc.CoordinatorKey = "g"
	if _, err := fc.RequestWith(testCtx(t), cl); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.topics.Get(offsetsTopic); !ok {
		t.Fatal("FindCoordinator did not create __consumer_offsets")
	}
}
