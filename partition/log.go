package partition

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/segment"
)

// Options are the log's collaborators. Zero values: vfs.OS, a flusher of
// its own, time.Now, a logger that discards.
type Options struct {
	FS      vfs.FS
	Flusher *Flusher
	Now     func() time.Time
	Logger  *slog.Logger

	// Preallocate is the most the active segment's file is extended ahead
	// of its data, with its blocks reserved (segment.Options.PreallocateBytes,
	// a lead that starts at 64 KiB and doubles while the segment keeps
	// being appended to): 0 leaves it to the segment package
	// (segment.DefaultPreallocateBytes over vfs.OS, none over other
	// filesystems); negative turns it off (Kafka's preallocate=false).
	// The descriptors segments hold are bounded process-wide by the
	// segment package's file budget (segment.SetFileBudget), not here.
	Preallocate int64
	// Managed says that the log's owner (the registry) keeps its recovery
	// point, log start offset and clean-shutdown marker in files of its own,
	// one set per log directory (see doc.go, Durability): the log writes
	// neither partition.checkpoint nor a marker, and its owner reads
	// RecoveryPoint and LogStartOffset to persist them. See State and
	// PersistLogStart.
	Managed bool
	// State is what the owner persisted for this log (Managed only). Nil:
	// unknown, and Open reads the log's own partition.checkpoint and marker
	// if it finds them (a directory written before Managed existed), else
	// recovers every segment.
	State *State
	// PersistLogStart (Managed only) is called by DeleteRecords once the log
	// start offset has moved past the first segment's base: it must make
	// every log's LogStartOffset durable (the owner's log-start checkpoint)
	// before it returns. Nil: the log start offset is kept only in memory
	// until the owner's next checkpoint.
	PersistLogStart func() error
}

// Log is the log of one partition: an ordered list of segments, the last of
// which (the active segment) takes appends. See the package documentation
// for the files, the durability rules and the lock order.
type Log struct {
	dir        string
	fs         vfs.FS
	now        func() time.Time
	logger     *slog.Logger
	flusher    *Flusher
	ownFlusher bool
	prealloc   int64        // Options.Preallocate
	managed    bool         // Options.Managed
	state      *State       // Options.State, for Open
	persistLS  func() error // Options.PersistLogStart

	// view is what readers see; replaced (never modified) under mu.
	view   atomic.Pointer[view]
	closed atomic.Bool
	notify appendSignal           // Wait's channel, without mu
	onRoll atomic.Pointer[func()] // OnRoll's callback
	// config is a copy of cfg for callers that must not take mu (Append's
	// checks before it locks, Config); nil until first needed, then
	// replaced with cfg under mu.
	config atomic.Pointer[Config]

	// retainMu serialises the changes of the log start offset and the
	// deletion of segments (ApplyRetention, DeleteRecords) with Close. It
	// is taken before flushMu, and never by a flush: a flush that seals
	// hundreds of rolled segments must not hold retention back, or the
	// segments (and their open files) pile up faster than they go.
	retainMu sync.Mutex

	// flushMu serialises the slow work that must not run twice at once:
	// flushes and seals, producer snapshot writes, Close. It is taken
	// before mu, and never by Append.
	flushMu sync.Mutex

	// ckMu serialises the checkpoint's writers (flushes, retention,
	// DeleteRecords, Close), which read what they write under it: the
	// file's log start offset and recovery point never go back. It is
	// taken after flushMu and retainMu, before mu.
	ckMu sync.Mutex

	// mu guards everything below (the append lock). Hold it only for
	// in-memory work and the append's own write.
	mu            sync.Mutex
	cfg           Config
	active        *segment.Segment
	activeCreated int64 // ms; for segment.ms on an empty segment
	leo           int64 // log end offset, also the high watermark
	logStart      int64
	producers     producers
	// The first unstable offset (the oldest ongoing transaction's first
	// offset, at least the log start offset), -1 when none, and its
	// batch's segment and position: the view's LSO (txn.go).
	lsoFirst int64
	lsoSeg   *segment.Segment
	lsoPos   int64
	// txnRebuildFrom: while Open replays the log, the abort markers at or
	// above it are indexed again (their segments' .txnindex were reset);
	// math.MaxInt64 otherwise.
	txnRebuildFrom int64

	// Durability state, guarded by mu, written by flushNow.
	unflushed     int64              // messages appended since the last flush began
	synced        int64              // every offset below is fsynced
	recoveryPoint int64              // the recovery point last written to the checkpoint
	pendingSeal   []*segment.Segment // rolled, not yet sealed
	pendingSnaps  []snapshotJob      // producer snapshots taken at rolls, not yet written
	dirDirty      bool               // files created since the last SyncDir
	syncCh        chan struct{}      // closed after every flush attempt
	ckptDirty     bool               // the last checkpoint write failed: retry at the next flush
	persistedLS   int64              // Managed: the log start offset PersistLogStart last made durable
	activeWritten bool               // the active segment took appends (or was recovered) since it was last sealed
	snapCovered   int64              // producer state up to here needs no replay (a snapshot, or the first base)
	prodPending   bool               // producer state not read yet (a clean Open defers it)
	snapProds     bool               // the newest producer snapshot on disk holds producers (false: none, or no snapshot)
	prodSnaps     []int64            // the snapshots Open found, for that read
	prodEnd       int64              // the log end offset when the read was deferred: only plain batches since
	failed        error              // an fsync failed: the log takes no more appends
}

// view is an immutable snapshot of the log for readers.
type view struct {
	segs     []*segment.Segment
	logStart int64
	hw       int64 // high watermark = log end offset
	hwPos    int64 // the byte position of hw in the last segment
	// The last stable offset: read_committed reads stop at lso, at byte
	// lsoPos of lsoSeg (nil: lso is hw, at hwPos of the last segment).
	// lsoKnown is false while the producer state is unread (Open after a
	// clean shutdown defers it): ensureLSO reads it.
	lso      int64
	lsoSeg   *segment.Segment
	lsoPos   int64
	lsoKnown bool
}

type snapshotJob struct {
	offset int64
	data   []byte
}

// AppendResult describes an appended batch (or, with Duplicate, the batch a
// retried one duplicates).
type AppendResult struct {
	BaseOffset, LastOffset int64
	LogAppendTime          int64 // -1 unless message.timestamp.type=LogAppendTime (or a duplicate: see Append)
	LogStartOffset         int64
	Duplicate              bool
}

// Append appends one v2 batch that the caller has checked with
// recordbatch.Validate (and max.message.bytes). It assigns the offsets
// (rewriting BaseOffset in place, and PartitionLeaderEpoch to 0), applies
// LogAppendTime (MaxTimestamp, the attribute bit and the CRC), checks an
// idempotent producer's epoch and sequence, rolls the active segment when
// it must, writes, advances the high watermark and wakes Wait.
//
// A batch of an idempotent producer that repeats one of its last five
// (same epoch and sequence range) is not appended: Append returns the
// original's offsets with Duplicate set, and (like Kafka) the original's
// max timestamp as LogAppendTime.
//
// With waitFlush, Append returns only once the batch is fsynced if the
// flush policy asks for a flush at this append (flush.messages reached);
// with the default policy it never waits.
//
// Errors: ErrOutOfOrderSequence, ErrInvalidProducerEpoch,
// recordbatch.ErrInvalidRecord (a producer ID without a sequence),
// ErrMessageTooLarge, ErrRecordListTooLarge, ErrInvalidTimestamp (see
// checkTimestamps), recordbatch.ErrCorrupt (records that do not parse when
// their timestamps are read), ErrClosed, and ErrStorage: a
// failed write (ENOSPC, EIO) leaves the log as it was and later appends
// work once the fault clears; a failed fsync (waitFlush) means the batch is
// in the log but not known durable, and the log takes no more appends
// until it is reopened (and recovered).
func (l *Log) Append(batch []byte, waitFlush bool) (AppendResult, error) {
	if len(batch) < recordbatch.HeaderSize || recordbatch.Header(batch).Size() != len(batch) {
		return AppendResult{}, fmt.Errorf("%w: %d bytes are not one whole batch", recordbatch.ErrCorrupt, len(batch))
	}
	h := recordbatch.Header(batch)
	// Timestamps are checked before mu: a compressed batch is decompressed
	// for it. A batch over the size limits is left to appendLocked, which
	// refuses it first, as Kafka does.
	if cfg := l.configCopy(); len(h) <= cfg.MaxMessageBytes && int64(len(h)) <= cfg.SegmentBytes {
		if err := checkTimestamps(h, cfg, l.now().UnixMilli()); err != nil {
			return AppendResult{}, err
		}
	}
	l.mu.Lock()
	res, wait, err := l.appendLocked(h)
	l.mu.Unlock()
	if err != nil || !wait || !waitFlush {
		return res, err
	}
	return res, l.waitSynced(res.LastOffset + 1)
}

// appendLocked does Append's work. wait reports whether the flush policy
// asks the caller to wait for durability. mu must be held.
func (l *Log) appendLocked(h recordbatch.Header) (res AppendResult, wait bool, err error) {
	if l.closed.Load() {
		return AppendResult{}, false, ErrClosed
	}
	if l.failed != nil {
		return AppendResult{}, false, l.failed
	}
	cfg := &l.cfg
	switch {
	case len(h) > cfg.MaxMessageBytes:
		return AppendResult{}, false, fmt.Errorf("%w: batch of %d bytes, max.message.bytes %d", ErrMessageTooLarge, len(h), cfg.MaxMessageBytes)
	case int64(len(h)) > cfg.SegmentBytes:
		return AppendResult{}, false, fmt.Errorf("%w: batch of %d bytes, segment.bytes %d", ErrRecordListTooLarge, len(h), cfg.SegmentBytes)
	}
	if h.ProducerID() >= 0 {
		if err := l.producersLocked(); err != nil {
			return AppendResult{}, false, err
		}
		dup, isDup, err := l.producers.check(h)
		if err != nil {
			return AppendResult{}, false, err
		}
		if isDup {
			res := AppendResult{BaseOffset: dup.firstOffset(), LastOffset: dup.lastOffset, LogAppendTime: dup.timestamp,
				LogStartOffset: l.logStart, Duplicate: true}
			// A retry waits for its original to be durable when the policy flushes at all.
			wait := dup.lastOffset >= l.synced && cfg.FlushMessages != math.MaxInt64
			if wait {
				l.requestFlushLocked()
			}
			return res, wait, nil
		}
	}

	if h.Control() {
		// LogValidator.validateBatch, origin CLIENT: markers come only
		// from AppendMarker.
		return AppendResult{}, false, fmt.Errorf("%w: clients are not allowed to write control records", recordbatch.ErrInvalidRecord)
	}
	return l.writeLocked(h)
}

// writeLocked appends a checked batch: it assigns the offsets, rolls if
// it must, writes, records the batch in the producer state (and the
// transaction it begins), publishes the new offsets and applies the flush
// policy. mu must be held (and the producer state read if the batch has a
// producer).
func (l *Log) writeLocked(h recordbatch.Header) (res AppendResult, wait bool, err error) {
	cfg := &l.cfg
	nowMs := l.now().UnixMilli()
	base := l.leo
	h.SetBaseOffset(base)
	h.SetPartitionLeaderEpoch(0)
	appendTime := int64(-1)
	if cfg.LogAppendTime {
		appendTime = nowMs
		h.SetMaxTimestamp(nowMs)
		h.SetLogAppendTime(true)
		h.UpdateCRC()
	}
	last := h.LastOffset()

	if err := l.maybeRollLocked(h, nowMs); err != nil {
		return AppendResult{}, false, err
	}
	pos := l.active.Size()
	if err := l.active.Append(h); err != nil {
		// The segment cut a partial write back: the log is as it was.
		return AppendResult{}, false, fmt.Errorf("%w: append at offset %d to %s: %w", ErrStorage, base, l.dir, err)
	}
	l.leo = last + 1
	l.activeWritten = true
	if h.ProducerID() >= 0 && !h.Control() {
		l.producers.update(h)
		if h.Transactional() && l.lsoFirst < 0 && l.producers.m[h.ProducerID()].txnFirst == base {
			// The first ongoing transaction: the LSO stops at this batch.
			l.lsoFirst, l.lsoSeg, l.lsoPos = base, l.active, pos
		}
	}
	l.publishLocked()
	l.notify.wake()

	wasClean := l.unflushed == 0
	l.unflushed += int64(h.LastOffsetDelta()) + 1
	if l.unflushed >= cfg.FlushMessages {
		wait = true
		l.requestFlushLocked()
	} else if wasClean && cfg.FlushMs != math.MaxInt64 {
		l.flusher.schedule(l, time.Duration(cfg.FlushMs)*time.Millisecond)
	}
	return AppendResult{BaseOffset: base, LastOffset: last, LogAppendTime: appendTime, LogStartOffset: l.logStart}, wait, nil
}

// maybeRollLocked rolls the active segment if the batch h (offsets and
// timestamps final) cannot go into it, with Kafka's LogSegment.shouldRoll
// rules: size + batch > segment.bytes; segment.ms passed since the first
// batch's max timestamp (measured with the incoming batch's max timestamp)
// or, for an empty segment, since it was created; an index is full; the
// batch's last offset does not fit the 4-byte relative offset. An empty
// segment is never rolled. mu must be held.
func (l *Log) maybeRollLocked(h recordbatch.Header, nowMs int64) error {
	s := l.active
	size := s.Size()
	if size == 0 {
		return nil
	}
	elapsed := nowMs - l.activeCreated
	if ts, ok := s.RollTimestamp(); ok && ts >= 0 {
		elapsed = h.MaxTimestamp() - ts
	}
	if size+int64(len(h)) <= l.cfg.SegmentBytes && elapsed <= l.cfg.SegmentMs && !s.IndexFull() && s.Fits(h.LastOffset()) {
		return nil
	}
	return l.rollLocked(nowMs)
}

// rollLocked starts a new active segment at the log end offset. The old
// segment is sealed (indexes trimmed, fsynced) by the flusher, and a
// producer snapshot at the new base is written with it. mu must be held.
func (l *Log) rollLocked(nowMs int64) error {
	s, err := segment.Create(l.fs, l.dir, l.leo, l.segmentOptions())
	if err != nil {
		return fmt.Errorf("%w: roll %s at offset %d: %w", ErrStorage, l.dir, l.leo, err)
	}
	l.logger.Debug("rolled segment", "dir", l.dir, "base", l.leo, "previous", l.active.Base(), "size", l.active.Size())
	l.pendingSeal = append(l.pendingSeal, l.active)
	if j, ok := l.snapshotLocked(); ok {
		l.pendingSnaps = append(l.pendingSnaps, j)
	}
	l.active = s
	l.activeWritten = false
	l.activeCreated = nowMs
	l.dirDirty = true
	v := l.view.Load()
	segs := make([]*segment.Segment, len(v.segs), len(v.segs)+1)
	copy(segs, v.segs)
	l.storeViewLocked(append(segs, s))
	l.requestFlushLocked()
	if fn := l.onRoll.Load(); fn != nil {
		(*fn)()
	}
	return nil
}

// segmentOptions are the options of segments created or opened now. mu
// must be held (or the log not yet shared).
func (l *Log) segmentOptions() segment.Options {
	interval := l.cfg.IndexIntervalBytes
	if interval == 0 {
		interval = 1 // segment.Options reads 0 as its default; 1 indexes every batch after the first
	}
	return segment.Options{
		IndexIntervalBytes: interval,
		MaxIndexBytes:      l.cfg.SegmentIndexBytes,
		PreallocateBytes:   l.prealloc,
		MaxBytes:           l.cfg.SegmentBytes,
		Logger:             l.logger,
	}
}

// publishLocked makes the current log end, log start and last stable
// offset visible to readers. mu must be held.
func (l *Log) publishLocked() { l.storeViewLocked(l.view.Load().segs) }

// storeViewLocked publishes a view of segs (the last one the active
// segment) with the current offsets. mu must be held.
func (l *Log) storeViewLocked(segs []*segment.Segment) {
	v := &view{segs: segs, logStart: l.logStart, hw: l.leo, hwPos: l.active.Size(), lso: l.leo, lsoKnown: !l.prodPending}
	if l.prodPending {
		v.lso = l.logStart // unknown until ensureLSO reads the producer state
	} else if l.lsoFirst >= 0 {
		v.lso, v.lsoSeg, v.lsoPos = l.lsoFirst, l.lsoSeg, l.lsoPos
	}
	l.view.Store(v)
}

// appendSignal is the append signal of long polls, read and replaced
// without the append lock: Wait loads the current channel and then sets
// waited; an append, after publishing its offsets, swaps in a new channel
// and closes the old one only if waited is set, so an append with no
// waiter costs one atomic load. A Wait whose waited store comes before an
// append's check is woken by that append (its channel is the one swapped
// out then, or an older one closed by an earlier swap); one whose store
// comes after it sees that append's offsets when it then checks for data.
// Swaps happen under mu (appends) and once at Close, which closes the last
// channel for good.
type appendSignal struct {
	ch     atomic.Value // chan struct{}; nil until the first Wait or Close
	waited atomic.Bool

	between func() // tests: runs between wait's two steps
}

// current is the channel the next waking append closes.
func (s *appendSignal) current() chan struct{} {
	if ch, ok := s.ch.Load().(chan struct{}); ok {
		return ch
	}
	s.ch.CompareAndSwap(nil, make(chan struct{}))
	return s.ch.Load().(chan struct{})
}

// wait registers a waiter and returns the channel to wait on.
func (s *appendSignal) wait() <-chan struct{} {
	ch := s.current()
	if s.between != nil {
		s.between()
	}
	s.waited.Store(true)
	return ch
}

// wake closes the channel of the waiters registered so far, if any. Called
// by appends under mu, after they publish.
func (s *appendSignal) wake() {
	if !s.waited.Load() || !s.waited.Swap(false) {
		return
	}
	old := s.ch.Swap(make(chan struct{}))
	if ch, ok := old.(chan struct{}); ok {
		close(ch)
	}
}

// close wakes every waiter and makes every later wait return a closed
// channel. Called once, by Close under mu, after which nothing wakes.
func (s *appendSignal) close() { close(s.current()) }

// Wait returns a channel that is closed at the next append (or Close). A
// long-polling reader calls Wait before checking for data, then waits on
// the channel if there was none. Wait takes no lock: it never waits for an
// append in progress.
func (l *Log) Wait() <-chan struct{} { return l.notify.wait() }

// LogStartOffset is the first offset a reader may fetch.
func (l *Log) LogStartOffset() int64 { return l.view.Load().logStart }

// LogEndOffset is the offset the next appended record gets.
func (l *Log) LogEndOffset() int64 { return l.view.Load().hw }

// HighWatermark is the end of what readers may see: on a single node, the
// log end offset once an append completes.
func (l *Log) HighWatermark() int64 { return l.view.Load().hw }

// Size is the number of bytes in all segments.
func (l *Log) Size() int64 {
	var n int64
	for _, s := range l.view.Load().segs {
		n += s.Size()
	}
	return n
}

// Dir is the partition directory.
func (l *Log) Dir() string { return l.dir }

// Config returns the log's configuration. It takes no lock an append holds.
func (l *Log) Config() Config { return *l.configCopy() }

// configCopy is the current configuration, read without mu (after the
// first call). It must not be modified.
func (l *Log) configCopy() *Config {
	if c := l.config.Load(); c != nil {
		return c
	}
	l.mu.Lock()
	c := l.cfg
	l.mu.Unlock()
	l.config.CompareAndSwap(nil, &c) // a SetConfig meanwhile has stored a newer one
	return l.config.Load()
}

// SetConfig changes the configuration; it applies from the next append,
// roll or retention pass. Index sizes apply to segments created from now
// on. An invalid config (Config.Validate) is refused and logged.
func (l *Log) SetConfig(cfg Config) {
	if err := cfg.Validate(); err != nil {
		l.logger.Warn("refused partition config", "dir", l.dir, "err", err)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	old := l.cfg
	l.cfg = cfg
	l.config.Store(&cfg)
	if l.unflushed >= cfg.FlushMessages {
		l.requestFlushLocked()
	} else if l.unflushed > 0 && cfg.FlushMs < old.FlushMs {
		l.flusher.schedule(l, time.Duration(cfg.FlushMs)*time.Millisecond)
	}
}

// Flush fsyncs everything appended so far.
func (l *Log) Flush() error {
	l.mu.Lock()
	if l.closed.Load() {
		l.mu.Unlock()
		return ErrClosed
	}
	target := l.leo
	l.mu.Unlock()
	l.flushNow()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.synced >= target {
		return nil
	}
	if l.failed != nil {
		return l.failed
	}
	return ErrClosed // closed meanwhile
}

// requestFlushLocked asks the flusher for a round that covers this log.
// mu must be held.
func (l *Log) requestFlushLocked() {
	l.flusher.request(l)
}

// waitSynced parks until every offset below target is fsynced, or the log
// failed (an fsync failed).
func (l *Log) waitSynced(target int64) error {
	for {
		l.mu.Lock()
		if l.synced >= target {
			l.mu.Unlock()
			return nil
		}
		if l.failed != nil {
			err := l.failed
			l.mu.Unlock()
			return err
		}
		if l.syncCh == nil {
			l.mu.Unlock()
			return ErrClosed
		}
		ch := l.syncCh
		queued := l.flusher.request(l)
		l.mu.Unlock()
		if !queued {
			l.flushNow() // the flusher is closed: flush in this goroutine
			continue
		}
		<-ch
	}
}

// flushNow seals rolled segments, syncs the directory if files were
// created, fsyncs the active segment, then writes pending producer
// snapshots and, when segments were sealed, the checkpoint with the new
// recovery point. Waiters are woken whatever the outcome.
//
// A failed fsync fails the log for good (until it is reopened): after
// one, the kernel may have dropped the dirty pages it could not write, so
// a later fsync that succeeds proves nothing (Kafka takes the log
// directory offline). A failed snapshot or checkpoint write only costs
// recovery time: it is logged, and the checkpoint is retried at the next
// flush.
func (l *Log) flushNow() {
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	l.mu.Lock()
	if l.syncCh == nil { // closed
		l.mu.Unlock()
		return
	}
	done := l.syncCh
	if l.failed != nil {
		close(done)
		l.syncCh = make(chan struct{})
		l.mu.Unlock()
		return
	}
	target := l.leo
	active := l.active
	pend, snaps := l.pendingSeal, l.pendingSnaps
	l.pendingSeal, l.pendingSnaps = nil, nil
	dirDirty, writeCk := l.dirDirty, l.ckptDirty || len(pend) > 0 || l.managed // a Managed log's recovery point costs no write
	l.dirDirty = false
	upToDate := l.synced >= target && len(pend) == 0 && !dirDirty
	l.unflushed = 0
	l.mu.Unlock()

	var err error
	if !upToDate {
		err = l.syncData(active, pend, dirDirty)
	}
	ckWritten := false
	if err == nil {
		for _, j := range snaps {
			if werr := writeFileAtomic(l.fs, l.dir, snapshotName(j.offset), j.data); werr != nil {
				l.logger.Warn("producer snapshot not written", "dir", l.dir, "offset", j.offset, "err", werr)
			}
		}
		if len(snaps) > 0 {
			l.pruneSnapshots()
		}
		if writeCk {
			if werr := l.writeCheckpoint(target); werr != nil {
				l.logger.Warn("checkpoint not written", "dir", l.dir, "err", werr)
			} else {
				ckWritten = true
			}
		}
	}

	l.mu.Lock()
	if err != nil {
		l.failed = fmt.Errorf("%w: fsync %s failed; the log takes no appends until reopened: %w", ErrStorage, l.dir, err)
		l.logger.Error("fsync failed; log offline until reopened", "dir", l.dir, "err", err)
	} else {
		l.synced = max(l.synced, target)
		l.ckptDirty = writeCk && !ckWritten
	}
	if l.syncCh == done {
		close(done)
		l.syncCh = make(chan struct{})
	}
	l.mu.Unlock()
}

// syncData is flushNow's fsyncs, in the order that keeps the recovery
// invariant (a segment is durable before anything after it is). flushMu
// must be held.
func (l *Log) syncData(active *segment.Segment, pend []*segment.Segment, dirDirty bool) error {
	for _, s := range pend {
		// A segment retention took out of the view meanwhile is below the
		// log start offset and about to go: sealing it (three fsyncs)
		// would only hold up retention, which waits for the seal to
		// delete it. Under a load that rolls faster than seals finish,
		// this is what keeps the flusher's work bounded by retention.
		if v := l.view.Load(); s.Base() < v.segs[0].Base() {
			continue
		}
		if err := s.Seal(); err != nil && !errors.Is(err, segment.ErrClosed) {
			return err
		}
	}
	if dirDirty {
		if err := l.fs.SyncDir(l.dir); err != nil {
			return err
		}
	}
	// Retention may have rolled and deleted the active segment meanwhile
	// (it does not wait for flushes): its records are below the log start
	// offset, nothing to make durable.
	if err := active.Flush(); err != nil && !errors.Is(err, segment.ErrClosed) {
		return err
	}
	return nil
}
