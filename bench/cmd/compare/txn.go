package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// W10: transactional produce (100-byte records, a transaction committed
// every 100 ms) against the same producer without transactions (idempotent,
// acks=all, as a transactional producer is), on the same broker process one
// after the other. The row is the transactional run; the summary gives
// each broker's transactional/non-transactional ratios.

// txnBaseline holds each broker's non-transactional runs of W10.
var txnBaseline = map[string][]result{}

// runTxn measures the non-transactional baseline and the transactional
// workload on one broker, each into its own topic, in alternating order
// from one round to the next (so neither always meets a cold broker), and
// checks that every record of both landed.
func runTxn(ctx context.Context, name string, pid int, addr, topic string, w workload, n int) (result, error) {
	baseline := func() error {
		if err := createTopic(ctx, addr, topic+"-base", w.partitions); err != nil {
			return err
		}
		cl, err := producer(addr, topic+"-base", w, 5*time.Millisecond)
		if err != nil {
			return err
		}
		defer cl.Close()
		r, err := measure(pid, func() (int, []time.Duration, error) { return produceN(ctx, cl, w, n) })
		if err == nil {
			txnBaseline[name] = append(txnBaseline[name], r)
		}
		return err
	}
	txnFirst := len(txnBaseline[name])%2 == 1
	if !txnFirst {
		if err := baseline(); err != nil {
			return result{}, err
		}
	}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(addr),
		kgo.DefaultProduceTopic(topic),
		kgo.TransactionalID("perf-"+w.name),
		kgo.ProducerLinger(5*time.Millisecond),
		kgo.ProducerBatchMaxBytes(1<<20),
		kgo.MaxBufferedRecords(1<<20),
		kgo.RecordPartitioner(kgo.RoundRobinPartitioner()),
	)
	if err != nil {
		return result{}, err
	}
	defer cl.Close()
	// Warm up as producer() does: the first transaction's InitProducerId,
	// FindCoordinator and __transaction_state are not measured.
	if _, _, err := produceTxnN(ctx, cl, w, 1, 0); err != nil {
		return result{}, fmt.Errorf("warm-up transaction: %w", err)
	}
	r, err := measure(pid, func() (int, []time.Duration, error) { return produceTxnN(ctx, cl, w, n, 100*time.Millisecond) })
	if err != nil {
		return result{}, err
	}
	if txnFirst {
		if err := baseline(); err != nil {
			return result{}, err
		}
	}
	// Every record landed: n+1 records and a marker per transaction.
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		return result{}, err
	}
	var end int64
	ends.Each(func(o kadm.ListedOffset) { end += o.Offset })
	if end < int64(n)+1 {
		return result{}, fmt.Errorf("transactional topic ends at %d, want at least %d", end, n+1)
	}
	return r, nil
}

// produceTxnN produces n records in transactions of period each (as many
// records as the client takes in that time), committing each.
func produceTxnN(ctx context.Context, cl *kgo.Client, w workload, n int, period time.Duration) (int, []time.Duration, error) {
	value := payload(w.recordSize)
	var failed atomic.Int64
	var firstErr atomic.Value
	sent := 0
	for sent < n {
		if err := cl.BeginTransaction(); err != nil {
			return sent, nil, err
		}
		var wg sync.WaitGroup
		end, first := time.Now().Add(period), sent
		for sent < n {
			if sent > first && sent%1000 == 0 && !time.Now().Before(end) { // the clock is read every 1000 records
				break
			}
			wg.Add(1)
			cl.Produce(ctx, &kgo.Record{Value: value}, func(_ *kgo.Record, err error) {
				if err != nil && failed.Add(1) == 1 {
					firstErr.Store(err)
				}
				wg.Done()
			})
			sent++
		}
		if err := cl.Flush(ctx); err != nil {
			return sent, nil, err
		}
		wg.Wait()
		if f := failed.Load(); f > 0 {
			return 0, nil, fmt.Errorf("%d records failed: %v", f, firstErr.Load())
		}
		if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
			return sent, nil, fmt.Errorf("commit: %w", err)
		}
	}
	return n, nil, nil
}

// reportTxn prints W10's ratios: transactional over non-transactional
// throughput and broker CPU per record, per broker (medians).
func reportTxn(names []string, by map[string][]result) {
	fmt.Printf("W10 transactional / non-transactional (same broker, same run), medians\n| broker | non-txn records/s | txn records/s | throughput | non-txn ns/record | txn ns/record | CPU per record |\n|---|---|---|---|---|---|---|\n")
	for _, b := range names {
		if len(by[b]) == 0 || len(txnBaseline[b]) == 0 {
			continue
		}
		var r0, r1, c0, c1 []float64
		for _, r := range txnBaseline[b] {
			r0 = append(r0, r.recsPerSec())
			c0 = append(c0, float64(r.brokerCPU)/float64(r.records))
		}
		for _, r := range by[b] {
			r1 = append(r1, r.recsPerSec())
			c1 = append(c1, float64(r.brokerCPU)/float64(r.records))
		}
		fmt.Printf("| %s | %.0f | %.0f | %.2f× | %.1f | %.1f | %.2f× |\n", b, median(r0), median(r1), median(r1)/median(r0),
			median(c0), median(c1), median(c1)/median(c0))
	}
	fmt.Println()
}
