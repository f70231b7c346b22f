package topic

import (
	"sync"

	"github.com/stratabroker/strata/compact"
	"github.com/stratabroker/strata/partition"
)

// The log cleaner (Kafka's LogCleaner, package compact) runs over every
// partition whose topic's cleanup.policy holds compact. The registry owns
// the compact.Manager: it adds each such partition when its log opens (at
// Open, Create, AddPartitions) or its topic turns compacted (SetConfigs,
// Reconfigure: a changed log.cleanup.policy), and removes it before the
// log closes (Delete, Close) or when its topic stops being compacted.
// The manager reads a partition's settings at each pass through a getter
// that resolves the topic's current overrides (Options.Compaction) and
// the log's current segment.bytes and segment.index.bytes, so dynamic
// broker configs reach it without a call. Changing the cleaner's own
// settings (log.cleaner.threads, ...) replaces the manager (SetCleaner),
// as Kafka's LogCleaner.reconfigure restarts its threads.
//
// The manager hooks each added log's segment rolls (partition's OnRoll),
// so a roll of a compacted partition wakes a cleaner thread; it looks
// again every log.cleaner.backoff.ms too. A deleted topic's partitions
// leave the manager's checkpoint (Manager.Delete); a topic that stops
// being compacted keeps its entry there (Manager.Remove), as in Kafka.

// cleaned is one partition the cleaner knows.
type cleaned struct {
	log *partition.Log
	cfg func() compact.Config
}

// cleanerState is the registry's side of the log cleaner.
type cleanerState struct {
	enabled bool // set at Open: Options.Cleaner and Options.Compaction given
	// mu guards everything below. It is held across the manager's Remove,
	// Delete and Close, which wait for a pass in progress to stop at its
	// next batch; a pass never takes it (its settings getter reads the
	// registry's snapshot only). Lock order: Registry.mu, then mu.
	mu    sync.Mutex
	opts  *compact.Options
	mgr   *compact.Manager
	parts map[string]*cleaned // by DirName
	// carried are the counters of the managers SetCleaner replaced, so
	// CleanerStats' totals never go back.
	carried struct{ bytesRead, bytesWritten, passes, uncleanable int64 }
	// compaction resolves a topic's overrides into its cleaner settings
	// (Options.Compaction).
	compaction func(map[string]string) (compact.Config, bool)
}

// cleanerEnabled reports whether the registry runs a cleaner.
func (r *Registry) cleanerEnabled() bool { return r.cl.enabled }

// compacted reports whether a topic with these overrides is compacted.
func (r *Registry) compacted(configs map[string]string) bool {
	if r.cl.compaction == nil {
		return false
	}
	_, ok := r.cl.compaction(configs)
	return ok
}

// cleanerConfig returns the getter the manager reads a partition's
// settings with: the topic's overrides as they are when it is called
// (those it was added with once the topic is gone from the registry: a
// pass that Delete or Close is stopping).
func (r *Registry) cleanerConfig(topic string, added map[string]string, l *partition.Log) func() compact.Config {
	return func() compact.Config {
		overrides := added
		if t, ok := r.Get(topic); ok {
			overrides = t.Configs
		}
		c, _ := r.cl.compaction(overrides)
		lc := l.Config()
		c.SegmentBytes, c.MaxIndexBytes = lc.SegmentBytes, lc.SegmentIndexBytes
		return c
	}
}

// startCleaner creates the manager over the compacted topics of topics and
// starts it (Open).
func (r *Registry) startCleaner(topics []*Topic) {
	if !r.cleanerEnabled() {
		return
	}
	r.cl.mu.Lock()
	defer r.cl.mu.Unlock()
	r.cl.parts = map[string]*cleaned{}
	r.cl.mgr = compact.NewManager(*r.cl.opts)
	for _, t := range topics {
		if r.compacted(t.Configs) {
			r.addLocked(t, 0)
		}
	}
	r.cl.mgr.Start()
}

// addLocked adds partitions [from, len) of t to the cleaner. cl.mu held.
func (r *Registry) addLocked(t *Topic, from int) {
	for p := from; p < len(t.Partitions); p++ {
		name := DirName(t.Name, int32(p))
		if _, ok := r.cl.parts[name]; ok {
			continue
		}
		l := t.Partitions[p]
		c := &cleaned{log: l, cfg: r.cleanerConfig(t.Name, t.Configs, l)}
		r.cl.parts[name] = c
		r.cl.mgr.Add(name, l, c.cfg) // and checks it soon: it may have been opened dirty
	}
}

// cleanerAdd adds t's partitions from from on, if t is compacted (Create,
// AddPartitions, SetConfigs to compact).
func (r *Registry) cleanerAdd(t *Topic, from int) {
	if !r.cleanerEnabled() || !r.compacted(t.Configs) {
		return
	}
	r.cl.mu.Lock()
	defer r.cl.mu.Unlock()
	if r.cl.mgr != nil {
		r.addLocked(t, from)
	}
}

// cleanerRemove removes t's partitions from the cleaner, waiting for a pass
// in progress on them (SetConfigs away from compact; with deleted, Delete:
// the cleaner's checkpoint forgets them too).
func (r *Registry) cleanerRemove(t *Topic, deleted bool) {
	if !r.cleanerEnabled() {
		return
	}
	r.cl.mu.Lock()
	defer r.cl.mu.Unlock()
	if r.cl.mgr == nil {
		return
	}
	for p := range t.Partitions {
		name := DirName(t.Name, int32(p))
		if _, ok := r.cl.parts[name]; ok {
			delete(r.cl.parts, name)
			if deleted {
				r.cl.mgr.Delete(name)
			} else {
				r.cl.mgr.Remove(name)
			}
		}
	}
}

// cleanerSync adds or removes t's partitions to match its policy now.
func (r *Registry) cleanerSync(t *Topic) {
	if r.compacted(t.Configs) {
		r.cleanerAdd(t, 0)
	} else {
		r.cleanerRemove(t, false)
	}
}

// stopCleaner stops the manager, waiting for passes in progress (Close).
func (r *Registry) stopCleaner() error {
	r.cl.mu.Lock()
	defer r.cl.mu.Unlock()
	if r.cl.mgr == nil {
		return nil
	}
	for _, c := range r.cl.parts {
		c.log.OnRoll(nil)
	}
	err := r.cl.mgr.Close()
	r.cl.mgr, r.cl.parts = nil, nil
	return err
}

// SetCleaner replaces the cleaner's settings (dynamic log.cleaner.*
// configs): the manager is stopped, waiting for passes in progress, and a
// new one with o starts over the same partitions, as Kafka's
// LogCleaner.reconfigure restarts its threads. Nothing happens when the
// registry runs no cleaner (log.cleaner.enable=false at start).
func (r *Registry) SetCleaner(o compact.Options) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || !r.cleanerEnabled() {
		return nil
	}
	r.cl.mu.Lock()
	defer r.cl.mu.Unlock()
	if r.cl.mgr == nil {
		return nil
	}
	err := r.cl.mgr.Close()
	old := r.cl.mgr.Stats()
	c := &r.cl.carried
	c.bytesRead += old.BytesRead
	c.bytesWritten += old.BytesWritten
	c.passes += old.Passes
	c.uncleanable += old.Uncleanable
	r.cl.opts = &o
	r.cl.mgr = compact.NewManager(o)
	for name, c := range r.cl.parts {
		r.cl.mgr.Add(name, c.log, c.cfg)
	}
	r.cl.mgr.Start()
	return err
}

// CleanerStats returns the cleaner's figures (zero without a cleaner).
// Its counters (bytes read and written, passes, partitions marked
// uncleanable) count since Open, across the managers SetCleaner replaced;
// the rest is the manager's now.
func (r *Registry) CleanerStats() compact.ManagerStats {
	r.cl.mu.Lock()
	defer r.cl.mu.Unlock()
	if r.cl.mgr == nil {
		return compact.ManagerStats{}
	}
	s := r.cl.mgr.Stats()
	c := r.cl.carried
	s.BytesRead += c.bytesRead
	s.BytesWritten += c.bytesWritten
	s.Passes += c.passes
	s.Uncleanable += c.uncleanable
	return s
}

// Cleaned reports whether the cleaner runs over partition p of topic.
func (r *Registry) Cleaned(topic string, p int32) bool {
	r.cl.mu.Lock()
	defer r.cl.mu.Unlock()
	_, ok := r.cl.parts[DirName(topic, p)]
	return ok
}
