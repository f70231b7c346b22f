package telemetry

import (
	"errors"
	"reflect"
	"testing"
)

// TestValidate: Kafka's ClientMetricsConfigs.validate, each refusal with
// its error kind (code) and message.
func TestValidate(t *testing.T) {
	cases := []struct {
		name  string
		props map[string]string
		kind  error
		msg   string
	}{
		{"", map[string]string{"metrics": "*"}, ErrInvalidRequest, "Subscription name can't be empty"},
		{"s", map[string]string{"metrics": "*", "color": "red"}, ErrInvalidRequest, "Unknown client metrics configuration: color"},
		{"s", map[string]string{"interval.ms": "99"}, ErrInvalidRequest, "Invalid value 99 for interval.ms, interval must be between 100 and 3600000 (1 hour)"},
		{"s", map[string]string{"interval.ms": "3600001"}, ErrInvalidRequest, "Invalid value 3600001 for interval.ms, interval must be between 100 and 3600000 (1 hour)"},
		{"s", map[string]string{"interval.ms": "soon"}, ErrInvalidConfig, "Invalid value soon for configuration interval.ms: Not a number of type INT"},
		{"s", map[string]string{"match": "client_id"}, ErrInvalidConfig, "Illegal client matching pattern: client_id"},
		{"s", map[string]string{"match": "client_id="}, ErrInvalidConfig, "Illegal client matching pattern: client_id="},
		{"s", map[string]string{"match": "a=b=c"}, ErrInvalidConfig, "Illegal client matching pattern: a=b=c"},
		{"s", map[string]string{"match": "host=x"}, ErrInvalidConfig, "Illegal client matching pattern: host=x"},
		{"s", map[string]string{"match": "client_id=("}, ErrInvalidConfig, "Illegal client matching pattern: client_id=("},
		{"s", map[string]string{"metrics": "a,b", "interval.ms": "100", "match": "client_id=x.*, client_software_name=apache-kafka-java"}, nil, ""},
		{"s", map[string]string{"interval.ms": "3600000"}, nil, ""},
	}
	for _, c := range cases {
		err := Validate(c.name, c.props)
		if c.kind == nil {
			if err != nil {
				t.Errorf("Validate(%q, %v) = %v, want nil", c.name, c.props, err)
			}
			continue
		}
		var te *Error
		if !errors.Is(err, c.kind) || !errors.As(err, &te) || te.Msg != c.msg {
			t.Errorf("Validate(%q, %v) = %v, want %v %q", c.name, c.props, err, c.kind, c.msg)
		}
	}
}

// TestEntries: DescribeConfigs shows all three configs in Kafka's order,
// defaults where unset, lists as Kafka prints them.
func TestEntries(t *testing.T) {
	got := Entries(map[string]string{"metrics": " a , b ", "match": "client_id=x"})
	want := []ConfigEntry{
		{Name: "interval.ms", Value: "300000", Type: "int", Default: true, Doc: "Metrics push interval in milliseconds"},
		{Name: "match", Value: "client_id=x", Type: "list", Doc: "Client match criteria"},
		{Name: "metrics", Value: "a,b", Type: "list", Doc: "Telemetry metric name prefix list"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Entries = %+v\nwant %+v", got, want)
	}
}
