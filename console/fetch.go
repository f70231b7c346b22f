package console

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// reader reads records of one topic with plain Fetch requests sent to
// each partition's leader: no consumer group, no session, no long poll
// (MaxWaitMillis 0), each request bounded by Limits.FetchBytes. The
// console therefore never holds a fetch open on the broker and never
// commits anything.
type reader struct {
	s       *Server
	topic   kadm.TopicDetail
	dec     kgo.Decompressor
	leaders map[int32]int32
}

func (s *Server) newReader(t kadm.TopicDetail) *reader {
	rd := &reader{s: s, topic: t, dec: decompressor, leaders: map[int32]int32{}}
	for _, p := range t.Partitions {
		rd.leaders[p.Partition] = p.Leader
	}
	return rd
}

var decompressor = kgo.DefaultDecompressor()

// fetched is one Fetch of one partition.
type fetched struct {
	records []*kgo.Record
	bytes   int64 // record bytes returned (the batches' sizes)
	next    int64 // the offset to fetch next
	hwm     int64
	start   int64
}

// fetchOnce fetches partition p from offset, at most maxBytes.
func (rd *reader) fetchOnce(ctx context.Context, p int32, offset int64, maxBytes int32) (fetched, error) {
	leader, ok := rd.leaders[p]
	if !ok {
		return fetched{}, notFound("no partition %d in topic %q", p, rd.topic.Topic)
	}
	if leader < 0 {
		return fetched{}, fmt.Errorf("partition %d has no leader", p)
	}
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID = -1
	req.MaxWaitMillis = 0
	req.MinBytes = 1
	req.MaxBytes = maxBytes
	req.SessionEpoch = -1
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = rd.topic.Topic
	rt.TopicID = rd.topic.ID
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.Partition = p
	rp.FetchOffset = offset
	rp.PartitionMaxBytes = maxBytes
	rp.CurrentLeaderEpoch = -1
	rp.LogStartOffset = -1
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	kresp, err := rd.s.cl.Broker(int(leader)).Request(ctx, req)
	if err != nil {
		return fetched{}, err
	}
	resp := kresp.(*kmsg.FetchResponse)
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return fetched{}, err
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		return fetched{}, errors.New("fetch: the response does not hold the partition asked for")
	}
	part := &resp.Topics[0].Partitions[0]
	if err := kerr.ErrorForCode(part.ErrorCode); err != nil {
		return fetched{}, err
	}
	fp, next := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{
		Offset: offset, Topic: rd.topic.Topic, Partition: p,
	}, part, rd.dec, nil)
	f := fetched{records: fp.Records, bytes: int64(len(part.RecordBatches)), next: offset, hwm: part.HighWatermark, start: part.LogStartOffset}
	if fp.Err != nil && len(fp.Records) == 0 {
		return f, fp.Err
	}
	if next > offset { // the offset after the last record processed
		f.next = next
	}
	// Records above the high watermark are not committed (a leader may
	// return none, but a fake may): drop them.
	for i, r := range f.records {
		if r.Offset >= f.hwm {
			f.records = f.records[:i]
			break
		}
	}
	return f, nil
}

// readRange reads partition p from offset up to (not including) end,
// at most n records and budget bytes; it stops early when a fetch makes
// no progress. each may stop the scan by returning false.
func (rd *reader) readRange(ctx context.Context, p int32, offset, end int64, budget int64, each func(*kgo.Record) bool) (read int64, bytes int64, next int64, err error) {
	next = offset
	for next < end && bytes < budget {
		if err := ctx.Err(); err != nil {
			return read, bytes, next, err
		}
		f, err := rd.fetchOnce(ctx, p, next, rd.s.o.Limits.FetchBytes)
		if err != nil {
			return read, bytes, next, err
		}
		bytes += f.bytes
		if f.next <= next {
			if f.start > next {
				next = f.start // the log start moved past us
				continue
			}
			return read, bytes, next, nil
		}
		for _, r := range f.records {
			if r.Offset >= end {
				return read, bytes, end, nil
			}
			read++
			next = r.Offset + 1
			if !each(r) {
				return read, bytes, next, nil
			}
		}
		next = max(next, f.next)
		end = min(end, max(f.hwm, next))
	}
	return read, bytes, next, nil
}
