package server

// DeleteRecords: v0-2
//
// Moves each partition's log start offset up to Offset (-1: the high
// watermark); whole segments below it are deleted, and the new start is
// persisted. An offset above the high watermark: OFFSET_OUT_OF_RANGE.
//
// Version notes:
//   - v1: ThrottleMillis semantics
//   - v2: flexible

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (s *Server) handleDeleteRecords(r *request) (reply, error) {
	req := r.kreq.(*kmsg.DeleteRecordsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteRecordsResponse)
	for _, rt := range req.Topics {
		st := kmsg.NewDeleteRecordsResponseTopic()
		st.Topic = rt.Topic
		t, ok := s.topics.Get(rt.Topic)
		allowed := s.authorize(r.c, opDel, rtTopic, rt.Topic)
		for _, rp := range rt.Partitions {
			sp := kmsg.NewDeleteRecordsResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.LowWatermark = -1
			var err error
			switch {
			case !allowed:
				err = kerr.TopicAuthorizationFailed
			case !ok || rp.Partition < 0 || int(rp.Partition) >= len(t.Partitions):
				err = kerr.UnknownTopicOrPartition
			case t.Internal:
				// Kafka's ReplicaManager: "Cannot delete records of internal topic".
				err = kerr.InvalidTopicException
			case rp.Offset < -1:
				err = kerr.OffsetOutOfRange
			default:
				var low int64
				if low, err = t.Partitions[rp.Partition].DeleteRecords(rp.Offset); err == nil {
					sp.LowWatermark = low
				}
			}
			sp.ErrorCode = errCode(err)
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return msgReply{resp}, nil
}
