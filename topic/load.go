package topic

import (
	"errors"
	"fmt"
	iofs "io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/partition"
)

// where is a partition directory found on disk: the index of its log
// directory.
type where = map[string]map[int32]int

// scanDirs lists the partition directories of every log directory (making
// the directories first), removing leftover temporary files. A partition
// found in two log directories is an error, as in Kafka.
func (r *Registry) scanDirs() (where, error) {
	onDisk := where{}
	for i, d := range r.dirs {
		if err := r.fs.MkdirAll(d.path, 0o755); err != nil {
			return nil, fmt.Errorf("%w: %w", partition.ErrStorage, err)
		}
		// the log directory itself must survive a crash
		if err := r.fs.SyncDir(filepath.Dir(d.path)); err != nil {
			return nil, fmt.Errorf("%w: %w", partition.ErrStorage, err)
		}
		names, err := r.fs.ReadDir(d.path)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", partition.ErrStorage, err)
		}
		for _, n := range names {
			if strings.HasSuffix(n, vfs.TempSuffix) { // topics.json's or a checkpoint file's
				_ = r.fs.Remove(filepath.Join(d.path, n))
				continue
			}
			name, p, ok := parseDirName(n)
			if !ok {
				continue
			}
			if st, err := r.fs.Stat(filepath.Join(d.path, n)); err != nil || !st.IsDir() {
				continue
			}
			if onDisk[name] == nil {
				onDisk[name] = map[int32]int{}
			}
			if j, dup := onDisk[name][p]; dup {
				return nil, fmt.Errorf("%w: partition %s is in two log directories, %s and %s",
					partition.ErrStorage, n, r.dirs[j].path, d.path)
			}
			onDisk[name][p] = i
		}
	}
	return onDisk, nil
}

// load reads topics.json (or rebuilds it) and opens every log.
func (r *Registry) load() ([]*Topic, error) {
	onDisk, err := r.scanDirs()
	if err != nil {
		return nil, err
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
		for p, i := range ps {
			if p < count[name] {
				continue
			}
			dir := filepath.Join(r.dirs[i].path, DirName(name, p))
			r.logger.Warn("removing a partition directory that belongs to no topic (an interrupted delete or create)", "dir", dir)
			if err := r.fs.RemoveAll(dir); err != nil {
				return nil, fmt.Errorf("%w: remove orphan %s: %w", partition.ErrStorage, dir, err)
			}
			delete(ps, p)
		}
	}

	for _, d := range r.dirs {
		if d.state, err = r.readDirState(d.path); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(metas, func(a, b metaTopic) int { return strings.Compare(a.Name, b.Name) })
	topics := make([]*Topic, 0, len(metas))
	fail := func(err error) ([]*Topic, error) {
		closeLogs(topics)
		return nil, err
	}
	cfgs := make(map[*Topic]partition.Config, len(metas))
	placed := make([]int, len(r.dirs)) // partitions per log directory
	for _, ps := range onDisk {
		for _, i := range ps {
			placed[i]++
		}
	}
	dirOf := map[*Topic][]int{}
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
		t := &Topic{Name: m.Name, ID: id, Internal: IsInternal(m.Name), Configs: configs, Partitions: make([]*partition.Log, m.Partitions), Counters: new(Counters)}
		cfgs[t] = cfg
		dirOf[t] = make([]int, m.Partitions)
		for p := range m.Partitions {
			i, ok := onDisk[m.Name][p]
			if !ok {
				i = leastUsed(placed)
				placed[i]++
				r.logger.Warn("partition directory missing: starting the partition empty", "topic", m.Name, "partition", p, "dir", r.dirs[i].path)
			}
			dirOf[t][p] = i
		}
		topics = append(topics, t)
	}
	// Open the logs, RecoveryThreads at a time; each is told its recovery
	// point, log start and whether its log directory was closed cleanly,
	// so that after a clean shutdown it reads only its directory listing.
	err = forEachLog(topics, r.workers, func(t *Topic, p int) error {
		d := r.dirs[dirOf[t][p]]
		opts := r.popts
		opts.State = d.state.state(t.Name, int32(p))
		opts.PersistLogStart = d.persistLogStart
		l, err := partition.Open(filepath.Join(d.path, DirName(t.Name, int32(p))), cfgs[t], opts)
		if err != nil {
			return fmt.Errorf("topic: open %s: %w", DirName(t.Name, int32(p)), err)
		}
		t.Partitions[p] = l
		return nil
	})
	if err != nil {
		return fail(err)
	}
	if rebuilt {
		if err := writeMeta(r.fs, r.dir, encodeMeta(topics)); err != nil {
			return fail(fmt.Errorf("%w: %w", partition.ErrStorage, err))
		}
	}
	return topics, nil
}

// leastUsed is the index of the log directory with the fewest partitions
// (the first of those tied), where Kafka's LogManager puts a new one.
func leastUsed(placed []int) int {
	best := 0
	for i, n := range placed {
		if n < placed[best] {
			best = i
		}
	}
	return best
}

// rebuildMeta makes one topic per name found on disk, with as many
// partitions as its highest partition number + 1, no ID and no overrides.
func rebuildMeta(onDisk where) []metaTopic {
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

// started ends Open once every log is open: in each log directory the
// checkpoint files are written from its logs (dropping entries of
// partitions that no longer exist, and taking over the state of
// directories written before these files), then its clean-shutdown marker
// is removed: from here on a crash must recover.
func (r *Registry) started() error {
	if err := r.writeCheckpoints(); err != nil {
		return err
	}
	for _, d := range r.dirs {
		err := r.fs.Remove(filepath.Join(d.path, cleanShutdownName))
		if err == nil {
			err = r.fs.SyncDir(d.path)
		}
		if err != nil && !errors.Is(err, iofs.ErrNotExist) {
			return fmt.Errorf("%w: remove %s: %w", partition.ErrStorage, cleanShutdownName, err)
		}
	}
	return nil
}
