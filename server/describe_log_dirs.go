package server

// DescribeLogDirs: v0-5
//
// One log directory, the data directory (the first of log.dirs), with the
// size of every partition's segments. Null topics: every topic. Total and
// usable bytes come from statfs of the data directory (-1, Kafka's
// "unknown", where that fails).
//
// Version notes:
//   - v1: ThrottleMillis semantics
//   - v2: flexible
//   - v3: top-level ErrorCode
//   - v4: TotalBytes, UsableBytes
//   - v5: IsCordoned (never)

import (
	"path/filepath"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/topic"
)

func (s *Server) handleDescribeLogDirs(r *request) (reply, error) {
	req := r.kreq.(*kmsg.DescribeLogDirsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeLogDirsResponse)
	dir := kmsg.NewDescribeLogDirsResponseDir()
	dir.Dir = s.dataDir
	if abs, err := filepath.Abs(s.dataDir); err == nil {
		dir.Dir = abs
	}
	dir.TotalBytes, dir.UsableBytes = diskSpace(s.dataDir)
	describe := func(t *topic.Topic, partitions []int32) {
		dt := kmsg.NewDescribeLogDirsResponseDirTopic()
		dt.Topic = t.Name
		for _, p := range partitions {
			if p < 0 || int(p) >= len(t.Partitions) {
				continue
			}
			dp := kmsg.NewDescribeLogDirsResponseDirTopicPartition()
			dp.Partition = p
			dp.Size = t.Partitions[p].Size()
			dt.Partitions = append(dt.Partitions, dp)
		}
		dir.Topics = append(dir.Topics, dt)
	}
	if req.Topics == nil {
		for _, t := range s.topics.List() {
			all := make([]int32, len(t.Partitions))
			for i := range all {
				all[i] = int32(i)
			}
			describe(t, all)
		}
	} else {
		for _, rt := range req.Topics {
			if t, ok := s.topics.Get(rt.Topic); ok {
				describe(t, rt.Partitions)
			}
		}
	}
	resp.Dirs = []kmsg.DescribeLogDirsResponseDir{dir}
	return msgReply{resp}, nil
}
