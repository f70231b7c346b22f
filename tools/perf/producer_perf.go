package perf

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stratabroker/strata/tools/cli"

	"github.com/twmb/franz-go/pkg/kgo"
)

const producerPerfUsage = `Usage: strata producer-perf-test --topic T --num-records N --record-size S --throughput R [flags]

Measures producer throughput and latency as kafka-producer-perf-test.sh does:
a line every 5 seconds, then the totals with latency percentiles. Payloads
are random uppercase letters, generated as Kafka's tool does.

Flags:
  --topic T                     the topic to produce to (required)
  --num-records N               how many records (required)
  --record-size S               bytes per record (this or --payload-file is required)
  --payload-file FILE           payloads to send, chosen at random for each record
  --payload-delimiter D         what separates payloads in the file (default \n)
  --throughput R                at most R records/s; -1: as fast as possible (required)
  --producer-props K=V ...      producer properties (or --command-property): bootstrap.servers
                                acks linger.ms max.request.size compression.type
                                enable.idempotence client.id delivery.timeout.ms
                                request.timeout.ms; others (batch.size among them) are
                                reported as not used
  --producer.config FILE        producer properties from a file (or --command-config)
  --bootstrap-server S          the broker(s) (default localhost:9092; bootstrap.servers wins)
  --json                        print the final result as one JSON object on stdout
                                (the periodic lines go to stderr)
  --reporting-interval MS       ms between periodic lines (default 5000)
  --transactional-id ID         produce in transactions with this transactional.id (wins over
                                the transactional.id property)
  --transaction-duration-ms MS  commit each transaction once MS have passed since it began
                                (default 3000 when transactions are on: with this flag,
                                --transactional-id or a transactional.id property; without
                                an id, performance-producer- and a random UUID)
`

func runProducerPerf(args []string, e *cli.Env) int {
	f := cli.NewFlags("producer-perf-test", producerPerfUsage)
	bootstrap := f.Bootstrap()
	topic := f.String("topic", "", "")
	numRecords := f.Int64("num-records", 0, "")
	recordSize := f.Int("record-size", 0, "")
	payloadFile := f.String("payload-file", "", "")
	payloadDelimiter := f.String("payload-delimiter", "\n", "")
	throughput := f.Float64("throughput", 0, "")
	client := f.ClientConfig([]string{"producer.config", "command-config"}, []string{"producer-props", "command-property"})
	asJSON := f.Bool("json", false, "")
	interval := f.Int64("reporting-interval", 5000, "")
	txnID := f.String("transactional-id", "", "")
	txnDuration := f.Int64("transaction-duration-ms", 0, "")
	if ok, code := f.Parse(args, e); !ok {
		return code
	}
	switch {
	case *topic == "":
		return f.UsageError(e, "--topic is required")
	case *numRecords <= 0:
		return f.UsageError(e, "--num-records should be greater than zero")
	case f.IsSet("record-size") == f.IsSet("payload-file"):
		return f.UsageError(e, "either --record-size or --payload-file must be specified but not both")
	case f.IsSet("record-size") && *recordSize <= 0:
		return f.UsageError(e, "--record-size should be greater than zero")
	case !f.IsSet("throughput"):
		return f.UsageError(e, "--throughput is required (-1 for no limit)")
	case *interval <= 0:
		return f.UsageError(e, "--reporting-interval must be positive")
	case f.IsSet("transaction-duration-ms") && *txnDuration <= 0:
		return f.UsageError(e, "--transaction-duration-ms should be greater than zero")
	}
	var payloads [][]byte
	if *payloadFile != "" {
		var err error
		if payloads, err = readPayloads(*payloadFile, *payloadDelimiter); err != nil {
			return f.UsageError(e, "--payload-file: %v", err)
		}
		fmt.Fprintf(e.Stderr, "Reading payloads from: %s\nNumber of messages read: %d\n", *payloadFile, len(payloads))
	}
	pp, err := client.Load(f)
	if err != nil {
		return f.UsageError(e, "%v", err)
	}
	if b, ok := pp["bootstrap.servers"]; ok {
		*bootstrap = b
	}
	if _, ok := pp["client.id"]; !ok {
		pp["client.id"] = "perf-producer-client"
	}
	txn, err := transactionConf(pp, *txnID, f.IsSet("transactional-id"), *txnDuration, f.IsSet("transaction-duration-ms"))
	if err != nil {
		return f.UsageError(e, "%v", err)
	}
	pc, err := cli.ProducerOpts(pp)
	if err != nil {
		return f.UsageError(e, "%v", err)
	}
	cli.WarnUnused(e, "producer-perf-test", "producer", pc.Ignored)
	opts := append(pc.Opts, txn.opts...)

	ctx, cancel := e.Context()
	defer cancel()
	opts = append(opts, kgo.DefaultProduceTopic(*topic), kgo.AllowAutoTopicCreation())
	cl, err := cli.Connect(ctx, e, *bootstrap, opts...)
	if err != nil {
		return cli.Fail(e, "producer-perf-test", err)
	}
	defer cl.Close()
	if _, err := cli.TopicPartitions(ctx, cl, *topic, true); err != nil {
		return cli.Fail(e, "producer-perf-test", err)
	}
	var periodic io.Writer = e.Stdout
	if *asJSON {
		periodic = e.Stderr
	}
	res, err := producePerf(ctx, e, cl, pc, *numRecords, *recordSize, payloads, *throughput, time.Duration(*interval)*time.Millisecond, periodic, txn.duration)
	if *asJSON {
		writeJSON(e.Stdout, res)
	} else {
		fmt.Fprintln(e.Stdout, res.kafkaLine())
	}
	if err != nil {
		return cli.Fail(e, "producer-perf-test", err)
	}
	return cli.ExitOK
}

// readPayloads splits a --payload-file at delim; as Java's split, trailing
// empty payloads are dropped.
func readPayloads(path, delim string) ([][]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if delim == "" {
		return nil, fmt.Errorf("empty --payload-delimiter")
	}
	parts := strings.Split(string(b), delim)
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("%s holds no payloads", path)
	}
	out := make([][]byte, len(parts))
	for i, p := range parts {
		out[i] = []byte(p)
	}
	return out, nil
}

// producePerf sends n records at up to rate records/s: random payloads of
// size bytes, or payloads chosen at random from the file's when given.
//
// With txnDuration > 0 the records go in transactions, as Kafka's
// ProducerPerformance sends them: one begins before a record when none is
// open, and is committed (after a flush) after the first record sent once
// txnDuration has passed since it began, and at the end.
func producePerf(ctx context.Context, e *cli.Env, cl *kgo.Client, pc cli.ProducerConf, n int64, size int, payloads [][]byte, rate float64, interval time.Duration, periodic io.Writer, txnDuration time.Duration) (perfResult, error) {
	stats := newPerfStats(n, interval, e.Now, periodic)
	random := newSplittableRandom(0)
	var (
		mu       sync.Mutex
		failed   int64
		firstErr error
	)
	start := e.Now()
	var (
		txnSize  int
		txnStart time.Time
	)
	commit := func() error {
		if err := cl.Flush(ctx); err != nil {
			return err
		}
		if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
			return fmt.Errorf("committing a transaction: %s", cli.ErrText(err))
		}
		txnSize = 0
		return nil
	}
	var txnErr error
	for i := int64(0); i < n && ctx.Err() == nil; i++ {
		if txnDuration > 0 && txnSize == 0 {
			if txnErr = cl.BeginTransaction(); txnErr != nil {
				break
			}
			txnStart = e.Now()
		}
		var payload []byte
		if payloads != nil {
			payload = payloads[random.nextIntn(int32(len(payloads)))]
		} else {
			payload = make([]byte, size)
			for j := range payload {
				payload[j] = byte(random.nextIntn(26) + 65)
			}
		}
		sent := e.Now()
		promise := func(r *kgo.Record, err error) {
			if err != nil {
				mu.Lock()
				failed++
				if firstErr == nil {
					firstErr = fmt.Errorf("sending a record: %s", cli.ErrText(err))
				}
				mu.Unlock()
				return
			}
			stats.record(int(e.Now().Sub(sent).Milliseconds()), len(r.Value))
		}
		rec := &kgo.Record{Value: payload}
		if err := pc.CheckSize(rec); err != nil { // refused by the client, as the Java producer does
			promise(rec, err)
			continue
		}
		cl.Produce(ctx, rec, promise)
		txnSize++
		if txnDuration > 0 && sent.Sub(txnStart) >= txnDuration {
			if txnErr = commit(); txnErr != nil {
				break
			}
		}
		if rate > 0 {
			// ThroughputThrottler: sleep once ahead of the target rate.
			ahead := time.Duration(float64(i+1)/rate*float64(time.Second)) - e.Now().Sub(start)
			if ahead > time.Millisecond {
				select {
				case <-time.After(ahead):
				case <-ctx.Done():
				}
			}
		}
	}
	if txnErr == nil && txnDuration > 0 && txnSize > 0 {
		txnErr = commit()
	}
	if err := cl.Flush(ctx); err != nil && firstErr == nil {
		firstErr = err
	}
	res := stats.total()
	mu.Lock()
	defer mu.Unlock()
	res.Failed = failed
	if txnErr != nil {
		return res, txnErr
	}
	if firstErr != nil {
		return res, fmt.Errorf("%d records failed; the first: %v", failed, firstErr)
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	return res, nil
}

// txnConf is producer-perf-test's transaction settings: the client options
// and the duration of each transaction (0: none).
type txnConf struct {
	opts     []kgo.Opt
	duration time.Duration
}

// defaultTxnDuration is ProducerPerformance.DEFAULT_TRANSACTION_DURATION_MS.
const defaultTxnDuration = 3000 * time.Millisecond

// transactionConf takes the transactional.id and transaction.timeout.ms
// properties out of props and decides, as ProducerPerformance's
// ConfigPostProcessor: transactions are on when --transaction-duration-ms
// or --transactional-id is given or props hold a transactional.id; the
// flag's ID wins over the property's, and without either the ID is
// performance-producer- and a random UUID.
func transactionConf(props map[string]string, id string, idSet bool, durMs int64, durSet bool) (txnConf, error) {
	var c txnConf
	propID, hasProp := props["transactional.id"]
	delete(props, "transactional.id")
	if v, ok := props["transaction.timeout.ms"]; ok {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n <= 0 {
			return c, fmt.Errorf("invalid value %q for producer property transaction.timeout.ms", v)
		}
		delete(props, "transaction.timeout.ms")
		c.opts = append(c.opts, kgo.TransactionTimeout(time.Duration(n)*time.Millisecond))
	}
	if !durSet && !idSet && !hasProp {
		c.opts = nil
		return c, nil
	}
	switch {
	case idSet:
	case hasProp:
		id = propID
	default:
		id = "performance-producer-" + randomUUID()
	}
	c.opts = append(c.opts, kgo.TransactionalID(id))
	c.duration = defaultTxnDuration
	if durSet {
		c.duration = time.Duration(durMs) * time.Millisecond
	}
	return c, nil
}

// randomUUID is a random UUID as Kafka's Uuid.randomUuid().toString()
// prints one: URL-safe base64 without padding.
func randomUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
