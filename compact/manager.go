package compact

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratabroker/strata/partition"
)

// Manager is Kafka's LogCleaner with its LogCleanerManager: it knows the
// compacted partitions (Add, Remove), keeps their first dirty offsets in
// each log directory's cleaner checkpoint, and runs Options.Threads
// cleaner goroutines that each take the filthiest partition due for
// cleaning (dirty ratio above min.cleanable.dirty.ratio, or a dirty
// segment older than max.compaction.lag.ms), clean it, and checkpoint.
// A thread looks again when a registered log rolls a segment (Wake, which
// Add hooks to the log's OnRoll), after a pass, and every
// log.cleaner.backoff.ms.
type Manager struct {
	o        Options
	throttle *Throttle
	wake     chan struct{}
	stop     chan struct{}
	wg       sync.WaitGroup

	mu      sync.Mutex
	logs    map[string]*entry
	dirs    map[string]map[string]int64 // log directory -> partition dir name -> first dirty offset
	started bool
	closed  bool
	lastRun map[string]time.Time // log directory -> last pass end
	startAt time.Time            // Start's time
	threads []ThreadStats        // by thread: its last pass (Kafka's CleanerThread.lastStats)

	bytesRead, bytesWritten, passes, uncleanable atomic.Int64
	lastDuration                                 atomic.Int64 // ns
	maxDirty                                     atomic.Uint64
}

// entry is one registered partition. Its fields are guarded by Manager.mu.
type entry struct {
	name string
	l    *partition.Log
	cfg  func() Config
	dir  string // the log directory
	key  string // the partition directory's name, the checkpoint's key

	busy       bool          // a pass runs on it
	done       chan struct{} // closed when that pass ends
	removed    atomic.Bool   // Remove was called: a running pass stops
	unclean    bool
	lastPass   time.Time
	ratio      float64
	bytesSaved int64
}

// NewManager returns a manager that cleans nothing until Start.
func NewManager(o Options) *Manager {
	o = o.withDefaults()
	return &Manager{
		o:        o,
		throttle: NewThrottle(o.IOMaxBytesPerSecond),
		wake:     make(chan struct{}, o.Threads),
		stop:     make(chan struct{}),
		logs:     map[string]*entry{},
		dirs:     map[string]map[string]int64{},
		lastRun:  map[string]time.Time{},
		threads:  make([]ThreadStats, o.Threads),
	}
}

// Add registers the compacted partition name, whose log is l; cfg is read
// at each pass. Add hooks l's segment rolls to Wake. The log's directory's
// checkpoint is read the first time one of its partitions is added.
func (m *Manager) Add(name string, l *partition.Log, cfg func() Config) {
	dir := filepath.Dir(l.Dir())
	e := &entry{name: name, l: l, cfg: cfg, dir: dir, key: filepath.Base(l.Dir())}
	m.mu.Lock()
	if _, ok := m.dirs[dir]; !ok {
		ck, err := readCheckpoint(m.o.FS, dir)
		if err != nil {
			m.o.Logger.Warn("cleaner checkpoint unreadable; cleaning from each log start", "dir", dir, "err", err)
			ck = map[string]int64{}
		}
		m.dirs[dir] = ck
	}
	if old := m.logs[name]; old != nil {
		old.removed.Store(true)
	}
	m.logs[name] = e
	m.mu.Unlock()
	l.OnRoll(func() { m.Wake(name) })
	m.Wake(name)
}

// Remove unregisters name before its log is closed or deleted: a pass in
// progress on it stops at its next batch (its cleaned segment discarded)
// and Remove waits for it. Its checkpoint entry stays (the log may be
// added again); Delete also forgets it.
func (m *Manager) Remove(name string) {
	m.mu.Lock()
	e := m.logs[name]
	if e == nil {
		m.mu.Unlock()
		return
	}
	delete(m.logs, name)
	e.removed.Store(true)
	done := e.done
	busy := e.busy
	m.mu.Unlock()
	e.l.OnRoll(nil)
	if busy {
		<-done
	}
}

// Delete is Remove for a partition being deleted: its checkpoint entry
// goes too (Kafka's updateCheckpoints with partitionToRemove).
func (m *Manager) Delete(name string) {
	m.mu.Lock()
	e := m.logs[name]
	m.mu.Unlock()
	if e == nil {
		return
	}
	m.Remove(name)
	m.mu.Lock()
	delete(m.dirs[e.dir], e.key)
	m.writeCheckpointLocked(e.dir)
	m.mu.Unlock()
}

// Wake asks a cleaner thread to look for work soon (a segment of a
// compacted log rolled, or its dirty ratio may have passed the bound). It
// never blocks.
func (m *Manager) Wake(string) {
	for range cap(m.wake) {
		select {
		case m.wake <- struct{}{}:
		default:
			return
		}
	}
}

// Start starts the cleaner threads. Each allocates its offset map (the
// dedupe buffer's share) when it starts.
func (m *Manager) Start() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started || m.closed {
		return
	}
	m.started = true
	m.startAt = m.o.Now()
	for i := range m.o.Threads {
		m.wg.Add(1)
		go m.run(i)
	}
}

// Close stops the threads, each at its next batch (a pass in progress is
// abandoned, its cleaned segment deleted), and waits for them.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	close(m.stop)
	m.mu.Unlock()
	m.wg.Wait()
	return nil
}

func (m *Manager) stopping() bool {
	select {
	case <-m.stop:
		return true
	default:
		return false
	}
}

func (m *Manager) run(id int) {
	defer m.wg.Done()
	// The thread's cleaner, with its dedupe buffer, is made at its first
	// pass: a broker whose compacted logs never need cleaning (a laptop,
	// a test) never allocates log.cleaner.dedupe.buffer.size.
	var c *Cleaner
	cleaner := func() *Cleaner {
		if c == nil {
			dedupe, io := m.o.perThread()
			c = NewCleaner(dedupe, io, m.throttle)
		}
		return c
	}
	backoff := time.Duration(m.o.BackoffMs) * time.Millisecond
	timer := time.NewTimer(backoff)
	defer timer.Stop()
	for !m.stopping() {
		if m.cleanOne(cleaner, id) {
			continue
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(backoff)
		select {
		case <-m.stop:
			return
		case <-m.wake:
		case <-timer.C:
		}
	}
}

// candidate is a log assessed for a pass.
type candidate struct {
	e   *entry
	cfg Config
	ck  int64
	tc  toClean
	// delayMs is the largest compaction delay of the logs assessed with
	// it (Kafka's PreCleanStats.maxCompactionDelayMs).
	delayMs int64
}

// grab picks the filthiest log due for cleaning and marks it busy (Kafka's
// grabFilthiestCompactedLog). The assessment reads segment timestamps, so
// it runs outside m.mu.
func (m *Manager) grab() *candidate {
	m.mu.Lock()
	var es []*entry
	for _, e := range m.logs {
		if !e.busy && !e.unclean {
			es = append(es, e)
		}
	}
	m.mu.Unlock()
	now := m.o.Now().UnixMilli()
	var best *candidate
	maxRatio := 0.0
	var delayMs int64
	var resets []*candidate
	for _, e := range es {
		cfg := e.cfg()
		m.mu.Lock()
		ck, ok := m.dirs[e.dir][e.key]
		m.mu.Unlock()
		if !ok {
			ck = -1
		}
		tc := assess(e.l.CleanerView(), ck, cfg, now)
		cd := &candidate{e: e, cfg: cfg, ck: ck, tc: tc}
		if tc.resetCheckpoint {
			resets = append(resets, cd)
		}
		m.mu.Lock()
		e.ratio = tc.ratio
		m.mu.Unlock()
		if tc.totalBytes() > 0 {
			maxRatio = max(maxRatio, tc.ratio)
		}
		delayMs = max(delayMs, tc.compactionDelayMs)
		if tc.due(cfg) && (best == nil || tc.ratio > best.tc.ratio) {
			best = cd
		}
	}
	m.maxDirty.Store(floatBits(maxRatio))
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, cd := range resets {
		level := slog.LevelWarn
		if cd.cfg.Delete { // Kafka does not bother warning when retention also deletes
			level = slog.LevelDebug
		}
		m.o.Logger.Log(context.Background(), level, "resetting the first dirty offset to the log start offset", "partition", cd.e.name, "checkpoint", cd.ck, "logStart", cd.tc.firstDirty)
		m.dirs[cd.e.dir][cd.e.key] = cd.tc.firstDirty
		m.writeCheckpointLocked(cd.e.dir)
	}
	if best == nil || best.e.busy || m.logs[best.e.name] != best.e {
		return nil
	}
	best.e.busy, best.e.done = true, make(chan struct{})
	best.delayMs = delayMs
	return best
}

// cleanOne runs one pass if a log is due; it reports whether it did.
func (m *Manager) cleanOne(cleaner func() *Cleaner, id int) bool {
	cd := m.grab()
	if cd == nil {
		return false
	}
	c := cleaner()
	e := cd.e
	m.mu.Lock()
	m.threads[id].CompactionDelay = time.Duration(cd.delayMs) * time.Millisecond
	m.mu.Unlock()
	c.Abort = func() bool { return e.removed.Load() || m.stopping() }
	st, err := c.Clean(e.l, cd.tc.firstDirty, cd.cfg, m.o.Now())
	saved := st.BytesSaved
	m.bytesRead.Add(st.BytesRead)
	m.bytesWritten.Add(st.BytesWritten)

	m.mu.Lock()
	defer m.mu.Unlock()
	e.busy = false
	close(e.done)
	switch {
	case errors.Is(err, errAborted):
		m.o.Logger.Info("cleaning aborted", "partition", e.name, "cleaner", id)
		return true
	case errors.Is(err, ErrUncleanable):
		e.unclean = true
		m.uncleanable.Add(1)
		m.o.Logger.Error("partition marked uncleanable: a corrupt batch was found while cleaning; its log is served as it is",
			"partition", e.name, "cleaner", id, "err", err)
		return true
	case err != nil:
		// A storage error: the pass is over, the log as it was or as
		// cleaned (a failed swap is finished at the next Open). Kafka
		// marks the partition uncleanable for any unexpected error.
		e.unclean = true
		m.uncleanable.Add(1)
		m.o.Logger.Error("partition marked uncleanable after an error while cleaning", "partition", e.name, "cleaner", id, "err", err)
		return true
	}
	now := m.o.Now()
	m.passes.Add(1)
	m.lastDuration.Store(int64(st.Duration))
	th := &m.threads[id]
	th.BytesRead, th.BytesWritten, th.BufferUse, th.Duration = st.BytesRead, st.BytesWritten, st.BufferUse, st.Duration
	e.lastPass, e.ratio = now, st.DirtyAfter
	e.bytesSaved += saved
	m.lastRun[e.dir] = now
	if m.logs[e.name] == e {
		m.dirs[e.dir][e.key] = st.EndOffset
		m.writeCheckpointLocked(e.dir)
	}
	m.o.Logger.Info("cleaned log", "partition", e.name, "cleaner", id,
		"firstDirty", st.FirstDirty, "endOffset", st.EndOffset, "bytesRead", st.BytesRead, "bytesWritten", st.BytesWritten,
		"bytesSaved", saved, "records", st.RecordsRead, "kept", st.RecordsKept, "keys", st.Keys,
		"bufferUse", st.BufferUse, "segments", st.Groups, "duration", st.Duration,
		"dirtyRatioBefore", st.DirtyBefore, "dirtyRatioAfter", st.DirtyAfter)
	return true
}

// writeCheckpointLocked writes dir's checkpoint; a failure is logged (the
// next pass writes it again; a stale one only costs work). m.mu must be
// held.
func (m *Manager) writeCheckpointLocked(dir string) {
	if err := writeFileAtomic(m.o.FS, dir, CheckpointName, encodeCheckpoint(m.dirs[dir])); err != nil {
		m.o.Logger.Warn("cleaner checkpoint not written", "dir", dir, "err", err)
	}
}

// ManagerStats are the cleaner's figures for metrics (Kafka's
// kafka.log:type=LogCleaner and LogCleanerManager MBeans).
type ManagerStats struct {
	BytesRead, BytesWritten int64 // since start
	Passes                  int64
	LastPassDuration        time.Duration
	MaxDirtyRatio           float64       // of the registered logs at the last look (max-dirty-percent / 100)
	Uncleanable             int64         // partitions marked uncleanable since start
	Started                 time.Time     // the manager's start (zero: not started)
	At                      time.Time     // the snapshot's time, by Options.Now
	Threads                 []ThreadStats // by thread id
	Dirs                    []DirStats
	Partitions              []PartitionStats
}

// ThreadStats is one cleaner thread's last pass (Kafka's
// CleanerThread.lastStats and lastPreCleanStats, which its LogCleaner
// gauges aggregate): zero until the thread's first pass.
type ThreadStats struct {
	BytesRead, BytesWritten int64
	BufferUse               float64 // the offset map's fill (keys over the slots the pass used)
	Duration                time.Duration
	// CompactionDelay is, at the look that gave the thread its last log,
	// the longest a log had been due by max.compaction.lag.ms.
	CompactionDelay time.Duration
}

// DirStats is one log directory's last pass (time-since-last-run-ms).
type DirStats struct {
	Dir      string
	LastPass time.Time // zero: none yet
}

// PartitionStats is one registered partition's cleaner state.
type PartitionStats struct {
	Name        string
	Dir         string // its log directory
	DirtyRatio  float64
	FirstDirty  int64 // the checkpoint; -1 if none yet
	LastPass    time.Time
	BytesSaved  int64 // bytes the passes since Add took off the log
	Uncleanable bool
	// UncleanableBytes is, for an uncleanable partition, the bytes the
	// cleaner would clean now (Kafka's uncleanable-bytes: its cleanable
	// bytes); its DirtyRatio is assessed now too.
	UncleanableBytes int64
	Cleaning         bool // a pass runs now
}

// Stats returns a snapshot of the figures, partitions sorted by name.
func (m *Manager) Stats() ManagerStats {
	s := ManagerStats{
		BytesRead: m.bytesRead.Load(), BytesWritten: m.bytesWritten.Load(), Passes: m.passes.Load(),
		LastPassDuration: time.Duration(m.lastDuration.Load()), MaxDirtyRatio: bitsFloat(m.maxDirty.Load()),
		Uncleanable: m.uncleanable.Load(),
	}
	var unclean []int // indexes in s.Partitions
	var uncleanE []*entry
	var uncleanCk []int64
	m.mu.Lock()
	s.Started = m.startAt
	s.Threads = slices.Clone(m.threads)
	for dir := range m.dirs {
		s.Dirs = append(s.Dirs, DirStats{Dir: dir, LastPass: m.lastRun[dir]})
	}
	for _, e := range m.logs {
		fd, ok := m.dirs[e.dir][e.key]
		if !ok {
			fd = -1
		}
		if e.unclean {
			unclean, uncleanE, uncleanCk = append(unclean, len(s.Partitions)), append(uncleanE, e), append(uncleanCk, fd)
		}
		s.Partitions = append(s.Partitions, PartitionStats{Name: e.name, Dir: e.dir, DirtyRatio: e.ratio, FirstDirty: fd,
			LastPass: e.lastPass, BytesSaved: e.bytesSaved, Uncleanable: e.unclean, Cleaning: e.busy})
	}
	m.mu.Unlock()
	// The manager no longer assesses uncleanable logs: do it here, outside
	// the lock (it reads segment timestamps), as Kafka's gauge does.
	s.At = m.o.Now()
	now := s.At.UnixMilli()
	for i, e := range uncleanE {
		tc := assess(e.l.CleanerView(), uncleanCk[i], e.cfg(), now)
		p := &s.Partitions[unclean[i]]
		p.UncleanableBytes, p.DirtyRatio = tc.cleanableBytes, tc.ratio
	}
	slices.SortFunc(s.Dirs, func(a, b DirStats) int { return compareStrings(a.Dir, b.Dir) })
	slices.SortFunc(s.Partitions, func(a, b PartitionStats) int { return compareStrings(a.Name, b.Name) })
	return s
}
