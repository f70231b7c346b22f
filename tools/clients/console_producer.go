package clients

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/stratabroker/strata/tools/cli"

	"github.com/twmb/franz-go/pkg/kgo"
)

const consoleProducerUsage = `Usage: strata console-producer --topic T [flags]

Reads lines from standard input and produces one record per line, as
kafka-console-producer.sh does. Ends at the end of input (or on SIGINT).

Flags:
  --bootstrap-server S        the broker(s) to connect to (default localhost:9092)
  --topic T                   the topic to produce to (required)
  --reader-property K=V       line parsing (repeatable, or several after one flag;
                              --property is the older name):
                                parse.key=true key.separator=<tab>  key before the separator
                                parse.headers=true headers.delimiter=<tab> headers.separator=,
                                headers.key.separator=:             h1:v1,h2:v2<tab>key<tab>value
                                null.marker=S                       key/value/header value S is null
                                ignore.error=true                   a line without the key separator
                                                                    is all value instead of an error
  --compression-codec C       none (default), gzip, snappy, lz4 or zstd (wins over
                              compression.type)
  --request-required-acks A   -1/all (default), 1 or 0 (wins over acks)
  --command-property K=V      a Java producer property (repeatable; --producer-property is
                              the older name): acks, linger.ms, max.request.size (default
                              1048576: a larger record is refused by the client),
                              compression.type, enable.idempotence, client.id,
                              delivery.timeout.ms, request.timeout.ms; others are reported
                              as not used (batch.size among them: kgo has one batch limit,
                              max.request.size)
  --command-config FILE       Java producer properties from a file; --command-property wins
                              (--producer.config is the older name)
  --sync                      wait for each record's acknowledgement before the next
`

// lineReader is Kafka's LineMessageReader: it turns a line into a record.
type lineReader struct {
	parseKey, parseHeaders, ignoreError bool
	keySep, headersDelim, headersSep    string
	headerKeySep, nullMarker            string
	hasNullMarker                       bool
}

func newLineReader(p map[string]string) (*lineReader, error) {
	r := &lineReader{keySep: "\t", headersDelim: "\t", headersSep: ",", headerKeySep: ":"}
	for k, v := range p {
		switch k {
		case "parse.key":
			r.parseKey = strings.EqualFold(strings.TrimSpace(v), "true")
		case "parse.headers":
			r.parseHeaders = strings.EqualFold(strings.TrimSpace(v), "true")
		case "ignore.error":
			r.ignoreError = strings.EqualFold(strings.TrimSpace(v), "true")
		case "key.separator":
			r.keySep = v
		case "headers.delimiter":
			r.headersDelim = v
		case "headers.separator":
			r.headersSep = v
		case "headers.key.separator":
			r.headerKeySep = v
		case "null.marker":
			r.nullMarker, r.hasNullMarker = v, true
		default:
			return nil, fmt.Errorf("unknown --property %s", k)
		}
	}
	if r.keySep == "" || r.headersDelim == "" || r.headersSep == "" || r.headerKeySep == "" {
		return nil, errors.New("separators must not be empty")
	}
	return r, nil
}

func (r *lineReader) bytes(s string) []byte {
	if r.hasNullMarker && s == r.nullMarker {
		return nil
	}
	return []byte(s)
}

// record parses line number n (1-based) into rec.
func (r *lineReader) record(line string, n int, rec *kgo.Record) error {
	rest := line
	if r.parseHeaders {
		hs, after, ok := strings.Cut(rest, r.headersDelim)
		if !ok {
			if !r.ignoreError {
				return fmt.Errorf("no headers delimiter found on line number %d: '%s'", n, line)
			}
			after = rest
			hs = ""
		}
		rest = after
		if hs != "" {
			for _, h := range strings.Split(hs, r.headersSep) {
				k, v, ok := strings.Cut(h, r.headerKeySep)
				if !ok {
					if !r.ignoreError {
						return fmt.Errorf("no header key separator found in pair '%s' on line number %d", h, n)
					}
					k, v = h, ""
				}
				rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: k, Value: r.bytes(v)})
			}
		}
	}
	if r.parseKey {
		k, v, ok := strings.Cut(rest, r.keySep)
		if !ok {
			if !r.ignoreError {
				return fmt.Errorf("no key separator found on line number %d: '%s'", n, line)
			}
			rec.Value = r.bytes(rest)
			return nil
		}
		rec.Key, rec.Value = r.bytes(k), r.bytes(v)
		return nil
	}
	rec.Value = r.bytes(rest)
	return nil
}

func runConsoleProducer(args []string, e *cli.Env) int {
	f := cli.NewFlags("console-producer", consoleProducerUsage)
	bootstrap := f.Bootstrap()
	brokerList := f.String("broker-list", "", "")
	topic := f.String("topic", "", "")
	props := f.MultiValue("property", "")
	readerProps := f.MultiValue("reader-property", "")
	codecName := f.String("compression-codec", "none", "")
	acks := f.String("request-required-acks", "-1", "")
	client := f.ClientConfig([]string{"producer.config", "command-config"}, []string{"producer-property", "command-property"})
	syncMode := f.Bool("sync", false, "")
	if ok, code := f.Parse(args, e); !ok {
		return code
	}
	if *topic == "" {
		return f.UsageError(e, "--topic is required")
	}
	if *brokerList != "" && !f.IsSet("bootstrap-server") {
		*bootstrap = *brokerList
	}
	rp, err := cli.ParseProps(append(append([]string(nil), *props...), *readerProps...))
	if err != nil {
		return f.UsageError(e, "%v", err)
	}
	reader, err := newLineReader(rp)
	if err != nil {
		return f.UsageError(e, "%v", err)
	}
	pp, err := client.Load(f)
	if err != nil {
		return f.UsageError(e, "%v", err)
	}
	// Kafka's maybeMergeOptions: a flag given wins over the properties,
	// whose value wins over the flag's default.
	if _, ok := pp["acks"]; !ok || f.IsSet("request-required-acks") {
		pp["acks"] = *acks
	}
	if _, ok := pp["compression.type"]; !ok || f.IsSet("compression-codec") {
		pp["compression.type"] = *codecName
	}
	pc, err := cli.ProducerOpts(pp)
	if err != nil {
		return f.UsageError(e, "%v", err)
	}
	cli.WarnUnused(e, "console-producer", "producer", pc.Ignored)
	opts := pc.Opts

	ctx, cancel := e.Context()
	defer cancel()
	opts = append(opts, kgo.DefaultProduceTopic(*topic), kgo.AllowAutoTopicCreation(), kgo.RecordDeliveryTimeout(e.OpTimeout))
	cl, err := cli.Connect(ctx, e, *bootstrap, opts...)
	if err != nil {
		return cli.Fail(e, "console-producer", err)
	}
	defer cl.Close()
	if _, err := cli.TopicPartitions(ctx, cl, *topic, true); err != nil {
		return cli.Fail(e, "console-producer", err)
	}

	var (
		mu       sync.Mutex
		firstErr error
	)
	promise := func(r *kgo.Record, err error) {
		if err == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = fmt.Errorf("error when sending message to topic %s with key: %s, value: %d bytes with error: %s",
				r.Topic, nullable(r.Key), len(r.Value), cli.ErrText(err))
		}
	}
	br := bufio.NewReaderSize(e.Stdin, 64<<10)
	for n := 1; ; n++ {
		line, rerr := br.ReadString('\n')
		if rerr != nil && rerr != io.EOF {
			return cli.Fail(e, "console-producer", rerr)
		}
		if line == "" && rerr == io.EOF {
			break
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		rec := &kgo.Record{Topic: *topic}
		if err := reader.record(line, n, rec); err != nil {
			cl.Flush(ctx)
			return cli.Fail(e, "console-producer", err)
		}
		if err := pc.CheckSize(rec); err != nil {
			promise(rec, err) // the Java producer fails the send and goes on
			continue
		}
		if *syncMode {
			if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
				promise(rec, err)
				break
			}
		} else {
			cl.Produce(ctx, rec, promise)
		}
		if rerr == io.EOF || ctx.Err() != nil {
			break
		}
	}
	if err := cl.Flush(ctx); err != nil && firstErr == nil {
		firstErr = err
	}
	mu.Lock()
	defer mu.Unlock()
	if firstErr != nil {
		return cli.Fail(e, "console-producer", firstErr)
	}
	return cli.ExitOK
}

func nullable(b []byte) string {
	if b == nil {
		return "null"
	}
	return string(b)
}
