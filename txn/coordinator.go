package txn

import (
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/stratabroker/strata/internal/javahash"
	"github.com/stratabroker/strata/partition"
	"github.com/stratabroker/strata/recordbatch"
)

// Errors of Open.
var (
	// ErrNoLogs: Options.Logs is empty.
	ErrNoLogs = errors.New("txn: no __transaction_state partitions")
	// ErrNoMarkers: Options.Markers or Options.NewProducerID is nil.
	ErrNoMarkers = errors.New("txn: no marker writer or producer ID source")
	// ErrPartitionGone is what a MarkerWriter returns for a partition that
	// no longer exists: its marker is dropped, as Kafka drops the markers
	// of a deleted partition.
	ErrPartitionGone = errors.New("txn: partition does not exist")
)

// Kafka's answers, as the coordinator returns them. The server maps a
// *kerr.Error to its code.
var (
	errProducerFenced       = kerr.ProducerFenced
	errConcurrent           = kerr.ConcurrentTransactions
	errInvalidMapping       = kerr.InvalidProducerIDMapping
	errInvalidTxnState      = kerr.InvalidTxnState
	errLoading              = kerr.CoordinatorLoadInProgress
	errNotCoordinator       = kerr.NotCoordinator
	errNotAvailable         = kerr.CoordinatorNotAvailable
	errInvalidRequest       = kerr.InvalidRequest
	errInvalidTimeout       = kerr.InvalidTransactionTimeout
	errTransactionAbortable = kerr.TransactionAbortable
	errTxnIDNotFound        = kerr.TransactionalIDNotFound
)

// MarkerWriter writes transaction markers into data partitions (the
// server's implementation: partition.Log.AppendMarker, and for
// __consumer_offsets partitions also the group coordinator's CompleteTxn).
// It is called off the run loop, from one goroutine per completing
// transaction, for one partition at a time.
type MarkerWriter interface {
	// WriteMarker appends a commit (commit true) or abort marker of
	// producerID at epoch to tp. ErrPartitionGone: tp does not exist (the
	// marker is dropped); any other error is retried.
	WriteMarker(tp TopicPartition, producerID int64, epoch int16, commit bool, coordinatorEpoch int32) error
}

// Options configure a Coordinator. Zero values take Kafka's defaults.
type Options struct {
	// Logs are the partitions of __transaction_state, by number. The
	// caller owns them and closes them after Close.
	Logs []*partition.Log
	// Markers writes the markers of completing transactions.
	Markers MarkerWriter
	// NewProducerID hands out a producer ID never used before.
	NewProducerID func() (int64, error)
	// TransactionVersion is the finalized transaction.version (nil: 0). At
	// 1 and above records are written as value version 1 (flexible), as
	// Kafka's TransactionVersion.transactionLogValueVersion says.
	TransactionVersion func() int16
	Now                func() time.Time // nil: time.Now
	Logger             *slog.Logger     // nil: discard

	MaxTimeout            time.Duration // transaction.max.timeout.ms: 15 min
	AbortCheckInterval    time.Duration // transaction.abort.timed.out.transaction.cleanup.interval.ms: 10 s
	IDExpiration          time.Duration // transactional.id.expiration.ms: 7 days
	ExpiredCheckInterval  time.Duration // transaction.remove.expired.transaction.cleanup.interval.ms: 1 h
	MarkerRetryBackoff    time.Duration // between attempts at a marker that failed: 100 ms
	CoordinatorEpoch      int32         // written in the markers: __transaction_state's leader epoch (0 on one node)
	beforeAppend          func(p int32) // tests: runs on a writer before each append
	beforeMarker          func(tp TopicPartition) error
	afterLoad             func()
	loadGate              chan struct{} // tests: the load waits until it is closed
	disableBackgroundJobs bool
}

func (o *Options) defaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.MaxTimeout <= 0 {
		o.MaxTimeout = 15 * time.Minute
	}
	if o.AbortCheckInterval <= 0 {
		o.AbortCheckInterval = 10 * time.Second
	}
	if o.IDExpiration <= 0 {
		o.IDExpiration = 7 * 24 * time.Hour
	}
	if o.ExpiredCheckInterval <= 0 {
		o.ExpiredCheckInterval = time.Hour
	}
	if o.MarkerRetryBackoff <= 0 {
		o.MarkerRetryBackoff = 100 * time.Millisecond
	}
}

// Coordinator is the transaction coordinator of every transactional ID.
// All state belongs to the run loop (see the package doc).
type Coordinator struct {
	opts Options
	log  *slog.Logger

	work     chan func()
	stop     chan struct{}
	loopDone chan struct{}
	writers  []*writer
	wg       sync.WaitGroup // writers, the loader, marker senders
	once     sync.Once

	loaded atomic.Bool

	// Figures (stats.go).
	markersWritten atomic.Int64
	timeoutAborts  atomic.Int64

	// Owned by the run loop.
	txns    map[string]*meta
	later   []func()
	builder *recordbatch.Builder
	timers  []*time.Timer
}

// Open starts the coordinator: the run loop and the writers at once, the
// load of __transaction_state on a goroutine. Until the load is done,
// requests get COORDINATOR_LOAD_IN_PROGRESS.
func Open(opts Options) (*Coordinator, error) {
	if len(opts.Logs) == 0 {
		return nil, ErrNoLogs
	}
	if opts.Markers == nil || opts.NewProducerID == nil {
		return nil, ErrNoMarkers
	}
	opts.defaults()
	c := &Coordinator{
		opts:     opts,
		log:      opts.Logger,
		work:     make(chan func(), 64),
		stop:     make(chan struct{}),
		loopDone: make(chan struct{}),
		txns:     make(map[string]*meta),
		builder:  recordbatch.NewBuilder(),
	}
	c.builder.BaseSequence = -1
	go c.run()
	c.wg.Add(1)
	go c.load()
	return c, nil
}

// Close stops the loop, the writers and the marker senders; requests
// waiting get NOT_COORDINATOR. Transactions being completed stay in their
// Prepare state in the log and are completed by the next Open.
func (c *Coordinator) Close() error {
	c.once.Do(func() {
		close(c.stop)
		<-c.loopDone
		c.wg.Wait()
	})
	return nil
}

// Loaded reports whether the load of __transaction_state is done.
func (c *Coordinator) Loaded() bool { return c.loaded.Load() }

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
			for _, t := range c.timers {
				t.Stop()
			}
			return
		}
	}
}

// post hands f to the run loop; false once the loop stopped.
func (c *Coordinator) post(f func()) bool {
	select {
	case <-c.stop:
		return false
	default:
	}
	select {
	case c.work <- f:
		return true
	case <-c.loopDone:
		return false
	}
}

// call runs f on the loop and waits until it calls answer; it returns
// the answer, or NOT_COORDINATOR when the coordinator stopped first.
func call[T any](c *Coordinator, zero T, f func(answer func(T, error))) (T, error) {
	type res struct {
		v   T
		err error
	}
	ch := make(chan res, 1)
	answered := false // loop only
	answer := func(v T, err error) {
		if !answered {
			answered = true
			ch <- res{v, err}
		}
	}
	if !c.post(func() {
		if !c.loaded.Load() {
			answer(zero, errLoading)
			return
		}
		f(answer)
	}) {
		return zero, errNotCoordinator
	}
	select {
	case r := <-ch:
		return r.v, r.err
	case <-c.loopDone:
		select {
		case r := <-ch:
			return r.v, r.err
		default:
			return zero, errNotCoordinator
		}
	}
}

// every runs f on the loop each d until the coordinator stops.
func (c *Coordinator) every(d time.Duration, f func()) {
	var t *time.Timer // touched only on the loop
	tick := func() {
		f()
		t.Reset(d)
	}
	t = time.AfterFunc(d, func() { c.post(tick) })
	c.timers = append(c.timers, t)
}

func (c *Coordinator) nowMs() int64 { return c.opts.Now().UnixMilli() }

// PartitionFor is the __transaction_state partition of a transactional
// ID, as Kafka computes it: abs(id.hashCode()) % partitions, Java's
// String hash over UTF-16 code units and Kafka's Utils.abs.
func PartitionFor(id string, partitions int) int32 {
	return javahash.Partition(id, partitions)
}
