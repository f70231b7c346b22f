// Command compare runs producer-perf-test, consumer-perf-test and
// e2e-latency style workloads against Strata, franz-go's kfake and the
// floor (bench/floor: read, append, ack), each broker in its own process
// with a data directory, alternately (A B C A B C ...), and prints medians
// and the ratios to kfake and to the floor.
//
// Broker CPU is read from /proc (each thread's time on CPU) around the
// measured phase, so it counts the broker alone although client and broker
// share the machine.
//
//	go run ./bench/cmd/compare -workload W1,W3 -records 3000000 -rounds 3
//
// Workloads (payload: random uppercase letters, generated once, as Kafka's
// producer-perf-test; linger.ms=5, batch.size=1 MiB, 5 in flight):
//
//	W1 100 B, acks=1, 1 partition, kgo      W2 W1 with acks=all, idempotent
//	W3 1 KiB, 6 partitions                  W4/W5 100 B, 6 partitions, lz4/zstd
//	W6 W1 with a librdkafka producer (bench/rdkafka/perf.c, needs librdkafka-dev)
//	W7 a kgo consumer reading a W1 topic from offset 0
//	W8 end-to-end latency at 10,000 records/s (produce call to consumer receipt)
//	W9 4 producers and 4 group consumers at once, 8 partitions
//	W10 transactional produce, 100 B, a commit every 100 ms, 1 partition,
//	    against the same without transactions (txn.go)
//
// With -tls every client speaks TLS: Strata serves an SSL listener (PEM
// keystore, tlsconf/) and kfake its TLS option, both with a certificate
// made at start; the floor and W6 (librdkafka) are left out.
package main

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
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

	"github.com/stratabroker/strata/bench/internal/proc"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

type kind int

const (
	produceKgo kind = iota
	produceRdkafka
	consume
	e2eLatency
	mixed
	produceTxn
)

type workload struct {
	name       string
	kind       kind
	recordSize int
	partitions int32
	acks       kgo.Acks
	idempotent bool
	codec      kgo.CompressionCodec
	floor      bool // the floor can serve it (produce only)
}

var workloads = []workload{
	{"W1", produceKgo, 100, 1, kgo.LeaderAck(), false, kgo.NoCompression(), true},
	{"W2", produceKgo, 100, 1, kgo.AllISRAcks(), true, kgo.NoCompression(), true},
	{"W3", produceKgo, 1024, 6, kgo.LeaderAck(), false, kgo.NoCompression(), true},
	{"W4", produceKgo, 100, 6, kgo.LeaderAck(), false, kgo.Lz4Compression(), true},
	{"W5", produceKgo, 100, 6, kgo.LeaderAck(), false, kgo.ZstdCompression(), true},
	{"W6", produceRdkafka, 100, 1, kgo.LeaderAck(), false, kgo.NoCompression(), true},
	{"W7", consume, 100, 1, kgo.LeaderAck(), false, kgo.NoCompression(), false},
	{"W8", e2eLatency, 100, 1, kgo.LeaderAck(), false, kgo.NoCompression(), false},
	{"W9", mixed, 100, 8, kgo.LeaderAck(), false, kgo.NoCompression(), false},
	{"W10", produceTxn, 100, 1, kgo.AllISRAcks(), true, kgo.NoCompression(), false},
}

type result struct {
	records   int
	elapsed   time.Duration
	brokerCPU time.Duration
	lat       []time.Duration // sorted; nil when not measured
}

func (r result) recsPerSec() float64 { return float64(r.records) / r.elapsed.Seconds() }
func (r result) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[min(len(r.lat)-1, int(float64(len(r.lat))*p))]
}

type bins struct {
	strata, strataB, kfake, floor, rdkafka string
	acls                                   int    // broker strata-acls: the StandardAuthorizer over this many ACLs
	certFile, keyFile                      string // -tls: the brokers' certificate and key (PEM)
}

// clientTLS is the clients' TLS configuration with -tls, else nil.
var clientTLS *tls.Config

func main() {
	wl := flag.String("workload", "W1", "workloads, comma separated (W1..W10)")
	records := flag.Int("records", 1_000_000, "records per run")
	e2eRecords := flag.Int("e2e-records", 100_000, "records per W8 run, sent at 10,000/s")
	rounds := flag.Int("rounds", 3, "runs per broker, alternating")
	brokers := flag.String("brokers", "strata,kfake,floor", "brokers to compare, comma separated")
	var b bins
	flag.StringVar(&b.strata, "strata", "", "strata binary (default: go build ./cmd/strata)")
	flag.StringVar(&b.strataB, "strata-b", "", "a second strata binary, broker name strata-b (A/B of a change)")
	flag.StringVar(&b.kfake, "kfake", "", "kfake binary (default: go build ./bench/cmd/kfake)")
	flag.StringVar(&b.floor, "floor", "", "floor binary (default: go build ./bench/floor)")
	flag.IntVar(&b.acls, "acls", 10000, "ACLs of broker strata-acls (strata's binary with the StandardAuthorizer; compare -brokers strata,strata-acls)")
	useTLS := flag.Bool("tls", false, "clients speak TLS: Strata on an SSL listener, kfake with TLS (no floor, no W6)")
	flag.Parse()

	tmp, err := os.MkdirTemp("", "strata-compare-")
	check(err)
	defer os.RemoveAll(tmp)
	build := func(dst *string, name, pkg string) {
		if *dst != "" {
			return
		}
		*dst = filepath.Join(tmp, name)
		if out, err := exec.Command("go", "build", "-o", *dst, pkg).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", name, err, out)
			os.Exit(1)
		}
	}
	if *useTLS {
		clientTLS, b.certFile, b.keyFile = makeCert(tmp)
	}
	build(&b.strata, "strata", "./cmd/strata")
	build(&b.kfake, "kfake", "./bench/cmd/kfake")
	build(&b.floor, "floor", "./bench/floor")
	if clientTLS == nil { // W6's librdkafka producer speaks PLAINTEXT only
		b.rdkafka = filepath.Join(tmp, "rdperf")
		if out, err := exec.Command("cc", "-O2", "-o", b.rdkafka, "bench/rdkafka/perf.c", "-lrdkafka").CombinedOutput(); err != nil {
			b.rdkafka = ""
			fmt.Fprintf(os.Stderr, "W6 unavailable (install librdkafka-dev): %v %s\n", err, out)
		}
	}

	for _, name := range strings.Split(*wl, ",") {
		i := slices.IndexFunc(workloads, func(w workload) bool { return w.name == name })
		if i < 0 {
			fmt.Fprintf(os.Stderr, "unknown workload %q\n", name)
			os.Exit(2)
		}
		w := workloads[i]
		if w.kind == produceRdkafka && b.rdkafka == "" {
			continue
		}
		var names []string
		for _, br := range strings.Split(*brokers, ",") {
			if br != "floor" || (w.floor && clientTLS == nil) {
				names = append(names, br)
			}
		}
		n := *records
		if w.kind == e2eLatency {
			n = *e2eRecords
		}
		by := map[string][]result{}
		for round := range *rounds {
			for _, br := range names {
				dir := filepath.Join(tmp, fmt.Sprintf("%s-%s-%d", w.name, br, round))
				r, err := runOnce(br, b, dir, w, n)
				os.RemoveAll(dir)
				if err != nil {
					fmt.Fprintf(os.Stderr, "%s %s round %d: %v (run left out)\n", w.name, br, round, err)
					continue
				}
				fmt.Printf("%s %-6s round %d: %10.0f rec/s  p50 %v p99 %v  broker cpu %.2fs (%.0f ns/rec)\n",
					w.name, br, round, r.recsPerSec(), r.pct(0.5), r.pct(0.99),
					r.brokerCPU.Seconds(), float64(r.brokerCPU)/float64(r.records))
				by[br] = append(by[br], r)
			}
		}
		report(w, names, by)
		if w.kind == produceTxn {
			reportTxn(names, by)
		}
	}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

type row struct{ rps, mib, p50, p99, p999, max, cpuGB, cpuRec float64 }

func report(w workload, names []string, by map[string][]result) {
	rows := map[string]row{}
	names = slices.DeleteFunc(slices.Clone(names), func(b string) bool { return len(by[b]) == 0 })
	if len(names) == 0 {
		return
	}
	fmt.Printf("\n%s (%d-byte records, %d partition(s)), medians of %d runs\n", w.name, w.recordSize, w.partitions, len(by[names[0]]))
	fmt.Printf("| broker | records/s | MiB/s | p50 ms | p99 ms | p99.9 ms | max ms | broker CPU s/GB | broker CPU ns/record |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, b := range names {
		var c [8][]float64
		for _, r := range by[b] {
			gb := float64(r.records) * float64(w.recordSize) / 1e9
			for i, v := range []float64{r.recsPerSec(), r.recsPerSec() * float64(w.recordSize) / (1 << 20),
				ms(r.pct(0.5)), ms(r.pct(0.99)), ms(r.pct(0.999)), ms(r.pct(1)),
				r.brokerCPU.Seconds() / gb, float64(r.brokerCPU) / float64(r.records)} {
				c[i] = append(c[i], v)
			}
		}
		x := row{median(c[0]), median(c[1]), median(c[2]), median(c[3]), median(c[4]), median(c[5]), median(c[6]), median(c[7])}
		rows[b] = x
		fmt.Printf("| %s | %.0f | %.1f | %s | %s | %s | %s | %.3f | %.1f |\n", b, x.rps, x.mib,
			num(x.p50, "%.2f"), num(x.p99, "%.2f"), num(x.p999, "%.2f"), num(x.max, "%.2f"), x.cpuGB, x.cpuRec)
	}
	s, ok := rows["strata"]
	for _, peer := range []string{"strata-b", "strata-acls", "kfake", "floor"} {
		if k, ok2 := rows[peer]; ok && ok2 {
			fmt.Printf("| strata/%s | %.2f× | %.2f× | %s | %s | %s | %s | %.2f× | %.2f× |\n", peer,
				s.rps/k.rps, s.mib/k.mib, num(s.p50/k.p50, "%.2f×"), num(s.p99/k.p99, "%.2f×"),
				num(s.p999/k.p999, "%.2f×"), num(s.max/k.max, "%.2f×"), s.cpuGB/k.cpuGB, s.cpuRec/k.cpuRec)
		}
	}
	fmt.Println()
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// num formats v, or "-" where it was not measured (zero or NaN).
func num(v float64, format string) string {
	if v == 0 || v != v {
		return "-"
	}
	return fmt.Sprintf(format, v)
}

func startBroker(name string, b bins, dir string, partitions int32) (*exec.Cmd, string, error) {
	addr := fmt.Sprintf("127.0.0.1:%d", proc.FreePort())
	parts := strconv.Itoa(int(partitions))
	var cmd *exec.Cmd
	switch name {
	case "strata", "strata-b", "strata-acls":
		bin := b.strata
		if name == "strata-b" {
			bin = b.strataB
		}
		listener := "PLAINTEXT://" + addr
		if clientTLS != nil {
			listener = "SSL://" + addr
		}
		cmd = exec.Command(bin, "broker", "--listeners", listener, "--log.dirs", dir,
			"--num.partitions", parts, "--group.initial.rebalance.delay.ms", "0", "--log-level", "warn",
			// The broker alone: no embedded console (a client of the broker
			// that samples it); /metrics on a free port, never 8080.
			"--console.enable", "false", "--console.listeners", "http://127.0.0.1:0")
		if clientTLS != nil {
			ks := filepath.Join(dir + ".keystore.pem")
			data, _ := os.ReadFile(b.keyFile)
			cert, _ := os.ReadFile(b.certFile)
			if err := os.WriteFile(ks, append(data, cert...), 0o600); err != nil {
				return nil, "", err
			}
			cmd.Args = append(cmd.Args, "--ssl.keystore.type", "PEM", "--ssl.keystore.location", ks)
		}
		if name == "strata-acls" {
			if err := writeACLs(dir, b.acls); err != nil {
				return nil, "", err
			}
			cmd.Args = append(cmd.Args, "--authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
		}
		if a := os.Getenv("STRATA_PPROF_ADDR"); a != "" { // profile the broker: go tool pprof http://ADDR/debug/pprof/profile
			cmd.Args = append(cmd.Args, "--pprof-addr", a)
		}
	case "kfake":
		_, port, _ := net.SplitHostPort(addr)
		cmd = exec.Command(b.kfake, "-port", port, "-data-dir", dir, "-num-partitions", parts)
		if clientTLS != nil {
			cmd.Args = append(cmd.Args, "-tls-cert", b.certFile, "-tls-key", b.keyFile)
		}
	case "floor":
		cmd = exec.Command(b.floor, "-listen", addr, "-dir", dir, "-num-partitions", parts)
	default:
		return nil, "", fmt.Errorf("unknown broker %q", name)
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
			return nil, "", fmt.Errorf("%s did not listen on %s: %v", name, addr, err)
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

// payload is Kafka's producer-perf-test payload: random uppercase letters,
// generated once and sent in every record.
func payload(size int) []byte {
	p := make([]byte, size)
	for i := range p {
		p[i] = byte('A' + rand.IntN(26))
	}
	return p
}

// measure runs f and returns its wall time and the broker's CPU time.
func measure(pid int, f func() (int, []time.Duration, error)) (result, error) {
	cpu0, err := proc.CPU(pid)
	if err != nil {
		return result{}, err
	}
	start := time.Now()
	n, lat, err := f()
	elapsed := time.Since(start)
	if err != nil {
		return result{}, err
	}
	cpu1, err := proc.CPU(pid)
	if err != nil {
		return result{}, err
	}
	slices.Sort(lat)
	return result{records: n, elapsed: elapsed, brokerCPU: cpu1 - cpu0, lat: lat}, nil
}

func runOnce(name string, b bins, dir string, w workload, n int) (result, error) {
	cmd, addr, err := startBroker(name, b, dir, w.partitions)
	if err != nil {
		return result{}, err
	}
	defer stop(cmd)
	pid := cmd.Process.Pid
	topic := "perf-" + w.name
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := createTopic(ctx, addr, topic, w.partitions); err != nil {
		return result{}, err
	}
	switch w.kind {
	case produceKgo:
		cl, err := producer(addr, topic, w, 5*time.Millisecond)
		if err != nil {
			return result{}, err
		}
		defer cl.Close()
		return measure(pid, func() (int, []time.Duration, error) { return produceN(ctx, cl, w, n) })
	case produceRdkafka:
		acks := "1"
		if w.acks == kgo.AllISRAcks() {
			acks = "all"
		}
		return measure(pid, func() (int, []time.Duration, error) {
			out, err := exec.CommandContext(ctx, b.rdkafka, addr, topic, strconv.Itoa(n), strconv.Itoa(w.recordSize), acks).Output()
			if err != nil {
				return 0, nil, fmt.Errorf("rdkafka perf: %v", err)
			}
			var got, failed int
			var secs, p50, p99, mx float64
			if _, err := fmt.Sscanf(string(out), "records %d failed %d seconds %f p50_ms %f p99_ms %f max_ms %f",
				&got, &failed, &secs, &p50, &p99, &mx); err != nil {
				return 0, nil, fmt.Errorf("rdkafka perf output %q: %v", out, err)
			}
			return got, nil, nil
		})
	case consume:
		cl, err := producer(addr, topic, w, 5*time.Millisecond)
		if err != nil {
			return result{}, err
		}
		_, _, err = produceN(ctx, cl, w, n)
		cl.Close()
		if err != nil {
			return result{}, err
		}
		return measure(pid, func() (int, []time.Duration, error) { return consumeN(ctx, addr, topic, "", n+1) })
	case e2eLatency:
		return measure(pid, func() (int, []time.Duration, error) { return e2e(ctx, addr, topic, w, n, 10_000) })
	case mixed:
		return measure(pid, func() (int, []time.Duration, error) { return mix(ctx, addr, topic, w, n) })
	case produceTxn:
		return runTxn(ctx, name, pid, addr, topic, w, n)
	}
	return result{}, fmt.Errorf("workload kind %d", w.kind)
}

func createTopic(ctx context.Context, addr, topic string, partitions int32) error {
	adm, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DialTLSConfig(clientTLS))
	if err != nil {
		return err
	}
	defer adm.Close()
	if _, err := kadm.NewClient(adm).CreateTopic(ctx, partitions, 1, nil, topic); err != nil {
		return fmt.Errorf("create topic: %w", err)
	}
	return nil
}

func producer(addr, topic string, w workload, linger time.Duration) (*kgo.Client, error) {
	opts := []kgo.Opt{
		kgo.SeedBrokers(addr), kgo.DialTLSConfig(clientTLS),
		kgo.DefaultProduceTopic(topic),
		kgo.ProducerLinger(linger),
		kgo.ProducerBatchMaxBytes(1 << 20),
		kgo.MaxBufferedRecords(1 << 20),
		kgo.RequiredAcks(w.acks),
		kgo.ProducerBatchCompression(w.codec),
		kgo.RecordPartitioner(kgo.RoundRobinPartitioner()),
	}
	if !w.idempotent {
		// An idempotent kgo producer keeps 5 requests in flight by itself
		// and refuses the option.
		opts = append(opts, kgo.DisableIdempotentWrite(), kgo.MaxProduceRequestsInflightPerBroker(5))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	// Warm the connection and metadata so the run measures steady state.
	if err := cl.ProduceSync(context.Background(), &kgo.Record{Value: payload(w.recordSize)}).FirstErr(); err != nil {
		cl.Close()
		return nil, fmt.Errorf("warm-up produce: %w", err)
	}
	return cl, nil
}

// produceN produces n records as fast as the client allows and returns the
// per-record latencies (produce call to acknowledgement).
func produceN(ctx context.Context, cl *kgo.Client, w workload, n int) (int, []time.Duration, error) {
	value := payload(w.recordSize)
	lat := make([]time.Duration, n)
	var failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		sent := time.Now()
		cl.Produce(ctx, &kgo.Record{Value: value}, func(_ *kgo.Record, err error) {
			lat[i] = time.Since(sent)
			if err != nil && failed.Add(1) == 1 {
				firstErr.Store(err)
			}
			wg.Done()
		})
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return 0, nil, fmt.Errorf("%d of %d records failed: %v", f, n, firstErr.Load())
	}
	return n, lat, nil
}

// consumeN reads n records of topic from the start (a group consumer when
// group is set) and returns how many it read.
func consumeN(ctx context.Context, addr, topic, group string, n int) (int, []time.Duration, error) {
	opts := []kgo.Opt{kgo.SeedBrokers(addr), kgo.DialTLSConfig(clientTLS), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxBytes(50 << 20)}
	if group != "" {
		opts = append(opts, kgo.ConsumerGroup(group))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return 0, nil, err
	}
	defer cl.Close()
	got := 0
	for got < n {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			return got, nil, err
		}
		got += fs.NumRecords()
	}
	return got, nil, nil
}

// e2e produces n records at rate per second with no linger, each carrying
// its send time, and returns the produce-call-to-receipt latencies. The
// consumer reads from the start and counts only the timed records (first
// byte 0xFF), so no start-offset race can lose any.
func e2e(ctx context.Context, addr, topic string, w workload, n, rate int) (int, []time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(n/rate)*time.Second+time.Minute)
	defer cancel()
	cons, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DialTLSConfig(clientTLS), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		return 0, nil, err
	}
	defer cons.Close()
	prod, err := producer(addr, topic, w, 0)
	if err != nil {
		return 0, nil, err
	}
	defer prod.Close()
	// Warm up: the consumer has fetched once before the first timed record.
	if fs := cons.PollRecords(ctx, 1); fs.NumRecords() == 0 {
		return 0, nil, fmt.Errorf("warm-up fetch: %v", fs.Err0())
	}
	base := time.Now()
	done := make(chan error, 1)
	go func() {
		interval := time.Second / time.Duration(rate)
		value := payload(w.recordSize)
		value[0] = 0xFF
		for i := range n {
			if d := time.Until(base.Add(time.Duration(i) * interval)); d > 0 {
				time.Sleep(d)
			}
			v := slices.Clone(value)
			binary.BigEndian.PutUint64(v[1:], uint64(time.Since(base)))
			prod.Produce(ctx, &kgo.Record{Value: v}, nil)
		}
		done <- prod.Flush(ctx)
	}()
	lat := make([]time.Duration, 0, n)
	for len(lat) < n {
		fs := cons.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			return 0, nil, fmt.Errorf("after %d of %d records: %w", len(lat), n, err)
		}
		now := time.Since(base)
		fs.EachRecord(func(r *kgo.Record) {
			if len(r.Value) >= 9 && r.Value[0] == 0xFF {
				lat = append(lat, now-time.Duration(binary.BigEndian.Uint64(r.Value[1:])))
			}
		})
	}
	return n, lat, <-done
}

// mix runs 4 producers and 4 consumers of one group at once; n records in
// all, done when the group has consumed every one.
func mix(ctx context.Context, addr, topic string, w workload, n int) (int, []time.Duration, error) {
	var consumed atomic.Int64
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DialTLSConfig(clientTLS), kgo.ConsumeTopics(topic), kgo.ConsumerGroup("w9"),
				kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
			if err != nil {
				errs <- err
				return
			}
			defer cl.Close()
			for consumed.Load() < int64(n) && ctx.Err() == nil {
				fs := cl.PollFetches(ctx)
				if err := fs.Err0(); err != nil && ctx.Err() == nil {
					errs <- err
					return
				}
				consumed.Add(int64(fs.NumRecords()))
			}
			cancel()
		}()
	}
	for p := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl, err := producer(addr, topic, w, 5*time.Millisecond)
			if err != nil {
				errs <- err
				return
			}
			defer cl.Close()
			share := n / 4
			if p == 3 {
				share = n - 3*(n/4)
			}
			if _, _, err := produceN(ctx, cl, w, share); err != nil && ctx.Err() == nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, nil, err
	}
	// The 4 warm-up records of the producers are consumed too.
	return n, nil, nil
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// writeACLs writes n ACLs into dir/acls.json (package acl's file): the
// clients' User:ANONYMOUS may do everything on every topic, group,
// transactional ID and the cluster (wildcard literals, so every check is
// an index lookup that ends allowed), and n-4 others name other topics
// (one in four PREFIXED) for other principals.
func writeACLs(dir string, n int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	type binding struct {
		ResourceType string `json:"resourceType"`
		ResourceName string `json:"resourceName"`
		PatternType  string `json:"patternType"`
		Principal    string `json:"principal"`
		Host         string `json:"host"`
		Operation    string `json:"operation"`
		Permission   string `json:"permission"`
	}
	all := []binding{
		{"TOPIC", "*", "LITERAL", "User:ANONYMOUS", "*", "ALL", "ALLOW"},
		{"GROUP", "*", "LITERAL", "User:ANONYMOUS", "*", "ALL", "ALLOW"},
		{"TRANSACTIONAL_ID", "*", "LITERAL", "User:ANONYMOUS", "*", "ALL", "ALLOW"},
		{"CLUSTER", "kafka-cluster", "LITERAL", "User:ANONYMOUS", "*", "ALL", "ALLOW"},
	}
	for i := len(all); i < n; i++ {
		pt := "LITERAL"
		if i%4 == 0 {
			pt = "PREFIXED"
		}
		all = append(all, binding{"TOPIC", fmt.Sprintf("topic-%06d", i), pt, fmt.Sprintf("User:u%d", i%100), "*", "WRITE", "ALLOW"})
	}
	data, err := json.Marshal(struct {
		Version int       `json:"version"`
		ACLs    []binding `json:"acls"`
	}{1, all})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "acls.json"), data, 0o644)
}
