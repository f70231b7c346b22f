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
	if rep := s.clusterDenied(r, opDescribe); rep != nil {
		return rep, nil
	}
	req := r.kreq.(*kmsg.DescribeLogDirsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeLogDirsResponse)
	// One entry per log dir, in log.dirs order, each with the partitions
	// it holds (a partition's directory is <log dir>/<topic>-<partition>).
	dirs := make(map[string]int, len(s.cfg.LogDirs))
	for _, d := range s.cfg.LogDirs {
		d = filepath.Clean(d)
		dir := kmsg.NewDescribeLogDirsResponseDir()
		dir.Dir = d
		if abs, err := filepath.Abs(d); err == nil {
			dir.Dir = abs
		}
		dir.TotalBytes, dir.UsableBytes = diskSpace(d)
		dirs[d] = len(resp.Dirs)
		resp.Dirs = append(resp.Dirs, dir)
	}
	describe := func(t *topic.Topic, partitions []int32) {
		byDir := make(map[int]*kmsg.DescribeLogDirsResponseDirTopic)
		for _, p := range partitions {
			if p < 0 || int(p) >= len(t.Partitions) {
				continue
			}
			i, ok := dirs[filepath.Dir(t.Partitions[p].Dir())]
			if !ok {
				continue
			}
			dt := byDir[i]
			if dt == nil {
				dt = &kmsg.DescribeLogDirsResponseDirTopic{Topic: t.Name}
				byDir[i] = dt
			}
			dp := kmsg.NewDescribeLogDirsResponseDirTopicPartition()
			dp.Partition = p
			dp.Size = t.Partitions[p].Size()
			dt.Partitions = append(dt.Partitions, dp)
		}
		for i := range resp.Dirs {
			if dt := byDir[i]; dt != nil {
				resp.Dirs[i].Topics = append(resp.Dirs[i].Topics, *dt)
			}
		}
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
	return msgReply{resp}, nil
}
