package server

// IncrementalAlterConfigs: v0-1
//
// Topics: SET and DELETE change one override each; APPEND and SUBTRACT
// add items to or remove them from a list config (cleanup.policy,
// *.replicas), starting from its current value (INVALID_CONFIG for other
// configs). A name twice in one resource: INVALID_REQUEST. The result is
// checked as a whole and replaces the topic's overrides. No dynamic broker
// configs: broker resources get INVALID_REQUEST.
//
// Version notes:
//   - v1: flexible

import (
	"maps"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/config"
)

func (s *Server) handleIncrementalAlterConfigs(r *request) (reply, error) {
	req := r.kreq.(*kmsg.IncrementalAlterConfigsRequest)
	resp := req.ResponseKind().(*kmsg.IncrementalAlterConfigsResponse)
	for _, rr := range req.Resources {
		res := kmsg.NewIncrementalAlterConfigsResponseResource()
		res.ResourceType, res.ResourceName = rr.ResourceType, rr.ResourceName
		var err error
		switch rr.ResourceType {
		case kmsg.ConfigResourceTypeTopic:
			err = s.incrementalTopicConfigs(rr, req.ValidateOnly)
		default:
			err = notTopicResource(rr.ResourceType)
		}
		res.ErrorCode, res.ErrorMessage = errCode(err), errMessage(err)
		resp.Resources = append(resp.Resources, res)
	}
	return msgReply{resp}, nil
}

func (s *Server) incrementalTopicConfigs(rr kmsg.IncrementalAlterConfigsRequestResource, validateOnly bool) error {
	t, ok := s.topics.Get(rr.ResourceName)
	if !ok {
		return kerrf(kerr.UnknownTopicOrPartition, "The topic '%s' does not exist.", rr.ResourceName)
	}
	seen := make(map[string]bool, len(rr.Configs))
	for _, c := range rr.Configs {
		if seen[c.Name] {
			return kerrf(kerr.InvalidRequest, "Error due to duplicate config keys")
		}
		seen[c.Name] = true
	}
	types := make(map[string]string)
	for _, d := range config.TopicConfigDefs() {
		types[d.Name] = d.Type
	}
	configs := maps.Clone(t.Configs)
	if configs == nil {
		configs = map[string]string{}
	}
	for _, c := range rr.Configs {
		switch c.Op {
		case kmsg.IncrementalAlterConfigOpSet:
			if c.Value == nil {
				return kerrf(kerr.InvalidRequest, "Null value not supported for : %s", c.Name)
			}
			configs[c.Name] = *c.Value
		case kmsg.IncrementalAlterConfigOpDelete:
			delete(configs, c.Name)
		case kmsg.IncrementalAlterConfigOpAppend, kmsg.IncrementalAlterConfigOpSubtract:
			typ, known := types[c.Name]
			if !known {
				return kerrf(kerr.InvalidConfig, "Unknown topic config name: %s", c.Name)
			}
			if typ != "list" {
				return kerrf(kerr.InvalidConfig, "Config value append is not allowed for config key: %s", c.Name)
			}
			cur, _, _ := s.cfg.TopicConfigValue(c.Name, configs)
			items := splitList(cur)
			var arg []string
			if c.Value != nil {
				arg = splitList(*c.Value)
			}
			for _, a := range arg {
				i := slices.Index(items, a)
				switch {
				case c.Op == kmsg.IncrementalAlterConfigOpAppend && i < 0:
					items = append(items, a)
				case c.Op == kmsg.IncrementalAlterConfigOpSubtract && i >= 0:
					items = slices.Delete(items, i, i+1)
				}
			}
			configs[c.Name] = strings.Join(items, ",")
		default:
			return kerrf(kerr.InvalidRequest, "Unknown operation %d for config %s", c.Op, c.Name)
		}
	}
	return s.alterTopicConfigs(rr.ResourceName, configs, validateOnly)
}

// splitList splits a Kafka list value: comma-separated, trimmed, empty
// items dropped.
func splitList(v string) []string {
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
