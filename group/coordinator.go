package group

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/stratabroker/strata/internal/batchq"
	"github.com/stratabroker/strata/internal/javahash"
	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/recordbatch"
)

// Errors returned by Open.
var (
	// ErrNoLogs: Options.Logs is empty.
	ErrNoLogs = errors.New("group: no __consumer_offsets partitions")
	// ErrReplay: a __consumer_offsets partition could not be read back.
	ErrReplay = errors.New("group: replay of __consumer_offsets failed")
	// errTooLarge: a record batch over the log's max.message.bytes.
	errTooLarge = errors.New("group: record batch too large")
)

// Options configure a Coordinator. Zero durations and sizes take Kafka's
// defaults, named in the comments.
type Options struct {
	// Logs are the partitions of __consumer_offsets, by partition number.
	// The Coordinator appends to them and reads them back on Open; the
	// caller owns them and closes them after Close.
	Logs []*partition.Log
	// PartitionExists reports whether a topic partition exists: commits to
	// one that does not get UNKNOWN_TOPIC_OR_PARTITION. Nil: every
	// partition exists.
	PartitionExists func(topic string, partition int32) bool
	// Now is the clock (nil: time.Now). Timers always use package time.
	Now    func() time.Time
	Logger *slog.Logger // nil: discard

	InitialRebalanceDelay  time.Duration // group.initial.rebalance.delay.ms (Kafka: 3 s; here zero is zero)
	MinSessionTimeout      time.Duration // group.min.session.timeout.ms: 6 s
	MaxSessionTimeout      time.Duration // group.max.session.timeout.ms: 30 min
	MaxGroupSize           int           // group.max.size: math.MaxInt32
	OffsetsRetention       time.Duration // offsets.retention.minutes: 7 days
	RetentionCheckInterval time.Duration // offsets.retention.check.interval.ms: 10 min
	MaxMetadataBytes       int           // offset.metadata.max.bytes: 4096
	// Compression is offsets.topic.compression.codec: the codec of the
	// batches written to __consumer_offsets (none by default).
	Compression recordbatch.Codec

	// beforeAppend, when set (tests only), runs on the writer of
	// partition p before each of its appends; blocking holds the append.
	beforeAppend func(p int32)
}

func (o *Options) defaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.InitialRebalanceDelay < 0 {
		o.InitialRebalanceDelay = 0
	}
	if o.MinSessionTimeout == 0 {
		o.MinSessionTimeout = 6 * time.Second
	}
	if o.MaxSessionTimeout == 0 {
		o.MaxSessionTimeout = 30 * time.Minute
	}
	if o.MaxGroupSize <= 0 {
		o.MaxGroupSize = math.MaxInt32
	}
	if o.OffsetsRetention <= 0 {
		o.OffsetsRetention = 7 * 24 * time.Hour
	}
	if o.RetentionCheckInterval <= 0 {
		o.RetentionCheckInterval = 10 * time.Minute
	}
	if o.MaxMetadataBytes <= 0 {
		o.MaxMetadataBytes = 4096
	}
}

// Client identifies the connection a request came on, for DescribeGroups.
type Client struct {
	ID   string // the request header's client ID
	Host string // Kafka's form: "/" + the remote IP
}

// Coordinator is the classic group coordinator of every group. All group
// state belongs to one goroutine, the run loop: requests and timers hand it
// closures; appends to __consumer_offsets run on one writer goroutine per
// partition and hand their results back to the loop in append order.
type Coordinator struct {
	opts Options
	log  *slog.Logger

	work     chan func()
	stop     chan struct{}
	loopDone chan struct{}
	writers  []*writer
	wg       sync.WaitGroup
	once     sync.Once

	// offsetCommits counts the offsets committed (stats.go).
	offsetCommits atomic.Int64

	// Owned by the run loop.
	groups   map[string]*group
	later    []func() // run after the current work item
	builder  *recordbatch.Builder
	retTimer *time.Timer
	replayed ReplayStats // what Open read; set before the loop starts
	// Open transactions (txn.go): the groups with pending offsets of
	// each, their appends in flight, and the CompleteTxn calls waiting
	// for those.
	txnGroups   map[txnKey]map[string]bool
	txnInflight map[txnKey]int
	txnDeferred map[txnKey][]func()
}

// Open replays __consumer_offsets into memory and starts the run loop.
// Groups that had members when the log was last written come back with
// them (as Kafka loads them): their session timers start now, and members
// that do not heartbeat in time are removed.
func Open(opts Options) (*Coordinator, error) {
	if len(opts.Logs) == 0 {
		return nil, ErrNoLogs
	}
	opts.defaults()
	c := &Coordinator{
		opts:     opts,
		log:      opts.Logger,
		work:     make(chan func(), 64),
		stop:     make(chan struct{}),
		loopDone: make(chan struct{}),
		groups:   make(map[string]*group),
		builder:  recordbatch.NewBuilder(),

		txnGroups:   map[txnKey]map[string]bool{},
		txnInflight: map[txnKey]int{},
		txnDeferred: map[txnKey][]func(){},
	}
	c.builder.BaseSequence = -1
	start := opts.Now()
	var replayed ReplayStats
	for p, l := range opts.Logs {
		st, err := c.replay(int32(p), l)
		if err != nil {
			return nil, err
		}
		replayed.add(st)
	}
	c.replayed = replayed
	loaded, offsets := 0, 0
	for _, g := range c.groups {
		loaded++
		offsets += len(g.offsets)
		for _, m := range g.members {
			c.resetSession(g, m)
		}
	}
	c.log.Info("groups loaded", "groups", loaded, "offsets", offsets, "took", opts.Now().Sub(start))
	for _, l := range opts.Logs {
		w := &writer{c: c, p: int32(len(c.writers)), log: l, q: batchq.New[write]()}
		c.writers = append(c.writers, w)
		c.wg.Add(1)
		go w.run()
	}
	c.retTimer = c.after(opts.RetentionCheckInterval, c.expireOffsets)
	go c.run()
	return c, nil
}

// Close stops the run loop and the writers. Requests waiting for an answer
// (a JoinGroup waiting for the rebalance, a commit waiting for its append)
// get NOT_COORDINATOR. Appends in progress finish; Close returns after
// them, so the caller may close the logs next.
func (c *Coordinator) Close() error {
	c.once.Do(func() {
		close(c.stop)
		<-c.loopDone
		c.wg.Wait()
	})
	return nil
}

func (c *Coordinator) run() {
	defer close(c.loopDone)
	for {
		select {
		case f := <-c.work:
			f()
			for len(c.later) > 0 {
				f := c.later[0]
				c.later = c.later[1:]
				f()
			}
			c.later = c.later[:0]
		case <-c.stop:
			for _, g := range c.groups {
				g.stopTimers()
			}
			if c.retTimer != nil {
				c.retTimer.Stop()
			}
			return
		}
	}
}

// post hands f to the run loop; false once the loop has stopped.
func (c *Coordinator) post(f func()) bool {
	select {
	case c.work <- f:
		return true
	case <-c.loopDone:
		return false
	}
}

// call runs f on the run loop and waits until f, or a later step of the
// loop, calls done. It reports false when the coordinator stopped first.
func (c *Coordinator) call(f func(done func())) bool {
	ch := make(chan struct{})
	called := false // touched only on the loop
	done := func() {
		if !called {
			called = true
			close(ch)
		}
	}
	if !c.post(func() { f(done) }) {
		return false
	}
	select {
	case <-ch:
		return true
	case <-c.loopDone:
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
}

// after runs f on the run loop once d has passed (unless the loop stopped).
func (c *Coordinator) after(d time.Duration, f func()) *time.Timer {
	return time.AfterFunc(d, func() { c.post(f) })
}

// nowMs is the clock in Kafka's milliseconds.
func (c *Coordinator) nowMs() int64 { return c.opts.Now().UnixMilli() }

// PartitionFor is the __consumer_offsets partition of a group, as Kafka
// computes it: abs(groupId.hashCode()) % partitions, with Java's String
// hash over UTF-16 code units and Kafka's Utils.abs (MinInt32 -> 0).
func PartitionFor(group string, partitions int) int32 {
	return javahash.Partition(group, partitions)
}

// A writer appends batches to one __consumer_offsets partition in the
// order the loop queued them, and hands each result back to the loop.
type writer struct {
	c   *Coordinator
	p   int32
	log *partition.Log
	q   *batchq.Queue[write]
}

type write struct {
	batch []byte
	// txn: a transactional batch of producer batch's ProducerID; the
	// writer sets its sequence (txnSequence) before the append.
	txn  bool
	done func(partition.AppendResult, error) // runs on the loop
}

func (w *writer) enqueue(x write) { w.q.Put(x) }

func (w *writer) run() {
	defer w.c.wg.Done()
	for {
		q, ok := w.q.Take(w.c.stop)
		if !ok {
			return
		}
		for _, x := range q {
			select {
			case <-w.c.stop:
				return
			default:
			}
			if h := w.c.opts.beforeAppend; h != nil {
				h(w.p)
			}
			if x.txn {
				setTxnSequence(w.log, x.batch)
			}
			res, err := w.log.Append(x.batch, true)
			if !w.c.post(func() { x.done(res, err) }) {
				return
			}
		}
	}
}

// kv is one record for __consumer_offsets; a nil value is a tombstone.
type kv struct{ key, value []byte }

// store appends records for group id to its partition; done runs on the
// loop after the append (or its failure), never before store returns.
func (c *Coordinator) store(id string, recs []kv, done0 func(error)) {
	c.storeTxn(id, recs, nil, func(_ int64, err error) { done0(err) })
}

// txnProducer is the producer of a transactional offset commit.
type txnProducer struct {
	id    int64
	epoch int16
}

// storeTxn is store for records of transaction tx (nil: none, a plain
// batch); done gets the offset of the first record.
func (c *Coordinator) storeTxn(id string, recs []kv, tx *txnProducer, done0 func(base int64, err error)) {
	p := PartitionFor(id, len(c.writers))
	w := c.writers[p]
	done := done0
	b := c.builder
	b.Reset()
	if tx != nil {
		b.ProducerID, b.ProducerEpoch, b.Transactional = tx.id, tx.epoch, true
		defer func() { b.ProducerID, b.ProducerEpoch, b.Transactional = -1, -1, false }()
	}
	now := c.nowMs()
	for _, r := range recs {
		b.Add(&recordbatch.Record{Timestamp: now, Key: r.key, Value: r.value})
	}
	batch, err := b.AppendTo(nil)
	if err == nil && c.opts.Compression != recordbatch.CodecNone {
		batch, err = recordbatch.Recompress(nil, batch, c.opts.Compression, recordbatch.DefaultLevel(c.opts.Compression), len(batch))
	}
	if err == nil && len(batch) > w.log.Config().MaxMessageBytes {
		err = fmt.Errorf("%w: %d bytes, max.message.bytes %d", errTooLarge, len(batch), w.log.Config().MaxMessageBytes)
	}
	if err != nil {
		c.later = append(c.later, func() { done(-1, err) })
		return
	}
	w.enqueue(write{batch: batch, txn: tx != nil, done: func(res partition.AppendResult, err error) { done(res.BaseOffset, err) }})
}

// storeCode is the error code a failed append gives an OffsetCommit
// (Kafka's GroupMetadataManager.storeOffsets mapping); group metadata
// writes map a too-large batch to UNKNOWN_SERVER_ERROR instead.
func storeCode(err error, commit bool) int16 {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errTooLarge), errors.Is(err, partition.ErrMessageTooLarge), errors.Is(err, partition.ErrRecordListTooLarge):
		if commit {
			return kerr.InvalidCommitOffsetSize.Code
		}
		return kerr.UnknownServerError.Code
	case errors.Is(err, partition.ErrClosed), errors.Is(err, partition.ErrStorage):
		return kerr.NotCoordinator.Code
	case errors.Is(err, partition.ErrInvalidProducerEpoch):
		return kerr.InvalidProducerEpoch.Code
	}
	return kerr.UnknownServerError.Code
}

// notCoordinator is the answer to a request the stopped coordinator could
// not serve: the client looks the coordinator up again.
var notCoordinator = kerr.NotCoordinator.Code
