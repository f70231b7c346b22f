package logs

import (
	"encoding/json"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// decodeOffsetsRecord renders a __consumer_offsets record as dump-log
// --offsets-decoder prints it, in the JSON shape of Kafka's decoder: the
// key as {"type":"<key version>","data":{...}} and the value as
// {"version":"<value version>","data":{...}}, "<DELETE>" for a tombstone.
// Bytes (subscriptions, assignments) print as base64, as Jackson does.
func decodeOffsetsRecord(key, value []byte) (k, v string) {
	if len(key) < 2 {
		return "unknown", "unknown"
	}
	version := int16(key[0])<<8 | int16(key[1])
	switch version {
	case 0, 1:
		var ck kmsg.OffsetCommitKey
		if err := ck.ReadFrom(key); err != nil {
			return fmt.Sprintf("unknown (%v)", err), "unknown"
		}
		k = jsonString(map[string]any{"type": fmt.Sprint(version), "data": ordered{
			{"group", ck.Group}, {"topic", ck.Topic}, {"partition", ck.Partition}}})
		if value == nil {
			return k, "<DELETE>"
		}
		var cv kmsg.OffsetCommitValue
		if err := cv.ReadFrom(value); err != nil {
			return k, fmt.Sprintf("unknown (%v)", err)
		}
		data := ordered{{"offset", cv.Offset}}
		if cv.Version >= 3 {
			data = append(data, kv{"leaderEpoch", cv.LeaderEpoch})
		}
		data = append(data, kv{"metadata", cv.Metadata}, kv{"commitTimestamp", cv.CommitTimestamp})
		if cv.Version == 1 {
			data = append(data, kv{"expireTimestamp", cv.ExpireTimestamp})
		}
		return k, jsonString(map[string]any{"version": fmt.Sprint(cv.Version), "data": data})
	case 2:
		var gk kmsg.GroupMetadataKey
		if err := gk.ReadFrom(key); err != nil {
			return fmt.Sprintf("unknown (%v)", err), "unknown"
		}
		k = jsonString(map[string]any{"type": "2", "data": ordered{{"group", gk.Group}}})
		if value == nil {
			return k, "<DELETE>"
		}
		var gv kmsg.GroupMetadataValue
		if err := gv.ReadFrom(value); err != nil {
			return k, fmt.Sprintf("unknown (%v)", err)
		}
		members := make([]ordered, len(gv.Members))
		for i, m := range gv.Members {
			members[i] = ordered{{"memberId", m.MemberID}, {"groupInstanceId", m.InstanceID}, {"clientId", m.ClientID},
				{"clientHost", m.ClientHost}, {"rebalanceTimeout", m.RebalanceTimeoutMillis},
				{"sessionTimeout", m.SessionTimeoutMillis}, {"subscription", m.Subscription}, {"assignment", m.Assignment}}
		}
		data := ordered{{"protocolType", gv.ProtocolType}, {"generation", gv.Generation}, {"protocol", gv.Protocol},
			{"leader", gv.Leader}, {"currentStateTimestamp", gv.CurrentStateTimestamp}, {"members", members}}
		return k, jsonString(map[string]any{"version": fmt.Sprint(gv.Version), "data": data})
	}
	return fmt.Sprintf("unknown (key version %d)", version), "unknown"
}

// kv and ordered make a JSON object whose fields keep their order.
type kv struct {
	k string
	v any
}

type ordered []kv

func (o ordered) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, f := range o {
		if i > 0 {
			b = append(b, ',')
		}
		kb, _ := json.Marshal(f.k)
		vb, err := json.Marshal(f.v)
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, kb...), ':'), vb...)
	}
	return append(b, '}'), nil
}

// jsonString marshals m with "type"/"version" before "data".
func jsonString(m map[string]any) string {
	var o ordered
	for _, k := range []string{"type", "version", "data"} {
		if v, ok := m[k]; ok {
			o = append(o, kv{k, v})
		}
	}
	b, err := json.Marshal(o)
	if err != nil {
		return fmt.Sprintf("unknown (%v)", err)
	}
	return string(b)
}
