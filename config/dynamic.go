package config

import (
	"maps"
	"slices"
	"strings"
)

// Dynamic broker configs (Kafka's KIP-226, DynamicBrokerConfig): properties
// altered at run time through IncrementalAlterConfigs and AlterConfigs on
// the BROKER resource, at two levels: this broker (resource name = node.id)
// and the cluster-wide default (resource name ""). A value resolves as in
// Kafka: topic override > dynamic per-broker > dynamic cluster default >
// static (server.properties, environment, flags) > Kafka's default.

// dynamicProps is the set of properties Strata lets change at run time:
// Kafka's DynamicLogConfig.ReconfigurableConfigs (the first broker synonym
// of every topic config except log.message.format.version: log.retention.ms,
// log.segment.bytes, log.roll.ms, log.cleanup.policy, message.max.bytes,
// log.message.timestamp.*, ...), Kafka's LogCleaner.ReconfigurableConfigs
// (log.cleaner.threads, .dedupe.buffer.size, .io.buffer.size,
// .io.buffer.load.factor, .io.max.bytes.per.second, .backoff.ms) and
// producer.id.expiration.ms, and a listener's keystore and truststore
// (IsDynamicSSL, per broker only). Kafka's other dynamic properties
// (listeners, max.connections, thread pools) are refused: Strata cannot
// apply them while it runs.
var dynamicProps = func() map[string]bool {
	m := map[string]bool{"producer.id.expiration.ms": true}
	for _, name := range cleanerDynamic {
		m[name] = true
	}
	for _, d := range topicDefs {
		if len(d.syn) > 0 && d.Name != "message.format.version" {
			m[d.syn[0].name] = true
		}
	}
	return m
}()

// IsDynamic reports whether a broker property can be altered at run time.
func IsDynamic(name string) bool { return dynamicProps[name] || IsDynamicSSL(name) }

// CheckDynamic checks one level of dynamic broker configs as Kafka's
// DynamicBrokerConfig.validateConfigs does: every name must be dynamic (else
// a *Error matching ErrNotDynamic, "Cannot update these configs
// dynamically: Set(a, b)", names sorted), then every value must parse (a
// *Error matching ErrInvalidConfig, "Invalid value x for configuration y:
// ..."). It returns the canonical values.
func CheckDynamic(props map[string]string) (map[string]string, error) {
	var refused []string
	for name := range props {
		if !IsDynamic(name) {
			refused = append(refused, name)
		}
	}
	if len(refused) > 0 {
		slices.Sort(refused)
		return nil, &Error{Name: refused[0], Msg: "Cannot update these configs dynamically: Set(" + strings.Join(refused, ", ") + ")", notDynamic: true}
	}
	names := slices.Sorted(maps.Keys(props))
	out := make(map[string]string, len(props))
	for _, name := range names {
		if IsDynamicSSL(name) {
			out[name] = strings.TrimSpace(props[name]) // checked when the listener reloads (server/tls.go)
			continue
		}
		v, err := brokerProps[name].spec.canon(name, props[name])
		if err != nil {
			return nil, err
		}
		out[name] = v
	}
	return out, nil
}

// WithDynamic returns the configuration in force when the cluster default
// and this broker's dynamic configs apply over b, the static configuration
// (b itself has no dynamic configs). The levels merge as Kafka's
// DynamicBrokerConfig merges them: the default over the static properties,
// then the per-broker ones over that, each value removing the synonyms of
// its name from the levels below (a dynamic log.retention.ms hides a static
// log.retention.hours), then synonyms resolve in Kafka's priority order.
// Both levels must pass CheckDynamic, and the result Validate; b is not
// changed. b must be a static configuration, not one WithDynamic returned
// (an error otherwise); Set on the result changes only its static level.
func (b *Broker) WithDynamic(perBroker, clusterDefault map[string]string) (*Broker, error) {
	if b.merged != nil {
		return nil, invalid("", "dynamic configs apply over the static configuration only")
	}
	def, err := CheckDynamic(clusterDefault)
	if err != nil {
		return nil, err
	}
	per, err := CheckDynamic(perBroker)
	if err != nil {
		return nil, err
	}
	c := b.Clone()
	if len(def) == 0 && len(per) == 0 {
		return c, nil
	}
	c.dynDefault, c.dynBroker = def, per
	c.merged = maps.Clone(b.static)
	if c.merged == nil {
		c.merged = map[string]string{}
	}
	for _, level := range []map[string]string{def, per} {
		for name, v := range level {
			if IsDynamicSSL(name) {
				continue // read through SSL(listener), from dynBroker
			}
			for _, s := range brokerProps[name].group {
				delete(c.merged, s)
			}
			c.merged[name] = v
		}
	}
	for _, level := range []map[string]string{def, per} {
		for name := range level {
			if p := brokerProps[name]; p != nil && p.set != nil {
				p.set(c, c.merged[name])
			}
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// DynamicConfigs returns copies of the dynamic configs in force: this
// broker's and the cluster default's, canonical values by name.
func (b *Broker) DynamicConfigs() (perBroker, clusterDefault map[string]string) {
	return maps.Clone(b.dynBroker), maps.Clone(b.dynDefault)
}

// props is the effective set of properties: the static ones, with the
// dynamic levels merged over them.
func (b *Broker) props() map[string]string {
	if b.merged != nil {
		return b.merged
	}
	return b.static
}

// AlterBrokerConfigs applies IncrementalAlterConfigs operations, in order,
// to one level of dynamic broker configs, as Kafka's
// ConfigAdminManager.prepareIncrementalConfigs does, and returns the new set
// (current is not changed): SET replaces, DELETE removes, APPEND and
// SUBTRACT need a LIST property (INVALID_CONFIG "Config value append is not
// allowed for config key: x") and start from the level's value, else from
// the property's default (applyAlterOps). Null values are the caller's to refuse; the result
// still has to pass CheckDynamic.
func AlterBrokerConfigs(current map[string]string, ops []AlterOp) (map[string]string, error) {
	return applyAlterOps(current, ops, func(op AlterOp, verb string) (string, error) {
		p, ok := brokerProps[op.Name]
		if !ok {
			return "", invalid(op.Name, "Unknown config name: "+op.Name)
		}
		if p.spec.kind != kList {
			return "", invalid(op.Name, "Config value "+verb+" is not allowed for config key: "+op.Name)
		}
		return p.dflt, nil
	})
}
