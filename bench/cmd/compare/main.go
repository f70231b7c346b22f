// Command compare runs producer-perf-test style workloads against Strata and
// against franz-go's kfake, each as its own process with a data directory,
// alternately (A B A B ...), and prints medians and the Strata/kfake ratios.
//
// Broker CPU is read from /proc/<pid>/stat (utime+stime) around each run, so
// it counts the broker alone although client and broker share the machine.
//
//	go run ./bench/cmd/compare -workload W1 -records 2000000 -rounds 3
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

type workload struct {
	name       string
	recordSize int
	partitions int32
	acks       kgo.Acks
	idempotent bool
	codec      kgo.CompressionCodec
}

var workloads = map[string]workload{
	"W1": {"W1", 100, 1, kgo.LeaderAck(), false, kgo.NoCompression()},
	"W2": {"W2", 100, 1, kgo.AllISRAcks(), true, kgo.NoCompression()},
	"W3": {"W3", 1024, 6, kgo.LeaderAck(), false, kgo.NoCompression()},
	"W4": {"W4", 100, 6, kgo.LeaderAck(), false, kgo.Lz4Compression()},
	"W5": {"W5", 100, 6, kgo.LeaderAck(), false, kgo.ZstdCompression()},
}

type result struct {
	broker        string
	records       int
	elapsed       time.Duration
	brokerCPU     time.Duration
	p50, p99, max time.Duration
}

func (r result) recsPerSec() float64 { return float64(r.records) / r.elapsed.Seconds() }
func (r result) mibPerSec(size int) float64 {
	return r.recsPerSec() * float64(size) / (1 << 20)
}
func (r result) cpuPerGB(size int) float64 {
	return r.brokerCPU.Seconds() / (float64(r.records) * float64(size) / 1e9)
}
func (r result) cpuPerRecord() time.Duration {
	return time.Duration(float64(r.brokerCPU) / float64(r.records))
}

func main() {
	wl := flag.String("workload", "W1", "workloads, comma separated: W1 W2 W3 W4 W5")
	records := flag.Int("records", 1_000_000, "records per run")
	rounds := flag.Int("rounds", 3, "runs per broker, alternating")
	brokers := flag.String("brokers", "strata,kfake", "brokers to compare, comma separated")
	strataBin := flag.String("strata", "", "strata binary (default: go build ./cmd/strata)")
	kfakeBin := flag.String("kfake", "", "kfake binary (default: go build ./bench/cmd/kfake)")
	flag.Parse()

	tmp, err := os.MkdirTemp("", "strata-compare-")
	check(err)
	defer os.RemoveAll(tmp)
	bins := map[string]string{"strata": *strataBin, "kfake": *kfakeBin}
	pkgs := map[string]string{"strata": "./cmd/strata", "kfake": "./bench/cmd/kfake"}
	names := strings.Split(*brokers, ",")
	for _, b := range names {
		if bins[b] == "" {
			bins[b] = filepath.Join(tmp, b)
			out, err := exec.Command("go", "build", "-o", bins[b], pkgs[b]).CombinedOutput()
			if err != nil {
				fmt.Fprintf(os.Stderr, "build %s: %v\n%s", b, err, out)
				os.Exit(1)
			}
		}
	}

	for _, name := range strings.Split(*wl, ",") {
		w, ok := workloads[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "unknown workload %q\n", name)
			os.Exit(2)
		}
		byBroker := map[string][]result{}
		for round := range *rounds {
			for _, b := range names {
				dir := filepath.Join(tmp, fmt.Sprintf("%s-%s-%d", w.name, b, round))
				r, err := runOnce(b, bins[b], dir, w, *records)
				if err != nil {
					fmt.Fprintf(os.Stderr, "%s %s round %d: %v\n", w.name, b, round, err)
					os.Exit(1)
				}
				os.RemoveAll(dir)
				fmt.Printf("%s %-6s round %d: %10.0f rec/s %8.2f MiB/s  p50 %v p99 %v max %v  broker cpu %.2fs (%.2f s/GB, %v/rec)\n",
					w.name, b, round, r.recsPerSec(), r.mibPerSec(w.recordSize), r.p50, r.p99, r.max,
					r.brokerCPU.Seconds(), r.cpuPerGB(w.recordSize), r.cpuPerRecord())
				byBroker[b] = append(byBroker[b], r)
			}
		}
		report(w, names, byBroker)
	}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func report(w workload, names []string, by map[string][]result) {
	type row struct{ rps, mib, cpuGB, cpuRec, p99 float64 }
	rows := map[string]row{}
	fmt.Printf("\n%s (%d-byte records, %d partition(s)), medians of %d runs\n", w.name, w.recordSize, w.partitions, len(by[names[0]]))
	fmt.Printf("| broker | records/s | MiB/s | p99 ms | broker CPU s/GB | broker CPU µs/record |\n|---|---|---|---|---|---|\n")
	for _, b := range names {
		var rps, mib, cpuGB, cpuRec, p99 []float64
		for _, r := range by[b] {
			rps = append(rps, r.recsPerSec())
			mib = append(mib, r.mibPerSec(w.recordSize))
			cpuGB = append(cpuGB, r.cpuPerGB(w.recordSize))
			cpuRec = append(cpuRec, float64(r.cpuPerRecord())/1e3)
			p99 = append(p99, float64(r.p99)/1e6)
		}
		rows[b] = row{median(rps), median(mib), median(cpuGB), median(cpuRec), median(p99)}
		x := rows[b]
		fmt.Printf("| %s | %.0f | %.2f | %.2f | %.3f | %.3f |\n", b, x.rps, x.mib, x.p99, x.cpuGB, x.cpuRec)
	}
	if s, ok := rows["strata"]; ok {
		if k, ok := rows["kfake"]; ok {
			fmt.Printf("| strata/kfake | %.2f× | %.2f× | %.2f× | %.2f× | %.2f× |\n",
				s.rps/k.rps, s.mib/k.mib, s.p99/k.p99, s.cpuGB/k.cpuGB, s.cpuRec/k.cpuRec)
		}
	}
	fmt.Println()
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startBroker(kind, bin, dir string, partitions int32) (*exec.Cmd, string, error) {
	port := freePort()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var cmd *exec.Cmd
	switch kind {
	case "strata":
		cmd = exec.Command(bin, "broker", "--listeners", "PLAINTEXT://"+addr, "--log.dirs", dir,
			"--num.partitions", strconv.Itoa(int(partitions)), "--log-level", "warn")
	case "kfake":
		cmd = exec.Command(bin, "-port", strconv.Itoa(port), "-data-dir", dir,
			"-num-partitions", strconv.Itoa(int(partitions)))
	default:
		return nil, "", fmt.Errorf("unknown broker %q", kind)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return cmd, addr, nil
		}
		if time.Now().After(deadline) {
			stop(cmd)
			return nil, "", fmt.Errorf("%s did not listen on %s: %v", kind, addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func stop(cmd *exec.Cmd) {
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

// procCPU is a process's user+system CPU time from /proc/<pid>/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("malformed stat")
	}
	f := strings.Fields(s[i+2:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, errors.New("short stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64) // field 14
	st, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	const clkTck = 100                       // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / clkTck, nil
}

// payload is Kafka's producer-perf-test payload: random uppercase letters,
// generated once and sent in every record.
func payload(size int) []byte {
	p := make([]byte, size)
	for i := range p {
		p[i] = byte('A' + rand.IntN(26))
	}
	return p
}

func runOnce(kind, bin, dir string, w workload, n int) (result, error) {
	cmd, addr, err := startBroker(kind, bin, dir, w.partitions)
	if err != nil {
		return result{}, err
	}
	defer stop(cmd)
	topic := "perf-" + w.name

	adm, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return result{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := kadm.NewClient(adm).CreateTopic(ctx, w.partitions, 1, nil, topic); err != nil {
		adm.Close()
		return result{}, fmt.Errorf("create topic: %w", err)
	}
	adm.Close()

	opts := []kgo.Opt{
		kgo.SeedBrokers(addr),
		kgo.DefaultProduceTopic(topic),
		kgo.ProducerLinger(5 * time.Millisecond),
		kgo.ProducerBatchMaxBytes(1 << 20),
		kgo.MaxBufferedRecords(1 << 20),
		kgo.RequiredAcks(w.acks),
		kgo.ProducerBatchCompression(w.codec),
		kgo.MaxProduceRequestsInflightPerBroker(5),
		kgo.RecordPartitioner(kgo.RoundRobinPartitioner()),
	}
	if !w.idempotent {
		opts = append(opts, kgo.DisableIdempotentWrite())
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return result{}, err
	}
	defer cl.Close()
	value := payload(w.recordSize)

	// Warm the connection and metadata so the run measures steady state.
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: value}).FirstErr(); err != nil {
		return result{}, fmt.Errorf("warm-up produce: %w", err)
	}

	lat := make([]int64, n)
	var failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	wg.Add(n)
	cpu0, err := procCPU(cmd.Process.Pid)
	if err != nil {
		return result{}, err
	}
	start := time.Now()
	for i := range n {
		sent := time.Now()
		cl.Produce(ctx, &kgo.Record{Value: value}, func(_ *kgo.Record, err error) {
			lat[i] = int64(time.Since(sent))
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err)
			}
			wg.Done()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu1, err := procCPU(cmd.Process.Pid)
	if err != nil {
		return result{}, err
	}
	if f := failed.Load(); f > 0 {
		return result{}, fmt.Errorf("%d of %d records failed: %v", f, n, firstErr.Load())
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return time.Duration(lat[min(n-1, int(float64(n)*p))]) }
	return result{
		broker: kind, records: n, elapsed: elapsed, brokerCPU: cpu1 - cpu0,
		p50: pct(0.50), p99: pct(0.99), max: time.Duration(lat[n-1]),
	}, nil
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
