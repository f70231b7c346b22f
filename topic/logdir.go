package topic

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/partition"
)

// Files of the log directory besides topics.json and the partition
// directories (see doc.go, Files).
const (
	recoveryPointName = "recovery-point-offset-checkpoint"
	logStartName      = "log-start-offset-checkpoint"
	cleanShutdownName = ".strata_cleanshutdown"
	// checkpointVersion is the version line of Kafka's checkpoint files.
	checkpointVersion = 0
	maxCheckpointSize = 64 << 20 // 10,000 topics x 10,000 partitions would not fit anyway
)

// tp names a partition in the checkpoint files.
type tp struct {
	topic     string
	partition int32
}

// encodeOffsets writes Kafka's checkpoint file format (CheckpointFile):
// a version line "0", a line with the number of entries, then one
// "<topic> <partition> <offset>" line per partition, sorted here so that
// equal states give equal bytes.
func encodeOffsets(m map[tp]int64) []byte {
	keys := make([]tp, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b tp) int {
		return cmp.Or(strings.Compare(a.topic, b.topic), cmp.Compare(a.partition, b.partition))
	})
	b := make([]byte, 0, 16+len(keys)*32)
	b = strconv.AppendInt(b, checkpointVersion, 10)
	b = append(b, '\n')
	b = strconv.AppendInt(b, int64(len(keys)), 10)
	b = append(b, '\n')
	for _, k := range keys {
		b = append(b, k.topic...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(k.partition), 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, m[k], 10)
		b = append(b, '\n')
	}
	return b
}

var errBadCheckpoint = errors.New("topic: malformed checkpoint file")

// decodeOffsets parses encodeOffsets' format, as strictly as Kafka's
// CheckpointReadBuffer: the version, the count and every line must check.
func decodeOffsets(data []byte) (map[tp]int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<16)
	line := func() (string, bool) {
		if !sc.Scan() {
			return "", false
		}
		return sc.Text(), true
	}
	bad := func(format string, args ...any) (map[tp]int64, error) {
		return nil, fmt.Errorf("%w: %s", errBadCheckpoint, fmt.Sprintf(format, args...))
	}
	v, ok := line()
	if !ok || v != strconv.Itoa(checkpointVersion) {
		return bad("version %q", v)
	}
	c, ok := line()
	n, err := strconv.Atoi(c)
	if !ok || err != nil || n < 0 || n > len(data)/6 {
		return bad("count %q", c)
	}
	m := make(map[tp]int64, n)
	for i := range n {
		l, ok := line()
		fields := strings.Fields(l)
		if !ok || len(fields) != 3 {
			return bad("entry %d: %q", i, l)
		}
		p, err1 := strconv.ParseInt(fields[1], 10, 32)
		off, err2 := strconv.ParseInt(fields[2], 10, 64)
		if err1 != nil || err2 != nil || p < 0 || off < 0 {
			return bad("entry %d: %q", i, l)
		}
		m[tp{fields[0], int32(p)}] = off
	}
	if _, more := line(); more || sc.Err() != nil {
		return bad("more than %d entries", n)
	}
	return m, nil
}

// readOffsets reads a checkpoint file; nil without an error when it does
// not exist. One that does not parse is logged and taken as absent: the
// logs then recover from offset 0 (a longer scan) and start at their first
// segment's base.
func (r *Registry) readOffsets(dir, name string) (map[tp]int64, error) {
	data, err := vfs.ReadFile(r.fs, filepath.Join(dir, name), maxCheckpointSize)
	switch {
	case errors.Is(err, iofs.ErrNotExist):
		return nil, nil
	case errors.Is(err, vfs.ErrFileTooLarge), errors.Is(err, io.ErrUnexpectedEOF):
	case err != nil:
		return nil, fmt.Errorf("%w: read %s: %w", partition.ErrStorage, name, err)
	default:
		m, derr := decodeOffsets(data)
		if derr == nil {
			return m, nil
		}
		err = derr
	}
	r.logger.Error("ignoring a malformed checkpoint file: partitions recover from their start", "dir", dir, "file", name, "err", err)
	return nil, nil
}

// dirState is what Open finds of the log directory's own state.
type dirState struct {
	recovery, logStart map[tp]int64 // nil: no file
	clean              bool         // the clean-shutdown marker is present
}

func (r *Registry) readDirState(dir string) (dirState, error) {
	var d dirState
	var err error
	if d.recovery, err = r.readOffsets(dir, recoveryPointName); err != nil {
		return d, err
	}
	if d.logStart, err = r.readOffsets(dir, logStartName); err != nil {
		return d, err
	}
	switch _, err := r.fs.Stat(filepath.Join(dir, cleanShutdownName)); {
	case err == nil:
		d.clean = true
	case !errors.Is(err, iofs.ErrNotExist):
		return d, fmt.Errorf("%w: %w", partition.ErrStorage, err)
	}
	return d, nil
}

// state is what a partition's log is told at Open: nil when neither
// checkpoint file names it (a directory written before these files
// existed: the log reads its own files, if any; or a partition created
// after the last checkpoint: it recovers from its start). One that only
// the log-start file names (DeleteRecords on a partition created since the
// last recovery-point checkpoint) recovers from its start.
func (d dirState) state(topic string, p int32) *partition.State {
	rp, ok := d.recovery[tp{topic, p}]
	ls, lsOK := d.logStart[tp{topic, p}]
	if !ok && !lsOK {
		return nil
	}
	return &partition.State{RecoveryPoint: rp, LogStart: ls, Clean: ok && d.clean}
}

// logDir is one entry of log.dirs: its partitions, checkpoint files and
// marker.
type logDir struct {
	path                   string
	state                  dirState // as Open found it
	recoveryCk, logStartCk checkpointer
	r                      *Registry
}

func newLogDir(r *Registry, path string) *logDir {
	d := &logDir{path: filepath.Clean(path), r: r}
	d.recoveryCk = checkpointer{dir: d.path, name: recoveryPointName, get: (*partition.Log).RecoveryPoint}
	d.logStartCk = checkpointer{dir: d.path, name: logStartName, get: (*partition.Log).LogStartOffset}
	return d
}

// persistLogStart is the Options.PersistLogStart of the directory's logs.
func (d *logDir) persistLogStart() error { return d.logStartCk.write(d.r, d.r.logs) }

// holds reports whether l's directory is in d.
func (d *logDir) holds(l *partition.Log) bool { return filepath.Dir(l.Dir()) == d.path }

// checkpointer writes one of a log directory's checkpoint files, one write
// at a time, from the logs there of the registry's current topics.
type checkpointer struct {
	dir  string
	name string
	get  func(*partition.Log) int64

	want atomic.Int64 // requests made
	mu   sync.Mutex   // serialises writes; guards done
	done int64        // requests covered by a completed write
}

// write writes the file with the values of topics' logs as they are now.
// A request made before an earlier write read its values is covered by it:
// concurrent callers share one write.
func (c *checkpointer) write(r *Registry, topics func() []*Topic) error {
	req := c.want.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done >= req {
		return nil
	}
	upto := c.want.Load()
	m := map[tp]int64{}
	for _, t := range topics() {
		for p, l := range t.Partitions {
			if filepath.Dir(l.Dir()) == c.dir {
				m[tp{t.Name, int32(p)}] = c.get(l)
			}
		}
	}
	if err := vfs.WriteFileAtomic(r.fs, c.dir, c.name, encodeOffsets(m)); err != nil {
		return fmt.Errorf("%w: write %s: %w", partition.ErrStorage, filepath.Join(c.dir, c.name), err)
	}
	c.done = upto
	return nil
}

// logs returns the topics whose logs are open: the published ones, still
// there while Close closes them.
func (r *Registry) logs() []*Topic {
	if s := r.open.Load(); s != nil {
		return s.sorted
	}
	return nil
}

// writeCheckpoints writes both checkpoint files of every log directory
// from the open logs.
func (r *Registry) writeCheckpoints() error {
	var errs []error
	for _, d := range r.dirs {
		errs = append(errs, d.recoveryCk.write(r, r.logs), d.logStartCk.write(r, r.logs))
	}
	return errors.Join(errs...)
}

// writeEach writes one kind of checkpoint file in every log directory,
// logging failures (the background writes).
func (r *Registry) writeEach(recovery bool) {
	for _, d := range r.dirs {
		c := &d.logStartCk
		if recovery {
			c = &d.recoveryCk
		}
		if err := c.write(r, r.logs); err != nil {
			r.logger.Error("checkpoint not written", "err", err)
		}
	}
}

// closeWorkers is how many logs closeAll closes at once: at least
// RecoveryThreads, and one per CPU. CloseUnsynced waits for no fsync,
// only for the few calls of a log with data (a snapshot's read, create,
// write and rename, a trim), so it is bound by CPU and the filesystem's
// metadata work. Measured (BenchmarkCloseOpen, 5,000 partitions, 2 CPUs):
// 2, 4, 16 and 64 workers closed in 783, 813, 762 and 796 ms, no gain past
// the CPUs.
func closeWorkers(recoveryThreads int) int { return max(recoveryThreads, runtime.GOMAXPROCS(0)) }

// closeAll closes every log of topics for a clean shutdown: each with
// CloseUnsynced (closeWorkers at a time, fsyncing nothing), then, per log
// directory, one SyncFS that makes all of them durable at once; only if
// it succeeded are the directory's two checkpoint files written and, if
// every log there closed cleanly, its clean-shutdown marker, last. A
// directory whose SyncFS failed keeps its older checkpoint files (a
// recovery point older than the truth only costs a longer scan) and gets
// no marker: the next Open recovers its logs.
func (r *Registry) closeAll(topics []*Topic) error {
	began := time.Now()
	var mu sync.Mutex
	failed := map[string]bool{}
	errs := []error{forEachLog(topics, closeWorkers(r.workers), func(t *Topic, p int) error {
		l := t.Partitions[p]
		err := l.CloseUnsynced()
		if err != nil {
			mu.Lock()
			failed[filepath.Dir(l.Dir())] = true
			mu.Unlock()
		}
		return err
	})}
	if r.ownFlusher != nil {
		errs = append(errs, r.ownFlusher.Close())
	}
	closed := time.Now()
	for _, d := range r.dirs {
		synced := time.Now()
		err := r.fs.SyncFS(d.path)
		r.logger.Info("log dir synced", "dir", d.path, "took", time.Since(synced).Round(time.Millisecond))
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: sync the log directory %s: %w", partition.ErrStorage, d.path, err))
			continue
		}
		err = errors.Join(d.recoveryCk.write(r, r.logs), d.logStartCk.write(r, r.logs))
		if err == nil && !failed[d.path] {
			if err = vfs.WriteFileAtomic(r.fs, d.path, cleanShutdownName, []byte("0\n")); err != nil {
				err = fmt.Errorf("%w: write %s: %w", partition.ErrStorage, filepath.Join(d.path, cleanShutdownName), err)
			}
		}
		errs = append(errs, err)
	}
	r.logger.Info("logs closed", "close", closed.Sub(began).Round(time.Millisecond),
		"sync_and_checkpoints", time.Since(closed).Round(time.Millisecond))
	return errors.Join(errs...)
}

// forEachLog runs fn on every log of topics, with at most workers at once
// (Kafka's num.recovery.threads.per.data.dir), and returns the errors.
func forEachLog(topics []*Topic, workers int, fn func(t *Topic, p int) error) error {
	type job struct {
		t *Topic
		p int
	}
	var jobs []job
	for _, t := range topics {
		for p := range t.Partitions {
			jobs = append(jobs, job{t, p})
		}
	}
	var next atomic.Int64
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for range min(max(workers, 1), len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(len(jobs)) {
					return
				}
				if err := fn(jobs[i].t, jobs[i].p); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
