package config

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/stratabroker/strata/partition"
)

// ConfigSource is where a config value comes from, with the codes of
// Kafka's DescribeConfigs ConfigSource (kmsg.ConfigSource has the same
// values).
type ConfigSource int8

// Kafka's config sources. Strata produces all but UnknownConfigSource.
const (
	UnknownConfigSource        ConfigSource = 0
	DynamicTopicConfig         ConfigSource = 1
	DynamicBrokerConfig        ConfigSource = 2
	DynamicDefaultBrokerConfig ConfigSource = 3
	StaticBrokerConfig         ConfigSource = 4
	DefaultConfig              ConfigSource = 5
)

func (s ConfigSource) String() string {
	switch s {
	case DynamicTopicConfig:
		return "DYNAMIC_TOPIC_CONFIG"
	case DynamicBrokerConfig:
		return "DYNAMIC_BROKER_CONFIG"
	case DynamicDefaultBrokerConfig:
		return "DYNAMIC_DEFAULT_BROKER_CONFIG"
	case StaticBrokerConfig:
		return "STATIC_BROKER_CONFIG"
	case DefaultConfig:
		return "DEFAULT_CONFIG"
	}
	return "UNKNOWN"
}

// ConfigSynonym is one entry of DescribeConfigs' synonyms list.
type ConfigSynonym struct {
	Name   string
	Value  string
	Source ConfigSource
}

// ConfigEntry is one config of a DescribeConfigs answer.
type ConfigEntry struct {
	Name      string
	Value     *string // nil: Kafka's null (a broker property with no default that is not set)
	Source    ConfigSource
	Sensitive bool
	ReadOnly  bool
	Type      string // as TopicConfigDef.Type; "" for a property Strata does not know (TypeCode 0)
	Doc       string
	Synonyms  []ConfigSynonym // in Kafka's order; send them only when the request asks (IncludeSynonyms)
}

// TopicConfig resolves a topic's config overrides over the broker's
// defaults into the partition.Config its logs run with. Every override is
// checked as Kafka's LogConfig.validate checks it: the name must be a topic
// config (a *Error matching ErrUnknownConfig and ErrInvalidConfig,
// "Unknown topic config name: x"), the value must parse and be in range
// (ErrInvalidConfig, "Invalid value x for configuration y: ..."), and
// min.compaction.lag.ms must not exceed max.compaction.lag.ms.
// remote.storage.enable=true is refused as Kafka refuses it when tiered
// storage is off. Overrides Strata does not act on are validated only.
func (b *Broker) TopicConfig(overrides map[string]string) (partition.Config, error) {
	cfg := b.Log
	canon, err := canonOverrides(overrides)
	if err != nil {
		return cfg, err
	}
	value := func(name string) string {
		if v, ok := canon[name]; ok {
			return v
		}
		return b.brokerTopicValue(topicDefByName[name])
	}
	if minLag, maxLag := i64(value("min.compaction.lag.ms")), i64(value("max.compaction.lag.ms")); minLag > maxLag {
		return cfg, invalid("min.compaction.lag.ms", fmt.Sprintf(
			"conflict topic config setting min.compaction.lag.ms (%d) > max.compaction.lag.ms (%d)", minLag, maxLag))
	}
	if canon["remote.storage.enable"] == "true" {
		return cfg, invalid("remote.storage.enable",
			"Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.")
	}
	for _, d := range topicDefs { // internal.segment.bytes last: it beats segment.bytes
		if v, ok := canon[d.Name]; ok && d.field != nil {
			d.field.set(&cfg, v)
		}
	}
	// Kafka's ranges admit a few values the log cannot run with (an index
	// too small for one entry).
	if err := cfg.Validate(); err != nil {
		return b.Log, invalid("", strings.TrimPrefix(err.Error(), "partition: "))
	}
	return cfg, nil
}

// canonOverrides checks every override's name and value, in name order so
// that the first error is deterministic, and returns the canonical values.
func canonOverrides(overrides map[string]string) (map[string]string, error) {
	names := make([]string, 0, len(overrides))
	for k := range overrides {
		names = append(names, k)
	}
	slices.Sort(names)
	canon := make(map[string]string, len(overrides))
	for _, name := range names {
		d, ok := topicDefByName[name]
		if !ok {
			return nil, unknownTopicConfig(name)
		}
		if len(overrides[name]) > math.MaxInt16 {
			return nil, invalid(name, "The configuration value cannot be added because it exceeds the maximum value size of 32767 bytes.")
		}
		v, err := d.spec.canon(name, overrides[name])
		if err != nil {
			return nil, err
		}
		canon[name] = v
	}
	return canon, nil
}

// TopicConfigValue is one config of a topic for DescribeConfigs: its value
// as Kafka prints it and its source. An override is DYNAMIC_TOPIC_CONFIG.
// Otherwise the value is the broker's, and the source is Kafka's: the
// source of the first synonym Kafka lists (see TopicConfigSynonyms), else
// DEFAULT_CONFIG. Kafka lists a broker synonym only from the first name on,
// so retention.ms with only log.retention.hours set shows the hours as
// milliseconds with source DEFAULT_CONFIG, and with log.retention.ms set,
// STATIC_BROKER_CONFIG (or DYNAMIC_BROKER_CONFIG, DYNAMIC_DEFAULT_BROKER_CONFIG
// when a dynamic level sets it). ok is false for a name that is not a topic config,
// and for an internal config the topic does not override.
func (b *Broker) TopicConfigValue(name string, overrides map[string]string) (value string, source ConfigSource, ok bool) {
	d, ok := topicDefByName[name]
	if !ok {
		return "", UnknownConfigSource, false
	}
	if raw, over := overrides[name]; over {
		v, err := d.spec.canon(name, raw)
		if err != nil {
			v = trimJava(raw) // stored before validation; show it as stored
		}
		return v, DynamicTopicConfig, true
	}
	if d.Internal {
		return "", UnknownConfigSource, false
	}
	source = DefaultConfig
	if syns := b.brokerSynonyms(d); len(syns) > 0 {
		source = syns[0].Source
	}
	return b.brokerTopicValue(d), source, true
}

// TopicConfigSynonyms is DescribeConfigs' synonyms list for one topic
// config, as Kafka builds it: the override (DYNAMIC_TOPIC_CONFIG), then the
// broker synonyms set dynamically for this broker (DYNAMIC_BROKER_CONFIG),
// then for the cluster default (DYNAMIC_DEFAULT_BROKER_CONFIG), then in
// server.properties, the environment or flags (STATIC_BROKER_CONFIG), each
// level in priority order, then those with a default (DEFAULT_CONFIG); the
// broker entries start at the first synonym's name
// (Kafka drops the ones before it). Values are as set, in the synonym's own
// unit (log.retention.hours=168). nil for an unknown name.
func (b *Broker) TopicConfigSynonyms(name string, overrides map[string]string) []ConfigSynonym {
	d, ok := topicDefByName[name]
	if !ok {
		return nil
	}
	syns := b.brokerSynonyms(d)
	if raw, over := overrides[name]; over {
		v, err := d.spec.canon(name, raw)
		if err != nil {
			v = trimJava(raw)
		}
		syns = append([]ConfigSynonym{{Name: name, Value: v, Source: DynamicTopicConfig}}, syns...)
	}
	return syns
}

// brokerSynonyms is Kafka's ConfigHelper.configSynonyms for a topic
// config's broker synonyms.
func (b *Broker) brokerSynonyms(d *topicDef) []ConfigSynonym {
	if len(d.syn) == 0 {
		return nil
	}
	names := make([]string, len(d.syn))
	for i, s := range d.syn {
		names[i] = s.name
	}
	return b.synonymList(d.syn[0].name, names)
}

// synonymList is Kafka's ConfigHelper.configSynonyms: the synonyms of a
// group set dynamically for this broker (DYNAMIC_BROKER_CONFIG), then for
// the cluster default (DYNAMIC_DEFAULT_BROKER_CONFIG), then statically
// (STATIC_BROKER_CONFIG), then those with a default (DEFAULT_CONFIG), each
// level in priority order, dropping those before name.
func (b *Broker) synonymList(name string, group []string) []ConfigSynonym {
	var out []ConfigSynonym
	for _, level := range []struct {
		set map[string]string
		src ConfigSource
	}{{b.dynBroker, DynamicBrokerConfig}, {b.dynDefault, DynamicDefaultBrokerConfig}, {b.static, StaticBrokerConfig}} {
		for _, n := range group {
			if v, ok := level.set[n]; ok {
				out = append(out, ConfigSynonym{Name: n, Value: v, Source: level.src})
			}
		}
	}
	for _, n := range group {
		if p := brokerProps[n]; p != nil && !p.null {
			out = append(out, ConfigSynonym{Name: n, Value: p.dflt, Source: DefaultConfig})
		}
	}
	for len(out) > 0 && out[0].Name != name {
		out = out[1:]
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// TopicConfigEntries is the body of a DescribeConfigs answer for a topic
// with these overrides: every topic config Kafka 4 lists, sorted by name,
// plus any deprecated (Kafka 3.x) config the topic overrides. Internal
// configs are never listed.
func (b *Broker) TopicConfigEntries(overrides map[string]string) []ConfigEntry {
	out := make([]ConfigEntry, 0, len(topicDefs))
	for _, d := range topicDefs {
		_, over := overrides[d.Name]
		if d.Internal || (d.Deprecated && !over) {
			continue
		}
		v, src, _ := b.TopicConfigValue(d.Name, overrides)
		out = append(out, ConfigEntry{
			Name: d.Name, Value: &v, Source: src, Sensitive: d.Sensitive, Type: d.Type, Doc: d.Doc,
			Synonyms: b.TopicConfigSynonyms(d.Name, overrides),
		})
	}
	return out
}

// BrokerConfigEntries is the body of a DescribeConfigs answer for this
// broker (resource name = node.id), sorted by name: every property Strata
// knows, with the value in force (nil when Kafka's default is null and no
// level sets it), the source of its first synonym (Kafka's rule: see
// synonymList) and read-only unless IsDynamic; then every property in
// Unknown as Kafka describes a name whose type it cannot tell: sensitive
// (so its value is never sent), Type "", STATIC_BROKER_CONFIG, read-only.
func (b *Broker) BrokerConfigEntries() []ConfigEntry {
	out := make([]ConfigEntry, 0, len(brokerProps)+len(b.Unknown))
	for name, p := range brokerProps {
		var value *string
		switch v, set := b.props()[name]; {
		case p.get != nil:
			if s, ok := p.get(b); ok {
				value = &s
			}
		case set:
			value = &v
		case !p.null:
			value = &p.dflt
		}
		src := DefaultConfig
		syns := b.synonymList(name, p.group)
		if len(syns) > 0 {
			src = syns[0].Source
		}
		out = append(out, ConfigEntry{
			Name: name, Value: value, Source: src, ReadOnly: !dynamicProps[name], Type: p.spec.kind.String(), Synonyms: syns,
		})
	}
	for name := range b.Unknown {
		out = append(out, ConfigEntry{
			Name: name, Source: StaticBrokerConfig, ReadOnly: true, Sensitive: true,
			Synonyms: []ConfigSynonym{{Name: name, Source: StaticBrokerConfig}},
		})
	}
	sortEntries(out)
	return out
}

// BrokerDefaultConfigEntries is the body of a DescribeConfigs answer for the
// cluster-default broker resource (""): the dynamic default configs only,
// sorted by name, each with source DYNAMIC_DEFAULT_BROKER_CONFIG and, as
// Kafka lists them, only the synonyms of that level.
func (b *Broker) BrokerDefaultConfigEntries() []ConfigEntry {
	out := make([]ConfigEntry, 0, len(b.dynDefault))
	for name, v := range b.dynDefault {
		p := brokerProps[name]
		var syns []ConfigSynonym
		for _, s := range b.synonymList(name, p.group) {
			if s.Source == DynamicDefaultBrokerConfig {
				syns = append(syns, s)
			}
		}
		src := DefaultConfig
		if len(syns) > 0 {
			src = syns[0].Source
		}
		out = append(out, ConfigEntry{
			Name: name, Value: &v, Source: src, ReadOnly: !dynamicProps[name], Type: p.spec.kind.String(), Synonyms: syns,
		})
	}
	sortEntries(out)
	return out
}

func sortEntries(out []ConfigEntry) {
	slices.SortFunc(out, func(x, y ConfigEntry) int { return strings.Compare(x.Name, y.Name) })
}
