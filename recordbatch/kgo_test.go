package recordbatch

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

// The batches kgo writes are captured from its produce requests to an
// in-process kfake cluster: a control function sees each ProduceRequest
// with the record bytes exactly as the client encoded them (base offset 0,
// leader epoch -1). Fixed record timestamps make them reproducible, and
// -update stores them under testdata/ as golden files.

var kgoCodecs = map[Codec]kgo.CompressionCodec{
	CodecNone:   kgo.NoCompression(),
	CodecGzip:   kgo.GzipCompression(),
	CodecSnappy: kgo.SnappyCompression(),
	CodecLZ4:    kgo.Lz4Compression(),
	CodecZstd:   kgo.ZstdCompression(),
}

// produceCapture produces recs in one batch with a kgo client configured by
// opts and returns the record bytes of its produce request. With legacy
// set, the cluster answers the produce itself (kfake takes only v3+).
//
// A first, throwaway record makes the client learn the partition: records
// produced before that are moved into a batch one by one when the
// metadata arrives, and a flush can catch the batch with only the first.
func produceCapture(t *testing.T, recs []Record, legacy bool, opts ...kgo.Opt) []byte {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "t"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var armed atomic.Bool
	captured := make(chan []byte, 1)
	c.ControlKey(int16(kmsg.Produce), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		req := kreq.(*kmsg.ProduceRequest)
		if armed.Load() {
			select {
			case captured <- slices.Clone(req.Topics[0].Partitions[0].Records):
			default:
			}
		}
		if !legacy {
			return nil, nil, false // kfake stores the batch
		}
		c.KeepControl()
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic = rt.Topic
			for _, rp := range rt.Partitions {
				sp := kmsg.NewProduceResponseTopicPartition()
				sp.Partition = rp.Partition
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(c.ListenAddrs()...),
		kgo.DefaultProduceTopic("t"),
		kgo.ManualFlushing(), // every record in one batch
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	produce := func(recs []*kgo.Record) {
		errs := make(chan error, len(recs))
		for _, r := range recs {
			cl.Produce(ctx, r, func(_ *kgo.Record, err error) { errs <- err })
		}
		if err := cl.Flush(ctx); err != nil {
			t.Fatalf("flush: %v", err)
		}
		for range recs {
			if err := <-errs; err != nil {
				t.Fatalf("produce: %v", err)
			}
		}
	}
	produce([]*kgo.Record{{Value: []byte("warm-up")}})
	armed.Store(true)
	produce(toKgo(recs))
	select {
	case b := <-captured:
		return b
	default:
		t.Fatal("no produce request seen")
		return nil
	}
}

// kgoCase is one golden batch: how kgo was configured and what it wrote.
type kgoCase struct {
	name       string
	codec      Codec
	idempotent bool
	magic      int8 // 2, or 0/1 for a legacy message set
}

func (k kgoCase) file() string { return filepath.Join("testdata", "kgo", k.name+".bin") }

func (k kgoCase) opts() []kgo.Opt {
	opts := []kgo.Opt{kgo.ProducerBatchCompression(kgoCodecs[k.codec])}
	if !k.idempotent {
		opts = append(opts, kgo.DisableIdempotentWrite())
	}
	switch k.magic {
	case 0: // Produce v1, no ApiVersions
		opts = append(opts, kgo.MaxVersions(kversion.V0_9_0()))
	case 1: // Produce v2; kfake's ApiVersions would advertise produce 3+ only
		v := kversion.V0_10_1()
		v.SetMaxKeyVersion(int16(kmsg.ApiVersions), -1)
		opts = append(opts, kgo.MaxVersions(v))
	}
	return opts
}

func kgoCases() []kgoCase {
	var cases []kgoCase
	for _, c := range allCodecs {
		cases = append(cases, kgoCase{name: "v2-" + c.String(), codec: c, magic: 2})
	}
	cases = append(cases,
		kgoCase{name: "v2-none-idempotent", codec: CodecNone, idempotent: true, magic: 2},
		kgoCase{name: "v2-zstd-idempotent", codec: CodecZstd, idempotent: true, magic: 2},
	)
	for _, magic := range []int8{0, 1} {
		for _, c := range allCodecs[:4] { // no zstd before magic 2
			cases = append(cases, kgoCase{name: fmt.Sprintf("v%d-%s", magic, c), codec: c, magic: magic})
		}
	}
	return cases
}

// expected is what the batch must decode to. A legacy set has no headers,
// and magic 0 no timestamps; upconverted, its records get -1.
func (k kgoCase) expected() []Record {
	recs := sampleRecords()
	if k.magic == 2 {
		return recs
	}
	recs = withoutHeaders(recs)
	if k.magic == 0 {
		for i := range recs {
			recs[i].Timestamp = -1
		}
	}
	return recs
}

// TestKgoLive produces the sample records with a real kgo client for every
// codec and format, and checks our reading of each batch against kmsg,
// kgo and the records produced; for v2 without compression, our Builder
// must write the same bytes. With -update it rewrites the golden files.
func TestKgoLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts kfake clusters")
	}
	for _, k := range kgoCases() {
		t.Run(k.name, func(t *testing.T) {
			got := produceCapture(t, sampleRecords(), k.magic < 2, k.opts()...)
			checkKgoBatch(t, k, got)
			if *update {
				if err := os.MkdirAll(filepath.Dir(k.file()), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(k.file(), got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if k.codec == CodecNone {
				golden, err := os.ReadFile(k.file())
				if err != nil {
					t.Fatal(err)
				}
				if k.idempotent {
					// The producer ID is kfake's to choose: compare the rest.
					copy(golden[OffProducerID:OffProducerID+8], got[OffProducerID:])
					Header(golden).UpdateCRC()
				}
				if !bytes.Equal(got, golden) {
					t.Errorf("kgo wrote different bytes than %s; regenerate with -update", k.file())
				}
			}
		})
	}
}

// TestKgoGolden checks the committed kgo batches without a cluster.
func TestKgoGolden(t *testing.T) {
	for _, k := range kgoCases() {
		t.Run(k.name, func(t *testing.T) {
			b, err := os.ReadFile(k.file())
			if err != nil {
				t.Fatalf("%v (generate with go test -run TestKgoLive -update)", err)
			}
			checkKgoBatch(t, k, b)
		})
	}
}

func checkKgoBatch(t *testing.T, k kgoCase, b []byte) {
	t.Helper()
	want := k.expected()
	if k.magic < 2 {
		if b[OffMagic] != byte(k.magic) {
			t.Fatalf("magic %d, want %d", b[OffMagic], k.magic)
		}
		if c := Codec(b[17] & AttrCodecMask); c != k.codec {
			t.Fatalf("kgo wrote codec %s, want %s", c, k.codec)
		}
		// kgo reads the set as a consumer would: same keys and values.
		fp := kgoFetch(b)
		if fp.Err != nil {
			t.Fatalf("kgo: %v", fp.Err)
		}
		fromKgo := kgoRecords(fp)
		for i := range fromKgo {
			fromKgo[i].Offset = int64(i)
			fromKgo[i].Timestamp = want[i].Timestamp // kgo reports no timestamp for magic 0
		}
		if d := diffRecords(fromKgo, want); d != "" {
			t.Fatalf("kgo: %s", d)
		}
		up, err := Upconvert(b, 1<<20)
		if err != nil {
			t.Fatalf("Upconvert: %v", err)
		}
		b = up
	}
	if err := Validate(b, 0); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	h := Header(b)
	if h.Codec() != k.codec {
		t.Fatalf("codec %s, want %s", h.Codec(), k.codec)
	}
	got, err := iterate(b, 1<<20)
	wantRecords(t, got, err, want)
	fromKmsg, err := kmsgRecords(b)
	wantRecords(t, fromKmsg, err, want)
	if k.magic == 2 && k.codec == CodecNone {
		// kgo's header fields: leader epoch -1, sequence 0 without a producer ID.
		bl := Builder{PartitionLeaderEpoch: -1, ProducerID: h.ProducerID(), ProducerEpoch: h.ProducerEpoch(), BaseSequence: h.BaseSequence()}
		if !k.idempotent && (h.ProducerID() != -1 || h.ProducerEpoch() != -1 || h.BaseSequence() != 0) {
			t.Fatalf("kgo without idempotence wrote producer %d/%d/%d", h.ProducerID(), h.ProducerEpoch(), h.BaseSequence())
		}
		if ours := build(t, bl, sampleRecords()); !bytes.Equal(ours, b) {
			t.Fatalf("Builder differs from kgo at byte %d:\n ours %x\n kgo  %x", firstDiff(ours, b), ours, b)
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestBuilderReadByKgo checks that kmsg and kgo's consumer decode what our
// Builder writes, for every codec, to the records added.
func TestBuilderReadByKgo(t *testing.T) {
	forEachCodec(t, func(t *testing.T, c Codec) {
		bl := *NewBuilder()
		bl.Codec = c
		bl.ProducerID, bl.ProducerEpoch, bl.BaseSequence = 7, 1, 0
		b := build(t, bl, sampleRecords())
		fromKmsg, err := kmsgRecords(b)
		wantRecords(t, fromKmsg, err, sampleRecords())
		fp := kgoFetch(b)
		if fp.Err != nil {
			t.Fatalf("kgo: %v", fp.Err)
		}
		if d := diffRecords(kgoRecords(fp), sampleRecords()); d != "" {
			t.Fatalf("kgo: %s", d)
		}
		for _, r := range fp.Records {
			if r.ProducerID != 7 || r.ProducerEpoch != 1 || int(r.Attrs.CompressionType()) != int(c) {
				t.Fatalf("kgo record: producer %d/%d, codec %d", r.ProducerID, r.ProducerEpoch, r.Attrs.CompressionType())
			}
		}
	})
}
