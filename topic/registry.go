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
}

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

	mu     sync.Mutex // serialises changes; held across their file I/O
	closed bool       // mu
	snap   atomic.Pointer[snapshot]

	stop chan struct{} // closed by Close: ends the retention goroutine
	done chan struct{} // closed when the retention goroutine has ended
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
func Open(dir string, opts Options) (*Registry, error) {
	r := &Registry{
		dir:     filepath.Clean(dir),
		fs:      cmp.Or(opts.FS, opts.Partition.FS, vfs.OS),
		popts:   opts.Partition,
		resolve: opts.Resolve,
		logger:  cmp.Or(opts.Logger, slog.New(slog.DiscardHandler)),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	if r.resolve == nil {
		r.resolve = defaultResolve
	}
	r.popts.FS = r.fs
	if r.popts.Logger == nil {
		r.popts.Logger = r.logger
	}
	if r.popts.Flusher == nil {
		r.ownFlusher = partition.NewFlusher(r.fs)
		r.popts.Flusher = r.ownFlusher
	}
	topics, err := r.load()
	if err != nil {
		if r.ownFlusher != nil {
			r.ownFlusher.Close()
		}
		return nil, err
	}
	r.snap.Store(newSnapshot(topics))
	if opts.RetentionCheckInterval > 0 {
		go pprof.Do(context.Background(), pprof.Labels("strata", "topic-retention"), func(context.Context) {
			r.retentionLoop(opts.RetentionCheckInterval)
		})
	} else {
		close(r.done)
	}
	return r, nil
}

// load reads topics.json (or rebuilds it) and opens every log.
func (r *Registry) load() ([]*Topic, error) {
	if err := r.fs.MkdirAll(r.dir, 0o755); err != nil {
		return nil, fmt.Errorf("%w: %w", partition.ErrStorage, err)
	}
	// the data directory itself must survive a crash
	if err := r.fs.SyncDir(filepath.Dir(r.dir)); err != nil {
		return nil, fmt.Errorf("%w: %w", partition.ErrStorage, err)
	}
	names, err := r.fs.ReadDir(r.dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", partition.ErrStorage, err)
	}
	onDisk := map[string]map[int32]bool{} // partition directories found
	for _, n := range names {
		if n == metaTmpName {
			_ = r.fs.Remove(filepath.Join(r.dir, n))
			continue
		}
		name, p, ok := parseDirName(n)
		if !ok {
			continue
		}
		if st, err := r.fs.Stat(filepath.Join(r.dir, n)); err != nil || !st.IsDir() {
			continue
		}
		if onDisk[name] == nil {
			onDisk[name] = map[int32]bool{}
		}
		onDisk[name][p] = true
	}

	var metas []metaTopic
	rebuilt := false
	data, exists, err := readMeta(r.fs, r.dir)
	if err == nil && exists {
		metas, err = decodeMeta(data)
	}
	switch {
	case errors.Is(err, errCorruptMeta):
		r.logger.Error("topics.json is corrupt: rebuilding the registry from the partition directories; topic IDs are regenerated and config overrides are lost",
			"dir", r.dir, "err", err, "kept as", corruptName)
		if rerr := r.fs.Rename(filepath.Join(r.dir, metaName), filepath.Join(r.dir, corruptName)); rerr != nil {
			r.logger.Error("cannot keep the corrupt topics.json", "err", rerr)
		}
		metas, rebuilt = rebuildMeta(onDisk), true
	case err != nil:
		return nil, fmt.Errorf("%w: read %s: %w", partition.ErrStorage, metaName, err)
	case !exists && len(onDisk) > 0:
		r.logger.Warn("topics.json is missing: rebuilding the registry from the partition directories; topic IDs are regenerated and config overrides are lost",
			"dir", r.dir, "topics", len(onDisk))
		metas, rebuilt = rebuildMeta(onDisk), true
	}

	count := make(map[string]int32, len(metas))
	for _, m := range metas {
		count[m.Name] = m.Partitions
	}
	for name, ps := range onDisk {
		for p := range ps {
			if p < count[name] {
				continue
			}
			dir := filepath.Join(r.dir, DirName(name, p))
			r.logger.Warn("removing a partition directory that belongs to no topic (an interrupted delete or create)", "dir", dir)
			if err := r.fs.RemoveAll(dir); err != nil {
				return nil, fmt.Errorf("%w: remove orphan %s: %w", partition.ErrStorage, dir, err)
			}
		}
	}

	slices.SortFunc(metas, func(a, b metaTopic) int { return strings.Compare(a.Name, b.Name) })
	topics := make([]*Topic, 0, len(metas))
	fail := func(err error) ([]*Topic, error) {
		for _, t := range topics {
			closeLogs(t.Partitions)
		}
		return nil, err
	}
	for _, m := range metas {
		id, _ := ParseID(m.ID) // checked by decodeMeta; rebuildMeta leaves it empty
		if m.ID == "" {
			id = newID(func(id [16]byte) bool {
				return slices.ContainsFunc(topics, func(t *Topic) bool { return t.ID == id })
			})
		}
		configs := cloneConfigs(m.Configs)
		cfg, err := r.resolveConfigs(m.Name, configs)
		if err != nil {
			return fail(err)
		}
		t := &Topic{Name: m.Name, ID: id, Internal: IsInternal(m.Name), Configs: configs}
		for p := range m.Partitions {
			if !onDisk[m.Name][p] {
				r.logger.Warn("partition directory missing: starting the partition empty", "topic", m.Name, "partition", p)
			}
			l, err := partition.Open(filepath.Join(r.dir, DirName(m.Name, p)), cfg, r.popts)
			if err != nil {
				closeLogs(t.Partitions)
				return fail(fmt.Errorf("topic: open %s: %w", DirName(m.Name, p), err))
			}
			t.Partitions = append(t.Partitions, l)
		}
		topics = append(topics, t)
	}
	if rebuilt {
		if err := writeMeta(r.fs, r.dir, encodeMeta(topics)); err != nil {
			return fail(fmt.Errorf("%w: %w", partition.ErrStorage, err))
		}
	}
	return topics, nil
}

// rebuildMeta makes one topic per name found on disk, with as many
// partitions as its highest partition number + 1, no ID and no overrides.
func rebuildMeta(onDisk map[string]map[int32]bool) []metaTopic {
	metas := make([]metaTopic, 0, len(onDisk))
	for name, ps := range onDisk {
		n := int32(0)
		for p := range ps {
			n = max(n, p+1)
		}
		if n > MaxPartitions {
			n = MaxPartitions
		}
		metas = append(metas, metaTopic{Name: name, Partitions: n})
	}
	return metas
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

func closeLogs(logs []*partition.Log) {
	for _, l := range logs {
		_ = l.Close()
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
	r.snap.Store(newSnapshot(topics))
	return nil
}

// openNew opens fresh logs for partitions [from, to) of a topic: any
// directory left at their paths is removed first. On error the logs opened
// so far are deleted.
func (r *Registry) openNew(name string, from, to int32, cfg partition.Config) ([]*partition.Log, error) {
	logs := make([]*partition.Log, 0, to-from)
	for p := from; p < to; p++ {
		dir := filepath.Join(r.dir, DirName(name, p))
		err := r.fs.RemoveAll(dir)
		var l *partition.Log
		if err == nil {
			l, err = partition.Open(dir, cfg, r.popts)
		}
		if err != nil {
			r.deleteLogs(logs)
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
	t := &Topic{Name: name, Internal: IsInternal(name), Configs: configs}
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
	r.deleteLogs(t.Partitions)
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

func (r *Registry) retentionLoop(interval time.Duration) {
	defer close(r.done)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-tick.C:
			if n := r.ApplyRetention(); n > 0 {
				r.logger.Info("retention deleted segments", "segments", n)
			}
		}
	}
}

// Close stops background retention and closes every log cleanly (then the
// registry's own flusher). The registry is empty afterwards and refuses
// changes (ErrClosed). A second Close does nothing.
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
	var errs []error
	for _, t := range s.sorted {
		for _, l := range t.Partitions {
			if err := l.Close(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if r.ownFlusher != nil {
		if err := r.ownFlusher.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
