package server

// The group coordinator: this broker coordinates every group. Committed
// offsets and group metadata live in the internal topic __consumer_offsets
// (offsets.topic.num.partitions partitions, created through the topic
// registry on the first group request, so that it is a topic like any
// other on disk and is hidden from Metadata unless named). When the topic
// exists at start, the coordinator starts with the server and replays it. package group owns the state
// machine; the handlers in join_group.go ... describe_groups.go translate.

import (
	"errors"
	"fmt"
	"net"
	"reflect"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/group"
	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/topic"
)

// offsetsTopic is Kafka's internal topic of committed offsets.
const offsetsTopic = "__consumer_offsets"

// offsetsTopicConfigs are the configs __consumer_offsets is created with,
// Kafka's (GroupCoordinatorService.groupMetadataTopicConfigs): compacted
// by the log cleaner, the producer's compression (the coordinator's batches
// carry offsets.topic.compression.codec), offsets.topic.segment.bytes.
func (s *Server) offsetsTopicConfigs() map[string]string {
	return map[string]string{
		"cleanup.policy":   "compact",
		"compression.type": "producer",
		"segment.bytes":    strconv.Itoa(int(s.cfg.OffsetsTopicSegmentBytes)),
	}
}

// errNoCoordinator: the coordinator could not be started (the server is
// closing, or __consumer_offsets could not be created).
var errNoCoordinator = errors.New("server: group coordinator not available")

// coordinator returns the group coordinator, creating __consumer_offsets
// and starting the coordinator on first use when the topic did not exist
// at start (Kafka, too, creates the topic on the first FindCoordinator).
func (s *Server) coordinator() (*group.Coordinator, error) {
	s.groupsMu.Lock()
	defer s.groupsMu.Unlock()
	if s.groups != nil {
		return s.groups, nil
	}
	select {
	case <-s.done:
		return nil, errNoCoordinator
	default:
	}
	if err := s.openGroupsLocked(); err != nil {
		s.log.Warn("starting the group coordinator", "err", err)
		return nil, fmt.Errorf("%w: %w", errNoCoordinator, err)
	}
	return s.groups, nil
}

func (s *Server) closeGroups() error {
	s.groupsMu.Lock()
	defer s.groupsMu.Unlock()
	if s.groups == nil {
		return nil
	}
	return s.groups.Close()
}

// openGroups starts the coordinator at Start, when __consumer_offsets
// exists.
func (s *Server) openGroups() error {
	s.groupsMu.Lock()
	defer s.groupsMu.Unlock()
	return s.openGroupsLocked()
}

// openGroupsLocked creates __consumer_offsets if needed and starts the
// group coordinator over its logs.
func (s *Server) openGroupsLocked() error {
	t, ok := s.topics.Get(offsetsTopic)
	if !ok {
		var err error
		t, err = s.topics.Create(offsetsTopic, s.cfg.OffsetsTopicNumPartitions, s.offsetsTopicConfigs(), false)
		if errors.Is(err, topic.ErrTopicExists) {
			t, ok = s.topics.Get(offsetsTopic)
			if !ok {
				return fmt.Errorf("server: %s vanished", offsetsTopic)
			}
		} else if err != nil {
			return fmt.Errorf("server: create %s: %w", offsetsTopic, err)
		}
	}
	g, err := group.Open(group.Options{
		Logs:                   t.Partitions,
		PartitionExists:        s.partitionExists,
		Now:                    s.now,
		Logger:                 s.log.With("component", "group"),
		InitialRebalanceDelay:  time.Duration(s.cfg.GroupInitialRebalanceDelayMs) * time.Millisecond,
		MinSessionTimeout:      time.Duration(s.cfg.GroupMinSessionTimeoutMs) * time.Millisecond,
		MaxSessionTimeout:      time.Duration(s.cfg.GroupMaxSessionTimeoutMs) * time.Millisecond,
		MaxGroupSize:           int(s.cfg.GroupMaxSize),
		OffsetsRetention:       time.Duration(s.cfg.OffsetsRetentionMinutes) * time.Minute,
		RetentionCheckInterval: time.Duration(s.cfg.OffsetsRetentionCheckIntervalMs) * time.Millisecond,
		Compression:            recordbatch.Codec(s.cfg.OffsetsTopicCompressionCodec),
	})
	if err != nil {
		return fmt.Errorf("server: group coordinator: %w", err)
	}
	s.groups = g
	return nil
}

// groupUnavailable answers a group request when the coordinator cannot
// start: COORDINATOR_NOT_AVAILABLE in the response's top-level error code,
// or per partition for OffsetCommit.
func groupUnavailable(r *request) reply {
	if req, ok := r.kreq.(*kmsg.OffsetCommitRequest); ok {
		resp := req.ResponseKind().(*kmsg.OffsetCommitResponse)
		for _, t := range req.Topics {
			rt := kmsg.NewOffsetCommitResponseTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewOffsetCommitResponseTopicPartition()
				rp.Partition, rp.ErrorCode = p.Partition, kerr.CoordinatorNotAvailable.Code
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		return msgReply{resp}
	}
	resp := r.kreq.ResponseKind()
	if f := reflect.ValueOf(resp).Elem().FieldByName("ErrorCode"); f.IsValid() && f.Kind() == reflect.Int16 {
		f.SetInt(int64(kerr.CoordinatorNotAvailable.Code))
	}
	return msgReply{resp}
}

// serveGroup runs a group API handler with the coordinator.
func (s *Server) serveGroup(r *request, serve func(*group.Coordinator) kmsg.Response) (reply, error) {
	if rep := s.groupPreAuth(r); rep != nil { // authorize_groups.go
		return rep, nil
	}
	// JoinGroup and SyncGroup wait for the other members' requests: their
	// queued.max.requests slot goes back first, as a waiting Fetch's does
	// (queue.go). Group requests are small, so all of them do.
	r.c.slot.release()
	if r.hdr.key == int16(kmsg.ListGroups) {
		// Listing creates nothing: with no __consumer_offsets there are no
		// groups (Kafka creates the topic on a group's FindCoordinator,
		// never on ListGroups, so a console or a metrics scrape listing
		// groups of a fresh broker leaves it without 50 partitions).
		if _, ok := s.topics.Get(offsetsTopic); !ok {
			return msgReply{r.kreq.ResponseKind()}, nil
		}
	}
	g, err := s.coordinator()
	if err != nil {
		return groupUnavailable(r), nil
	}
	switch r.hdr.key {
	case int16(kmsg.JoinGroup), int16(kmsg.SyncGroup), int16(kmsg.OffsetCommit):
		// They wait on other members, or on the commit's append: Kafka's
		// purgatories, remote time (stats.go).
		r.c.t.startRemote()
		defer r.c.t.endRemote()
	}
	resp := serve(g)
	s.groupPostAuth(r, resp)
	return msgReply{resp}, nil
}

// dropTopicOffsets removes the deleted topics' committed offsets from
// every group (Kafka's onPartitionsDeleted), once they are gone from the
// registry: a commit checked before that is appended before the
// tombstones, one checked after gets UNKNOWN_TOPIC_OR_PARTITION. Without
// a running coordinator there is no __consumer_offsets, so no offsets.
func (s *Server) dropTopicOffsets(names []string) {
	s.groupsMu.Lock()
	g := s.groups
	s.groupsMu.Unlock()
	if g == nil || len(names) == 0 {
		return
	}
	if err := g.DeleteTopicOffsets(names); err != nil {
		s.log.Warn("removing deleted topics' committed offsets", "topics", names, "err", err)
	}
}

func (s *Server) partitionExists(name string, p int32) bool {
	t, ok := s.topics.Get(name)
	return ok && p >= 0 && int(p) < len(t.Partitions)
}

// groupClient identifies a request's client for DescribeGroups: its
// client ID and, as Kafka shows it, "/" and its IP address.
func groupClient(r *request) group.Client {
	host := r.c.remote
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return group.Client{ID: r.hdr.clientID, Host: "/" + host}
}
