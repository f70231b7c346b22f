// Command manyparts is the many-partitions workload of issue 23: one broker
// with topics×partitions partitions (500×100 = 50,000 by default), every
// one taking produce and serving fetch, then a clean stop, a start after
// it, and a kill -9 and a start after that, with every acknowledged record
// checked after each start. It runs Strata and kfake (franz-go's, as in
// bench/cmd/compare) one after the other on the same workload and prints
// each one's figures and the ratios.
//
//	go run ./bench/cmd/manyparts                          # 500 × 100, Strata and kfake
//	go run ./bench/cmd/manyparts -nofile 1024 -brokers strata
//
// Produce: one 100-byte record per partition per round, round-robin over
// every partition, acks=1, so each Produce request carries many
// partitions' one-record batches (the small-batch case). Fetch: a consumer
// reads every partition from the start. Broker CPU is read from /proc
// around each phase; RSS is VmRSS after the fetch and VmHWM, the peak.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stratabroker/strata/bench/internal/proc"
)

type opts struct {
	topics, partitions, rounds int
	nofile                     int
	strata, kfake, logLevel    string
}

type figures struct {
	start, create          time.Duration
	produced               int64
	produceTime, produceCP time.Duration
	fetched                int64
	fetchTime, fetchCPU    time.Duration
	rss, hwm               int64
	stop, cleanStart       time.Duration
	killStart              time.Duration
	lost                   int64
}

func main() {
	var o opts
	flag.IntVar(&o.topics, "topics", 500, "topics")
	flag.IntVar(&o.partitions, "partitions", 100, "partitions per topic")
	flag.IntVar(&o.rounds, "rounds", 2, "produce rounds: one record to every partition each")
	flag.IntVar(&o.nofile, "nofile", 0, "when positive, the broker's open-file limit (ulimit -n)")
	brokers := flag.String("brokers", "strata,kfake", "brokers, comma separated")
	flag.StringVar(&o.strata, "strata", "", "strata binary (default: go build ./cmd/strata)")
	flag.StringVar(&o.kfake, "kfake", "", "kfake binary (default: go build ./bench/cmd/kfake)")
	flag.StringVar(&o.logLevel, "log-level", "warn", "strata's --log-level (info shows its start and shutdown timings)")
	flag.Parse()

	tmp, err := os.MkdirTemp("", "strata-manyparts-")
	check(err)
	defer os.RemoveAll(tmp)
	for _, b := range []struct {
		dst       *string
		name, pkg string
	}{
		{&o.strata, "strata", "./cmd/strata"}, {&o.kfake, "kfake", "./bench/cmd/kfake"},
	} {
		if *b.dst == "" {
			*b.dst = filepath.Join(tmp, b.name)
			if out, err := exec.Command("go", "build", "-o", *b.dst, b.pkg).CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "build %s: %v\n%s", b.name, err, out)
				os.Exit(1)
			}
		}
	}
	fmt.Printf("%d topics × %d partitions = %d partitions, %d rounds, nofile %d\n",
		o.topics, o.partitions, o.topics*o.partitions, o.rounds, o.nofile)
	res := map[string]figures{}
	header()
	for _, name := range strings.Split(*brokers, ",") {
		dir := filepath.Join(tmp, "data-"+name)
		f, err := run(name, o, dir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		} else {
			res[name] = f
			row(name, f)
		}
		os.RemoveAll(dir)
	}
	ratios(res)
}

// broker is one broker process on a data directory.
type broker struct {
	name, dir, addr string
	o               opts
	cmd             *exec.Cmd
	exited          chan struct{}
}

func (b *broker) start() (time.Duration, error) {
	var args []string
	bin := b.o.strata
	switch b.name {
	case "strata":
		args = []string{"broker", "--listeners", "PLAINTEXT://" + b.addr, "--log.dirs", b.dir, "--log-level", b.o.logLevel,
			"--console.enable", "false", "--console.listeners", "http://127.0.0.1:0"}
	case "kfake":
		bin = b.o.kfake
		_, port, _ := strings.Cut(b.addr, ":")
		args = []string{"-port", port, "-data-dir", b.dir}
	default:
		return 0, fmt.Errorf("unknown broker %q", b.name)
	}
	cmd := exec.Command(bin, args...)
	if b.o.nofile > 0 { // the shell sets the limit, then becomes the broker (same pid)
		cmd = exec.Command("/bin/sh", append([]string{"-c", fmt.Sprintf(`ulimit -n %d && exec "$0" "$@"`, b.o.nofile), bin}, args...)...)
	}
	cmd.Stderr = os.Stderr
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	b.cmd, b.exited = cmd, make(chan struct{})
	go func() { cmd.Wait(); close(b.exited) }()
	for {
		cl, err := kgo.NewClient(kgo.SeedBrokers(b.addr), kgo.DialTimeout(200*time.Millisecond))
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			err = cl.Ping(ctx)
			cancel()
			cl.Close()
		}
		if err == nil {
			return time.Since(began), nil
		}
		select {
		case <-b.exited:
			return 0, fmt.Errorf("%s exited before serving: %v", b.name, cmd.ProcessState)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Since(began) > 5*time.Minute {
			b.kill()
			return 0, fmt.Errorf("%s did not serve within 5 minutes", b.name)
		}
	}
}

// stop sends SIGTERM and returns the time to exit.
func (b *broker) stop() time.Duration {
	began := time.Now()
	b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.exited:
	case <-time.After(5 * time.Minute):
		b.kill()
	}
	return time.Since(began)
}

func (b *broker) kill() {
	b.cmd.Process.Signal(syscall.SIGKILL)
	<-b.exited
}

func (b *broker) cpu() time.Duration {
	d, err := proc.CPU(b.cmd.Process.Pid)
	check(err)
	return d
}

func run(name string, o opts, dir string) (f figures, err error) {
	b := &broker{name: name, dir: dir, addr: fmt.Sprintf("127.0.0.1:%d", proc.FreePort()), o: o}
	if f.start, err = b.start(); err != nil {
		return f, err
	}
	defer func() {
		if err != nil {
			b.kill()
		}
	}()
	topics := make([]string, o.topics)
	for i := range topics {
		topics[i] = fmt.Sprintf("many-%04d", i)
	}
	began := time.Now()
	if err := createTopics(b.addr, topics, int32(o.partitions)); err != nil {
		return f, err
	}
	f.create = time.Since(began)

	acked := make([][]int64, o.topics) // per topic, per partition
	for i := range acked {
		acked[i] = make([]int64, o.partitions)
	}
	cpu0, t0 := b.cpu(), time.Now()
	if f.produced, err = produce(b.addr, topics, o, acked); err != nil {
		return f, err
	}
	f.produceTime, f.produceCP = time.Since(t0), b.cpu()-cpu0
	cpu0, t0 = b.cpu(), time.Now()
	if f.fetched, err = fetchAll(b.addr, topics, f.produced); err != nil {
		return f, err
	}
	f.fetchTime, f.fetchCPU = time.Since(t0), b.cpu()-cpu0
	f.rss, f.hwm = proc.Status(b.cmd.Process.Pid, "VmRSS:"), proc.Status(b.cmd.Process.Pid, "VmHWM:")

	f.stop = b.stop()
	if f.cleanStart, err = b.start(); err != nil {
		return f, err
	}
	lost, err := verify(b.addr, topics, acked)
	if err != nil {
		return f, err
	}
	// One more round, acknowledged, then kill -9 and start again.
	n, err := produce(b.addr, topics, opts{rounds: 1, partitions: o.partitions}, acked)
	if err != nil {
		return f, err
	}
	f.produced += n
	b.kill()
	if f.killStart, err = b.start(); err != nil {
		return f, err
	}
	lost2, err := verify(b.addr, topics, acked)
	if err != nil {
		return f, err
	}
	f.lost = lost + lost2
	b.stop()
	return f, nil
}

func createTopics(addr string, topics []string, partitions int32) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for i := 0; i < len(topics); i += 20 {
		resp, err := adm.CreateTopics(ctx, partitions, 1, nil, topics[i:min(i+20, len(topics))]...)
		if err != nil {
			return err
		}
		if err := resp.Error(); err != nil {
			return fmt.Errorf("create topics: %w", err)
		}
	}
	return nil
}

// produce sends o.rounds records to every partition, round-robin, and
// counts each acknowledged one in acked.
func produce(addr string, topics []string, o opts, acked [][]int64) (int64, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite(),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.MaxBufferedRecords(100_000), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	value := make([]byte, 100)
	for i := range value {
		value[i] = 'A' + byte(i%26)
	}
	var (
		n     atomic.Int64
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	for range o.rounds {
		for p := range o.partitions {
			for t, name := range topics {
				wg.Add(1)
				cl.Produce(ctx, &kgo.Record{Topic: name, Partition: int32(p), Value: value}, func(r *kgo.Record, err error) {
					defer wg.Done()
					if err != nil {
						mu.Lock()
						first = cmpErr(first, err)
						mu.Unlock()
						return
					}
					mu.Lock()
					acked[t][p]++
					mu.Unlock()
					n.Add(1)
				})
			}
		}
	}
	wg.Wait()
	return n.Load(), first
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// fetchAll reads every partition from the start until want records came.
func fetchAll(addr string, topics []string, want int64) (int64, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var got int64
	for got < want {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return got, fmt.Errorf("fetched %d of %d: %w", got, want, err)
		}
		fs.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				fmt.Fprintf(os.Stderr, "fetch %s/%d: %v\n", t, p, err)
			}
		})
		got += int64(fs.NumRecords())
	}
	return got, nil
}

// verify compares every partition's end offset with what was acknowledged
// and returns how many acknowledged records are missing.
func verify(addr string, topics []string, acked [][]int64) (int64, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topics...)
	if err != nil {
		return 0, err
	}
	idx := make(map[string]int, len(topics))
	for i, t := range topics {
		idx[t] = i
	}
	var lost int64
	var seen int
	ends.Each(func(o kadm.ListedOffset) {
		seen++
		if o.Err != nil {
			err = cmpErr(err, fmt.Errorf("%s/%d: %w", o.Topic, o.Partition, o.Err))
			return
		}
		if want := acked[idx[o.Topic]][o.Partition]; o.Offset < want {
			lost += want - o.Offset
		}
	})
	if want := len(topics) * len(acked[0]); seen != want && err == nil {
		err = fmt.Errorf("end offsets of %d partitions, want %d", seen, want)
	}
	return lost, err
}

func header() {
	fmt.Printf("\n| broker | start empty s | create s | produce rec/s | produce broker CPU ns/rec | fetch rec/s | fetch broker CPU ns/rec | RSS MB | peak RSS MB | clean stop s | start after stop s | start after kill -9 s | acked records lost |\n")
	fmt.Printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
}

func row(n string, f figures) {
	fmt.Printf("| %s | %.2f | %.1f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.2f | %.2f | %.2f | %d |\n", n,
		f.start.Seconds(), f.create.Seconds(),
		float64(f.produced)/f.produceTime.Seconds(), perRec(f.produceCP, f.produced),
		float64(f.fetched)/f.fetchTime.Seconds(), perRec(f.fetchCPU, f.fetched),
		float64(f.rss)/1e6, float64(f.hwm)/1e6, f.stop.Seconds(), f.cleanStart.Seconds(), f.killStart.Seconds(), f.lost)
}

func ratios(res map[string]figures) {
	s, ok := res["strata"]
	k, ok2 := res["kfake"]
	if ok && ok2 {
		fmt.Printf("| strata/kfake | | | %.2f× | %.2f× | %.2f× | %.2f× | %.2f× | %.2f× | %.2f× | %.2f× | %.2f× | |\n",
			(float64(s.produced)/s.produceTime.Seconds())/(float64(k.produced)/k.produceTime.Seconds()),
			perRec(s.produceCP, s.produced)/perRec(k.produceCP, k.produced),
			(float64(s.fetched)/s.fetchTime.Seconds())/(float64(k.fetched)/k.fetchTime.Seconds()),
			perRec(s.fetchCPU, s.fetched)/perRec(k.fetchCPU, k.fetched),
			float64(s.rss)/float64(k.rss), float64(s.hwm)/float64(k.hwm),
			s.stop.Seconds()/k.stop.Seconds(), s.cleanStart.Seconds()/k.cleanStart.Seconds(), s.killStart.Seconds()/k.killStart.Seconds())
	}
}

func perRec(d time.Duration, n int64) float64 {
	if n == 0 {
		return 0
	}
	return float64(d.Nanoseconds()) / float64(n)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
