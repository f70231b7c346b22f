package server

// AlterConfigs: v0-2
//
// The legacy API: a topic's whole override set is replaced by the
// request's (configs it leaves out return to their defaults). Brokers (this
// node.id, or "" for the cluster default): the level's whole set of dynamic
// broker configs is replaced likewise (dynamic_configs.go), with Kafka's
// checks (a name twice, a null value, a property that cannot change at run
// time, a bad value: INVALID_REQUEST). Client metrics subscriptions
// (CLIENT_METRICS): the set replaced likewise, none deletes it
// (client_metrics.go). Other resource types, broker loggers included:
// INVALID_REQUEST.
//
// Version notes:
//   - v1: ThrottleMillis semantics (after the response)
//   - v2: flexible

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (s *Server) handleAlterConfigs(r *request) (reply, error) {
	req := r.kreq.(*kmsg.AlterConfigsRequest)
	resp := req.ResponseKind().(*kmsg.AlterConfigsResponse)
	for _, rr := range req.Resources {
		res := kmsg.NewAlterConfigsResponseResource()
		res.ResourceType, res.ResourceName = rr.ResourceType, rr.ResourceName
		if err := s.authorizeConfig(r.c, opAlterConfigs, rr.ResourceType, rr.ResourceName); err != nil {
			res.ErrorCode, res.ErrorMessage = errCode(err), errMessage(err)
			resp.Resources = append(resp.Resources, res)
			continue
		}
		var err error
		switch rr.ResourceType {
		case kmsg.ConfigResourceTypeTopic:
			configs := make(map[string]string, len(rr.Configs))
			for _, c := range rr.Configs {
				if c.Value == nil {
					err = kerrf(kerr.InvalidRequest, "Null value not supported for topic configs: %s", c.Name)
					break
				}
				configs[c.Name] = *c.Value
			}
			if err == nil {
				err = s.alterTopicConfigs(rr.ResourceName, configs, req.ValidateOnly)
			}
		case kmsg.ConfigResourceTypeBroker:
			err = s.legacyBrokerConfigs(rr, req.ValidateOnly)
		case kmsg.ConfigResourceTypeClientMetrics:
			err = s.legacyClientMetrics(rr, req.ValidateOnly)
		default:
			err = kerrf(kerr.InvalidRequest, "Unknown resource type %d", rr.ResourceType)
		}
		res.ErrorCode, res.ErrorMessage = errCode(err), errMessage(err)
		resp.Resources = append(resp.Resources, res)
	}
	return msgReply{resp}, nil
}

// alterTopicConfigs replaces a topic's overrides.
func (s *Server) alterTopicConfigs(name string, configs map[string]string, validateOnly bool) error {
	if _, ok := s.topics.Get(name); !ok {
		return kerrf(kerr.UnknownTopicOrPartition, "The topic '%s' does not exist.", name)
	}
	if err := s.topics.SetConfigs(name, configs, validateOnly); err != nil {
		return err
	}
	if !validateOnly {
		s.log.Info("altered topic configs", "topic", name, "configs", configs)
	}
	return nil
}

func (s *Server) legacyBrokerConfigs(rr kmsg.AlterConfigsRequestResource, validateOnly bool) error {
	names, values, del := make([]string, len(rr.Configs)), make([]*string, len(rr.Configs)), make([]bool, len(rr.Configs))
	configs := make(map[string]string, len(rr.Configs))
	for i, c := range rr.Configs {
		names[i], values[i] = c.Name, c.Value
		if c.Value != nil {
			configs[c.Name] = *c.Value
		}
	}
	if err := checkAlterNames(names, values, del); err != nil {
		return err
	}
	return s.alterBrokerConfigs(rr.ResourceName, func(map[string]string) (map[string]string, error) {
		return configs, nil
	}, validateOnly)
}
