package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// producerOpts maps Java producer properties (acks, linger.ms, batch.size,
// compression.type, ...) to kgo options. Properties kgo has no equivalent
// for are returned as ignored.
func producerOpts(props map[string]string) (opts []kgo.Opt, ignored []string, err error) {
	acks := "all"
	idempotent := true
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := props[k]
		bad := func() error { return fmt.Errorf("invalid value %q for producer property %s", v, k) }
		switch k {
		case "bootstrap.servers", "key.serializer", "value.serializer":
		case "acks", "request.required.acks":
			switch v {
			case "all", "-1", "1", "0":
				acks = v
			default:
				return nil, nil, bad()
			}
		case "enable.idempotence":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, nil, bad()
			}
			idempotent = b
		case "linger.ms":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return nil, nil, bad()
			}
			opts = append(opts, kgo.ProducerLinger(time.Duration(n)*time.Millisecond))
		case "batch.size":
			n, err := strconv.ParseInt(v, 10, 32)
			if err != nil || n < 1 {
				return nil, nil, bad()
			}
			opts = append(opts, kgo.ProducerBatchMaxBytes(int32(n)))
		case "compression.type":
			c, err := codec(v)
			if err != nil {
				return nil, nil, err
			}
			opts = append(opts, kgo.ProducerBatchCompression(c))
		case "client.id":
			opts = append(opts, kgo.ClientID(v))
		case "delivery.timeout.ms", "request.timeout.ms":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return nil, nil, bad()
			}
			d := time.Duration(n) * time.Millisecond
			switch k {
			case "delivery.timeout.ms":
				opts = append(opts, kgo.RecordDeliveryTimeout(d))
			case "request.timeout.ms":
				opts = append(opts, kgo.ProduceRequestTimeout(d))
			}
		default:
			ignored = append(ignored, k)
		}
	}
	switch acks {
	case "all", "-1":
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	case "1":
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()))
	case "0":
		opts = append(opts, kgo.RequiredAcks(kgo.NoAck()))
	}
	if !idempotent || (acks != "all" && acks != "-1") {
		opts = append(opts, kgo.DisableIdempotentWrite())
	}
	return opts, ignored, nil
}

// codec parses Kafka's compression.type names.
func codec(name string) (kgo.CompressionCodec, error) {
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
	return kgo.NoCompression(), fmt.Errorf("unknown compression codec %q: want none, gzip, snappy, lz4 or zstd", name)
}

// topicPartitions asks the brokers for topic's partition count. With
// autoCreate the Metadata request asks the broker to create a missing topic
// (as the Java producer does, when the broker allows it), and waits a few
// seconds for the new topic's leaders. A topic that does not exist
// afterwards is errNotFound.
func topicPartitions(ctx context.Context, cl *kgo.Client, topic string, autoCreate bool) (int32, error) {
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
				return 0, fmt.Errorf("topic '%s' %w", topic, errNotFound)
			}
			return 0, fmt.Errorf("topic '%s': %s", topic, errText(terr))
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("topic '%s' %w (not created within 5s)", topic, errNotFound)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}
