package topic

import (
	"sync"
	"sync/atomic"

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
// The cleaner is woken when a compacted partition rolls a segment (the
// only time a segment becomes cleanable): the log's OnRoll callback, which
// runs under the log's append lock and so must not block, marks the
// partition and kicks the registry's background goroutine, which calls
// Manager.Wake for the marked ones. The manager decides whether anything
// is cleanable yet (dirty ratio, compaction lags) and otherwise looks
// again after log.cleaner.backoff.ms.

// cleaned is one partition the cleaner knows.
type cleaned struct {
	log    *partition.Log
	cfg    func() compact.Config
	rolled atomic.Bool // set by the log's OnRoll, cleared by wakeRolled
}

// cleanerState is the registry's side of the log cleaner.
type cleanerState struct {
	enabled bool       // set at Open: Options.Cleaner and Options.Compaction given
	mu      sync.Mutex // guards everything below; never held across a call that waits for a pass, except Remove
	opts    *compact.Options
	mgr     *compact.Manager
	parts   map[string]*cleaned // by DirName
	// compaction resolves a topic's overrides into its cleaner settings
	// (Options.Compaction).
	compaction func(map[string]string) (compact.Config, bool)
	// kick has a value when a partition rolled since wakeRolled last ran.
	kick chan struct{}
	// woke, when set (tests only), is called with each partition
	// wakeRolled wakes.
	woke func(name string)
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
// settings with: the topic's overrides as they are when it is called.
func (r *Registry) cleanerConfig(topic string, l *partition.Log) func() compact.Config {
	return func() compact.Config {
		var overrides map[string]string
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
		c := &cleaned{log: l, cfg: r.cleanerConfig(t.Name, l)}
		r.cl.parts[name] = c
		kick := r.cl.kick
		l.OnRoll(func() {
			c.rolled.Store(true)
			select {
			case kick <- struct{}{}:
			default:
			}
		})
		r.cl.mgr.Add(name, l, c.cfg)
		r.cl.mgr.Wake(name) // a log opened with dirty data is checked at once
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
// in progress on them (Delete, SetConfigs away from compact).
func (r *Registry) cleanerRemove(t *Topic) {
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
		if c, ok := r.cl.parts[name]; ok {
			delete(r.cl.parts, name)
			c.log.OnRoll(nil)
			r.cl.mgr.Remove(name)
		}
	}
}

// cleanerSync adds or removes t's partitions to match its policy now.
func (r *Registry) cleanerSync(t *Topic) {
	if r.compacted(t.Configs) {
		r.cleanerAdd(t, 0)
	} else {
		r.cleanerRemove(t)
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

// wakeRolled wakes the cleaner for every compacted partition that rolled
// a segment since the last call.
func (r *Registry) wakeRolled() {
	r.cl.mu.Lock()
	defer r.cl.mu.Unlock()
	if r.cl.mgr == nil {
		return
	}
	for name, c := range r.cl.parts {
		if c.rolled.Swap(false) {
			r.cl.mgr.Wake(name)
			if r.cl.woke != nil {
				r.cl.woke(name)
			}
		}
	}
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
	r.cl.opts = &o
	r.cl.mgr = compact.NewManager(o)
	for name, c := range r.cl.parts {
		r.cl.mgr.Add(name, c.log, c.cfg)
		r.cl.mgr.Wake(name)
	}
	r.cl.mgr.Start()
	return err
}

// CleanerStats returns the cleaner's counters (zero without a cleaner).
func (r *Registry) CleanerStats() compact.ManagerStats {
	r.cl.mu.Lock()
	defer r.cl.mu.Unlock()
	if r.cl.mgr == nil {
		return compact.ManagerStats{}
	}
	return r.cl.mgr.Stats()
}

// Cleaned reports whether the cleaner runs over partition p of topic.
func (r *Registry) Cleaned(topic string, p int32) bool {
	r.cl.mu.Lock()
	defer r.cl.mu.Unlock()
	_, ok := r.cl.parts[DirName(topic, p)]
	return ok
}
