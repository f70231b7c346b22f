package partition

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/segment"
)

// snapshotsToKeep is how many producer snapshot files a log keeps.
const snapshotsToKeep = 2

func snapshotName(offset int64) string { return fmt.Sprintf("%020d%s", offset, snapshotSuffix) }

// parseSnapshotName returns the offset of a <20 digits>.snapshot name.
func parseSnapshotName(name string) (int64, bool) {
	digits, ok := strings.CutSuffix(name, snapshotSuffix)
	if !ok || len(digits) != 20 {
		return 0, false
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	return n, err == nil && n >= 0
}

// dirListing is what Open finds in a partition directory.
type dirListing struct {
	bases      []int64  // segments, ascending
	snapshots  []int64  // producer snapshots, ascending
	marker     bool     // a clean-shutdown marker of the log's own
	checkpoint bool     // partition.checkpoint
	stray      []string // temporary files and indexes without a log
}

func listDir(fsys vfs.FS, dir string) (dirListing, error) {
	names, err := fsys.ReadDir(dir)
	if err != nil {
		return dirListing{}, err
	}
	return listNames(names), nil
}

// listNames sorts a directory's names into a dirListing.
func listNames(names []string) dirListing {
	var d dirListing
	logs := make(map[int64]bool)
	for _, name := range names {
		if base, ok := segment.ParseLogName(name); ok {
			d.bases = append(d.bases, base)
			logs[base] = true
		}
	}
	for _, name := range names {
		switch {
		case strings.HasSuffix(name, tmpSuffix), strings.HasSuffix(name, segment.DeletedSuffix):
			d.stray = append(d.stray, name)
		case name == markerName:
			d.marker = true
		case name == checkpointName:
			d.checkpoint = true
		case strings.HasSuffix(name, ".index"), strings.HasSuffix(name, ".timeindex"), strings.HasSuffix(name, segment.TxnIndexSuffix):
			digits, _, _ := strings.Cut(name, ".")
			if base, err := strconv.ParseInt(digits, 10, 64); err == nil && !logs[base] {
				d.stray = append(d.stray, name)
			}
		default:
			if off, ok := parseSnapshotName(name); ok {
				d.snapshots = append(d.snapshots, off)
			}
		}
	}
	slices.Sort(d.bases)
	slices.Sort(d.snapshots)
	return d
}

// Open opens the log in dir, creating the directory and a first segment if
// needed.
//
// After a clean shutdown (the marker Close writes is present, or, for a
// Managed log, State.Clean) nothing is scanned: segments are opened
// lazily, the log end offset comes from the marker (State.RecoveryPoint)
// and producer state from the newest snapshot. Otherwise every
// segment from the recovery point on is recovered (segment.Recover: batch
// by batch, truncating at the first bad one and rebuilding its indexes);
// segments after one that recovery cut bytes from and whose offsets then
// no longer reach its successor's base are deleted (a gap alone is a
// cleaned log's, and kept); an interrupted swap of cleaned segments is
// finished or discarded first (finishSwaps); producer state is rebuilt from the latest snapshot and the
// batch headers after it. The marker is removed before Open returns.
func Open(dir string, cfg Config, opts Options) (*Log, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	l := &Log{
		dir:       filepath.Clean(dir),
		fs:        cmp.Or(opts.FS, vfs.OS),
		now:       opts.Now,
		logger:    opts.Logger,
		flusher:   opts.Flusher,
		prealloc:  opts.Preallocate,
		managed:   opts.Managed,
		state:     opts.State,
		persistLS: opts.PersistLogStart,
		cfg:       cfg,
		syncCh:    make(chan struct{}),
	}
	if l.now == nil {
		l.now = time.Now
	}
	if l.logger == nil {
		l.logger = slog.New(slog.DiscardHandler)
	}
	if err := l.load(); err != nil {
		for _, s := range l.view.Load().segsOrNil() {
			s.Close()
		}
		return nil, fmt.Errorf("%w: open %s: %w", ErrStorage, dir, err)
	}
	if l.flusher == nil {
		l.flusher = NewFlusher(l.fs)
		l.ownFlusher = true
	}
	return l, nil
}

func (v *view) segsOrNil() []*segment.Segment {
	if v == nil {
		return nil
	}
	return v.segs
}

// load reads the directory into l. On error the segments opened so far are
// in l.view for Open to close.
func (l *Log) load() error {
	fsys := l.fs
	if err := mkdirDurable(fsys, l.dir); err != nil {
		return err
	}
	names, err := fsys.ReadDir(l.dir)
	if err != nil {
		return err
	}
	swapped, err := l.finishSwaps(names)
	if err != nil {
		return fmt.Errorf("finish an interrupted swap: %w", err)
	}
	if swapped {
		if names, err = fsys.ReadDir(l.dir); err != nil {
			return err
		}
	}
	d := listNames(names)
	for _, name := range d.stray {
		if err := fsys.Remove(filepath.Join(l.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}

	ck, clean, logEnd, err := l.readState(d)
	if err != nil {
		return err
	}
	l.persistedLS = ck.logStart

	opts := l.segmentOptions()
	segs := make([]*segment.Segment, 0, len(d.bases)+1)
	for _, base := range d.bases {
		s, err := segment.Open(fsys, l.dir, base, opts)
		if err != nil {
			l.view.Store(&view{segs: segs})
			return err
		}
		segs = append(segs, s)
	}
	l.view.Store(&view{segs: segs})
	if clean && swapped {
		l.logger.Warn("an interrupted swap of cleaned segments was finished; recovering", "dir", l.dir)
		clean = false
	}
	if clean && (len(segs) == 0 || logEnd < segs[len(segs)-1].Base()) {
		l.logger.Warn("clean-shutdown marker disagrees with the segments; recovering", "dir", l.dir, "logEnd", logEnd)
		clean = false
	}

	var leo int64
	var toSeal []*segment.Segment
	activeCut := false
	l.txnRebuildFrom = math.MaxInt64
	defer func() { l.txnRebuildFrom = math.MaxInt64 }()
	if clean {
		leo = logEnd
		l.recoveryPoint = logEnd
	} else if len(segs) > 0 {
		segs, toSeal, activeCut, err = l.recoverSegments(segs, ck.recoveryPoint)
		l.view.Store(&view{segs: segs})
		if err != nil {
			return err
		}
		if leo, err = segs[len(segs)-1].NextOffset(); err != nil {
			return err
		}
		l.recoveryPoint = min(ck.recoveryPoint, leo)
	}

	// A log start beyond everything recovered: start afresh there (Kafka's
	// LogLoader does the same).
	if len(segs) > 0 && leo < ck.logStart {
		l.logger.Warn("log end offset below the log start offset; deleting all segments",
			"dir", l.dir, "logEnd", leo, "logStart", ck.logStart)
		for _, s := range segs {
			if err := s.Delete(); err != nil {
				return err
			}
		}
		for _, off := range d.snapshots { // producer state of deleted data (Kafka's truncateFullyAndStartAt)
			if err := fsys.Remove(filepath.Join(l.dir, snapshotName(off))); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		segs, toSeal, d.snapshots = nil, nil, nil
		l.view.Store(&view{})
	}
	if len(segs) == 0 {
		leo = ck.logStart
		s, err := segment.Create(fsys, l.dir, leo, opts)
		if err != nil {
			return err
		}
		segs = append(segs, s)
		l.view.Store(&view{segs: segs})
		l.recoveryPoint = leo
		if err := fsys.SyncDir(l.dir); err != nil {
			return err
		}
	}

	l.active = segs[len(segs)-1]
	l.activeCreated = l.now().UnixMilli()
	l.leo = leo
	l.logStart = max(ck.logStart, segs[0].Base())
	l.synced = l.recoveryPoint
	l.pendingSeal = toSeal
	l.activeWritten = activeCut // the cut must be durable before a clean-shutdown marker
	if clean {
		// Read at first use (producersLocked): a clean open reads only
		// the listing, and a log no idempotent producer writes to never
		// reads its snapshot.
		l.deferProducers(d.snapshots)
	} else if err := l.loadProducers(d.snapshots, math.MaxInt64); err != nil {
		return err
	}
	l.lsoFirst = -1
	if !l.prodPending {
		l.refreshLSOLocked(segs)
	}
	l.storeViewLocked(segs)
	return nil
}

// recoverSegments recovers every segment from the one holding the recovery
// point on, and deletes the segments after the first one that recovery cut
// bytes from and that then ends short of its successor's base. It returns the remaining
// segments, those (not active) whose data is not known to be durable, and
// whether recovery cut bytes from the last one.
func (l *Log) recoverSegments(segs []*segment.Segment, recoveryPoint int64) (kept, unsynced []*segment.Segment, lastCut bool, err error) {
	first, _ := slices.BinarySearchFunc(segs, recoveryPoint, func(s *segment.Segment, off int64) int {
		return cmp.Compare(s.Base(), off)
	})
	if first == len(segs) || segs[first].Base() > recoveryPoint {
		first = max(first-1, 0)
	}
	// The transaction indexes of the recovered segments are rebuilt by
	// the producer state's replay (loadProducers), from a snapshot at or
	// below the first one's base (Kafka's LogLoader.recoverSegment).
	l.txnRebuildFrom = segs[first].Base()
	for i := first; i < len(segs); i++ {
		s := segs[i]
		recovered.Add(1)
		truncated, err := s.Recover()
		if err != nil {
			return segs, nil, false, fmt.Errorf("recover segment %d: %w", s.Base(), err)
		}
		if err := s.ResetTxnIndex(); err != nil {
			return segs, nil, false, err
		}
		if i == len(segs)-1 {
			lastCut = truncated > 0
			break
		}
		next, err := s.NextOffset()
		if err != nil {
			return segs, nil, false, err
		}
		// A gap between a segment's last offset and its successor's base
		// is normal in a cleaned log (the cleaner drops records, never
		// renumbers them): only a segment recovery cut bytes from can have
		// lost batches. Bytes cut at the end (a preallocated tail, or
		// garbage after the last whole batch) are harmless while the
		// offsets still run on into the next segment; a cut that leaves a
		// gap lost batches (a cleaned segment is fsynced before it is
		// swapped in, so no cut ever comes from cleaning).
		if truncated == 0 || next == segs[i+1].Base() {
			continue
		}
		l.logger.Warn("log recovery truncated a segment; deleting the segments after it",
			"dir", l.dir, "segment", s.Base(), "truncatedBytes", truncated, "nextOffset", next, "deleted", len(segs)-i-1)
		for _, t := range segs[i+1:] {
			if err := t.Delete(); err != nil {
				return segs, nil, false, err
			}
		}
		segs, lastCut = segs[:i+1], true
		if err := l.fs.SyncDir(l.dir); err != nil {
			return segs, nil, false, err
		}
		break
	}
	if first < len(segs)-1 {
		unsynced = slices.Clone(segs[first : len(segs)-1])
	}
	return segs, unsynced, lastCut, nil
}

// loadProducers restores the idempotence state: the newest readable
// snapshot at or below the log end offset, then the headers of the batches
// after it if it was taken below replayTo (past replayTo there is no batch
// of a producer). Snapshots above the log end offset (taken before a
// truncation) are deleted. l.leo and the segments must be set.
func (l *Log) loadProducers(snapshots []int64, replayTo int64) error {
	l.producers = newProducers()
	from := l.view.Load().segs[0].Base()
	for i := len(snapshots) - 1; i >= 0; i-- {
		off := snapshots[i]
		path := filepath.Join(l.dir, snapshotName(off))
		if off > l.leo {
			if err := l.fs.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			continue
		}
		if off > l.txnRebuildFrom {
			continue // the replay must rebuild the transaction indexes from there
		}
		b, err := readSmallFile(l.fs, path, maxSnapshotBytes)
		if errors.Is(err, errBadFile) { // larger than any snapshot a log writes
			l.logger.Warn("ignoring producer snapshot; rebuilding producer state from the log", "path", path, "err", err)
			continue
		}
		if err != nil {
			return err
		}
		got, p, err := decodeSnapshot(b)
		if err != nil || got != off {
			l.logger.Warn("ignoring producer snapshot; rebuilding producer state from the log", "path", path, "err", err)
			continue
		}
		l.producers, from = p, off
		l.snapProds = len(p.m) > 0
		break
	}
	l.snapCovered = from
	if from < min(replayTo, l.leo) {
		if err := l.replayProducers(from); err != nil {
			return err
		}
	}
	l.producers.expire(l.now().UnixMilli(), l.cfg.ProducerIDExpirationMs)
	if n := l.producers.trim(maxProducers()); n > 0 {
		l.logger.Warn("too many idempotent producers: forgot those idle longest", "dir", l.dir, "forgotten", n)
	}
	return nil
}

// replayProducers feeds the header of every batch from offset from to the
// log end into the producer state, reading 4 KiB windows so that neither
// small nor large batches cost more than a page per header.
func (l *Log) replayProducers(from int64) error {
	const window = 4096
	buf := make([]byte, window)
	for _, s := range l.view.Load().segs {
		next, err := s.NextOffset()
		if err != nil {
			return err
		}
		if next <= from || s.Size() == 0 {
			continue
		}
		sl, err := s.Read(max(from, s.Base()), int(min(s.Size(), math.MaxInt32)), s.Size())
		if errors.Is(err, segment.ErrOffsetNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		pos, end := sl.Pos, sl.Pos+sl.Len
		var w []byte // buf[:n] holding file bytes from wpos
		var wpos int64
		for pos+recordbatch.HeaderSize <= end {
			if pos < wpos || pos+recordbatch.HeaderSize > wpos+int64(len(w)) {
				n, err := sl.File.ReadAt(buf[:min(window, end-pos)], pos)
				if n < recordbatch.HeaderSize {
					return fmt.Errorf("read batch header at %d of segment %d: %w", pos, s.Base(), cmp.Or(err, errShortRead))
				}
				w, wpos = buf[:n], pos
			}
			h := recordbatch.Header(w[pos-wpos:])
			size, err := recordbatch.BatchSize(h)
			if err != nil || pos+int64(size) > end {
				return fmt.Errorf("batch at %d of segment %d: %w", pos, s.Base(), cmp.Or(err, errShortRead))
			}
			if h.NextOffset() > from && h.Control() && h.ProducerID() >= 0 {
				if pos+int64(size) > wpos+int64(len(w)) { // the marker's record too
					if size > len(buf) {
						buf = make([]byte, size)
					}
					n, err := sl.File.ReadAt(buf[:min(int64(len(buf)), end-pos)], pos)
					if n < size {
						return fmt.Errorf("read control batch at %d of segment %d: %w", pos, s.Base(), cmp.Or(err, errShortRead))
					}
					w, wpos = buf[:n], pos
					h = recordbatch.Header(w)
				}
				if err := l.replayMarker(s, h[:size]); err != nil {
					return fmt.Errorf("control batch at %d of segment %d: %w", pos, s.Base(), err)
				}
			} else if h.NextOffset() > from {
				l.producers.update(h)
			}
			pos += int64(size)
		}
	}
	return nil
}

var errShortRead = errors.New("partition: short read")

// recovered counts the segments Open recovered (read whole and checked),
// process-wide: RecoveredSegments.
var recovered atomic.Int64

// RecoveredSegments is how many segments the logs of the process have
// recovered at Open so far: after a crash, those from each log's recovery
// point on; after a clean shutdown, none.
func RecoveredSegments() int64 { return recovered.Load() }

// pruneSnapshots deletes all but the newest snapshotsToKeep snapshot
// files. flushMu must be held.
func (l *Log) pruneSnapshots() {
	d, err := listDir(l.fs, l.dir)
	if err != nil {
		l.logger.Warn("listing snapshots", "dir", l.dir, "err", err)
		return
	}
	for _, off := range d.snapshots[:max(len(d.snapshots)-snapshotsToKeep, 0)] {
		if err := l.fs.Remove(filepath.Join(l.dir, snapshotName(off))); err != nil {
			l.logger.Warn("removing snapshot", "dir", l.dir, "err", err)
		}
	}
}

// mkdirDurable creates dir and its missing parents so that they survive a
// crash: each new directory's parent is synced, from the top down.
func mkdirDurable(fsys vfs.FS, dir string) error {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		_, err := fsys.Stat(d)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if err := fsys.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if parent := filepath.Dir(missing[i]); parent != missing[i] {
			if err := fsys.SyncDir(parent); err != nil {
				return err
			}
		}
	}
	return nil
}
