package config

import (
	"maps"
	"slices"
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
	next, err := applyAlterOps(current, ops, func(op AlterOp, verb string) (string, error) {
		d, ok := topicDefByName[op.Name]
		if !ok || d.spec.kind != kList {
			return "", invalid(op.Name, "Can't "+strings.ToUpper(verb)+" to key "+op.Name+" because its type is not LIST.")
		}
		if op.Value == nil {
			return "", invalid(op.Name, "Null value not supported for : "+op.Name)
		}
		return d.Default, nil
	})
	if err != nil || len(next) == 0 {
		return nil, err
	}
	return next, nil
}

// applyAlterOps applies IncrementalAlterConfigs operations, in order, to a
// copy of current: SET replaces (a null value deletes), DELETE removes,
// APPEND and SUBTRACT add the missing items of the value's comma-separated
// list or remove the given ones, starting from the current value, else
// from what listBase returns for the config (its default); listBase also
// refuses what may not be appended to (verb is "append" or "subtract").
func applyAlterOps(current map[string]string, ops []AlterOp, listBase func(op AlterOp, verb string) (string, error)) (map[string]string, error) {
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
			verb := "append"
			if op.Op == OpSubtract {
				verb = "subtract"
			}
			base, err := listBase(op, verb)
			if err != nil {
				return nil, err
			}
			old, set := next[op.Name]
			if !set {
				old = base
			}
			var items []string
			for _, it := range splitList(old) {
				if it != "" {
					items = append(items, it)
				}
			}
			if op.Value != nil {
				for _, v := range strings.Split(*op.Value, ",") {
					i := indexOf(items, v)
					switch {
					case op.Op == OpAppend && i < 0:
						items = append(items, v)
					case op.Op == OpSubtract && i >= 0:
						items = slices.Delete(items, i, i+1)
					}
				}
			}
			next[op.Name] = strings.Join(items, ",")
		default:
			return nil, invalid(op.Name, "Unknown alter config operation type: "+itoa8(op.Op))
		}
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
