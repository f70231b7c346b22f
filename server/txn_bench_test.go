package server

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stratabroker/strata/recordbatch"
)

// BenchmarkFetchIsolation is W7 (a kgo consumer reading a partition from
// offset 0) over a transactional log, read_uncommitted against
// read_committed: 200,000 records of 100 bytes in batches of 100, in
// transactions of 10 batches, each ended by its marker; in the "aborts"
// log every tenth transaction is aborted (read_committed fetches carry
// aborted lists and the client drops those batches), in "committed" none.
// One op is one consumer reading the whole log; records/s counts the log's
// records (the same work for both levels: read_committed delivers the
// committed ones). The target: read_committed ≥ 0.95× read_uncommitted.
//
//	go test -run '^$' -bench FetchIsolation -benchtime 5x -count 5 ./server/
func BenchmarkFetchIsolation(b *testing.B) {
	s, err := Start(benchConfig(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const batches, perBatch, perTxn = 2000, 100, 10
	// fill writes the log of topic name: transactions of perTxn batches,
	// every abortEvery-th aborted (0: none). It returns the committed
	// records.
	fill := func(name string, abortEvery int) int {
		if _, err := s.topics.Create(name, 1, nil, false); err != nil {
			b.Fatal(err)
		}
		tp, _ := s.topics.Get(name)
		l := tp.Partitions[0]
		value := make([]byte, 100)
		committed := 0
		for i := range batches {
			txn := i / perTxn
			pid := int64(1000 + txn%7)
			bb := recordbatch.NewBuilder()
			bb.ProducerID, bb.ProducerEpoch, bb.BaseSequence, bb.Transactional = pid, 0, int32((txn/7)*perTxn*perBatch+(i%perTxn)*perBatch), true
			for range perBatch {
				bb.Add(&recordbatch.Record{Timestamp: time.Now().UnixMilli(), Value: value})
			}
			batch, err := bb.AppendTo(nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := l.Append(batch, false); err != nil {
				b.Fatal(err)
			}
			if i%perTxn == perTxn-1 {
				commit := abortEvery == 0 || txn%abortEvery != abortEvery-1
				if _, err := l.AppendMarker(pid, 0, commit, 0, time.Now().UnixMilli()); err != nil {
					b.Fatal(err)
				}
				if commit {
					committed += perTxn * perBatch
				}
			}
		}
		return committed
	}
	for _, lg := range []struct {
		name       string
		abortEvery int
	}{{"committed", 0}, {"aborts", 10}} {
		committed := fill(lg.name, lg.abortEvery)
		tp, _ := s.topics.Get(lg.name)
		total := tp.Partitions[0].HighWatermark()
		for _, c := range []struct {
			name  string
			level kgo.IsolationLevel
			want  int
		}{{"read_uncommitted", kgo.ReadUncommitted(), batches * perBatch}, {"read_committed", kgo.ReadCommitted(), committed}} {
			b.Run(lg.name+"/"+c.name, func(b *testing.B) {
				for range b.N {
					cl, err := kgo.NewClient(kgo.SeedBrokers(s.Addr().String()), kgo.ConsumeTopics(lg.name),
						kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(c.level))
					if err != nil {
						b.Fatal(err)
					}
					ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
					n := 0
					for n < c.want {
						fs := cl.PollFetches(ctx)
						if err := fs.Err0(); err != nil {
							b.Fatal(err)
						}
						n += fs.NumRecords()
					}
					cancel()
					cl.Close()
					if n != c.want {
						b.Fatalf("%d records, want %d", n, c.want)
					}
				}
				b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
			})
		}
	}
}
