package server

// OffsetCommit: v0-9
//
// The answer comes after the commit's records are appended to
// __consumer_offsets. Group-less consumers commit with generation -1 (v0:
// always). Partitions that do not exist get UNKNOWN_TOPIC_OR_PARTITION.
// v10 (topic IDs, Kafka 4.2) is not served yet.
//
// Version notes:
//   - v1: Generation, MemberID, per-partition Timestamp (ignored)
//   - v2-4: RetentionTimeMillis (ignored: offsets.retention.minutes rules, as since Kafka 2.1)
//   - v3: ThrottleMillis
//   - v6: LeaderEpoch
//   - v7: InstanceID
//   - v8: flexible

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/group"
)

func (s *Server) handleOffsetCommit(r *request) (reply, error) {
	return s.serveGroup(r, func(g *group.Coordinator) kmsg.Response { return g.OffsetCommit(r.kreq.(*kmsg.OffsetCommitRequest)) })
}
