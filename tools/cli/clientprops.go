package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/stratabroker/strata/internal/props"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func ParseMillis(k, v string) (time.Duration, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid value %q for property %s", v, k)
	}
	return time.Duration(n) * time.Millisecond, nil
}

func ParseInt32Prop(k, v string, least int64) (int32, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
	if err != nil || n < least {
		return 0, fmt.Errorf("invalid value %q for property %s", v, k)
	}
	return int32(n), nil
}

// SortedKeys returns the keys of m in order, so warnings come out stable.
func SortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// AdminOpts maps Java Admin client properties (--command-config) to kgo
// options; request.timeout.ms and default.api.timeout.ms bound each
// operation (env.OpTimeout). Properties with no equivalent are returned as
// ignored.
func AdminOpts(e *Env, props map[string]string) (opts []kgo.Opt, ignored []string, err error) {
	if opts, err = SecurityOpts(props); err != nil {
		return nil, nil, err
	}
	for _, k := range SortedKeys(props) {
		v := props[k]
		if securityKey(k) {
			continue // SecurityOpts
		}
		switch k {
		case "bootstrap.servers":
		case "client.id":
			opts = append(opts, kgo.ClientID(v))
		case "request.timeout.ms", "default.api.timeout.ms":
			d, err := ParseMillis(k, v)
			if err != nil {
				return nil, nil, err
			}
			if d > 0 {
				e.OpTimeout = d
			}
		default:
			ignored = append(ignored, k)
		}
	}
	return opts, ignored, nil
}

// ConsumerConf is what a tool takes from Java consumer properties.
type ConsumerConf struct {
	Opts []kgo.Opt
	// ignored: properties kgo has no equivalent for.
	Ignored []string
	// reset is auto.offset.reset: where to start without a committed
	// offset and where to go after OFFSET_OUT_OF_RANGE ("" if not set).
	Reset string
	// autoCommit is enable.auto.commit (true if not set).
	AutoCommit bool
}

// ConsumerOpts maps Java consumer properties to kgo options. group.id and
// isolation.level are left to the caller, which merges them with flags.
func ConsumerOpts(props map[string]string) (ConsumerConf, error) {
	c := ConsumerConf{AutoCommit: true}
	sec, err := SecurityOpts(props)
	if err != nil {
		return c, err
	}
	c.Opts = append(c.Opts, sec...)
	for _, k := range SortedKeys(props) {
		v := props[k]
		if securityKey(k) {
			continue // SecurityOpts
		}
		switch k {
		case "bootstrap.servers", "group.id", "isolation.level", "key.deserializer", "value.deserializer":
		case "auto.offset.reset":
			switch v {
			case "earliest", "latest", "none":
				c.Reset = v
			default:
				return c, fmt.Errorf("invalid value %q for consumer property auto.offset.reset: want earliest, latest or none", v)
			}
		case "enable.auto.commit":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return c, fmt.Errorf("invalid value %q for consumer property %s", v, k)
			}
			c.AutoCommit = b
		case "client.id":
			c.Opts = append(c.Opts, kgo.ClientID(v))
		case "client.rack":
			c.Opts = append(c.Opts, kgo.Rack(v))
		case "fetch.max.bytes", "max.partition.fetch.bytes", "fetch.min.bytes":
			n, err := ParseInt32Prop(k, v, 1)
			if err != nil {
				return c, err
			}
			switch k {
			case "fetch.max.bytes":
				c.Opts = append(c.Opts, kgo.FetchMaxBytes(n))
			case "max.partition.fetch.bytes":
				c.Opts = append(c.Opts, kgo.FetchMaxPartitionBytes(n))
			default:
				c.Opts = append(c.Opts, kgo.FetchMinBytes(n))
			}
		case "fetch.max.wait.ms", "session.timeout.ms", "heartbeat.interval.ms", "max.poll.interval.ms", "auto.commit.interval.ms":
			d, err := ParseMillis(k, v)
			if err != nil {
				return c, err
			}
			switch k {
			case "fetch.max.wait.ms":
				c.Opts = append(c.Opts, kgo.FetchMaxWait(d))
			case "session.timeout.ms":
				c.Opts = append(c.Opts, kgo.SessionTimeout(d))
			case "heartbeat.interval.ms":
				c.Opts = append(c.Opts, kgo.HeartbeatInterval(d))
			case "max.poll.interval.ms":
				c.Opts = append(c.Opts, kgo.RebalanceTimeout(d))
			default:
				c.Opts = append(c.Opts, kgo.AutoCommitInterval(d))
			}
		default:
			c.Ignored = append(c.Ignored, k)
		}
	}
	return c, nil
}

// defaultMaxRequestSize is the Java producer's max.request.size default.
const defaultMaxRequestSize = 1 << 20

// ProducerConf is what a tool takes from Java producer properties.
type ProducerConf struct {
	Opts []kgo.Opt
	// ignored: properties kgo has no equivalent for.
	Ignored []string
	// maxRequestSize is max.request.size: the largest record the client
	// sends (Kafka's size estimate, recordSizeUpperBound).
	MaxRequestSize int32
}

// ProducerOpts maps Java producer properties (acks, linger.ms,
// max.request.size, compression.type, ...) to kgo options. kgo has one
// limit on a batch, which also bounds a record: it is set to
// max.request.size, so kgo takes every record the Java producer would,
// and a record over it is refused by checkSize with the Java text.
// batch.size, the Java producer's target batch size that a larger record
// may exceed, has no kgo equivalent: it is returned as ignored.
func ProducerOpts(props map[string]string) (ProducerConf, error) {
	c := ProducerConf{MaxRequestSize: defaultMaxRequestSize}
	sec, err := SecurityOpts(props)
	if err != nil {
		return c, err
	}
	c.Opts = append(c.Opts, sec...)
	acks := "all"
	idempotent := true
	for _, k := range SortedKeys(props) {
		v := props[k]
		bad := func() error { return fmt.Errorf("invalid value %q for producer property %s", v, k) }
		if securityKey(k) {
			continue // SecurityOpts
		}
		switch k {
		case "bootstrap.servers", "key.serializer", "value.serializer":
		case "acks", "request.required.acks":
			switch v {
			case "all", "-1", "1", "0":
				acks = v
			default:
				return c, bad()
			}
		case "enable.idempotence":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return c, bad()
			}
			idempotent = b
		case "linger.ms":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return c, bad()
			}
			c.Opts = append(c.Opts, kgo.ProducerLinger(time.Duration(n)*time.Millisecond))
		case "max.request.size":
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
			if err != nil || n < 512 || n > 1<<30 {
				return c, fmt.Errorf("invalid value %q for producer property %s: want 512 to %d", v, k, 1<<30)
			}
			c.MaxRequestSize = int32(n)
		case "compression.type":
			cc, err := Codec(v)
			if err != nil {
				return c, err
			}
			c.Opts = append(c.Opts, kgo.ProducerBatchCompression(cc))
		case "client.id":
			c.Opts = append(c.Opts, kgo.ClientID(v))
		case "delivery.timeout.ms", "request.timeout.ms":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return c, bad()
			}
			d := time.Duration(n) * time.Millisecond
			switch k {
			case "delivery.timeout.ms":
				c.Opts = append(c.Opts, kgo.RecordDeliveryTimeout(d))
			case "request.timeout.ms":
				c.Opts = append(c.Opts, kgo.ProduceRequestTimeout(d))
			}
		default:
			c.Ignored = append(c.Ignored, k)
		}
	}
	c.Opts = append(c.Opts, kgo.ProducerBatchMaxBytes(c.MaxRequestSize))
	if c.MaxRequestSize > 100<<20 { // kgo's BrokerMaxWriteBytes default; a request holds at least one batch
		c.Opts = append(c.Opts, kgo.BrokerMaxWriteBytes(c.MaxRequestSize))
	}
	switch acks {
	case "all", "-1":
		c.Opts = append(c.Opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	case "1":
		c.Opts = append(c.Opts, kgo.RequiredAcks(kgo.LeaderAck()))
	case "0":
		c.Opts = append(c.Opts, kgo.RequiredAcks(kgo.NoAck()))
	}
	if !idempotent || (acks != "all" && acks != "-1") {
		c.Opts = append(c.Opts, kgo.DisableIdempotentWrite())
	}
	return c, nil
}

// errRecordTooLarge is the Java producer's RecordTooLargeException for a
// record over max.request.size: the client refuses it, the broker never
// sees it.
type errRecordTooLarge struct{ size, max int }

func (e errRecordTooLarge) Error() string {
	return fmt.Sprintf("The message is %d bytes when serialized which is larger than %d, which is the value of the max.request.size configuration.", e.size, e.max)
}

// CheckSize refuses r as KafkaProducer.doSend does when its size estimate
// is over max.request.size.
func (c ProducerConf) CheckSize(r *kgo.Record) error {
	if n := recordSizeUpperBound(r); n > int(c.MaxRequestSize) {
		return errRecordTooLarge{n, int(c.MaxRequestSize)}
	}
	return nil
}

// recordSizeUpperBound is Kafka's AbstractRecords.estimateSizeInBytesUpperBound
// for magic 2: a batch header (61 bytes), the most a record's fixed fields
// take (21), and the key, value and headers with their varint lengths.
func recordSizeUpperBound(r *kgo.Record) int {
	bytesField := func(b []byte, null bool) int {
		if null {
			return 1
		}
		return varintSize(int64(len(b))) + len(b)
	}
	n := 61 + 21 + bytesField(r.Key, r.Key == nil) + bytesField(r.Value, r.Value == nil) + varintSize(int64(len(r.Headers)))
	for _, h := range r.Headers {
		n += varintSize(int64(len(h.Key))) + len(h.Key) + bytesField(h.Value, h.Value == nil)
	}
	return n
}

// varintSize is the size of v as a zigzag varint.
func varintSize(v int64) int {
	u := uint64((v << 1) ^ (v >> 63))
	n := 1
	for u >= 0x80 {
		u >>= 7
		n++
	}
	return n
}

// Codec parses Kafka's compression.type names.
func Codec(name string) (kgo.CompressionCodec, error) {
	switch strings.ToLower(name) {
	case "none", "":
		return kgo.NoCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	}
	return kgo.NoCompression(), fmt.Errorf("unknown compression Codec %q: want none, gzip, snappy, lz4 or zstd", name)
}

// TopicPartitions asks the brokers for topic's partition count. With
// autoCreate the Metadata request asks the broker to create a missing topic
// (as the Java producer does, when the broker allows it), and waits a few
// seconds for the new topic's leaders. A topic that does not exist
// afterwards is ErrNotFound.
func TopicPartitions(ctx context.Context, cl *kgo.Client, topic string, autoCreate bool) (int32, error) {
	backoff := 50 * time.Millisecond
	deadline := time.Now().Add(5 * time.Second)
	for {
		req := kmsg.NewPtrMetadataRequest()
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(topic)
		req.Topics = append(req.Topics, rt)
		req.AllowAutoTopicCreation = autoCreate
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return 0, err
		}
		var terr error
		n := int32(0)
		for _, t := range resp.Topics {
			if t.Topic != nil && *t.Topic == topic {
				terr = kerr.ErrorForCode(t.ErrorCode)
				n = int32(len(t.Partitions))
			}
		}
		switch {
		case terr == nil && n > 0:
			return n, nil
		case terr == nil || errors.Is(terr, kerr.LeaderNotAvailable) || (autoCreate && errors.Is(terr, kerr.UnknownTopicOrPartition)):
			// being created
		default:
			if errors.Is(terr, kerr.UnknownTopicOrPartition) {
				return 0, fmt.Errorf("topic '%s' %w", topic, ErrNotFound)
			}
			return 0, fmt.Errorf("topic '%s': %s", topic, ErrText(terr))
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("topic '%s' %w (not created within 5s)", topic, ErrNotFound)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// LoadPropsFile reads a Java .properties file as java.util.Properties.load
// does (internal/props: comments, continuation lines, escapes).
// Later keys win.
func LoadPropsFile(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	entries, err := props.Parse(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m := make(map[string]string, len(entries))
	for _, p := range entries {
		m[p.Key] = p.Value
	}
	return m, nil
}
