package server

// Produce: the records a broker must decompress.
//
// Kafka rebuilds a producer's batch in two cases (LogValidator): a legacy
// message set (Produce v0-v2, magic 0/1) is up-converted to a v2 batch,
// and a v2 batch whose codec differs from the topic's compression.type
// (gzip, snappy, lz4, zstd, uncompressed; producer, the default, keeps the
// producer's) is recompressed to it, at the topic's
// compression.<codec>.level (KIP-390). Both need the records uncompressed,
// and Kafka bounds that only by its heap: a gzip bomb of 1 MiB inflates to
// 1 GiB. Strata bounds it twice:
//
//   - per batch: the records may decompress to at most
//     maxDecompressFactor x max.message.bytes bytes (max.message.bytes
//     itself when a v2 batch is stored uncompressed, since Kafka would
//     refuse a larger result anyway), and never more than a third of the
//     broker-wide budget below. Past it the partition gets
//     MESSAGE_TOO_LARGE: Kafka's answer for a rebuilt batch over
//     max.message.bytes (UnifiedLog's RecordTooLargeException), and the one
//     on which the Java producer splits its batch and retries, which is the
//     remedy for a legitimate batch that compresses that well.
//     CORRUPT_MESSAGE would be wrong twice: the bytes are well-formed, and
//     the Java producer retries it unchanged forever.
//   - across the broker: the bytes being decompressed, re-encoded and
//     compressed are reserved from a budget
//     (strata.produce.decompression.memory.max.bytes, 64 MiB), a byteBudget
//     as the fetch memory budget (budget.go). A reservation is three times
//     the decompressed bytes it may produce (them, the records re-encoded
//     when they must be, the compressed output), or twice the records of an
//     uncompressed batch being compressed (the output, a re-encoding). A
//     request that cannot get it waits, until the request's TimeoutMillis
//     (at most maxBudgetWait) from the first wait, and then that partition
//     gets REQUEST_TIMED_OUT, which every client retries; other partitions
//     go on. Holders never wait for anything but the disk, so waiting
//     cannot deadlock. Once the batch is built the reservation shrinks to
//     the batch, and the rest is given back after the append.
//
// maxDecompressFactor is 16. Kafka's own bound is the heap, so any factor
// refuses something Kafka would take; 16 is above the compression ratios
// producers reach on real data with batch sizes bounded by compressed
// bytes (the Java producer's batch.size; kgo and librdkafka bound batches
// by their uncompressed size, under max.message.bytes), while a bomb costs
// at most 16 MiB of decompression at the default max.message.bytes. To
// keep the usual batch cheap, a compressed batch first reserves for
// 16 x its compressed size (at least 64 KiB) and only a batch that
// inflates past that reserves for the whole bound and decompresses again.

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/stratabroker/strata/config"
	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/topic"
)

const (
	// maxDecompressFactor bounds one batch's decompressed records at this
	// many times the topic's max.message.bytes.
	maxDecompressFactor = 16
	// firstGuessFactor sizes the first reservation for a compressed batch:
	// this many times its compressed size, and at least minGuess.
	firstGuessFactor = 16
	minGuess         = 64 << 10
	// maxBudgetWait caps how long a produce request waits for the
	// decompression budget, whatever its timeout.
	maxBudgetWait = 5 * time.Second
	// budgetSlack is added to every reservation for the codecs' framing.
	budgetSlack = 64 << 10
)

// topicTarget is the topic's compression.type, with the level of its codec.
func (s *Server) topicTarget(t *topic.Topic) recordbatch.Target {
	cfg := s.config()
	for _, name := range compressionConfigs {
		if _, ok := t.Configs[name]; ok {
			return compressionTarget(cfg, t.Configs)
		}
	}
	// Topics without an override share the broker's, resolved once per
	// configuration in force (a dynamic broker config replaces it).
	if c := s.target.Load(); c != nil && c.cfg == cfg {
		return c.t
	}
	c := &brokerTarget{cfg: cfg, t: compressionTarget(cfg, nil)}
	s.target.Store(c)
	return c.t
}

// brokerTarget is the broker's compression.type under one configuration.
type brokerTarget struct {
	cfg *config.Broker
	t   recordbatch.Target
}

// compressionConfigs are the topic configs compressionTarget reads.
var compressionConfigs = [...]string{"compression.type", "compression.gzip.level", "compression.lz4.level", "compression.zstd.level"}

// compressionTarget resolves compression.type and its codec's level for a
// topic with these overrides.
func compressionTarget(cfg *config.Broker, overrides map[string]string) recordbatch.Target {
	v, _, _ := cfg.TopicConfigValue("compression.type", overrides)
	var c recordbatch.Codec
	switch v {
	case "uncompressed":
		c = recordbatch.CodecNone
	case "gzip":
		c = recordbatch.CodecGzip
	case "snappy":
		c = recordbatch.CodecSnappy
	case "lz4":
		c = recordbatch.CodecLZ4
	case "zstd":
		c = recordbatch.CodecZstd
	default: // producer
		return recordbatch.Target{Producer: true}
	}
	level := recordbatch.DefaultLevel(c)
	if c == recordbatch.CodecGzip || c == recordbatch.CodecLZ4 || c == recordbatch.CodecZstd {
		if lv, _, ok := cfg.TopicConfigValue("compression."+c.String()+".level", overrides); ok {
			if n, err := strconv.Atoi(lv); err == nil {
				level = n
			}
		}
	}
	return recordbatch.Target{Codec: c, Level: level}
}

// budgetWait is one produce request's wait for the decompression budget:
// a deadline shared by its partitions, started at the first wait.
type budgetWait struct {
	timeout time.Duration
	timer   *time.Timer
	expired chan struct{}
}

func newBudgetWait(timeoutMillis int32) *budgetWait {
	return &budgetWait{timeout: min(time.Duration(max(timeoutMillis, 0))*time.Millisecond, maxBudgetWait)}
}

// channel is closed when the request's wait is over.
func (w *budgetWait) channel() <-chan struct{} {
	if w.expired == nil {
		w.expired = make(chan struct{})
		w.timer = time.AfterFunc(w.timeout, func() { close(w.expired) })
	}
	return w.expired
}

func (w *budgetWait) stop() {
	if w.timer != nil {
		w.timer.Stop()
	}
}

// reservation is bytes of the decompression budget a partition holds.
type reservation struct {
	s    *Server
	wait *budgetWait
	held int64
}

// take holds n bytes (clamped to the budget) in place of what r holds.
func (r *reservation) take(n int64) error {
	r.release()
	b := r.s.decompress
	got, ok := b.tryAcquire(n)
	if !ok {
		got, ok = b.acquire(n, r.wait.channel(), r.s.done)
	}
	if !ok {
		return kerrf(kerr.RequestTimedOut, "Timed out waiting for %d bytes of the broker's decompression memory (strata.produce.decompression.memory.max.bytes).", b.clamp(n))
	}
	r.held = got
	return nil
}

// shrink gives back what r holds beyond n bytes.
func (r *reservation) shrink(n int64) {
	if n < r.held {
		r.s.decompress.release(r.held - n)
		r.held = n
	}
}

func (r *reservation) release() {
	r.s.decompress.release(r.held)
	r.held = 0
}

// decompressLimit is the most one batch's records may decompress to on a
// topic with max.message.bytes maxBytes. stored says that the decompressed
// bytes are what will be stored (a v2 batch to an uncompressed topic): then
// max.message.bytes is the limit, as Kafka would refuse more. (A legacy
// set's messages take up to five times the bytes of the v2 records they
// become, so that shortcut does not hold for them.)
func (s *Server) decompressLimit(maxBytes int, stored bool) int {
	limit := s.decompress.max / 3
	if maxBytes > 0 {
		if stored {
			limit = min(limit, int64(maxBytes))
		} else {
			limit = min(limit, int64(maxBytes)*maxDecompressFactor)
		}
	}
	return int(max(limit, 1))
}

// inflate runs build, which decompresses at most its argument's bytes,
// within r: first at a guess from the compressed size, then, when the
// records inflate past the guess, at the limit. Records past the limit
// are MESSAGE_TOO_LARGE.
func (r *reservation) inflate(compressed, limit int, build func(max int) ([]byte, error)) ([]byte, error) {
	guess := min(limit, max(minGuess, firstGuessFactor*compressed))
	for {
		if err := r.take(3*int64(guess) + budgetSlack); err != nil {
			return nil, err
		}
		out, err := build(guess)
		switch {
		case err == nil:
			r.shrink(int64(cap(out)))
			return out, nil
		case !errors.Is(err, recordbatch.ErrMaxDecompress):
			return nil, err
		case guess < limit:
			guess = limit
		default:
			return nil, fmt.Errorf("%w: the records decompress to more than %d bytes (%d x max.message.bytes, or the broker's decompression memory)",
				recordbatch.ErrTooLarge, limit, maxDecompressFactor)
		}
	}
}

// upconvert turns a legacy message set into one v2 batch with the
// topic's codec, within r.
func (r *reservation) upconvert(set []byte, to recordbatch.Target, maxBytes int) ([]byte, error) {
	src := legacyCodec(set)
	codec, _ := to.For(src)
	if src == recordbatch.CodecNone {
		if codec != recordbatch.CodecNone {
			// Nothing to decompress; the set is compressed once built.
			if err := r.take(2*int64(len(set)) + budgetSlack); err != nil {
				return nil, err
			}
		}
		return recordbatch.UpconvertTo(set, to, len(set))
	}
	return r.inflate(len(set), r.s.decompressLimit(maxBytes, false), func(max int) ([]byte, error) {
		return recordbatch.UpconvertTo(set, to, max)
	})
}

// recompress returns a validated batch (as Validate checks it, against
// max.message.bytes too) with the topic's codec, within r: batch itself
// when the codec stays.
func (r *reservation) recompress(batch []byte, to recordbatch.Target, maxBytes int) ([]byte, error) {
	src := recordbatch.Header(batch).Codec()
	codec, level := to.For(src)
	if codec == src {
		return batch, nil
	}
	var out []byte
	if src == recordbatch.CodecNone {
		if err := r.take(2*int64(len(batch)) + budgetSlack); err != nil {
			return nil, err
		}
		var err error
		if out, err = recordbatch.Recompress(nil, batch, codec, level, len(batch)); err != nil {
			return nil, err
		}
		r.shrink(int64(cap(out)))
	} else {
		var err error
		out, err = r.inflate(len(batch), r.s.decompressLimit(maxBytes, codec == recordbatch.CodecNone), func(max int) ([]byte, error) {
			return recordbatch.Recompress(nil, batch, codec, level, max)
		})
		if err != nil {
			return nil, err
		}
	}
	// Kafka checks the rebuilt batch against max.message.bytes.
	return out, recordbatch.Validate(out, maxBytes)
}

// legacyCodec is the codec bits of the first message of a legacy set
// (CodecNone if it is too short to have them: Upconvert refuses it).
func legacyCodec(set []byte) recordbatch.Codec {
	const attrsAt = 8 + 4 + 4 + 1 // offset, size, CRC, magic
	if len(set) <= attrsAt {
		return recordbatch.CodecNone
	}
	return recordbatch.Codec(set[attrsAt] & recordbatch.AttrCodecMask)
}
