// Command grouptime prints when each of four kgo group consumers, started
// together on a new 8-partition topic, is assigned and revoked partitions
// (W9's first second): grouptime -addr HOST:PORT.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9092", "broker")
	flag.Parse()
	ctx := context.Background()
	adm, err := kgo.NewClient(kgo.SeedBrokers(*addr))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	topic := fmt.Sprintf("gt-%d", time.Now().UnixNano())
	if _, err := kadm.NewClient(adm).CreateTopic(ctx, 8, 1, nil, topic); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	start := time.Now()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl, err := kgo.NewClient(kgo.SeedBrokers(*addr), kgo.ConsumeTopics(topic), kgo.ConsumerGroup(topic),
				kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
					mu.Lock()
					fmt.Fprintf(os.Stderr, "%v member %d +%d\n", time.Since(start).Round(time.Millisecond), i, len(m[topic]))
					mu.Unlock()
				}),
				kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
					mu.Lock()
					fmt.Fprintf(os.Stderr, "%v member %d -%d\n", time.Since(start).Round(time.Millisecond), i, len(m[topic]))
					mu.Unlock()
				}))
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return
			}
			defer cl.Close()
			pctx, cancel := context.WithTimeout(ctx, 8*time.Second)
			defer cancel()
			for pctx.Err() == nil {
				cl.PollFetches(pctx)
			}
		}()
	}
	wg.Wait()
}
