package server

// IncrementalAlterConfigs: v0-1
//
// Topics: SET and DELETE change one override each; APPEND and SUBTRACT
// add items to or remove them from a list config (cleanup.policy,
// *.replicas), starting from its current value (INVALID_CONFIG for other
// configs). A name twice in one resource: INVALID_REQUEST. The result is
// checked as a whole and replaces the topic's overrides.
//
// Brokers (this node.id, or "" for the cluster default): the same
// operations on that level's dynamic broker configs (dynamic_configs.go),
// with Kafka's checks: a name twice or a null value other than DELETE's,
// INVALID_REQUEST; APPEND or SUBTRACT on a property that is not a list,
// INVALID_CONFIG; a property that cannot change at run time or a bad value,
// INVALID_REQUEST. Broker loggers: INVALID_REQUEST (no log4j loggers).
// Client metrics subscriptions (CLIENT_METRICS): client_metrics.go; deleting
// every config of one deletes it.
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
		if err := s.authorizeConfig(r.c, opAlterConfigs, rr.ResourceType, rr.ResourceName); err != nil {
			res.ErrorCode, res.ErrorMessage = errCode(err), errMessage(err)
			resp.Resources = append(resp.Resources, res)
			continue
		}
		var err error
		switch rr.ResourceType {
		case kmsg.ConfigResourceTypeTopic:
			err = s.incrementalTopicConfigs(rr, req.ValidateOnly)
		case kmsg.ConfigResourceTypeBroker:
			err = s.incrementalBrokerConfigs(rr, req.ValidateOnly)
		case kmsg.ConfigResourceTypeClientMetrics:
			err = s.incrementalClientMetrics(rr, req.ValidateOnly)
		case kmsg.ConfigResourceTypeBrokerLogger:
			err = kerrf(kerr.InvalidRequest, "Strata has no log4j loggers: broker logger levels cannot be altered.")
		default:
			err = kerrf(kerr.InvalidRequest, "Unknown resource type %d", rr.ResourceType)
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
			cur, _, _ := s.config().TopicConfigValue(c.Name, configs)
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

func (s *Server) incrementalBrokerConfigs(rr kmsg.IncrementalAlterConfigsRequestResource, validateOnly bool) error {
	names, values, del := make([]string, len(rr.Configs)), make([]*string, len(rr.Configs)), make([]bool, len(rr.Configs))
	ops := make([]config.AlterOp, len(rr.Configs))
	for i, c := range rr.Configs {
		names[i], values[i], del[i] = c.Name, c.Value, c.Op == kmsg.IncrementalAlterConfigOpDelete
		ops[i] = config.AlterOp{Name: c.Name, Op: int8(c.Op), Value: c.Value}
		if c.Op < kmsg.IncrementalAlterConfigOpSet || c.Op > kmsg.IncrementalAlterConfigOpSubtract {
			return kerrf(kerr.InvalidRequest, "Unknown operations type %d", c.Op)
		}
	}
	if err := checkAlterNames(names, values, del); err != nil {
		return err
	}
	return s.alterBrokerConfigs(rr.ResourceName, func(cur map[string]string) (map[string]string, error) {
		return config.AlterBrokerConfigs(cur, ops)
	}, validateOnly)
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
