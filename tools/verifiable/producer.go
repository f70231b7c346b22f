package verifiable

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stratabroker/strata/tools/cli"
)

const producerUsage = `Usage: strata verifiable-producer --topic T [flags]

Produces increasing integers to the topic and prints JSON metadata to stdout
on each send, making externally visible which messages have been acked and
which have not (kafka-verifiable-producer.sh, for Kafka's system tests).
One JSON object a line: startup_complete, producer_send_success or
producer_send_error per message, shutdown_complete and tool_data at the end
(after --max-messages, or on SIGINT/SIGTERM).

Flags:
  --topic TOPIC                 produce messages to this topic (required)
  --bootstrap-server S          the broker(s) (default localhost:9092)
  --max-messages N              produce this many messages; -1 (default): until killed
  --throughput N                if >= 0, at most about N messages/s (default -1)
  --acks ACKS                   acks required on each message: 0, 1 or -1 (default -1)
  --producer.config FILE        producer properties (or --command-config); they win
                                over the flags, as Kafka's tool loads them last
  --message-create-time MS      send messages with creation times starting here,
                                in ms since the epoch (default -1: the producer's clock)
  --value-prefix N              each value is N.<integer>
  --repeating-keys N            keys count 0 to N-1, then start at 0 again
                                (default: no key)
`

// int32Flag is a Java Integer argument: unset (nil) or an int32.
func int32Flag(f *cli.Flags, name string, s string) (*int32, error) {
	if !f.IsSet(name) {
		return nil, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
	if err != nil {
		return nil, fmt.Errorf("argument --%s: could not convert '%s' to Integer", name, s)
	}
	v := int32(n)
	return &v, nil
}

// producerArgs is the command line of verifiable-producer, checked.
type producerArgs struct {
	topic         string
	maxMessages   int64 // < 0: no limit
	throughput    int64
	createTime    int64 // < 0: not set
	valuePrefix   *int32
	repeatingKeys *int32
}

func runProducer(args []string, e *cli.Env) int {
	const cmd = "verifiable-producer"
	f := cli.NewFlags(cmd, producerUsage)
	bootstrap := f.Bootstrap()
	topic := f.String("topic", "", "")
	maxMessages := f.String("max-messages", "-1", "")
	throughput := f.String("throughput", "-1", "")
	acks := f.String("acks", "-1", "")
	client := f.ClientConfig([]string{"producer.config", "command-config"}, nil)
	createTime := f.Int64("message-create-time", -1, "")
	valuePrefix := f.String("value-prefix", "", "")
	repeatingKeys := f.String("repeating-keys", "", "")
	if ok, code := f.Parse(args, e); !ok {
		return code
	}
	if *topic == "" {
		return f.UsageError(e, "--topic is required")
	}
	pa := producerArgs{topic: *topic, createTime: *createTime}
	for _, n := range []struct {
		name string
		s    string
		dst  *int64
	}{{"max-messages", *maxMessages, &pa.maxMessages}, {"throughput", *throughput, &pa.throughput}} {
		v, err := strconv.ParseInt(strings.TrimSpace(n.s), 10, 32)
		if err != nil {
			return f.UsageError(e, "argument --%s: could not convert '%s' to Integer", n.name, n.s)
		}
		*n.dst = v
	}
	switch *acks {
	case "0", "1", "-1":
	default:
		return f.UsageError(e, "argument --acks: invalid choice: '%s' (choose from 0, 1, -1)", *acks)
	}
	var err error
	if pa.valuePrefix, err = int32Flag(f, "value-prefix", *valuePrefix); err != nil {
		return f.UsageError(e, "%v", err)
	}
	if pa.repeatingKeys, err = int32Flag(f, "repeating-keys", *repeatingKeys); err != nil {
		return f.UsageError(e, "%v", err)
	}

	// As createFromArgs: acks and no retries first, then the file over them.
	props := map[string]string{"bootstrap.servers": *bootstrap, "acks": *acks, "retries": "0"}
	fileProps, err := client.Load(f)
	if err != nil {
		return f.UsageError(e, "%v", err)
	}
	for k, v := range fileProps {
		props[k] = v
	}
	retries, err := strconv.ParseInt(strings.TrimSpace(props["retries"]), 10, 32)
	if err != nil || retries < 0 {
		return f.UsageError(e, "invalid value %q for producer property retries", props["retries"])
	}
	delete(props, "retries")
	// The Java producer turns idempotence off when retries=0 was set and
	// enable.idempotence was not; asking for both is a config error.
	if idem, ok := props["enable.idempotence"]; !ok && retries == 0 {
		props["enable.idempotence"] = "false"
	} else if strings.EqualFold(strings.TrimSpace(idem), "true") {
		switch acks := strings.TrimSpace(props["acks"]); {
		case retries == 0:
			return f.UsageError(e, "Must set retries to non-zero when using the idempotent producer.")
		case acks != "all" && acks != "-1":
			return f.UsageError(e, "Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.")
		}
	}
	bs := props["bootstrap.servers"]
	pc, err := cli.ProducerOpts(props)
	if err != nil {
		return f.UsageError(e, "%v", err)
	}
	cli.WarnUnused(e, cmd, "producer", pc.Ignored)

	opts := []kgo.Opt{kgo.ClientID("producer-1")}
	if pa.createTime < 0 {
		// delivery.timeout.ms's default. kgo times a record from its
		// timestamp, so with --message-create-time (times of the user's
		// choosing, maybe long past) records have no timeout but the
		// retries, as none are made.
		opts = append(opts, kgo.RecordDeliveryTimeout(120*time.Second))
	}
	opts = append(opts, pc.Opts...)
	opts = append(opts, kgo.DefaultProduceTopic(pa.topic), kgo.AllowAutoTopicCreation(), kgo.RecordRetries(int(retries)))

	ctx, cancel := e.Context()
	defer cancel()
	cl, err := cli.Connect(ctx, e, bs, opts...)
	if err != nil {
		return cli.Fail(e, cmd, err)
	}
	p := &printer{w: e.Stdout, now: e.Now}
	produce(ctx, e, cl, pc, p, pa)
	return cli.ExitOK
}

// produce runs VerifiableProducer: startup_complete, one send a message
// until the limit or ctx's end, then (as its shutdown hook) a flush,
// shutdown_complete and tool_data.
func produce(ctx context.Context, e *cli.Env, cl *kgo.Client, pc cli.ProducerConf, p *printer, pa producerArgs) {
	var (
		mu    sync.Mutex
		acked int64
		sent  int64
	)
	startMs := e.Now().UnixMilli()
	createTime := pa.createTime
	keyCounter := int32(0)
	thr := newThrottler(float64(pa.throughput), time.Now())
	p.print(p.event("startup_complete"))

	limit := pa.maxMessages
	if limit < 0 {
		limit = math.MaxInt64
	}
	for i := int64(0); i < limit && ctx.Err() == nil; i++ {
		sendStart := time.Now()
		var key *string
		if pa.repeatingKeys != nil {
			k := strconv.Itoa(int(keyCounter))
			key = &k
			if keyCounter++; keyCounter == *pa.repeatingKeys {
				keyCounter = 0
			}
		}
		value := strconv.FormatInt(i, 10)
		if pa.valuePrefix != nil {
			value = strconv.Itoa(int(*pa.valuePrefix)) + "." + value
		}
		rec := &kgo.Record{Value: []byte(value)}
		if key != nil {
			rec.Key = []byte(*key)
		}
		if createTime >= 0 {
			rec.Timestamp = time.UnixMilli(createTime)
			createTime += e.Now().UnixMilli() - startMs // as Kafka's tool: the offset accumulates
		}
		sent++
		failed := func(err error, class, msg string) {
			if class == "" {
				class, msg = javaException(err)
			}
			p.print(p.event("producer_send_error").str("topic", pa.topic).nstr("key", key).str("value", value).str("exception", class).str("message", msg))
		}
		if err := pc.CheckSize(rec); err != nil { // refused by the client, as KafkaProducer.doSend does
			failed(err, "class org.apache.kafka.common.errors.RecordTooLargeException", err.Error())
		} else {
			// Not ctx: a signal stops sending, and what was sent is flushed.
			cl.Produce(context.Background(), rec, func(r *kgo.Record, err error) {
				if err != nil {
					failed(err, "", "")
					return
				}
				mu.Lock()
				acked++
				mu.Unlock()
				p.print(p.event("producer_send_success").nstr("key", key).str("value", value).str("topic", r.Topic).num("partition", int64(r.Partition)).num("offset", r.Offset))
			})
		}
		if thr.shouldThrottle(i, sendStart) {
			thr.throttle(ctx)
		}
	}

	// The shutdown hook: close (flushing everything sent), then the summary.
	cl.Flush(context.Background()) //nolint:errcheck // every record's callback reports its own outcome
	cl.Close()
	p.print(p.event("shutdown_complete"))
	stopMs := e.Now().UnixMilli()
	mu.Lock()
	n := acked
	mu.Unlock()
	avg := 1000 * (float64(n) / float64(stopMs-startMs))
	p.print(p.event("tool_data").num("sent", sent).num("acked", n).num("target_throughput", pa.throughput).double("avg_throughput", avg))
}
