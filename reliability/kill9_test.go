package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// acks records, per producer, the sequence numbers each partition
// acknowledged, in acknowledgement order.
type acks struct {
	mu    sync.Mutex
	seqs  [][][]int // [producer][partition] → sequence numbers
	total int
}

func newAcks(producers, partitions int) *acks {
	a := &acks{seqs: make([][][]int, producers)}
	for i := range a.seqs {
		a.seqs[i] = make([][]int, partitions)
	}
	return a
}

func (a *acks) add(producer, partition, seq int) {
	a.mu.Lock()
	a.seqs[producer][partition] = append(a.seqs[producer][partition], seq)
	a.total++
	a.mu.Unlock()
}

func (a *acks) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.total
}

// snapshot copies the acknowledged sequence numbers.
func (a *acks) snapshot() [][][]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([][][]int, len(a.seqs))
	for i := range a.seqs {
		out[i] = make([][]int, len(a.seqs[i]))
		for j := range a.seqs[i] {
			out[i][j] = slices.Clone(a.seqs[i][j])
		}
	}
	return out
}

// seen records which offsets of each partition group consumers processed.
type seen struct {
	mu   sync.Mutex
	offs []map[int64]struct{}
}

func (s *seen) add(p int32, o int64) {
	s.mu.Lock()
	s.offs[p][o] = struct{}{}
	s.mu.Unlock()
}

// missing returns the first offset below upTo of partition p that no
// consumer processed, or -1.
func (s *seen) missing(p int32, upTo int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	for o := int64(0); o < upTo; o++ {
		if _, ok := s.offs[p][o]; !ok {
			return o
		}
	}
	return -1
}

const k9Value = "p%d-s%09d"

// TestKill9UnderLoad kills the broker with SIGKILL at random moments while
// four idempotent acks=all producers and two group consumers run, restarts
// it, and checks after every restart that every record acknowledged before
// the kill is in the log exactly once and in order, and that no consumer
// skipped a record below its group's committed offset. 5 rounds; 20 with
// STRATA_RELIABILITY_FULL=1.
func TestKill9UnderLoad(t *testing.T) {
	const (
		producers  = 4
		consumers  = 2
		partitions = 4
		topic      = "k9"
		group      = "k9-group"
	)
	rounds := 5
	if full() {
		rounds = 20
	}
	b := newBroker(t, t.TempDir())
	b.start()
	b.createTopic(topic, partitions)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	ack := newAcks(producers, partitions)
	var prodErrs sync.Map // error text → count, failures kgo gave up on
	prodCtx, stopProducers := context.WithCancel(ctx)
	clients := make([]*kgo.Client, producers)
	for i := range producers {
		cl := b.client(
			kgo.RecordPartitioner(kgo.ManualPartitioner()),
			kgo.RequiredAcks(kgo.AllISRAcks()),
			kgo.ProducerLinger(0),
		)
		clients[i] = cl
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			for seq := 0; ; seq++ {
				select {
				case <-prodCtx.Done():
					return
				case <-tick.C:
				}
				part := seq % partitions
				r := &kgo.Record{Topic: topic, Partition: int32(part), Value: fmt.Appendf(nil, k9Value, i, seq)}
				cl.Produce(ctx, r, func(r *kgo.Record, err error) {
					if err != nil {
						v, _ := prodErrs.LoadOrStore(err.Error(), new(atomic.Int64))
						v.(*atomic.Int64).Add(1)
						return
					}
					ack.add(i, part, seq)
				})
			}
		}()
	}

	sn := &seen{offs: make([]map[int64]struct{}, partitions)}
	for i := range sn.offs {
		sn.offs[i] = map[int64]struct{}{}
	}
	for range consumers {
		cl := b.client(
			kgo.ConsumerGroup(group),
			kgo.ConsumeTopics(topic),
			kgo.DisableAutoCommit(),
			kgo.FetchMaxWait(200*time.Millisecond),
			kgo.SessionTimeout(10*time.Second),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				fs := cl.PollFetches(ctx)
				fs.EachRecord(func(r *kgo.Record) { sn.add(r.Partition, r.Offset) })
				// Commit only what was processed: at least once.
				cl.CommitUncommittedOffsets(ctx)
			}
		}()
	}

	admin := b.client()
	var startups []time.Duration
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 8))
	for round := 1; round <= rounds; round++ {
		// Under load: wait for fresh acknowledgements, then a random moment.
		before := ack.count()
		if !waitFor(60*time.Second, func() bool { return ack.count() >= before+200 }) {
			t.Fatalf("round %d: producers made no progress (acked %d)\nbroker log:\n%s", round, ack.count(), b.tail(3000))
		}
		<-time.After(time.Duration(rng.IntN(700)) * time.Millisecond)
		b.kill()
		acked := ack.snapshot() // every ack here was sent before the process died
		b.start()
		startups = append(startups, b.startup)
		checkAcked(t, b, topic, partitions, acked, round)
		checkCommitted(t, admin, group, topic, sn, round)
		t.Logf("round %d: %d records acked before the kill; restart took %v", round, countAll(acked), b.startup)
	}

	// Drain: stop producing, let the consumers catch up and commit.
	stopProducers()
	for _, cl := range clients {
		fctx, fcancel := context.WithTimeout(ctx, 60*time.Second)
		if err := cl.Flush(fctx); err != nil {
			t.Errorf("flush: %v", err)
		}
		fcancel()
	}
	acked := ack.snapshot()
	ends := endOffsets(t, admin, topic)
	ok := waitFor(90*time.Second, func() bool {
		offs, err := kadm.NewClient(admin).FetchOffsets(ctxFor(t, 10*time.Second), group)
		if err != nil {
			return false
		}
		for p := range int32(partitions) {
			o, _ := offs.Lookup(topic, p)
			if o.At != ends[p] {
				return false
			}
		}
		return true
	})
	if !ok {
		t.Errorf("consumers did not commit the end offsets %v within 90s", ends)
	}
	for p := range int32(partitions) {
		if m := sn.missing(p, ends[p]); m >= 0 {
			t.Errorf("final: no consumer processed %s/%d offset %d (end %d)", topic, p, m, ends[p])
		}
	}
	checkAcked(t, b, topic, partitions, acked, 0)
	prodErrs.Range(func(k, v any) bool {
		t.Logf("records failed to the producer (not acked, allowed): %d × %s", v.(*atomic.Int64).Load(), k)
		return true
	})
	slices.Sort(startups)
	t.Logf("RESULT kill9: rounds=%d acked=%d records, end offsets %v; startup after crash min=%v median=%v max=%v",
		rounds, countAll(acked), ends, startups[0], startups[len(startups)/2], startups[len(startups)-1])
}

func countAll(acked [][][]int) int {
	n := 0
	for _, ps := range acked {
		for _, s := range ps {
			n += len(s)
		}
	}
	return n
}

// checkAcked reads every partition and checks that each producer's records
// appear in increasing sequence order with no repeats, and that every
// acknowledged one is there.
func checkAcked(t *testing.T, b *broker, topic string, partitions int, acked [][][]int, round int) {
	t.Helper()
	cl := b.client()
	ends := endOffsets(t, cl, topic)
	for p := range partitions {
		recs := readAll(t, b, topic, int32(p), ends[int32(p)])
		last := make([]int, len(acked))
		present := make([]map[int]struct{}, len(acked))
		for i := range last {
			last[i] = -1
			present[i] = map[int]struct{}{}
		}
		for i, r := range recs {
			if r.Offset != int64(i) {
				t.Fatalf("round %d: %s/%d: record %d has offset %d", round, topic, p, i, r.Offset)
			}
			var prod, seq int
			if _, err := fmt.Sscanf(string(r.Value), k9Value, &prod, &seq); err != nil || prod < 0 || prod >= len(acked) {
				t.Fatalf("round %d: %s/%d offset %d: value %q: %v", round, topic, p, r.Offset, r.Value, err)
			}
			if seq <= last[prod] {
				t.Fatalf("round %d: %s/%d offset %d: producer %d sequence %d after %d (duplicate or reordered)",
					round, topic, p, r.Offset, prod, seq, last[prod])
			}
			last[prod] = seq
			present[prod][seq] = struct{}{}
		}
		for prod := range acked {
			for _, seq := range acked[prod][p] {
				if _, ok := present[prod][seq]; !ok {
					t.Fatalf("round %d: %s/%d: acknowledged record of producer %d sequence %d is missing (log end %d)",
						round, topic, p, prod, seq, ends[int32(p)])
				}
			}
		}
	}
}

// checkCommitted checks that the group's committed offsets survived and
// that consumers processed every offset below them.
func checkCommitted(t *testing.T, cl *kgo.Client, group, topic string, sn *seen, round int) {
	t.Helper()
	offs, err := kadm.NewClient(cl).FetchOffsets(ctxFor(t, 30*time.Second), group)
	if err != nil {
		t.Fatalf("round %d: fetch committed offsets: %v", round, err)
	}
	offs.Each(func(o kadm.OffsetResponse) {
		if o.Topic != topic {
			return
		}
		if o.Err != nil {
			t.Fatalf("round %d: committed offset of %s/%d: %v", round, o.Topic, o.Partition, o.Err)
		}
		if m := sn.missing(o.Partition, o.At); m >= 0 {
			t.Fatalf("round %d: %s/%d committed at %d but no consumer processed offset %d", round, topic, o.Partition, o.At, m)
		}
	})
}
