package topic

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratabroker/strata/compact"
	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/partition"
)

// Options are the registry's collaborators.
type Options struct {
	// FS is the filesystem of the data directory (nil: Partition.FS, else
	// vfs.OS). The logs use the same one.
	FS vfs.FS
	// Partition is passed to every partition.Open. A nil Flusher is
	// replaced by one the registry owns and closes, shared by every log.
	Partition partition.Options
	// Resolve turns a topic's config overrides into its logs' config: the
	// server passes config.Broker.TopicConfig. Its errors are wrapped in
	// ErrInvalidConfig. Nil: every topic runs with partition.DefaultConfig
	// and overrides are refused.
	Resolve func(overrides map[string]string) (partition.Config, error)
	// RetentionCheckInterval is log.retention.check.interval.ms: every
	// interval one goroutine runs ApplyRetention on every log. Zero: never.
	RetentionCheckInterval time.Duration
	// Logger (nil: discard) reports recoveries, orphan removal and
	// retention.
	Logger *slog.Logger
	// ExtraDirs are the entries of log.dirs after the first (Open's dir,
	// which also holds topics.json: Kafka's metadata.log.dir default). Each
	// has its own partitions, checkpoint files and marker; a new partition
	// goes to the directory with the fewest.
	ExtraDirs []string
	// RecoveryThreads is num.recovery.threads.per.data.dir: how many logs
	// are opened (recovered) at once by Open and closed (flushed) at once
	// by Close. Zero: Kafka's default, 2.
	RecoveryThreads int
	// RecoveryPointCheckpointInterval is
	// log.flush.offset.checkpoint.interval.ms: how often the recovery
	// points are written to recovery-point-offset-checkpoint.
	// LogStartCheckpointInterval is
	// log.flush.start.offset.checkpoint.interval.ms, for
	// log-start-offset-checkpoint. Zero: Kafka's default, one minute;
	// negative: only at Open, Delete and Close (and, for log starts, at
	// every DeleteRecords).
	RecoveryPointCheckpointInterval time.Duration
	LogStartCheckpointInterval      time.Duration
	// Cleaner is the log cleaner's settings (log.cleaner.*): the registry
	// runs a compact.Manager over the partitions of every compacted topic
	// (cleaner.go). Nil: no cleaner (log.cleaner.enable=false), and
	// compacted topics keep every record, as in Kafka.
	Cleaner *compact.Options
	// Compaction resolves a topic's overrides into its cleaner settings
	// (SegmentBytes and MaxIndexBytes are filled from its logs' config);
	// ok is false when its cleanup.policy does not hold compact. Nil: no
	// topic is compacted.
	Compaction func(overrides map[string]string) (cfg compact.Config, ok bool)
}

// Kafka's defaults for the Options above.
const (
	defaultRecoveryThreads    = 2
	defaultCheckpointInterval = time.Minute
)

// Topic is one topic. A *Topic from the registry is an immutable snapshot:
// never modify it or its slices and maps; a change to the topic publishes
// a new *Topic.
type Topic struct {
	Name     string
	ID       [16]byte // a random UUID v4, persisted (FormatID prints it as Kafka does)
	Internal bool     // IsInternal(Name)
	// Partitions holds the logs, indexed by partition number. A log may be
	// closed under a caller that kept it past a Delete (partition.ErrClosed).
	Partitions []*partition.Log
	Configs    map[string]string // the topic's config overrides only, as given; nil when none
	// Counters are the topic's traffic counters (stats.go), shared by
	// every snapshot of the topic.
	Counters *Counters
}

// NumPartitions is len(Partitions).
func (t *Topic) NumPartitions() int32 { return int32(len(t.Partitions)) }

// snapshot is the registry's state as readers see it: replaced whole on
// every change.
type snapshot struct {
	sorted  []*Topic
	byName  map[string]*Topic
	byID    map[[16]byte]*Topic
	unified map[string]string // unify(name) -> name
}

func newSnapshot(sorted []*Topic) *snapshot {
	s := &snapshot{
		sorted:  sorted,
		byName:  make(map[string]*Topic, len(sorted)),
		byID:    make(map[[16]byte]*Topic, len(sorted)),
		unified: make(map[string]string, len(sorted)),
	}
	for _, t := range sorted {
		s.byName[t.Name] = t
		s.byID[t.ID] = t
		s.unified[unify(t.Name)] = t.Name
	}
	return s
}

// Registry is the set of topics in one data directory and their logs. Reads
// (Get, GetByID, List, Partition) take no lock: they load an atomic
// snapshot. Changes (Create, Delete, AddPartitions, SetConfigs) are
// serialised and each persists topics.json before it is visible.
type Registry struct {
	dir        string
	fs         vfs.FS
	popts      partition.Options
	resolve    func(map[string]string) (partition.Config, error)
	logger     *slog.Logger
	ownFlusher *partition.Flusher

	mu      sync.Mutex // serialises changes; held across their file I/O
	closed  bool       // mu
	ckStale bool       // mu: a Delete could not rewrite the checkpoint files
	snap    atomic.Pointer[snapshot]
	// open is snap, except that Close does not empty it: the topics whose
	// logs the checkpoint files describe.
	open atomic.Pointer[snapshot]

	workers int       // Options.RecoveryThreads
	dirs    []*logDir // log.dirs; dirs[0].path is dir

	stop chan struct{} // closed by Close: ends the retention goroutine
	done chan struct{} // closed when the retention goroutine has ended

	cl cleanerState // the log cleaner (cleaner.go)
}

func defaultResolve(overrides map[string]string) (partition.Config, error) {
	if len(overrides) > 0 {
		return partition.Config{}, errors.New("topic: config overrides given, and no Options.Resolve to apply them")
	}
	return partition.DefaultConfig(), nil
}

// Open opens the registry in dir, creating dir if needed, and every
// partition's log (dir/<topic>-<partition>) with its resolved config.
//
// Recovery: a leftover topics.json.tmp is removed. Partition directories
// that belong to no topic of topics.json (a Delete or a failed Create or
// AddPartitions cut short by a crash) are removed. If topics.json is
// missing while partition directories exist, or does not parse, the
// registry is rebuilt from the directory names rather than losing data:
// topic IDs are regenerated and config overrides are lost (both logged),
// and a corrupt file is kept as topics.json.corrupt. A partition directory
// that topics.json expects but that is missing is recreated empty (logged).
//
// topics.json lives in whichever of the dirs already holds it (the first
// when none does), so reordering log.dirs keeps the topics; two dirs
// holding one is an error wrapping partition.ErrStorage.
func Open(dir string, opts Options) (*Registry, error) {
	r := &Registry{
		dir:     filepath.Clean(dir),
		fs:      cmp.Or(opts.FS, opts.Partition.FS, vfs.OS),
		popts:   opts.Partition,
		resolve: opts.Resolve,
		logger:  cmp.Or(opts.Logger, slog.New(slog.DiscardHandler)),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		workers: cmp.Or(max(opts.RecoveryThreads, 0), defaultRecoveryThreads),
		cl: cleanerState{enabled: opts.Cleaner != nil && opts.Compaction != nil, opts: opts.Cleaner,
			compaction: opts.Compaction},
	}
	all, err := metadataFirst(r.fs, append([]string{dir}, opts.ExtraDirs...))
	if err != nil {
		return nil, err
	}
	r.dir = filepath.Clean(all[0])
	seen := map[string]bool{}
	for _, d := range all {
		ld := newLogDir(r, d)
		if seen[ld.path] {
			return nil, fmt.Errorf("topic: log directory %s given twice", ld.path)
		}
		seen[ld.path] = true
		r.dirs = append(r.dirs, ld)
	}
	if r.resolve == nil {
		r.resolve = defaultResolve
	}
	if r.cl.opts != nil && r.cl.opts.FS == nil {
		o := *r.cl.opts
		o.FS = r.fs // the cleaner's checkpoints, beside the logs
		r.cl.opts = &o
	}
	r.popts.FS = r.fs
	r.popts.Managed = true
	if r.popts.Logger == nil {
		r.popts.Logger = r.logger
	}
	if r.popts.Flusher == nil {
		r.ownFlusher = partition.NewFlusher(r.fs)
		r.popts.Flusher = r.ownFlusher
	}
	began, recovered0 := time.Now(), partition.RecoveredSegments()
	topics, err := r.load()
	if err == nil {
		n := 0
		for _, t := range topics {
			n += len(t.Partitions)
		}
		r.logger.Info("logs opened", "partitions", n, "segments_recovered", partition.RecoveredSegments()-recovered0,
			"took", time.Since(began).Round(time.Millisecond))
		r.open.Store(newSnapshot(topics))
		err = r.started()
		if err != nil {
			closeLogs(topics)
		}
	}
	if err != nil {
		if r.ownFlusher != nil {
			r.ownFlusher.Close()
		}
		return nil, err
	}
	r.snap.Store(r.open.Load())
	r.startCleaner(r.open.Load().sorted)
	intervals := [3]time.Duration{opts.RetentionCheckInterval,
		checkpointInterval(opts.RecoveryPointCheckpointInterval), checkpointInterval(opts.LogStartCheckpointInterval)}
	go pprof.Do(context.Background(), pprof.Labels("strata", "topic-background"), func(context.Context) {
		r.background(intervals)
	})
	return r, nil
}

// metadataFirst returns dirs with the one that holds topics.json first:
// the registry's metadata stays where it was written whatever the order of
// log.dirs (with none, the first dir gets it). topics.json in two dirs is
// refused: each would remove the other's partitions as orphans.
func metadataFirst(fsys vfs.FS, dirs []string) ([]string, error) {
	at := -1
	for i, d := range dirs {
		if _, err := fsys.Stat(filepath.Join(d, metaName)); err != nil {
			continue
		}
		if at >= 0 {
			return nil, fmt.Errorf("%w: %s is in two log directories, %s and %s; keep the newer one",
				partition.ErrStorage, metaName, dirs[at], d)
		}
		at = i
	}
	if at <= 0 {
		return dirs, nil
	}
	out := append([]string{dirs[at]}, dirs[:at]...)
	return append(out, dirs[at+1:]...), nil
}

func checkpointInterval(d time.Duration) time.Duration {
	if d == 0 {
		return defaultCheckpointInterval
	}
	return d
}

func cloneConfigs(c map[string]string) map[string]string {
	if len(c) == 0 {
		return nil
	}
	return maps.Clone(c)
}

func (r *Registry) resolveConfigs(name string, configs map[string]string) (partition.Config, error) {
	cfg, err := r.resolve(configs)
	if err != nil {
		return cfg, wrapError(ErrInvalidConfig, err, "topic "+name)
	}
	return cfg, nil
}

// closeLogs closes the logs opened so far (a failed Open).
func closeLogs(topics []*Topic) {
	for _, t := range topics {
		for _, l := range t.Partitions {
			if l != nil {
				_ = l.Close()
			}
		}
	}
}

// deleteLogs closes logs and removes their directories, logging failures:
// a directory left behind is removed by the next Open.
func (r *Registry) deleteLogs(logs []*partition.Log) {
	for _, l := range logs {
		if err := l.Delete(); err != nil {
			r.logger.Error("cannot delete a partition's directory; the next start removes it", "dir", l.Dir(), "err", err)
		}
	}
}

// commit persists topics (sorted by name) as topics.json, then publishes
// them. mu must be held.
func (r *Registry) commit(topics []*Topic) error {
	if err := writeMeta(r.fs, r.dir, encodeMeta(topics)); err != nil {
		return fmt.Errorf("%w: %w", partition.ErrStorage, err)
	}
	s := newSnapshot(topics)
	r.open.Store(s)
	r.snap.Store(s)
	return nil
}

// openNew opens fresh logs for partitions [from, to) of a topic: any
// directory left at their paths is removed first. On error nothing is
// left: the logs opened so far are deleted and the directory of the one
// that failed is removed. mu must be held.
func (r *Registry) openNew(name string, from, to int32, cfg partition.Config) ([]*partition.Log, error) {
	if r.ckStale { // a checkpoint file may still name a deleted partition of this name
		if err := r.writeCheckpoints(); err != nil {
			return nil, err
		}
		r.ckStale = false
	}
	placed := make([]int, len(r.dirs)) // partitions per log directory
	for _, t := range r.logs() {
		for _, l := range t.Partitions {
			for i, d := range r.dirs {
				if d.holds(l) {
					placed[i]++
				}
			}
		}
	}
	opts := r.popts
	opts.State = &partition.State{} // new: nothing to read, nothing to recover
	logs := make([]*partition.Log, 0, to-from)
	for p := from; p < to; p++ {
		i := leastUsed(placed)
		placed[i]++
		opts.PersistLogStart = r.dirs[i].persistLogStart
		dir := filepath.Join(r.dirs[i].path, DirName(name, p))
		err := r.fs.RemoveAll(dir)
		var l *partition.Log
		if err == nil {
			l, err = partition.Open(dir, cfg, opts)
		}
		if err != nil {
			r.deleteLogs(logs)
			if rerr := r.fs.RemoveAll(dir); rerr != nil {
				r.logger.Error("cannot remove a partition directory of a failed create; the next start removes it", "dir", dir, "err", rerr)
			}
			return nil, fmt.Errorf("topic: create %s: %w", DirName(name, p), err)
		}
		logs = append(logs, l)
	}
	return logs, nil
}

// replaced returns a copy of topics with old replaced by t (t == nil:
// removed; old == nil: t inserted), sorted by name.
func replaced(topics []*Topic, old, t *Topic) []*Topic {
	out := make([]*Topic, 0, len(topics)+1)
	for _, x := range topics {
		if x != old {
			out = append(out, x)
		}
	}
	if t != nil {
		i, _ := slices.BinarySearchFunc(out, t.Name, func(x *Topic, name string) int { return strings.Compare(x.Name, name) })
		out = slices.Insert(out, i, t)
	}
	return out
}

// Create creates a topic with partitions logs and the given config
// overrides, checked in Kafka's order: the name (ValidateName), that no
// topic has it (ErrTopicExists) or collides with it (ErrTopicCollision,
// which matches ErrInvalidTopic too), partitions in 1..MaxPartitions
// (ErrInvalidPartitions), the configs (Options.Resolve; ErrInvalidConfig).
// The partition directories are created, then topics.json is written; the
// topic is visible once both are done. With validateOnly nothing is
// created, and the returned Topic has a zero ID and partitions nil logs.
// I/O failures wrap partition.ErrStorage.
func (r *Registry) Create(name string, partitions int32, configs map[string]string, validateOnly bool) (*Topic, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrClosed
	}
	s := r.snap.Load()
	if _, ok := s.byName[name]; ok {
		return nil, newError(ErrTopicExists, "Topic '%s' already exists.", name)
	}
	if other, ok := s.unified[unify(name)]; ok {
		e := newError(ErrTopicCollision, "Topic '%s' collides with existing topic: %s", name, other)
		e.sentinels = append(e.sentinels, ErrInvalidTopic)
		return nil, e
	}
	if err := checkPartitions(partitions); err != nil {
		return nil, err
	}
	configs = cloneConfigs(configs)
	cfg, err := r.resolveConfigs(name, configs)
	if err != nil {
		return nil, err
	}
	t := &Topic{Name: name, Internal: IsInternal(name), Configs: configs, Counters: new(Counters)}
	if validateOnly {
		t.Partitions = make([]*partition.Log, partitions)
		return t, nil
	}
	t.ID = newID(func(id [16]byte) bool { _, ok := s.byID[id]; return ok })
	if t.Partitions, err = r.openNew(name, 0, partitions, cfg); err != nil {
		return nil, err
	}
	if err := r.commit(replaced(s.sorted, nil, t)); err != nil {
		r.deleteLogs(t.Partitions)
		return nil, err
	}
	r.cleanerAdd(t, 0)
	r.logger.Info("created topic", "topic", name, "id", FormatID(t.ID), "partitions", partitions, "configs", configs)
	if HasCollisionChars(name) && !t.Internal {
		r.logger.Warn("topics with a period ('.') or underscore ('_') could collide in metric names; use either, not both", "topic", name)
	}
	return t, nil
}

func checkPartitions(n int32) error {
	if n < 1 {
		return newError(ErrInvalidPartitions, "Number of partitions was set to an invalid non-positive value.")
	}
	if n > MaxPartitions {
		return newError(ErrInvalidPartitions, "Number of partitions %d exceeds the maximum of %d.", n, MaxPartitions)
	}
	return nil
}

func unknownTopic(name string) error {
	return newError(ErrUnknownTopic, "This server does not host this topic-partition: topic '%s' does not exist.", name)
}

// topicLocked returns the current snapshot and its topic name: ErrClosed
// after Close, the unknown-topic error if there is none. mu must be held.
func (r *Registry) topicLocked(name string) (*snapshot, *Topic, error) {
	if r.closed {
		return nil, nil, ErrClosed
	}
	s := r.snap.Load()
	t, ok := s.byName[name]
	if !ok {
		return nil, nil, unknownTopic(name)
	}
	return s, t, nil
}

// Delete removes a topic: topics.json is rewritten without it (from then
// on it is gone, even after a crash), then its logs are closed and their
// directories removed. A directory that cannot be removed is logged and
// removed by the next Open. Callers still holding one of its logs get
// partition.ErrClosed. ErrUnknownTopic if there is no such topic.
func (r *Registry) Delete(name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, t, err := r.topicLocked(name)
	if err != nil {
		return err
	}
	if err := r.commit(replaced(s.sorted, t, nil)); err != nil {
		return err
	}
	r.cleanerRemove(t, true)
	r.deleteLogs(t.Partitions)
	// Without its entries, so that a topic created with the same name
	// later is not opened, after a crash, with this one's recovery point.
	if err := r.writeCheckpoints(); err != nil {
		r.ckStale = true
		r.logger.Error("cannot rewrite the checkpoint files after a delete; retried before the next create", "err", err)
	}
	r.logger.Info("deleted topic", "topic", name, "id", FormatID(t.ID))
	return nil
}

// AddPartitions raises a topic's partition count to total, as Kafka's
// CreatePartitions: total must exceed the current count
// (ErrInvalidPartitions with Kafka's message otherwise) and be at most
// MaxPartitions. New partitions run with the topic's config. With
// validateOnly nothing changes.
func (r *Registry) AddPartitions(name string, total int32, validateOnly bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, t, err := r.topicLocked(name)
	if err != nil {
		return err
	}
	cur := t.NumPartitions()
	switch {
	case total < cur:
		return newError(ErrInvalidPartitions, "Topic currently has %d partitions, which is higher than the requested %d.", cur, total)
	case total == cur:
		return newError(ErrInvalidPartitions, "Topic already has %d partition(s).", cur)
	}
	if err := checkPartitions(total); err != nil {
		return err
	}
	cfg, err := r.resolveConfigs(name, t.Configs)
	if err != nil {
		return err
	}
	if validateOnly {
		return nil
	}
	logs, err := r.openNew(name, cur, total, cfg)
	if err != nil {
		return err
	}
	nt := *t
	nt.Partitions = slices.Concat(t.Partitions, logs)
	if err := r.commit(replaced(s.sorted, t, &nt)); err != nil {
		r.deleteLogs(logs)
		return err
	}
	r.cleanerAdd(&nt, int(cur))
	r.logger.Info("added partitions", "topic", name, "from", cur, "to", total)
	return nil
}

// SetConfigs replaces a topic's config overrides with configs (an
// AlterConfigs; IncrementalAlterConfigs computes the new set from
// Get(name).Configs first). They are resolved (ErrInvalidConfig),
// persisted, published, then applied to every log (Log.SetConfig). With
// validateOnly nothing changes.
func (r *Registry) SetConfigs(name string, configs map[string]string, validateOnly bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, t, err := r.topicLocked(name)
	if err != nil {
		return err
	}
	configs = cloneConfigs(configs)
	cfg, err := r.resolveConfigs(name, configs)
	if err != nil || validateOnly {
		return err
	}
	nt := *t
	nt.Configs = configs
	if err := r.commit(replaced(s.sorted, t, &nt)); err != nil {
		return err
	}
	for _, l := range nt.Partitions {
		l.SetConfig(cfg)
	}
	r.cleanerSync(&nt)
	r.logger.Info("set topic configs", "topic", name, "configs", configs)
	return nil
}

// Get returns the topic named name.
func (r *Registry) Get(name string) (*Topic, bool) {
	t, ok := r.snap.Load().byName[name]
	return t, ok
}

// GetByID returns the topic with this ID.
func (r *Registry) GetByID(id [16]byte) (*Topic, bool) {
	t, ok := r.snap.Load().byID[id]
	return t, ok
}

// List returns every topic, sorted by name. The slice is the caller's.
func (r *Registry) List() []*Topic { return slices.Clone(r.snap.Load().sorted) }

// Partition returns one partition's log: ErrUnknownTopic or
// ErrUnknownPartition (both UNKNOWN_TOPIC_OR_PARTITION) when there is none.
// It takes no lock and does not allocate on success.
func (r *Registry) Partition(name string, p int32) (*partition.Log, error) {
	t, ok := r.snap.Load().byName[name]
	if !ok {
		return nil, unknownTopic(name)
	}
	if p < 0 || int(p) >= len(t.Partitions) {
		return nil, newError(ErrUnknownPartition, "This server does not host this topic-partition: topic '%s' has no partition %d.", name, p)
	}
	return t.Partitions[p], nil
}

// ApplyRetention runs one retention pass (partition.Log.ApplyRetention) over
// every log and returns the number of segments deleted. Failures are
// logged; a log closed by a concurrent Delete is skipped.
func (r *Registry) ApplyRetention() int {
	deleted := 0
	for _, t := range r.snap.Load().sorted {
		for p, l := range t.Partitions {
			n, err := l.ApplyRetention()
			deleted += n
			if err != nil && !errors.Is(err, partition.ErrClosed) {
				r.logger.Error("retention failed", "topic", t.Name, "partition", p, "err", err)
			}
		}
	}
	return deleted
}

// background runs retention and writes the checkpoint files at their
// intervals (0 or less: never) until Close.
func (r *Registry) background(every [3]time.Duration) {
	defer close(r.done)
	var ticks [3]<-chan time.Time
	for i, d := range every {
		if d > 0 {
			t := time.NewTicker(d)
			defer t.Stop()
			ticks[i] = t.C
		}
	}
	for {
		select {
		case <-r.stop:
			return
		case <-ticks[0]:
			if n := r.ApplyRetention(); n > 0 {
				r.logger.Info("retention deleted segments", "segments", n)
			}
		case <-ticks[1]:
			r.writeEach(true)
		case <-ticks[2]:
			r.writeEach(false)
		}
	}
}

// Close stops the background work and closes every log cleanly, at most
// Options.RecoveryThreads at once (only the logs with data appended since
// their last flush fsync anything), then the registry's own flusher. Then
// it writes the checkpoint files (every recovery point is now its log's
// end) and, if every log closed cleanly, the clean-shutdown marker last,
// so that the next Open scans nothing. The registry is empty afterwards
// and refuses changes (ErrClosed). A second Close does nothing.
func (r *Registry) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	s := r.snap.Load()
	r.snap.Store(newSnapshot(nil))
	r.mu.Unlock()
	close(r.stop)
	<-r.done
	cerr := r.stopCleaner()
	return errors.Join(r.closeAll(s.sorted), cerr)
}
