package reliability

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stratabroker/strata/config"
	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/server"
)

// produceRaw sends one batch of n records of size bytes each, values
// starting with "d<seq>", and returns the partition's error code and base
// offset.
func produceRaw(t *testing.T, rc *rawConn, topic string, seq, n, size int) (int16, int64) {
	t.Helper()
	bl := recordbatch.NewBuilder()
	bl.ProducerID = -1
	for i := range n {
		v := fmt.Appendf(nil, "d%09d-", seq+i)
		v = append(v, bytes.Repeat([]byte{'z'}, max(0, size-len(v)))...)
		bl.Add(&recordbatch.Record{Timestamp: time.Now().UnixMilli(), Value: v})
	}
	batch, err := bl.AppendTo(nil)
	if err != nil {
		t.Fatal(err)
	}
	req := kmsg.NewPtrProduceRequest()
	req.Version = 9
	req.Acks = -1
	req.TimeoutMillis = 30000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = batch
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := rc.roundTrip(req)
	if err != nil {
		t.Fatalf("produce: %v", err)
	}
	p := resp.(*kmsg.ProduceResponse).Topics[0].Partitions[0]
	return p.ErrorCode, p.BaseOffset
}

// checkPrefix reads topic/0 from the start and checks that the first n
// records are d0..d(n-1).
func checkPrefix(t *testing.T, seeds string, topic string, n int64) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := ctxFor(t, 30*time.Second)
	var got int64
	for got < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d records while the disk is full", got, n)
		}
		for _, e := range fs.Errors() {
			t.Fatalf("fetch while the disk is full: %v", e.Err)
		}
		for _, r := range fs.Records() {
			if r.Offset != got || !bytes.HasPrefix(r.Value, fmt.Appendf(nil, "d%09d-", got)) {
				t.Fatalf("record %d: offset %d value %.12q", got, r.Offset, r.Value)
			}
			got++
		}
	}
}

// fillUntilStorageError produces 8 KiB batches until one fails; the
// failure must be KAFKA_STORAGE_ERROR and come before limit batches. It
// returns how many records were acknowledged.
func fillUntilStorageError(t *testing.T, rc *rawConn, topic string, seq, limit int) int {
	t.Helper()
	for range limit {
		code, base := produceRaw(t, rc, topic, seq, 8, 1024)
		if code == kerr.KafkaStorageError.Code {
			return seq
		}
		if code != 0 {
			t.Fatalf("produce at %d on a full disk: %v, want KAFKA_STORAGE_ERROR", seq, kerr.ErrorForCode(code))
		}
		if base != int64(seq) {
			t.Fatalf("batch landed at %d, want %d", base, seq)
		}
		seq += 8
	}
	t.Fatalf("%d batches produced on a full disk without KAFKA_STORAGE_ERROR", limit)
	return 0
}

// TestDiskFullInjected runs the broker in process over vfs.NewFaulty in
// disk-full mode: produces fail with KAFKA_STORAGE_ERROR (also across a
// segment roll), every acknowledged record stays readable, and the broker
// takes produces again, with no restart, once space returns. This version
// runs everywhere.
func TestDiskFullInjected(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Defaults()
	for _, kv := range [][2]string{
		{"listeners", "PLAINTEXT://127.0.0.1:0"},
		{"log.dirs", dir},
		{"offsets.topic.num.partitions", "1"},
	} {
		if err := cfg.Set(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ffs := vfs.NewFaulty(vfs.OS)
	s, err := server.Start(cfg, server.Options{FS: ffs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	addr := s.Addr().String()
	rc := dialRaw(t, addr)
	create := kmsg.NewPtrCreateTopicsRequest()
	ct := kmsg.NewCreateTopicsRequestTopic()
	ct.Topic, ct.NumPartitions, ct.ReplicationFactor = "full", 1, 1
	seg := kmsg.NewCreateTopicsRequestTopicConfig()
	seg.Name, seg.Value = "internal.segment.bytes", kmsg.StringPtr("65536")
	ct.Configs = append(ct.Configs, seg)
	create.Topics = append(create.Topics, ct)
	if resp, err := rc.roundTrip(create); err != nil || resp.(*kmsg.CreateTopicsResponse).Topics[0].ErrorCode != 0 {
		t.Fatalf("create topic: %v %v", err, resp)
	}

	seq := 0
	for range 20 {
		if code, _ := produceRaw(t, rc, "full", seq, 8, 1024); code != 0 {
			t.Fatalf("produce before the disk fills: %v", kerr.ErrorForCode(code))
		}
		seq += 8
	}
	ffs.SetFull(true)
	// Writes into space a segment already reserved succeed; the first that
	// needs a new block or a new segment must fail cleanly.
	seq = fillUntilStorageError(t, rc, "full", seq, 2000)
	acked := seq
	for range 20 {
		if code, _ := produceRaw(t, rc, "full", seq, 8, 1024); code != kerr.KafkaStorageError.Code {
			t.Fatalf("produce on a full disk after the first failure: %v, want KAFKA_STORAGE_ERROR", kerr.ErrorForCode(code))
		}
	}
	checkPrefix(t, addr, "full", int64(acked))
	ffs.SetFull(false)
	code, base := produceRaw(t, rc, "full", seq, 8, 1024)
	if code != 0 || base != int64(acked) {
		t.Fatalf("first produce after space returned: %v at %d, want success at %d", kerr.ErrorForCode(code), base, acked)
	}
	for range 100 { // across more rolls
		seq += 8
		if code, base := produceRaw(t, rc, "full", seq, 8, 1024); code != 0 || base != int64(seq) {
			t.Fatalf("produce after recovery: %v at %d, want %d", kerr.ErrorForCode(code), base, seq)
		}
	}
	checkPrefix(t, addr, "full", int64(seq+8))
	t.Logf("RESULT diskfull(vfs): %d records acked before the disk filled, 21 produces refused with KAFKA_STORAGE_ERROR, all %d readable while full, %d more acked after space returned, no restart",
		acked, acked, seq+8-acked)
}

// TestDiskFullTmpfs runs the real binary on a 16 MiB tmpfs filled with a
// ballast file: produces fail with KAFKA_STORAGE_ERROR, fetches work, and
// once the ballast is removed produces succeed again without a restart.
// It needs root and a kernel that lets the test mount; otherwise it skips
// (TestDiskFullInjected covers the same behaviour).
func TestDiskFullTmpfs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	dir := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("mount tmpfs not allowed here: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	b := newBroker(t, filepath.Join(dir, "data"), "log.index.size.max.bytes", "65536")
	b.start()
	b.createTopic("full", 1, "internal.segment.bytes", "1048576")
	rc := dialRaw(t, b.addr)
	seq := 0
	for range 20 {
		if code, _ := produceRaw(t, rc, "full", seq, 8, 1024); code != 0 {
			t.Fatalf("produce before the disk fills: %v", kerr.ErrorForCode(code))
		}
		seq += 8
	}
	// Leave about 2 MiB free.
	var st statfs
	if err := statFS(dir, &st); err != nil {
		t.Fatal(err)
	}
	ballast := filepath.Join(dir, "ballast")
	if err := os.WriteFile(ballast, make([]byte, max(0, st.free-2<<20)), 0o644); err != nil {
		t.Fatalf("ballast: %v", err)
	}
	seq = fillUntilStorageError(t, rc, "full", seq, 2000)
	acked := seq
	checkPrefix(t, b.addr, "full", int64(acked))
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	for range 300 {
		code, base := produceRaw(t, rc, "full", seq, 8, 1024)
		if code != 0 || base != int64(seq) {
			t.Fatalf("produce after space returned: %v at %d, want success at %d\nbroker log:\n%s", kerr.ErrorForCode(code), base, seq, b.tail(2000))
		}
		seq += 8
	}
	checkPrefix(t, b.addr, "full", int64(seq))
	t.Logf("RESULT diskfull(tmpfs): %d records acked until ENOSPC, all readable while full, %d more acked after the ballast was removed, no restart",
		acked, seq-acked)
}

type statfs struct{ free int }

func statFS(dir string, st *statfs) error {
	var s syscall.Statfs_t
	if err := syscall.Statfs(dir, &s); err != nil {
		return err
	}
	st.free = int(s.Bavail) * int(s.Bsize)
	return nil
}
