package server

// ListOffsets: v0-11
//
// Timestamps: -2 earliest (the log start offset), -1 latest (the high
// watermark; for read_committed the last stable offset),
// -3 the record with the largest timestamp (v7+, KIP-734), -4 earliest
// local (v8+; no tiered storage, so the earliest), -5 latest tiered and -6
// earliest pending upload (v9+, v11: nothing is tiered, so -1), and any
// other non-negative value the first offset whose timestamp is at or after
// it (-1 when there is none; for read_committed also when it is at or
// past the last stable offset, as Kafka's Partition.fetchOffsetForTimestamp
// bounds it by the last fetchable offset).
//
// Version notes:
//   - v0: MaxNumOffsets, OldStyleOffsets
//   - v1: one Timestamp/Offset pair instead
//   - v2: IsolationLevel, ThrottleMillis
//   - v4: CurrentLeaderEpoch (ours is 0), LeaderEpoch in the answer
//   - v6: flexible; v7: -3; v8: -4; v9: -5; v10: TimeoutMillis; v11: -6

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/partition"
)

func (s *Server) handleListOffsets(r *request) (reply, error) {
	req := r.kreq.(*kmsg.ListOffsetsRequest)
	resp := req.ResponseKind().(*kmsg.ListOffsetsResponse)
	for _, rt := range req.Topics {
		st := kmsg.NewListOffsetsResponseTopic()
		st.Topic = rt.Topic
		t, ok := s.topics.Get(rt.Topic)
		allowed := s.authorize(r.c, opDescribe, rtTopic, rt.Topic)
		for _, rp := range rt.Partitions {
			sp := kmsg.NewListOffsetsResponseTopicPartition()
			sp.Partition = rp.Partition
			var err error
			switch {
			case !allowed:
				err = kerr.TopicAuthorizationFailed
			case !ok || rp.Partition < 0 || int(rp.Partition) >= len(t.Partitions):
				err = kerr.UnknownTopicOrPartition
			case rp.CurrentLeaderEpoch > 0:
				err = kerr.UnknownLeaderEpoch
			default:
				err = listOffset(t.Partitions[rp.Partition], req.Version, req.IsolationLevel == 1, rp, &sp)
			}
			if err != nil {
				sp.ErrorCode = errCode(err)
				sp.Timestamp, sp.Offset, sp.LeaderEpoch = -1, -1, -1
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return msgReply{resp}, nil
}

func listOffset(l *partition.Log, version int16, committed bool, rp kmsg.ListOffsetsRequestTopicPartition, sp *kmsg.ListOffsetsResponseTopicPartition) error {
	ts := rp.Timestamp
	switch ts {
	case -4: // earliest local: everything is local
		ts = -2
	case -5, -6: // latest tiered, earliest pending upload: nothing is tiered
		sp.Timestamp, sp.Offset, sp.LeaderEpoch = -1, -1, -1
		return nil
	}
	if ts < -3 {
		return kerrf(kerr.InvalidRequest, "Invalid timestamp %d", rp.Timestamp)
	}
	offset, timestamp, err := l.ListOffset(ts)
	if err != nil {
		return err
	}
	if committed {
		switch lso := l.LastStableOffset(); {
		case ts == partition.LatestTimestamp:
			offset = lso
		case ts != partition.EarliestTimestamp && offset >= lso:
			offset, timestamp = -1, -1
		}
	}
	sp.Timestamp, sp.Offset, sp.LeaderEpoch = timestamp, offset, 0
	if offset < 0 {
		sp.LeaderEpoch = -1
	}
	if version == 0 {
		sp.OldStyleOffsets = []int64{}
		if offset >= 0 && rp.MaxNumOffsets > 0 {
			sp.OldStyleOffsets = append(sp.OldStyleOffsets, offset)
		}
	}
	return nil
}
