package server

// Client metrics (KIP-714): the CLIENT_METRICS config resources and the
// client instances that push metrics live in package telemetry; this file
// opens it and serves the config APIs' CLIENT_METRICS resources
// (DescribeConfigs, IncrementalAlterConfigs, AlterConfigs) with Kafka's
// checks: an empty name, an unknown config, a null value or an interval
// out of range INVALID_REQUEST; a value that does not parse, a bad match
// pattern, or APPEND/SUBTRACT on interval.ms INVALID_CONFIG. Deleting every
// config of a subscription deletes it.

import (
	"net"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/telemetry"
)

// openTelemetry loads the client metrics subscriptions of the first log
// dir.
func (s *Server) openTelemetry() error {
	m, err := telemetry.Open(telemetry.Options{
		FS: s.fs, Dir: s.dataDir, MaxBytes: s.cfg.TelemetryMaxBytes, Now: s.now, Logger: s.log,
		Decompress: func(codec int8, src []byte, max int) ([]byte, error) {
			return recordbatch.Decompress(nil, recordbatch.Codec(codec), src, max)
		},
	})
	if err != nil {
		return err
	}
	s.telemetry = m
	return nil
}

// Telemetry returns the client metrics manager: its Store holds the
// metrics clients pushed.
func (s *Server) Telemetry() *telemetry.Manager { return s.telemetry }

// telemetryClient is what the manager matches subscriptions against.
func telemetryClient(r *request) telemetry.Client {
	c := telemetry.Client{ClientID: r.hdr.clientID}
	if r.c != nil {
		c.SoftwareName, c.SoftwareVersion = r.c.softwareName, r.c.softwareVersion
		if host, port, err := net.SplitHostPort(r.c.remote); err == nil {
			c.Address = host
			c.Port, _ = strconv.Atoi(port)
		}
	}
	return c
}

// describeClientMetrics is DescribeConfigs of one CLIENT_METRICS resource:
// every config, those the subscription does not set at Kafka's defaults
// (ConfigHelper: CLIENT_METRICS_CONFIG or DEFAULT_CONFIG, never read-only
// or sensitive).
func (s *Server) describeClientMetrics(rr kmsg.DescribeConfigsRequestResource, req *kmsg.DescribeConfigsRequest) ([]kmsg.DescribeConfigsResponseResourceConfig, error) {
	if rr.ResourceName == "" {
		return nil, kerrf(kerr.InvalidRequest, "Client metrics subscription name must not be empty")
	}
	want := make(map[string]bool, len(rr.ConfigNames))
	for _, n := range rr.ConfigNames {
		want[n] = true
	}
	var out []kmsg.DescribeConfigsResponseResourceConfig
	for _, e := range telemetry.Entries(s.telemetry.Configs(rr.ResourceName)) {
		if len(want) > 0 && !want[e.Name] {
			continue
		}
		c := kmsg.NewDescribeConfigsResponseResourceConfig()
		c.Name = e.Name
		v := e.Value
		c.Value = &v
		c.Source = kmsg.ConfigSourceClientMetricsConfig
		if e.Default {
			c.Source = kmsg.ConfigSourceDefaultConfig
		}
		c.IsDefault = e.Default
		c.ConfigType = kmsg.ConfigTypeList
		if e.Type == "int" {
			c.ConfigType = kmsg.ConfigTypeInt
		}
		if req.IncludeDocumentation {
			doc := e.Doc
			c.Documentation = &doc
		}
		if req.IncludeSynonyms && !e.Default {
			syn := kmsg.NewDescribeConfigsResponseResourceConfigConfigSynonym()
			syn.Name, syn.Source = e.Name, kmsg.ConfigSourceClientMetricsConfig
			sv := e.Value
			syn.Value = &sv
			c.ConfigSynonyms = append(c.ConfigSynonyms, syn)
		}
		out = append(out, c)
	}
	return out, nil
}

// incrementalClientMetrics is IncrementalAlterConfigs of one
// CLIENT_METRICS resource (Kafka's ConfigurationControlManager): SET and
// DELETE change one config; APPEND and SUBTRACT add items to or remove
// them from a list config.
func (s *Server) incrementalClientMetrics(rr kmsg.IncrementalAlterConfigsRequestResource, validateOnly bool) error {
	names, values, del := make([]string, len(rr.Configs)), make([]*string, len(rr.Configs)), make([]bool, len(rr.Configs))
	for i, c := range rr.Configs {
		names[i], values[i], del[i] = c.Name, c.Value, c.Op == kmsg.IncrementalAlterConfigOpDelete
		if c.Op < kmsg.IncrementalAlterConfigOpSet || c.Op > kmsg.IncrementalAlterConfigOpSubtract {
			return kerrf(kerr.InvalidRequest, "Unknown operations type %d", c.Op)
		}
	}
	if err := checkAlterNames(names, values, del); err != nil {
		return err
	}
	return s.telemetry.Alter(rr.ResourceName, func(cur map[string]string) (map[string]string, error) {
		if cur == nil {
			cur = map[string]string{}
		}
		for _, c := range rr.Configs {
			switch c.Op {
			case kmsg.IncrementalAlterConfigOpSet:
				cur[c.Name] = *c.Value
			case kmsg.IncrementalAlterConfigOpDelete:
				delete(cur, c.Name)
			default:
				op := "APPEND"
				if c.Op == kmsg.IncrementalAlterConfigOpSubtract {
					op = "SUBTRACT"
				}
				switch telemetry.ConfigType(c.Name) {
				case "":
					return nil, kerrf(kerr.InvalidConfig, "Can't %s to key %s because its type is not known.", op, c.Name)
				case "int":
					return nil, kerrf(kerr.InvalidConfig, "Can't %s to key %s because its type is not LIST.", op, c.Name)
				}
				items := splitList(cur[c.Name])
				for _, a := range splitList(*c.Value) {
					i := -1
					for j, it := range items {
						if it == a {
							i = j
							break
						}
					}
					switch {
					case c.Op == kmsg.IncrementalAlterConfigOpAppend && i < 0:
						items = append(items, a)
					case c.Op == kmsg.IncrementalAlterConfigOpSubtract && i >= 0:
						items = append(items[:i], items[i+1:]...)
					}
				}
				cur[c.Name] = joinList(items)
			}
		}
		return cur, nil
	}, validateOnly)
}

// legacyClientMetrics is AlterConfigs of one CLIENT_METRICS resource: the
// request's configs replace the subscription's (none: it is deleted).
func (s *Server) legacyClientMetrics(rr kmsg.AlterConfigsRequestResource, validateOnly bool) error {
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
	return s.telemetry.Alter(rr.ResourceName, func(map[string]string) (map[string]string, error) {
		return configs, nil
	}, validateOnly)
}

func joinList(items []string) string {
	out := ""
	for i, it := range items {
		if i > 0 {
			out += ","
		}
		out += it
	}
	return out
}
