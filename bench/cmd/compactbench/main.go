// Command compactbench measures log compaction end to end, Strata beside
// kfake (franz-go's fake broker, which compacts too), with their data on
// disk: Strata as the broker binary (-strata, default: go build
// ./cmd/strata), its cleaner's passes read from its log ("cleaned log"
// lines), kfake in this process:
//
//   - the same keyed workload (-records records over -keys keys, -value
//     bytes each, uncompressed) to a topic with cleanup.policy=compact,
//     segment.bytes 1 MiB, segment.ms 100 and min.cleanable.dirty.ratio
//     0.01 (kfake compacts every log.cleaner.backoff.ms, 500 ms here, as
//     Strata's cleaner also looks every 500 ms besides waking on a roll);
//     then, every 100 ms, one filler record (a roll for Strata) and a
//     from-beginning read, until the read returns the compacted view
//     (every key once, at its last offset). It prints the time that took
//     and the bytes of the partition's files on disk before and after;
//   - Strata only: produce throughput on another topic for -window before,
//     while and after the cleaner cleans a large dirty compacted log
//     (-dirty-records), each window after a sync(2), with the pass's
//     figures (whether it covered the window).
//
// Usage: compactbench [-records 200000 -keys 20000 -value 1024]
// [-cleaner-io BYTES_PER_SECOND] [-skip-kfake]
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stratabroker/strata/bench/internal/proc"
)

var (
	records      = flag.Int("records", 200_000, "keyed records written")
	keys         = flag.Int("keys", 20_000, "distinct keys (live records after compaction)")
	valueSize    = flag.Int("value", 1024, "bytes of each value")
	dirtyRecords = flag.Int("dirty-records", 300_000, "records of the dirty log cleaned during the throughput window")
	window       = flag.Duration("window", 5*time.Second, "produce throughput window")
	skipKfake    = flag.Bool("skip-kfake", false, "measure Strata only")
	cleanerRate  = flag.String("cleaner-io", "", "log.cleaner.io.max.bytes.per.second for Strata (empty: Kafka's default, no bound)")
	strataBin    = flag.String("strata", "", "strata binary (default: go build ./cmd/strata)")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "compactbench:", err)
		os.Exit(1)
	}
}

func run() error {
	root, err := os.MkdirTemp("", "compactbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)

	bin := *strataBin
	if bin == "" {
		bin = filepath.Join(root, "strata-bin")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/strata").CombinedOutput(); err != nil {
			return fmt.Errorf("go build ./cmd/strata: %v\n%s", err, out)
		}
	}
	sdir := filepath.Join(root, "strata")
	s, err := startStrata(bin, sdir)
	if err != nil {
		return err
	}
	res, err := compactView("strata", s.addr, func() int64 { return dirBytes(filepath.Join(sdir, "kv-0")) })
	if err == nil {
		fmt.Println(res)
		err = throughput(s)
	}
	s.stop()
	if err != nil {
		return err
	}
	if *skipKfake {
		return nil
	}
	kdir := filepath.Join(root, "kfake")
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(0), kfake.DataDir(kdir),
		kfake.BrokerConfigs(map[string]string{"log.cleaner.backoff.ms": "500"}))
	if err != nil {
		return err
	}
	defer c.Close()
	res, err = compactView("kfake", c.ListenAddrs()[0], func() int64 { return dirBytes(kdir) })
	if err != nil {
		return err
	}
	fmt.Println(res)
	return nil
}

// strata is a broker process and the passes its cleaner logged.
type strata struct {
	cmd    *exec.Cmd
	addr   string
	passes chan pass
}

// pass is one "cleaned log" line of the broker's log.
type pass struct {
	partition               string
	bytesRead, bytesWritten int64
	duration                time.Duration
	at                      time.Time // when the line was read
}

func startStrata(bin, dir string) (*strata, error) {
	addr := fmt.Sprintf("127.0.0.1:%d", proc.FreePort())
	args := []string{"broker", "--listeners", "PLAINTEXT://" + addr, "--log.dirs", dir,
		"--console.enable", "false", "--log.cleaner.backoff.ms", "500", "--log-level", "info"}
	if *cleanerRate != "" {
		args = append(args, "--log.cleaner.io.max.bytes.per.second", *cleanerRate)
	}
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &strata{cmd: cmd, addr: addr, passes: make(chan pass, 1024)}
	go s.scan(stderr)
	for deadline := time.Now().Add(20 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return s, nil
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("strata did not listen on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// scan reads the broker's log, passing on the cleaner's passes and
// printing warnings and errors.
func (s *strata) scan(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			fmt.Fprintln(os.Stderr, "strata:", line)
		}
		if !strings.Contains(line, `msg="cleaned log"`) {
			continue
		}
		p := pass{at: time.Now()}
		for _, f := range strings.Fields(line) {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "partition":
				p.partition = v
			case "bytesRead":
				p.bytesRead, _ = strconv.ParseInt(v, 10, 64)
			case "bytesWritten":
				p.bytesWritten, _ = strconv.ParseInt(v, 10, 64)
			case "duration":
				p.duration, _ = time.ParseDuration(v)
			}
		}
		select {
		case s.passes <- p:
		default:
		}
	}
}

func (s *strata) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// dirBytes is the size of the files below dir.
func dirBytes(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

func value(i int) []byte {
	v := []byte(strings.Repeat("v", *valueSize))
	copy(v, strconv.Itoa(i))
	return v
}

func key(i int) []byte { return []byte("key-" + strconv.Itoa(i%*keys)) }

// produce writes n keyed records (value i for record i) to topic.
func produce(ctx context.Context, cl *kgo.Client, topic string, n int) error {
	var (
		wg    sync.WaitGroup
		first atomic.Pointer[error]
	)
	for i := range n {
		wg.Add(1)
		cl.Produce(ctx, &kgo.Record{Topic: topic, Key: key(i), Value: value(i)}, func(_ *kgo.Record, err error) {
			if err != nil {
				first.CompareAndSwap(nil, &err)
			}
			wg.Done()
		})
	}
	wg.Wait()
	if e := first.Load(); e != nil {
		return *e
	}
	return nil
}

const fillerKey = "~filler"

// readAll reads partition 0 of topic from the beginning to its end and
// reports whether it is the compacted view of the workload: every key
// once, at its last offset (fillers aside).
func readAll(ctx context.Context, addr, topic string) (compacted bool, n int, err error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}),
		kgo.FetchMaxBytes(64<<20))
	if err != nil {
		return false, 0, err
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		return false, 0, err
	}
	end, _ := ends.Lookup(topic, 0)
	seen := make(map[string]bool, *keys)
	compacted = true
	for next := int64(-1); next+1 < end.Offset; {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			return false, n, err
		}
		fs.EachRecord(func(r *kgo.Record) {
			next = r.Offset
			n++
			k := string(r.Key)
			if k == fillerKey {
				return
			}
			i, _ := strconv.Atoi(strings.TrimPrefix(k, "key-"))
			last := *records - 1 - (*records-1-i)%*keys // the last record of this key
			if seen[k] || r.Offset != int64(last) {
				compacted = false
			}
			seen[k] = true
		})
	}
	return compacted && len(seen) == min(*keys, *records), n, nil
}

func compactView(name, addr string, bytes func() int64) (string, error) {
	ctx := context.Background()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.ProducerLinger(5*time.Millisecond), kgo.MaxBufferedRecords(100_000))
	if err != nil {
		return "", err
	}
	defer cl.Close()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, map[string]*string{
		"cleanup.policy": ptr("compact"), "segment.bytes": ptr("1048576"), "segment.ms": ptr("100"),
		"min.cleanable.dirty.ratio": ptr("0.01"),
	}, "kv"); err != nil {
		return "", err
	}
	began := time.Now()
	if err := produce(ctx, cl, "kv", *records); err != nil {
		return "", err
	}
	produced := time.Since(began)
	before := bytes()
	began = time.Now()
	reads := 0
	for {
		if time.Since(began) > 10*time.Minute {
			return "", errors.New(name + ": no compacted view after 10 minutes")
		}
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "kv", Key: []byte(fillerKey), Value: []byte("f")}).FirstErr(); err != nil {
			return "", err
		}
		ok, _, err := readAll(ctx, addr, "kv")
		if err != nil {
			return "", err
		}
		reads++
		if ok {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	took := time.Since(began)
	return fmt.Sprintf("%s: %d records (%d keys, %d-byte values) produced in %v; compacted view read after %v (%d reads); partition files %.1f MB before, %.1f MB after",
		name, *records, *keys, *valueSize, produced.Round(time.Millisecond), took.Round(time.Millisecond), reads,
		float64(before)/1e6, float64(bytes())/1e6), nil
}

// windowN numbers the throughput windows' topics.
var windowN int

// produceWindow produces to a new topic for d (after a sync(2), so no
// earlier write is still being written back), deletes it, and returns
// MB/s: each window starts from the same state of the disk.
func produceWindow(adm *kadm.Client, addr string, d time.Duration) (float64, error) {
	windowN++
	topic := "other-" + strconv.Itoa(windowN)
	ctx := context.Background()
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, topic); err != nil {
		return 0, err
	}
	syscall.Sync()
	mbs, err := produceFor(addr, topic, d)
	if err != nil {
		return 0, err
	}
	_, err = adm.DeleteTopics(ctx, topic)
	return mbs, err
}

// produceFor produces 1 KiB records to topic for d and returns MB/s.
func produceFor(addr, topic string, d time.Duration) (float64, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.DefaultProduceTopic(topic))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var acked atomic.Int64
	v := make([]byte, 1024)
	began := time.Now()
	for ctx.Err() == nil {
		cl.Produce(ctx, &kgo.Record{Value: v}, func(r *kgo.Record, err error) {
			if err == nil {
				acked.Add(int64(len(r.Value)))
			}
		})
	}
	return float64(acked.Load()) / 1e6 / time.Since(began).Seconds(), nil
}

func throughput(s *strata) error {
	ctx := context.Background()
	addr := s.addr
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.ProducerLinger(5*time.Millisecond), kgo.MaxBufferedRecords(100_000))
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	// The dirty log: not cleanable while it is written (ratio 1.0 is never
	// exceeded), then made cleanable at once.
	if _, err := adm.CreateTopic(ctx, 1, 1, map[string]*string{
		"cleanup.policy": ptr("compact"), "segment.bytes": ptr("16777216"), "segment.ms": ptr("1000"),
		"min.cleanable.dirty.ratio": ptr("1"),
	}, "dirty"); err != nil {
		return err
	}
	if err := produce(ctx, cl, "dirty", *dirtyRecords); err != nil {
		return err
	}
	// Roll the active segment (older than segment.ms) so the whole log
	// is cleanable.
	time.Sleep(1100 * time.Millisecond)
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "dirty", Key: []byte(fillerKey), Value: []byte("f")}).FirstErr(); err != nil {
		return err
	}
	before, err := produceWindow(adm, addr, *window)
	if err != nil {
		return err
	}
	windowN++
	topic := "other-" + strconv.Itoa(windowN)
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, topic); err != nil {
		return err
	}
	for len(s.passes) > 0 { // passes over other logs so far
		<-s.passes
	}
	syscall.Sync()
	if _, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Name: "min.cleanable.dirty.ratio", Value: ptr("0.01")}}, "dirty"); err != nil {
		return err
	}
	// The cleaner looks within log.cleaner.backoff.ms (500 ms); the window
	// starts now and the pass's figures say how much of it they covered.
	began := time.Now()
	during, err := produceFor(addr, topic, *window)
	if err != nil {
		return err
	}
	inWindow := time.Since(began)
	if _, err := adm.DeleteTopics(ctx, topic); err != nil {
		return err
	}
	var p pass
	for timeout := time.After(5 * time.Minute); p.partition != "dirty-0"; {
		select {
		case p = <-s.passes:
		case <-timeout:
			return errors.New("no pass over the dirty log within 5 minutes")
		}
	}
	after, err := produceWindow(adm, addr, *window)
	if err != nil {
		return err
	}
	alone := (before + after) / 2
	fmt.Printf("strata: produce to another topic %.1f MB/s before and %.1f MB/s after cleaning, %.1f MB/s while the cleaner runs (%.2fx their mean); the pass over %d records of %d bytes read %.1f MB and wrote %.1f MB in %v, ending %v after the %v window began\n",
		before, after, during, during/alone, *dirtyRecords, *valueSize, float64(p.bytesRead)/1e6, float64(p.bytesWritten)/1e6,
		p.duration.Round(time.Millisecond), p.at.Sub(began).Round(time.Millisecond), inWindow.Round(time.Millisecond))
	return nil
}

func ptr(s string) *string { return &s }
