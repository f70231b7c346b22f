package config

import (
	"errors"
	"slices"
	"strings"
)

// envExcluded are the KAFKA_* variables that configure the JVM, the scripts
// or the image rather than the broker. The first ten are the apache/kafka
// image's exclusion list (docker/resources/common-scripts/
// kafka-propertiesSpec.json, which spells KAFKA_HEAP_OPT without the S);
// the rest are read by Kafka's bin/ scripts.
var envExcluded = []string{
	"KAFKA_VERSION", "KAFKA_HEAP_OPT", "KAFKA_LOG4J_OPTS", "KAFKA_OPTS", "KAFKA_JMX_OPTS",
	"KAFKA_JVM_PERFORMANCE_OPTS", "KAFKA_GC_LOG_OPTS", "KAFKA_LOG4J_ROOT_LOGLEVEL",
	"KAFKA_LOG4J_LOGGERS", "KAFKA_TOOLS_LOG4J_LOGLEVEL",
	"KAFKA_HEAP_OPTS", "KAFKA_HOME", "KAFKA_DEBUG", "KAFKA_LOG4J_CMD_OPTS",
}

// EnvToProperty returns the property a KAFKA_* environment variable sets
// in the apache/kafka image: the KAFKA_ prefix is dropped, then '_' becomes
// '.', "__" becomes '_' and "___" becomes '-', and the name is lower-cased
// (KAFKA_LOG_DIRS is log.dirs, KAFKA_LISTENER_SECURITY_PROTOCOL_MAP is
// listener.security.protocol.map). ok is false for variables that are not
// properties: no KAFKA_ prefix, the image's and scripts' own variables
// (KAFKA_OPTS, KAFKA_HEAP_OPTS, ...), and names with four or more
// underscores in a row, which the image leaves undefined. (The image's
// regular expression also mistranslates a one-letter segment, KAFKA_A_B_C;
// no Kafka property has one.)
func EnvToProperty(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, "KAFKA_")
	if !ok || rest == "" || slices.Contains(envExcluded, name) {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(rest); {
		if rest[i] != '_' {
			b.WriteByte(rest[i])
			i++
			continue
		}
		n := 0
		for i < len(rest) && rest[i] == '_' {
			n++
			i++
		}
		switch n {
		case 1:
			b.WriteByte('.')
		case 2:
			b.WriteByte('_')
		case 3:
			b.WriteByte('-')
		default:
			return "", false
		}
	}
	return strings.ToLower(b.String()), true
}

// ApplyEnv applies the environment (os.Environ's form, "NAME=value") the
// way the apache/kafka image turns it into server.properties entries that
// override the file:
//
//   - every KAFKA_* variable that EnvToProperty maps is Set, in name order;
//   - CLUSTER_ID, the variable the image formats storage with, sets
//     cluster.id unless KAFKA_CLUSTER_ID does;
//   - when KAFKA_ADVERTISED_LISTENERS is set and KAFKA_LISTENERS is not
//     (and KAFKA_PROCESS_ROLES is not "controller"), listeners becomes the
//     advertised listeners with every host replaced by 0.0.0.0, as the
//     image's configure script does.
//
// Errors name the variable and wrap ErrInvalidConfig; every variable is
// still tried.
func (b *Broker) ApplyEnv(environ []string) error {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v // later entries win, as with duplicate os.Environ entries
		}
	}
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	slices.Sort(names)
	var errs []error
	for _, name := range names {
		prop, ok := EnvToProperty(name)
		if !ok {
			continue
		}
		if err := b.Set(prop, env[name]); err != nil {
			errs = append(errs, withContext(err, "environment variable "+name))
		}
	}
	if id, ok := env["CLUSTER_ID"]; ok && id != "" {
		if _, set := env["KAFKA_CLUSTER_ID"]; !set {
			if err := b.Set("cluster.id", id); err != nil {
				errs = append(errs, withContext(err, "environment variable CLUSTER_ID"))
			}
		}
	}
	if adv := env["KAFKA_ADVERTISED_LISTENERS"]; adv != "" && env["KAFKA_LISTENERS"] == "" &&
		env["KAFKA_PROCESS_ROLES"] != "controller" {
		if err := b.Set("listeners", anyHost(adv)); err != nil {
			errs = append(errs, withContext(err, "listeners derived from KAFKA_ADVERTISED_LISTENERS"))
		}
	}
	return errors.Join(errs...)
}

// anyHost replaces the host of every NAME://host:port endpoint with 0.0.0.0.
func anyHost(listeners string) string {
	items := splitList(listeners)
	for i, it := range items {
		scheme, hostPort, ok := strings.Cut(it, "://")
		colon := strings.LastIndexByte(hostPort, ':')
		if !ok || colon < 0 {
			continue
		}
		items[i] = scheme + "://0.0.0.0" + hostPort[colon:]
	}
	return strings.Join(items, ",")
}
