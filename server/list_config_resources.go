package server

// ListConfigResources: v0-1 (KIP-1000 as ListClientMetricsResources,
// KIP-1142)
//
// v0 lists the client metrics subscriptions. v1 takes resource types
// (none: every type the broker supports at v1: GROUP, CLIENT_METRICS,
// BROKER_LOGGER, BROKER, TOPIC) and lists the resources of each, in that
// order as Kafka's KafkaApis.handleListConfigResources does; a type it
// does not support fails the whole request with UNSUPPORTED_VERSION.
//
// Version notes:
//   - v1: ResourceTypes; each resource's Type

import (
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/group"
)

// listOrder is the order in which Kafka adds each type's resources.
var listOrder = []kmsg.ConfigResourceType{
	kmsg.ConfigResourceTypeGroupConfig,
	kmsg.ConfigResourceTypeClientMetrics,
	kmsg.ConfigResourceTypeBrokerLogger,
	kmsg.ConfigResourceTypeBroker,
	kmsg.ConfigResourceTypeTopic,
}

func (s *Server) handleListConfigResources(r *request) (reply, error) {
	// DESCRIBE_CONFIGS on the cluster (Kafka's handleListClientMetricsResources).
	if rep := s.clusterDenied(r, opDescribeConfigs); rep != nil {
		return rep, nil
	}
	req := r.kreq.(*kmsg.ListConfigResourcesRequest)
	resp := req.ResponseKind().(*kmsg.ListConfigResourcesResponse)
	supported := map[int8]bool{int8(kmsg.ConfigResourceTypeClientMetrics): true}
	if req.Version >= 1 {
		for _, t := range listOrder {
			supported[int8(t)] = true
		}
	}
	want := map[int8]bool{}
	for _, t := range req.ResourceTypes {
		if !supported[t] {
			resp.ErrorCode = kerr.UnsupportedVersion.Code
			return msgReply{resp}, nil
		}
		want[t] = true
	}
	if len(want) == 0 {
		want = supported
	}
	add := func(t kmsg.ConfigResourceType, name string) {
		res := kmsg.NewListConfigResourcesResponseConfigResource()
		res.Name, res.Type = name, int8(t)
		resp.ConfigResources = append(resp.ConfigResources, res)
	}
	for _, t := range listOrder {
		if !want[int8(t)] {
			continue
		}
		switch t {
		case kmsg.ConfigResourceTypeGroupConfig:
			for _, g := range s.groupNames() {
				add(t, g)
			}
		case kmsg.ConfigResourceTypeClientMetrics:
			for _, n := range s.telemetry.Names() {
				add(t, n)
			}
		case kmsg.ConfigResourceTypeBrokerLogger, kmsg.ConfigResourceTypeBroker:
			add(t, strconv.Itoa(int(s.cfg.NodeID)))
		case kmsg.ConfigResourceTypeTopic:
			for _, tp := range s.topics.List() {
				add(t, tp.Name)
			}
		}
	}
	return msgReply{resp}, nil
}

// groupNames returns the groups the coordinator knows (none before
// __consumer_offsets exists).
func (s *Server) groupNames() []string {
	s.groupsMu.Lock()
	g := s.groups
	s.groupsMu.Unlock()
	if g == nil {
		return nil
	}
	return listGroupIDs(g)
}

func listGroupIDs(g *group.Coordinator) []string {
	lr := g.ListGroups(kmsg.NewPtrListGroupsRequest())
	out := make([]string, 0, len(lr.Groups))
	for _, gr := range lr.Groups {
		out = append(out, gr.Group)
	}
	return out
}
