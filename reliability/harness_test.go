package reliability

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// strataBin is the broker binary TestMain builds once.
var strataBin string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "strata-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "reliability:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	strataBin = filepath.Join(dir, "strata")
	// cmd/strata is edited by others while this suite runs; a build that
	// fails is retried a few times a minute apart before giving up.
	for attempt := 1; ; attempt++ {
		out, err := exec.Command("go", "build", "-o", strataBin, "../cmd/strata").CombinedOutput()
		if err == nil {
			break
		}
		if attempt == 3 {
			fmt.Fprintf(os.Stderr, "reliability: go build ./cmd/strata: %v\n%s", err, out)
			return 1
		}
		fmt.Fprintf(os.Stderr, "reliability: go build ./cmd/strata failed (attempt %d), retrying in 60s:\n%s", attempt, out)
		time.Sleep(60 * time.Second)
	}
	return m.Run()
}

// full reports whether the long counts were asked for.
func full() bool { return os.Getenv("STRATA_RELIABILITY_FULL") == "1" }

// freePort returns a loopback port nothing listens on now. Brokers that are
// restarted keep their port, so clients find them again.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// broker is one strata process.
type broker struct {
	t       testing.TB
	dir     string
	port    int
	props   []string
	cmd     *exec.Cmd
	exited  chan struct{}
	addr    string // host:port of the Kafka listener
	pprof   string // host:port of net/http/pprof
	startup time.Duration

	nofile int // when positive, the process's open-file limit (soft and hard)

	mu  sync.Mutex
	log strings.Builder // everything the broker wrote to stderr, all runs
}

var (
	listeningRe = regexp.MustCompile(`msg=listening listener=PLAINTEXT addr=(\S+)`)
	pprofRe     = regexp.MustCompile(`msg=pprof addr=(\S+)`)
)

// newBroker returns a broker on a fixed free port over dir with extra
// properties as name, value pairs. It is not started.
func newBroker(t testing.TB, dir string, props ...string) *broker {
	b := &broker{t: t, dir: dir, port: freePort(t), props: props}
	t.Cleanup(func() { b.kill() })
	return b
}

// start starts the process and waits until it listens; startup is the
// time from exec to the listening line.
func (b *broker) start() {
	b.t.Helper()
	if err := b.tryStart(); err != nil {
		b.t.Fatalf("%v\nbroker log:\n%s", err, b.tail(4000))
	}
}

func (b *broker) tryStart() error {
	args := []string{"broker",
		"--listeners", fmt.Sprintf("PLAINTEXT://127.0.0.1:%d", b.port),
		"--log.dirs", b.dir,
		"--console.listeners", "http://127.0.0.1:0",
		"--pprof-addr", "127.0.0.1:0",
		"--group.initial.rebalance.delay.ms", "0",
		"--offsets.topic.num.partitions", "4",
	}
	for i := 0; i+1 < len(b.props); i += 2 {
		args = append(args, "--"+b.props[i], b.props[i+1])
	}
	cmd := exec.Command(strataBin, args...)
	if b.nofile > 0 { // the shell sets the limit, then becomes the broker (same pid)
		cmd = exec.Command("/bin/sh", append([]string{"-c", fmt.Sprintf(`ulimit -n %d && exec "$0" "$@"`, b.nofile), strataBin}, args...)...)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	b.cmd, b.exited = cmd, make(chan struct{})
	ready := make(chan struct{})
	go func() {
		defer close(b.exited)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var once sync.Once
		for sc.Scan() {
			line := sc.Text()
			b.mu.Lock()
			b.log.WriteString(line)
			b.log.WriteByte('\n')
			if m := pprofRe.FindStringSubmatch(line); m != nil {
				b.pprof = m[1]
			}
			if m := listeningRe.FindStringSubmatch(line); m != nil {
				b.addr = m[1]
				b.startup = time.Since(began)
				once.Do(func() { close(ready) })
			}
			b.mu.Unlock()
		}
		io.Copy(io.Discard, stderr)
		cmd.Wait()
	}()
	select {
	case <-ready:
		return nil
	case <-b.exited:
		return fmt.Errorf("broker exited before listening: %v", cmd.ProcessState)
	case <-time.After(60 * time.Second):
		b.kill()
		return errors.New("broker did not listen within 60s")
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (b *broker) kill() {
	if b.cmd == nil || b.cmd.Process == nil {
		return
	}
	b.cmd.Process.Signal(syscall.SIGKILL)
	<-b.exited
	b.cmd = nil
}

// stop shuts the broker down cleanly (SIGTERM) and waits.
func (b *broker) stop() {
	b.t.Helper()
	if b.cmd == nil {
		return
	}
	b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.exited:
	case <-time.After(30 * time.Second):
		b.t.Errorf("broker did not stop within 30s of SIGTERM")
		b.kill()
	}
	b.cmd = nil
}

// logText is everything the broker logged so far.
func (b *broker) logText() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.log.String()
}

func (b *broker) tail(n int) string {
	s := b.logText()
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return s
}

// rss returns the process's resident set in bytes (VmRSS).
func (b *broker) rss() int64 { return b.procStatus("VmRSS:") }

// rssAnon returns the anonymous part of the resident set (RssAnon): the
// Go heap, stacks and runtime, without the pages of mapped files.
func (b *broker) rssAnon() int64 { return b.procStatus("RssAnon:") }

// rssFile returns the file-backed part of the resident set (RssFile): the
// binary and the segment files' read-only mappings (segment/mapping.go),
// page cache the kernel can drop at any time.
func (b *broker) rssFile() int64 { return b.procStatus("RssFile:") }

// openFiles returns how many descriptors the broker has open.
func (b *broker) openFiles() int {
	b.t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", b.cmd.Process.Pid))
	if err != nil {
		b.t.Errorf("open files: %v", err)
	}
	return len(ents)
}

// procStatus returns a kB field of /proc/PID/status in bytes.
func (b *broker) procStatus(field string) int64 {
	b.t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", b.cmd.Process.Pid))
	if err != nil {
		b.t.Fatal(err)
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, field); ok {
			f := strings.Fields(v)
			kb, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				b.t.Fatal(err)
			}
			return kb << 10
		}
	}
	b.t.Fatalf("no %s in /proc status", field)
	return 0
}

var heapInuseRe = regexp.MustCompile(`# HeapInuse = (\d+)`)

// heapInuse returns the broker's runtime.MemStats.HeapInuse from its pprof
// endpoint.
func (b *broker) heapInuse() int64 {
	b.t.Helper()
	resp, err := http.Get("http://" + b.pprof + "/debug/pprof/heap?debug=1")
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	m := heapInuseRe.FindSubmatch(body)
	if m == nil {
		b.t.Fatal("no HeapInuse in the heap profile")
	}
	n, err := strconv.ParseInt(string(m[1]), 10, 64)
	if err != nil {
		b.t.Fatal(err)
	}
	return n
}

var goroutinesRe = regexp.MustCompile(`goroutine profile: total (\d+)`)

// goroutines returns the broker's goroutine count from its pprof endpoint.
func (b *broker) goroutines() int {
	b.t.Helper()
	resp, err := http.Get("http://" + b.pprof + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	head := make([]byte, 256)
	n, _ := io.ReadFull(resp.Body, head)
	m := goroutinesRe.FindSubmatch(head[:n])
	if m == nil {
		b.t.Fatalf("goroutine profile header not found in %q", head[:n])
	}
	v, _ := strconv.Atoi(string(m[1]))
	return v
}

// waitFor polls cond every 20ms until it holds or d passes; it reports
// whether cond held. It waits on another process's state, which offers no
// channel to wait on.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
}

func ctxFor(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// client returns a kgo client of the broker, closed at cleanup.
func (b *broker) client(opts ...kgo.Opt) *kgo.Client {
	b.t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(fmt.Sprintf("127.0.0.1:%d", b.port))}, opts...)...)
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(cl.Close)
	return cl
}

// createTopic creates a topic with partitions partitions and the configs
// given as name, value pairs.
func (b *broker) createTopic(name string, partitions int32, configs ...string) {
	b.t.Helper()
	cl := b.client()
	adm := kadm.NewClient(cl)
	cfg := map[string]*string{}
	for i := 0; i+1 < len(configs); i += 2 {
		cfg[configs[i]] = kadm.StringPtr(configs[i+1])
	}
	resp, err := adm.CreateTopic(ctxFor(b.t, 30*time.Second), partitions, 1, cfg, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		b.t.Fatalf("create topic %s: %v", name, err)
	}
}

// endOffsets returns each partition's high watermark.
func endOffsets(t testing.TB, cl *kgo.Client, topic string) map[int32]int64 {
	t.Helper()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctxFor(t, 30*time.Second), topic)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			t.Fatalf("end offset of %s/%d: %v", o.Topic, o.Partition, o.Err)
		}
		out[o.Partition] = o.Offset
	})
	return out
}

// readAll reads partition p of topic from offset 0 to end with a client of
// its own and returns the records in log order.
func readAll(t testing.TB, b *broker, topic string, p int32, end int64) []*kgo.Record {
	t.Helper()
	if end == 0 {
		return nil
	}
	cl := b.client(
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {p: kgo.NewOffset().AtStart()}}),
		kgo.FetchMaxWait(100*time.Millisecond),
	)
	defer cl.Close()
	ctx := ctxFor(t, 60*time.Second)
	var recs []*kgo.Record
	for {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("reading %s/%d: got %d records up to end %d: %v", topic, p, len(recs), end, err)
		}
		fs.EachError(func(tp string, part int32, err error) {
			t.Logf("fetch %s/%d: %v (retried)", tp, part, err)
		})
		for _, r := range fs.Records() {
			if r.Offset < end {
				recs = append(recs, r)
			}
		}
		if len(recs) > 0 && recs[len(recs)-1].Offset >= end-1 {
			return recs
		}
	}
}

// rawConn is a Kafka connection spoken to with kmsg directly.
type rawConn struct {
	net.Conn
	corr int32
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{Conn: nc}
}

// frame encodes req with a request header and size prefix.
func (rc *rawConn) frame(req kmsg.Request) []byte {
	rc.corr++
	return encodeRequest(req, rc.corr, "reliability")
}

func encodeRequest(req kmsg.Request, corr int32, clientID string) []byte {
	w := kmsg.NewRequestFormatter(kmsg.FormatterClientID(clientID))
	return w.AppendRequest(nil, req, corr)
}

// roundTrip sends req and reads its response into resp.
func (rc *rawConn) roundTrip(req kmsg.Request) (kmsg.Response, error) {
	if _, err := rc.Write(rc.frame(req)); err != nil {
		return nil, err
	}
	var size [4]byte
	if _, err := io.ReadFull(rc, size[:]); err != nil {
		return nil, err
	}
	n := int(uint32(size[0])<<24 | uint32(size[1])<<16 | uint32(size[2])<<8 | uint32(size[3]))
	body := make([]byte, n)
	if _, err := io.ReadFull(rc, body); err != nil {
		return nil, err
	}
	resp := req.ResponseKind()
	resp.SetVersion(req.GetVersion())
	skip := 4 // correlation ID
	if req.IsFlexible() && req.Key() != int16(kmsg.ApiVersions) {
		skip++ // empty tagged fields
	}
	if err := resp.ReadFrom(body[skip:]); err != nil {
		return nil, err
	}
	return resp, nil
}

// percentile returns the q-quantile (0..1) of sorted durations.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q * float64(len(sorted)-1))
	return sorted[i]
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
