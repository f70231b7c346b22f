package server

// WriteTxnMarkers: v0-2
//
// Writes commit or abort markers into this broker's partitions, as the
// transaction coordinator does through the same path (writeMarker in
// txn_coordinator.go; in Kafka coordinators send this request to the
// partitions' leaders, and admin tools use it to abort hanging
// transactions). Each partition answers on its own:
// UNKNOWN_TOPIC_OR_PARTITION, INVALID_PRODUCER_EPOCH for an epoch older
// than the producer's, TRANSACTION_COORDINATOR_FENCED for an older
// coordinator epoch. Markers into __consumer_offsets also complete the
// producer's pending transactional offsets.
//
// Version notes:
//   - v1: flexible
//   - v2: TransactionVersion (KIP-890; markers are written the same way)

import (
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/txn"
)

func (s *Server) handleWriteTxnMarkers(r *request) (reply, error) {
	req := r.kreq.(*kmsg.WriteTxnMarkersRequest)
	resp := req.ResponseKind().(*kmsg.WriteTxnMarkersResponse)
	clusterAction := s.authorizeCluster(r.c, opClusterAction)
	r.c.slot.release()
	for _, m := range req.Markers {
		rm := kmsg.NewWriteTxnMarkersResponseMarker()
		rm.ProducerID = m.ProducerID
		for _, t := range m.Topics {
			rt := kmsg.NewWriteTxnMarkersResponseMarkerTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewWriteTxnMarkersResponseMarkerTopicPartition()
				rp.Partition = p
				if !clusterAction {
					rp.ErrorCode = kerr.ClusterAuthorizationFailed.Code
					rt.Partitions = append(rt.Partitions, rp)
					continue
				}
				err := s.writeMarker(t.Topic, p, m.ProducerID, m.ProducerEpoch, m.Committed, m.CoordinatorEpoch)
				if errors.Is(err, txn.ErrPartitionGone) {
					rp.ErrorCode = kerr.UnknownTopicOrPartition.Code
				} else {
					rp.ErrorCode = errCode(err)
				}
				rt.Partitions = append(rt.Partitions, rp)
			}
			rm.Topics = append(rm.Topics, rt)
		}
		resp.Markers = append(resp.Markers, rm)
	}
	return msgReply{resp}, nil
}
