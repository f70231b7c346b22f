package server

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/config"
)

// benchConfig is testConfig for benchmarks: loopback, data in a temporary
// directory, the settings applied.
func benchConfig(b *testing.B, settings ...string) *config.Broker {
	b.Helper()
	cfg := config.Defaults()
	all := append([]string{"listeners", "PLAINTEXT://127.0.0.1:0", "log.dirs", b.TempDir(), "offsets.topic.num.partitions", "4"}, settings...)
	for i := 0; i+1 < len(all); i += 2 {
		if err := cfg.Set(all[i], all[i+1]); err != nil {
			b.Fatal(err)
		}
	}
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	return cfg
}

// BenchmarkGroupRebalance: 10 members of a new group over 100 partitions
// (one record each), all started at once with
// group.initial.rebalance.delay.ms=100. Reports the time from the last
// member's start to every member's first fetched record, and the
// generation the group settled in (1: one rebalance round).
func BenchmarkGroupRebalance(b *testing.B) {
	s, err := Start(benchConfig(b, "group.initial.rebalance.delay.ms", "100"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.topics.Create("rb", 100, nil, false); err != nil {
		b.Fatal(err)
	}
	pcl, err := kgo.NewClient(kgo.SeedBrokers(s.Addr().String()), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for p := range int32(100) {
		pcl.Produce(ctx, &kgo.Record{Topic: "rb", Partition: p, Value: []byte("x")}, nil)
	}
	if err := pcl.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	pcl.Close()
	var total time.Duration
	maxGen := int32(0)
	for i := 0; i < b.N; i++ {
		group := "rb-" + strconv.Itoa(i)
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			first time.Time
			cls   []*kgo.Client
		)
		for m := range 10 {
			cl, err := kgo.NewClient(kgo.SeedBrokers(s.Addr().String()), kgo.ConsumerGroup(group), kgo.ConsumeTopics("rb"),
				kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.ClientID("m"+strconv.Itoa(m)), kgo.DisableAutoCommit())
			if err != nil {
				b.Fatal(err)
			}
			cls = append(cls, cl)
		}
		lastStart := time.Now()
		for _, cl := range cls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					fs := cl.PollFetches(ctx)
					if ctx.Err() != nil {
						return
					}
					if fs.NumRecords() > 0 {
						mu.Lock()
						if now := time.Now(); now.After(first) {
							first = now
						}
						mu.Unlock()
						return
					}
				}
			}()
		}
		wg.Wait()
		total += first.Sub(lastStart)
		for _, cl := range cls {
			_, gen := cl.GroupMetadata()
			maxGen = max(maxGen, gen)
			cl.Close()
		}
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/rebalance")
	b.ReportMetric(float64(maxGen), "generation")
}

// BenchmarkGroupCommit: one group member committing one offset per
// iteration, synchronously (a consumer that commits every poll).
func BenchmarkGroupCommit(b *testing.B) {
	s, err := Start(benchConfig(b, "group.initial.rebalance.delay.ms", "0"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.topics.Create("cb", 1, nil, false); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(s.Addr().String()), kgo.ConsumerGroup("cb"), kgo.ConsumeTopics("cb"), kgo.DisableAutoCommit())
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	go cl.PollFetches(ctx) // joins the group
	for {
		if _, gen := cl.GroupMetadata(); gen > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var cerr error
		cl.CommitOffsetsSync(ctx, map[string]map[int32]kgo.EpochOffset{"cb": {0: {Epoch: -1, Offset: int64(i)}}},
			func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
				cerr = err
				if err == nil && resp.Topics[0].Partitions[0].ErrorCode != 0 {
					cerr = kerr.ErrorForCode(resp.Topics[0].Partitions[0].ErrorCode)
				}
			})
		if cerr != nil {
			b.Fatal(cerr)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
}
