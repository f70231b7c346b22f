package group

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/recordbatch"
)

// Records in __consumer_offsets are Kafka's (kmsg's OffsetCommitKey,
// OffsetCommitValue, GroupMetadataKey, GroupMetadataValue): the key starts
// with an int16 version, 0 or 1 for a committed offset and 2 for group
// metadata; a null value is a tombstone. Strata writes offset key v1 with
// value v3, and group key v2 with value v3, as Kafka 3.x and 4.x do for
// classic groups. Keys of other versions (KIP-848 records) are skipped.

const (
	offsetKeyVersion   = 1
	offsetValueVersion = 3
	groupKeyVersion    = 2
	groupValueVersion  = 3
	// replayChunk is how many bytes one Read of a partition returns at most.
	replayChunk = 1 << 20
	// maxReplayRecord bounds the decompressed size of a batch on replay.
	maxReplayRecord = 64 << 20
)

func offsetKey(group, topic string, p int32) []byte {
	k := kmsg.OffsetCommitKey{Version: offsetKeyVersion, Group: group, Topic: topic, Partition: p}
	return k.AppendTo(nil)
}

func offsetValue(o *offset) []byte {
	v := kmsg.NewOffsetCommitValue()
	v.Version = offsetValueVersion
	v.Offset = o.offset
	v.LeaderEpoch = o.leaderEpoch
	v.Metadata = o.metadata
	v.CommitTimestamp = o.commitTime
	return v.AppendTo(nil)
}

func groupKey(group string) []byte {
	k := kmsg.GroupMetadataKey{Version: groupKeyVersion, Group: group}
	return k.AppendTo(nil)
}

// groupValue is the group's metadata record: its generation, protocol,
// leader and every member with its subscription and assignment.
func (g *group) value() []byte {
	v := kmsg.NewGroupMetadataValue()
	v.Version = groupValueVersion
	v.ProtocolType = g.protocolType
	v.Generation = g.generation
	if g.protocol != "" {
		v.Protocol = kmsg.StringPtr(g.protocol)
	}
	if g.leader != "" {
		v.Leader = kmsg.StringPtr(g.leader)
	}
	v.CurrentStateTimestamp = g.stateTime
	for _, m := range g.ordered() {
		vm := kmsg.NewGroupMetadataValueMember()
		vm.MemberID = m.id
		vm.InstanceID = m.instanceID
		vm.ClientID = m.clientID
		vm.ClientHost = m.clientHost
		vm.RebalanceTimeoutMillis = m.rebalanceTimeoutMs
		vm.SessionTimeoutMillis = m.sessionTimeoutMs
		vm.Subscription = m.metadata(g.protocol)
		vm.Assignment = m.assignment
		v.Members = append(v.Members, vm)
	}
	return v.AppendTo(nil)
}

// ReplayStats is what Open read of __consumer_offsets.
type ReplayStats struct {
	Bytes   int64 // of whole batches
	Batches int64 // control batches included
	Records int64 // of data batches, tombstones included
}

func (s *ReplayStats) add(o ReplayStats) {
	s.Bytes += o.Bytes
	s.Batches += o.Batches
	s.Records += o.Records
}

// Replayed returns what Open read of __consumer_offsets: on a compacted
// log, only the live records (and tombstones not yet removed).
func (c *Coordinator) Replayed() ReplayStats { return c.replayed }

// replay reads one partition of __consumer_offsets from its start and
// applies every record in order. A cleaned log has gaps: each batch gives
// the offset to read next, and Read returns the first batch at or after
// an offset in a gap.
func (c *Coordinator) replay(p int32, l *partition.Log) (ReplayStats, error) {
	it := recordbatch.NewIterator(nil, maxReplayRecord)
	var buf []byte
	var st ReplayStats
	off := l.LogStartOffset()
	for off < l.HighWatermark() {
		rr, err := l.Read(off, replayChunk)
		if err != nil {
			return st, fmt.Errorf("%w: partition %d at offset %d: %w", ErrReplay, p, off, err)
		}
		next := off
		for _, s := range rr.Slices {
			if s.Len == 0 {
				continue
			}
			if cap(buf) < int(s.Len) {
				buf = make([]byte, s.Len)
			}
			buf = buf[:s.Len]
			if _, err := s.File.ReadAt(buf, s.Pos); err != nil {
				rr.Release()
				return st, fmt.Errorf("%w: partition %d: %w", ErrReplay, p, err)
			}
			for b := buf; len(b) > 0; {
				n, err := recordbatch.BatchSize(b)
				if err != nil || n > len(b) {
					rr.Release()
					return st, fmt.Errorf("%w: partition %d: batch at byte %d: %v", ErrReplay, p, s.Pos+int64(len(buf)-len(b)), err)
				}
				h := recordbatch.Header(b[:n])
				st.Batches++
				pid := int64(-1) // Kafka's loader: the producer of transactional batches only
				if h.Transactional() {
					pid = h.ProducerID()
				}
				it.Reset(b[:n], maxReplayRecord)
				for it.Next() {
					r := it.Record()
					if !h.Control() {
						st.Records++
						c.apply(r.Key, r.Value, r.Offset, pid)
					} else if commit, ok := controlType(r.Key); ok && pid >= 0 {
						c.completeTxn(txnKey{p, pid}, commit)
					}
				}
				if err := it.Err(); err != nil {
					rr.Release()
					return st, fmt.Errorf("%w: partition %d: %w", ErrReplay, p, err)
				}
				next = h.NextOffset()
				b = b[n:]
			}
		}
		rr.Release()
		st.Bytes += rr.Bytes
		if next <= off {
			break
		}
		off = next
	}
	return st, nil
}

// errBadRecord: a record in __consumer_offsets whose key or value does not
// decode; replay logs and skips it, as Kafka does for unknown records.
var errBadRecord = errors.New("group: undecodable __consumer_offsets record")

// apply folds one record into the in-memory state (replay only); pid is
// the producer of a transactional batch's record, else -1.
func (c *Coordinator) apply(key, value []byte, at, pid int64) {
	if len(key) < 2 {
		c.log.Warn("skipping record", "err", errBadRecord, "offset", at)
		return
	}
	switch binary.BigEndian.Uint16(key) {
	case 0, 1:
		var k kmsg.OffsetCommitKey
		if err := k.ReadFrom(key); err != nil {
			c.log.Warn("skipping record", "err", fmt.Errorf("%w: %w", errBadRecord, err), "offset", at)
			return
		}
		tp := topicPartition{k.Topic, k.Partition}
		if value == nil {
			if g := c.groups[k.Group]; g != nil {
				delete(g.offsets, tp)
				c.dropTxnOffsets(g, tp)
				c.maybeDropEmpty(g)
			}
			return
		}
		var v kmsg.OffsetCommitValue
		if err := v.ReadFrom(value); err != nil {
			c.log.Warn("skipping record", "err", fmt.Errorf("%w: %w", errBadRecord, err), "offset", at)
			return
		}
		g := c.getOrCreate(k.Group)
		epoch := int32(-1)
		if v.Version >= 3 {
			epoch = v.LeaderEpoch
		}
		o := &offset{offset: v.Offset, leaderEpoch: epoch, metadata: v.Metadata, commitTime: v.CommitTimestamp, recordOffset: at}
		if pid >= 0 {
			c.addTxnOffset(g, pid, tp, o)
			return
		}
		g.offsets[tp] = o
	case 2:
		var k kmsg.GroupMetadataKey
		if err := k.ReadFrom(key); err != nil {
			c.log.Warn("skipping record", "err", fmt.Errorf("%w: %w", errBadRecord, err), "offset", at)
			return
		}
		if value == nil {
			if g := c.groups[k.Group]; g != nil {
				g.members, g.order, g.static = map[string]*member{}, nil, map[string]string{}
				g.protocolType, g.protocol, g.leader, g.generation = "", "", "", 0
				g.state = stateEmpty
				c.maybeDropEmpty(g)
			}
			return
		}
		var v kmsg.GroupMetadataValue
		if err := v.ReadFrom(value); err != nil {
			c.log.Warn("skipping record", "err", fmt.Errorf("%w: %w", errBadRecord, err), "offset", at)
			return
		}
		g := c.getOrCreate(k.Group)
		g.load(&v)
	default:
		// KIP-848 and share-group records: not this coordinator's.
	}
}

// load replaces the group's membership with a metadata record's.
func (g *group) load(v *kmsg.GroupMetadataValue) {
	g.generation = v.Generation
	g.protocolType = v.ProtocolType
	g.protocol, g.leader = "", ""
	if v.Protocol != nil {
		g.protocol = *v.Protocol
	}
	if v.Leader != nil {
		g.leader = *v.Leader
	}
	g.stateTime = v.CurrentStateTimestamp
	g.members, g.order, g.static = map[string]*member{}, nil, map[string]string{}
	for _, vm := range v.Members {
		m := &member{
			id:                 vm.MemberID,
			instanceID:         vm.InstanceID,
			clientID:           vm.ClientID,
			clientHost:         vm.ClientHost,
			sessionTimeoutMs:   vm.SessionTimeoutMillis,
			rebalanceTimeoutMs: vm.RebalanceTimeoutMillis,
			assignment:         vm.Assignment,
			protocols:          []protocol{{name: g.protocol, metadata: vm.Subscription}},
		}
		if m.rebalanceTimeoutMs < 0 {
			m.rebalanceTimeoutMs = m.sessionTimeoutMs
		}
		g.addMember(m)
	}
	if len(g.members) == 0 {
		g.state = stateEmpty
	} else {
		g.state = stateStable
	}
}
