package config

import (
	"maps"
	"strings"
)

// IncrementalAlterConfigs operation codes (Kafka's AlterConfigOp.OpType).
const (
	OpSet      int8 = 0
	OpDelete   int8 = 1
	OpAppend   int8 = 2
	OpSubtract int8 = 3
)

// AlterOp is one config operation of an IncrementalAlterConfigs request.
type AlterOp struct {
	Name  string
	Op    int8    // OpSet, OpDelete, OpAppend, OpSubtract
	Value *string // nil: Kafka's null
}

// AlterTopicConfigs applies IncrementalAlterConfigs operations, in order, to
// a topic's overrides and returns the new override set (current is not
// modified), as Kafka's controller does: SET replaces (a null value
// deletes), DELETE removes, APPEND and SUBTRACT work on list configs only
// (cleanup.policy, the throttled-replica lists) and start from the
// override, else from Kafka's default for the topic config, adding the
// missing items or removing the given ones. The result still has to pass
// TopicConfig (names and values are not checked here, except that APPEND
// and SUBTRACT need a known list config). Errors wrap ErrInvalidConfig. A
// request that names a config twice is the caller's to refuse (Kafka:
// INVALID_REQUEST).
func AlterTopicConfigs(current map[string]string, ops []AlterOp) (map[string]string, error) {
	next := maps.Clone(current)
	if next == nil {
		next = map[string]string{}
	}
	for _, op := range ops {
		switch op.Op {
		case OpSet:
			if op.Value == nil {
				delete(next, op.Name)
			} else {
				next[op.Name] = *op.Value
			}
		case OpDelete:
			delete(next, op.Name)
		case OpAppend, OpSubtract:
			verb := "APPEND"
			if op.Op == OpSubtract {
				verb = "SUBTRACT"
			}
			d, ok := topicDefByName[op.Name]
			if !ok || d.spec.kind != kList {
				return nil, invalid(op.Name, "Can't "+verb+" to key "+op.Name+" because its type is not LIST.")
			}
			if op.Value == nil {
				return nil, invalid(op.Name, "Null value not supported for : "+op.Name)
			}
			old, set := next[op.Name]
			if !set {
				old = d.Default
			}
			var items []string
			for _, it := range strings.Split(old, ",") {
				if it != "" {
					items = append(items, it)
				}
			}
			for _, v := range strings.Split(*op.Value, ",") {
				i := indexOf(items, v)
				switch {
				case op.Op == OpAppend && i < 0:
					items = append(items, v)
				case op.Op == OpSubtract && i >= 0:
					items = append(items[:i], items[i+1:]...)
				}
			}
			next[op.Name] = strings.Join(items, ",")
		default:
			return nil, invalid(op.Name, "Unknown alter config operation type: "+itoa8(op.Op))
		}
	}
	if len(next) == 0 {
		return nil, nil
	}
	return next, nil
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func itoa8(n int8) string { s, _ := itoa(n); return s }
