package reliability

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// batchAt is one batch found in a .log file.
type batchAt struct {
	pos, size  int64
	base, last int64
}

// scanLog walks the batch frames of a .log file as written (no checks
// beyond the frame lengths).
func scanLog(t *testing.T, data []byte) []batchAt {
	t.Helper()
	var out []batchAt
	for pos := int64(0); pos+61 <= int64(len(data)); {
		n := int64(int32(binary.BigEndian.Uint32(data[pos+8:])))
		if n < 49 || pos+12+n > int64(len(data)) {
			break
		}
		base := int64(binary.BigEndian.Uint64(data[pos:]))
		delta := int64(int32(binary.BigEndian.Uint32(data[pos+23:])))
		out = append(out, batchAt{pos: pos, size: 12 + n, base: base, last: base + delta})
		pos += 12 + n
	}
	return out
}

// checkedByte reports whether a byte at offset rel of a batch is one that
// recovery can tell was damaged: the length, the magic, the CRC and what
// the CRC covers. BaseOffset (0..7) and PartitionLeaderEpoch (12..15) lie
// outside the CRC in Kafka's format, so no broker can notice a flip there.
func checkedByte(rel int64) bool {
	return (rel >= 8 && rel < 12) || rel >= 16
}

const tornValue = "t%09d-" // then padding

func tornRecord(offset int64, pad int) *kgo.Record {
	v := fmt.Appendf(nil, tornValue, offset)
	v = append(v, strings.Repeat("x", pad)...)
	return &kgo.Record{Topic: "torn", Value: v}
}

// TestTornWrites damages the last segment of a partition while the broker
// is down after a kill -9: a truncation at a random byte, random byte flips
// in its tail, and random byte flips in its offset and time indexes. The
// broker must start, cut the log at the first damaged batch exactly, rebuild
// the indexes, serve every batch before the damage from any offset, log what
// it cut, and take new records. 6 rounds; 20 with STRATA_RELIABILITY_FULL=1.
func TestTornWrites(t *testing.T) {
	rounds := 6
	if full() {
		rounds = 20
	}
	dir := t.TempDir()
	b := newBroker(t, dir)
	b.start()
	b.createTopic("torn", 1, "internal.segment.bytes", "65536", "index.interval.bytes", "512")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	var next int64 // the next offset, which is also the next value
	var cuts []string
	for round := 1; round <= rounds; round++ {
		// Produce 60-300 batches of 1-8 records, so the last segment has a tail.
		cl := b.client(kgo.DefaultProduceTopic("torn"), kgo.ProducerLinger(0))
		for range 60 + rng.IntN(240) {
			recs := make([]*kgo.Record, 1+rng.IntN(8))
			for i := range recs {
				recs[i] = tornRecord(next+int64(i), rng.IntN(200))
			}
			// One ProduceSync of records to one partition is one batch.
			res := cl.ProduceSync(ctxFor(t, 30*time.Second), recs...)
			if err := res.FirstErr(); err != nil {
				t.Fatalf("round %d: produce at %d: %v", round, next, err)
			}
			if recs[0].Offset != next {
				t.Fatalf("round %d: batch landed at %d, want %d", round, recs[0].Offset, next)
			}
			next += int64(len(recs))
		}
		cl.Close()
		b.kill()

		pdir := filepath.Join(dir, "torn-0")
		logs, _ := filepath.Glob(filepath.Join(pdir, "*.log"))
		slices.Sort(logs)
		if len(logs) == 0 {
			t.Fatalf("round %d: no segment in %s", round, pdir)
		}
		last := logs[len(logs)-1]
		data, err := os.ReadFile(last)
		if err != nil {
			t.Fatal(err)
		}
		batches := scanLog(t, data)
		if len(batches) == 0 || batches[len(batches)-1].last != next-1 {
			t.Fatalf("round %d: %s does not end at offset %d: %v", round, last, next-1, batches)
		}
		// The file may run on past the last batch (a preallocated tail of
		// zeros). Damage from a random point in the second half of the
		// batches: flip 1-3 checked bytes after it and (2 rounds in 3)
		// truncate after it.
		end := batches[len(batches)-1].pos + batches[len(batches)-1].size
		from := end/2 + rng.Int64N(end/2)
		cut := int64(len(data))
		var flips []int64
		if round%3 != 0 {
			cut = from + rng.Int64N(end-from)
		}
		for range 1 + rng.IntN(3) {
			p := from + rng.Int64N(end-from)
			for _, bt := range batches {
				if p >= bt.pos && p < bt.pos+bt.size && checkedByte(p-bt.pos) && p < cut {
					flips = append(flips, p)
				}
			}
		}
		for _, p := range flips {
			data[p] ^= byte(1 + rng.IntN(255))
		}
		if err := os.WriteFile(last, data[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		// The expected log end: the base of the first batch the damage touched.
		want, validEnd := next, end
		for _, bt := range batches {
			touched := bt.pos+bt.size > cut
			for _, p := range flips {
				touched = touched || (p >= bt.pos && p < bt.pos+bt.size)
			}
			if touched {
				want, validEnd = bt.base, bt.pos
				break
			}
		}
		// Flip bytes in the indexes' entries and anywhere in them.
		for _, ext := range []string{".index", ".timeindex"} {
			name := strings.TrimSuffix(last, ".log") + ext
			idx, err := os.ReadFile(name)
			if err != nil || len(idx) == 0 {
				continue // an index not yet written is rebuilt anyway
			}
			for range 3 {
				p := rng.IntN(min(len(idx), 256))
				idx[p] ^= byte(1 + rng.IntN(255))
			}
			idx[rng.IntN(len(idx))] ^= 0xff
			if err := os.WriteFile(name, idx, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		logBefore := len(b.logText())
		b.start()
		lost := next - want
		cuts = append(cuts, fmt.Sprintf("round %d: segment %s: %d of %d batch bytes kept, %d flips, %d records after the damage dropped, restart %v",
			round, filepath.Base(last), min(cut, end), end, len(flips), lost, b.startup))
		t.Log(cuts[len(cuts)-1])
		next = want

		adm := b.client()
		if end := endOffsets(t, adm, "torn")[0]; end != want {
			t.Fatalf("round %d: log end %d after recovery, want %d (damage at byte %d, flips %v)\nbroker log:\n%s",
				round, end, want, cut, flips, b.tail(3000))
		}
		// Bytes past the last intact batch must be cut and logged; a
		// truncation exactly at a batch boundary leaves nothing to cut.
		if logged := b.logText()[logBefore:]; validEnd < min(cut, int64(len(data))) && !strings.Contains(logged, "recovery cut the log") {
			t.Errorf("round %d: the broker did not log the cut:\n%s", round, logged)
		}
		recs := readAll(t, b, "torn", 0, next)
		for i, r := range recs {
			if r.Offset != int64(i) || !strings.HasPrefix(string(r.Value), fmt.Sprintf(tornValue, i)) {
				t.Fatalf("round %d: record %d: offset %d value %.20q", round, i, r.Offset, r.Value)
			}
		}
		// Reads that start inside the damaged segment use its rebuilt index.
		for range 5 {
			o := batches[0].base + rng.Int64N(max(1, next-batches[0].base))
			if o >= next {
				continue
			}
			c := b.client(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{"torn": {0: kgo.NewOffset().At(o)}}))
			fs := c.PollFetches(ctxFor(t, 30*time.Second))
			got := fs.Records()
			if len(got) == 0 || got[0].Offset != o || !strings.HasPrefix(string(got[0].Value), fmt.Sprintf(tornValue, o)) {
				t.Fatalf("round %d: fetch at %d: %d records, first %v, errors %v", round, o, len(got), first(got), fs.Errors())
			}
			c.Close()
		}
	}
	t.Logf("RESULT torn: %d rounds, every batch before the damage served, log end exact\n%s", rounds, strings.Join(cuts, "\n"))
}

func first(rs []*kgo.Record) string {
	if len(rs) == 0 {
		return "none"
	}
	return fmt.Sprintf("offset %d value %.20q", rs[0].Offset, rs[0].Value)
}
