package server

// DescribeConfigs: v0-4
//
// Topics: every topic config Kafka 4 lists, with the topic's overrides
// (DYNAMIC_TOPIC_CONFIG), else the broker's value and the source of its
// first synonym: the dynamic broker configs of this broker
// (DYNAMIC_BROKER_CONFIG) or of the cluster default
// (DYNAMIC_DEFAULT_BROKER_CONFIG), the static properties
// (STATIC_BROKER_CONFIG) or Kafka's defaults (DEFAULT_CONFIG). Brokers (our
// node.id): every property Strata knows, with the value in force, read-only
// unless it is dynamic, and every other property it was given, sensitive as
// Kafka shows a name whose type it cannot tell. The cluster-default broker
// resource (""): its dynamic configs only. Broker loggers: none. Sensitive
// values are null. Client metrics subscriptions (CLIENT_METRICS): their
// three configs, defaults included (client_metrics.go).
//
// Version notes:
//   - v1: IncludeSynonyms; Source replaces IsDefault
//   - v3: IncludeDocumentation, ConfigType
//   - v4: flexible

import (
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/config"
)

func (s *Server) handleDescribeConfigs(r *request) (reply, error) {
	req := r.kreq.(*kmsg.DescribeConfigsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeConfigsResponse)
	for _, rr := range req.Resources {
		res := kmsg.NewDescribeConfigsResponseResource()
		res.ResourceType, res.ResourceName = rr.ResourceType, rr.ResourceName
		if err := s.authorizeConfig(r.c, opDescribeConfigs, rr.ResourceType, rr.ResourceName); err != nil {
			res.ErrorCode, res.ErrorMessage = errCode(err), errMessage(err)
			resp.Resources = append(resp.Resources, res)
			continue
		}
		var (
			entries []config.ConfigEntry
			err     error
		)
		switch rr.ResourceType {
		case kmsg.ConfigResourceTypeTopic:
			t, ok := s.topics.Get(rr.ResourceName)
			if !ok {
				err = kerrf(kerr.UnknownTopicOrPartition, "The topic '%s' does not exist.", rr.ResourceName)
				break
			}
			entries = s.config().TopicConfigEntries(t.Configs)
		case kmsg.ConfigResourceTypeBroker:
			if rr.ResourceName == "" {
				entries = s.config().BrokerDefaultConfigEntries()
				break
			}
			id, perr := strconv.ParseInt(rr.ResourceName, 10, 32)
			switch {
			case perr != nil:
				err = kerrf(kerr.InvalidRequest, "Broker id must be an integer, but it is: %s", rr.ResourceName)
			case int32(id) != s.cfg.NodeID:
				err = kerrf(kerr.InvalidRequest, "Unexpected broker id, expected %d or empty string, but received %s", s.cfg.NodeID, rr.ResourceName)
			default:
				entries = s.config().BrokerConfigEntries()
			}
		case kmsg.ConfigResourceTypeClientMetrics:
			var cfgs []kmsg.DescribeConfigsResponseResourceConfig
			// Built apart: package telemetry has the configs and defaults.
			if cfgs, err = s.describeClientMetrics(rr, req); err == nil {
				res.Configs = cfgs
				resp.Resources = append(resp.Resources, res)
				continue
			}
		case kmsg.ConfigResourceTypeBrokerLogger:
			if rr.ResourceName != strconv.Itoa(int(s.cfg.NodeID)) {
				err = kerrf(kerr.InvalidRequest, "Unexpected broker id, expected %d but received %s", s.cfg.NodeID, rr.ResourceName)
			}
		default:
			err = kerrf(kerr.InvalidRequest, "Unsupported resource type %d", rr.ResourceType)
		}
		res.ErrorCode, res.ErrorMessage = errCode(err), errMessage(err)
		if err == nil {
			res.Configs = describeEntries(entries, rr.ConfigNames, req)
		}
		resp.Resources = append(resp.Resources, res)
	}
	return msgReply{resp}, nil
}

func describeEntries(entries []config.ConfigEntry, names []string, req *kmsg.DescribeConfigsRequest) []kmsg.DescribeConfigsResponseResourceConfig {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	out := make([]kmsg.DescribeConfigsResponseResourceConfig, 0, len(entries))
	for _, e := range entries {
		if len(want) > 0 && !want[e.Name] {
			continue
		}
		c := kmsg.NewDescribeConfigsResponseResourceConfig()
		c.Name = e.Name
		c.Value = e.Value
		if e.Sensitive {
			c.Value = nil
		}
		c.ReadOnly = e.ReadOnly
		c.IsDefault = e.Source == config.DefaultConfig
		c.Source = kmsg.ConfigSource(e.Source)
		c.IsSensitive = e.Sensitive
		c.ConfigType = kmsg.ConfigType(config.TypeCode(e.Type))
		if req.IncludeDocumentation && e.Doc != "" {
			doc := e.Doc
			c.Documentation = &doc
		}
		if req.IncludeSynonyms {
			for _, syn := range e.Synonyms {
				cs := kmsg.NewDescribeConfigsResponseResourceConfigConfigSynonym()
				cs.Name = syn.Name
				v := syn.Value
				if !e.Sensitive {
					cs.Value = &v
				}
				cs.Source = kmsg.ConfigSource(syn.Source)
				c.ConfigSynonyms = append(c.ConfigSynonyms, cs)
			}
		}
		out = append(out, c)
	}
	return out
}
