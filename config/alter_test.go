package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func sp(s string) *string { return &s }

func TestAlterTopicConfigs(t *testing.T) {
	tests := []struct {
		name    string
		current map[string]string
		ops     []AlterOp
		want    map[string]string
	}{
		{"set", nil, []AlterOp{{"retention.ms", OpSet, sp("1000")}}, map[string]string{"retention.ms": "1000"}},
		{"set replaces", map[string]string{"retention.ms": "1"}, []AlterOp{{"retention.ms", OpSet, sp("2")}}, map[string]string{"retention.ms": "2"}},
		{"set null deletes", map[string]string{"retention.ms": "1", "x": "y"}, []AlterOp{{"retention.ms", OpSet, nil}}, map[string]string{"x": "y"}},
		{"delete", map[string]string{"retention.ms": "1"}, []AlterOp{{"retention.ms", OpDelete, nil}}, nil},
		{"delete absent", nil, []AlterOp{{"retention.ms", OpDelete, sp("ignored")}}, nil},
		{"append to default", nil, []AlterOp{{"cleanup.policy", OpAppend, sp("compact")}}, map[string]string{"cleanup.policy": "delete,compact"}},
		{"append present", map[string]string{"cleanup.policy": "compact"}, []AlterOp{{"cleanup.policy", OpAppend, sp("compact,delete")}},
			map[string]string{"cleanup.policy": "compact,delete"}},
		{"append to empty default", nil, []AlterOp{{"leader.replication.throttled.replicas", OpAppend, sp("0:1,1:1")}},
			map[string]string{"leader.replication.throttled.replicas": "0:1,1:1"}},
		{"subtract", map[string]string{"cleanup.policy": "compact,delete"}, []AlterOp{{"cleanup.policy", OpSubtract, sp("delete")}},
			map[string]string{"cleanup.policy": "compact"}},
		{"subtract from default to empty", nil, []AlterOp{{"cleanup.policy", OpSubtract, sp("delete")}}, map[string]string{"cleanup.policy": ""}},
		{"in order", nil, []AlterOp{{"a", OpSet, sp("1")}, {"a", OpDelete, nil}, {"b", OpSet, sp("2")}}, map[string]string{"b": "2"}},
	}
	for _, tt := range tests {
		before := copyMap(tt.current)
		got, err := AlterTopicConfigs(tt.current, tt.ops)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
		if !reflect.DeepEqual(tt.current, before) {
			t.Errorf("%s: current modified", tt.name)
		}
	}
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := map[string]string{}
	for k, v := range m {
		c[k] = v
	}
	return c
}

func TestAlterTopicConfigsErrors(t *testing.T) {
	tests := []struct {
		op  AlterOp
		msg string
	}{
		{AlterOp{"retention.ms", OpAppend, sp("1")}, "Can't APPEND to key retention.ms because its type is not LIST."},
		{AlterOp{"nope", OpSubtract, sp("1")}, "Can't SUBTRACT to key nope because its type is not LIST."},
		{AlterOp{"cleanup.policy", OpAppend, nil}, "Null value not supported for : cleanup.policy"},
		{AlterOp{"cleanup.policy", 7, sp("x")}, "Unknown alter config operation type: 7"},
	}
	for _, tt := range tests {
		_, err := AlterTopicConfigs(nil, []AlterOp{tt.op})
		var ce *Error
		if !errors.As(err, &ce) || !errors.Is(err, ErrInvalidConfig) || ce.Msg != tt.msg {
			t.Errorf("%+v: %v", tt.op, err)
		}
	}
}

func TestTopicConfigValueTooLong(t *testing.T) {
	_, err := Defaults().TopicConfig(map[string]string{"leader.replication.throttled.replicas": strings.Repeat("1:1,", 8192)})
	var ce *Error
	if !errors.As(err, &ce) || ce.Msg != "The configuration value cannot be added because it exceeds the maximum value size of 32767 bytes." {
		t.Fatalf("err %v", err)
	}
}
