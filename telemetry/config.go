package telemetry

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The configs of a CLIENT_METRICS resource, Kafka's names
// (ClientMetricsConfigs).
const (
	MetricsConfig    = "metrics"     // list of metric name prefixes; "*" for all
	IntervalMsConfig = "interval.ms" // push interval, ms
	MatchConfig      = "match"       // list of selector=regex

	// AllMetrics in a subscription's metrics subscribes to every metric.
	AllMetrics = "*"

	// DefaultIntervalMs is interval.ms when a subscription does not set it,
	// and a client's push interval when it matches no subscription.
	DefaultIntervalMs = 5 * 60 * 1000
	minIntervalMs     = 100
	maxIntervalMs     = 3600000
)

// The client match selectors (ClientMetricsConfigs.ALLOWED_MATCH_PARAMS).
const (
	MatchClientInstanceID      = "client_instance_id"
	MatchClientID              = "client_id"
	MatchClientSoftwareName    = "client_software_name"
	MatchClientSoftwareVersion = "client_software_version"
	MatchClientSourceAddress   = "client_source_address"
	MatchClientSourcePort      = "client_source_port"
)

var matchSelectors = []string{
	MatchClientInstanceID, MatchClientID, MatchClientSoftwareName,
	MatchClientSoftwareVersion, MatchClientSourceAddress, MatchClientSourcePort,
}

// Errors. Each is wrapped in an *Error carrying Kafka's message; the
// server maps the kind to a Kafka error code.
var (
	ErrInvalidRequest         = errors.New("telemetry: invalid request")                  // INVALID_REQUEST
	ErrInvalidConfig          = errors.New("telemetry: invalid config")                   // INVALID_CONFIG
	ErrThrottled              = errors.New("telemetry: request before the push interval") // THROTTLING_QUOTA_EXCEEDED
	ErrUnknownSubscriptionID  = errors.New("telemetry: unknown subscription id")          // UNKNOWN_SUBSCRIPTION_ID
	ErrUnsupportedCompression = errors.New("telemetry: unsupported compression type")     // UNSUPPORTED_COMPRESSION_TYPE
	ErrTooLarge               = errors.New("telemetry: metrics larger than the maximum")  // TELEMETRY_TOO_LARGE
	ErrInvalidRecord          = errors.New("telemetry: metrics could not be decoded")     // INVALID_RECORD
)

// Error is a telemetry error with Kafka's message for it.
type Error struct {
	Kind error  // one of the Err* sentinels
	Msg  string // Kafka's wording
}

func (e *Error) Error() string        { return e.Kind.Error() + ": " + e.Msg }
func (e *Error) Unwrap() error        { return e.Kind }
func (e *Error) KafkaMessage() string { return e.Msg }

func errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// ConfigEntry is one config of a subscription as DescribeConfigs shows it.
type ConfigEntry struct {
	Name    string
	Value   string
	Type    string // "list" or "int"
	Default bool   // not set on the subscription: Kafka's default
	Doc     string
}

// configDefs are the three configs in the order Kafka lists them (the
// iteration order of its HashMap of parsed values: interval.ms, match,
// metrics).
var configDefs = []struct{ name, typ, def, doc string }{
	{IntervalMsConfig, "int", strconv.Itoa(DefaultIntervalMs), "Metrics push interval in milliseconds"},
	{MatchConfig, "list", "", "Client match criteria"},
	{MetricsConfig, "list", "", "Telemetry metric name prefix list"},
}

// ConfigType returns the type of a client metrics config ("list", "int"),
// or "" for a name that is not one.
func ConfigType(name string) string {
	for _, d := range configDefs {
		if d.name == name {
			return d.typ
		}
	}
	return ""
}

// Entries returns every config of a subscription whose stored configs are
// props, with Kafka's defaults for those it does not set.
func Entries(props map[string]string) []ConfigEntry {
	out := make([]ConfigEntry, 0, len(configDefs))
	for _, d := range configDefs {
		e := ConfigEntry{Name: d.name, Type: d.typ, Value: d.def, Default: true, Doc: d.doc}
		if v, ok := props[d.name]; ok {
			e.Value, e.Default = canonical(d.typ, v), false
		}
		out = append(out, e)
	}
	return out
}

// canonical is a value as Kafka's ConfigDef.convertToString prints it
// after parsing: list items joined by ",", an int in decimal.
func canonical(typ, v string) string {
	switch typ {
	case "list":
		return strings.Join(parseList(v), ",")
	case "int":
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32); err == nil {
			return strconv.FormatInt(n, 10)
		}
	}
	return v
}

// parseList is Kafka's ConfigDef LIST parsing: the value trimmed, empty
// for "", else split at commas with the whitespace around them.
func parseList(v string) []string {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	items := strings.Split(v, ",")
	for i := range items {
		items[i] = strings.TrimSpace(items[i])
	}
	return items
}

// Subscription is one parsed CLIENT_METRICS resource.
type Subscription struct {
	Name       string
	Metrics    []string // metric name prefixes, as configured
	IntervalMs int32
	Match      map[string]*regexp.Regexp // selector -> whole-value pattern
}

// Validate checks a subscription's whole set of configs as Kafka's
// ClientMetricsConfigs.validate does, with its error codes and messages:
// an empty name, an unknown config or an interval out of range is
// INVALID_REQUEST; a value that does not parse or a bad match pattern is
// INVALID_CONFIG.
func Validate(name string, props map[string]string) error {
	_, err := parseSubscription(name, props)
	return err
}

func parseSubscription(name string, props map[string]string) (*Subscription, error) {
	if name == "" {
		return nil, errorf(ErrInvalidRequest, "Subscription name can't be empty")
	}
	for _, k := range sortedKeys(props) {
		if ConfigType(k) == "" {
			return nil, errorf(ErrInvalidRequest, "Unknown client metrics configuration: %s", k)
		}
	}
	sub := &Subscription{Name: name, IntervalMs: DefaultIntervalMs, Metrics: parseList(props[MetricsConfig])}
	if v, ok := props[IntervalMsConfig]; ok {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
		if err != nil {
			return nil, errorf(ErrInvalidConfig, "Invalid value %s for configuration %s: Not a number of type INT", v, IntervalMsConfig)
		}
		if n < minIntervalMs || n > maxIntervalMs {
			return nil, errorf(ErrInvalidRequest, "Invalid value %d for %s, interval must be between 100 and 3600000 (1 hour)", n, IntervalMsConfig)
		}
		sub.IntervalMs = int32(n)
	}
	m, err := parseMatch(parseList(props[MatchConfig]))
	if err != nil {
		return nil, err
	}
	sub.Match = m
	return sub, nil
}

// parseMatch parses selector=regex patterns (ClientMetricsConfigs.
// parseMatchingPatterns): exactly one '=' (Java's split drops trailing
// empty parts, so "k=" is refused as well), a known selector, a pattern
// that compiles. A pattern must match a client's whole value.
func parseMatch(patterns []string) (map[string]*regexp.Regexp, error) {
	out := make(map[string]*regexp.Regexp, len(patterns))
	for _, p := range patterns {
		parts := strings.Split(p, "=")
		for len(parts) > 0 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
		if len(parts) != 2 {
			return nil, errorf(ErrInvalidConfig, "Illegal client matching pattern: %s", p)
		}
		sel := strings.TrimSpace(parts[0])
		if !slices.Contains(matchSelectors, sel) {
			return nil, errorf(ErrInvalidConfig, "Illegal client matching pattern: %s", p)
		}
		re, err := regexp.Compile(`^(?:` + strings.TrimSpace(parts[1]) + `)$`)
		if err != nil {
			return nil, errorf(ErrInvalidConfig, "Illegal client matching pattern: %s", p)
		}
		out[sel] = re
	}
	return out, nil
}

// matches reports whether a client's attributes satisfy every pattern
// (ClientMetricsInstanceMetadata.isMatch); no pattern matches every client.
func (s *Subscription) matches(attrs map[string]string) bool {
	for sel, re := range s.Match {
		v, ok := attrs[sel]
		if !ok || !re.MatchString(v) {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
