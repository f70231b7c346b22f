package server

// AlterConfigs: v0-2
//
// The legacy API: a topic's whole override set is replaced by the
// request's (configs it leaves out return to their defaults). Strata has
// no dynamic broker configs: broker resources get INVALID_REQUEST.
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
		default:
			err = notTopicResource(rr.ResourceType)
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

// notTopicResource is what both alter APIs answer for a resource that is
// not a topic: Strata has no dynamic broker configs.
func notTopicResource(rt kmsg.ConfigResourceType) error {
	switch rt {
	case kmsg.ConfigResourceTypeBroker, kmsg.ConfigResourceTypeBrokerLogger:
		return kerrf(kerr.InvalidRequest, "Strata has no dynamic broker configs: set them in server.properties.")
	}
	return kerrf(kerr.InvalidRequest, "Unsupported resource type %d", rt)
}
