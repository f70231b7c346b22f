package fuzz

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stratabroker/strata/config"
	"github.com/stratabroker/strata/server"
)

// TestCaptureCorpus regenerates testdata/fuzz/FuzzDispatch from real client
// traffic when STRATA_CAPTURE=1: a broker behind a recording proxy, then
// kgo, kcat (librdkafka) and kafka-python (/usr/bin/python3) produce,
// consume and join a group through it. Each client connection's first 8
// request frames become one corpus file. It is run once by hand and the
// files are committed.
func TestCaptureCorpus(t *testing.T) {
	if os.Getenv("STRATA_CAPTURE") != "1" {
		t.Skip("set STRATA_CAPTURE=1 to capture client traffic into testdata/fuzz/FuzzDispatch")
	}
	// The proxy listens first so that the broker can advertise it: every
	// connection a client opens, not only the bootstrap one, is recorded.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := config.Defaults()
	for _, kv := range [][2]string{
		{"listeners", "PLAINTEXT://127.0.0.1:0"},
		{"advertised.listeners", "PLAINTEXT://" + ln.Addr().String()},
		{"log.dirs", t.TempDir()},
		{"offsets.topic.num.partitions", "1"},
		{"group.initial.rebalance.delay.ms", "0"},
	} {
		if err := cfg.Set(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	s, err := server.Start(cfg, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var mu sync.Mutex
	var streams [][]byte
	var wg sync.WaitGroup
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				up, err := net.Dial("tcp", s.Addr().String())
				if err != nil {
					nc.Close()
					return
				}
				rec := &recorder{}
				go func() { io.Copy(nc, up); nc.Close() }()
				io.Copy(io.MultiWriter(up, rec), nc)
				up.Close()
				mu.Lock()
				streams = append(streams, rec.frames(8))
				mu.Unlock()
			}()
		}
	}()
	addr := ln.Addr().String()

	// kgo: produce, group consume, commit.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("cap"), kgo.AllowAutoTopicCreation(),
		kgo.ConsumerGroup("capg"), kgo.ConsumeTopics("cap"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Key: []byte("k"), Value: []byte("kgo")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	cl.PollFetches(ctx)
	cl.CommitUncommittedOffsets(ctx)
	cl.Close()

	run := func(name string, stdin string, args ...string) {
		cmd := exec.CommandContext(ctx, name, args...)
		if stdin != "" {
			cmd.Stdin = strings.NewReader(stdin)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Logf("%s: %v: %s", name, err, out)
		}
	}
	run("kcat", "a\nb\n", "-P", "-b", addr, "-t", "cap", "-z", "lz4")
	run("kcat", "", "-C", "-b", addr, "-t", "cap", "-e", "-c", "2")
	run("kcat", "", "-C", "-b", addr, "-G", "kcatg", "cap", "-e", "-c", "1")
	run("/usr/bin/python3", "", "-c", fmt.Sprintf(`
from kafka import KafkaProducer, KafkaConsumer
p = KafkaProducer(bootstrap_servers=%[1]q, compression_type='gzip')
p.send('cap', b'py').get(timeout=10)
p.close()
c = KafkaConsumer('cap', bootstrap_servers=%[1]q, group_id='pyg', auto_offset_reset='earliest', consumer_timeout_ms=3000)
for m in c:
    break
c.commit()
c.close()
`, addr))
	ln.Close()
	wg.Wait()

	dir := filepath.Join("testdata", "fuzz", "FuzzDispatch")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, st := range streams {
		if len(st) == 0 {
			continue
		}
		sum := sha256.Sum256(st)
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", st)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("client-%x", sum[:8])), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("captured %d connections", len(streams))
}

// recorder keeps what a client sent.
type recorder struct{ b []byte }

func (r *recorder) Write(p []byte) (int, error) {
	if len(r.b) < 1<<20 {
		r.b = append(r.b, p...)
	}
	return len(p), nil
}

// frames returns the first max whole frames of what was recorded (none
// over 64 KiB), whole so that they stay valid requests.
func (r *recorder) frames(max int) []byte {
	rest, n := r.b, 0
	for i := 0; i < max && len(rest) >= 4; i++ {
		size := int(uint32(rest[0])<<24 | uint32(rest[1])<<16 | uint32(rest[2])<<8 | uint32(rest[3]))
		if size > len(rest)-4 || size > 64<<10 {
			break
		}
		n += 4 + size
		rest = rest[4+size:]
	}
	return r.b[:n]
}
