package partition

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"

	"github.com/stratabroker/strata/segment"
)

// Close closes the log cleanly: it seals the segments that took appends
// since they were last sealed (indexes trimmed, fsynced), writes a
// producer snapshot at the log end offset if the state or the log end
// moved since the last one, closes the segments and, unless the log is
// Managed, writes the checkpoint (log start offset, recovery point = log
// end offset) and then the clean-shutdown marker last, so that the next
// Open scans nothing. An idle log (nothing appended since it was opened
// or last flushed and sealed) thus costs no fsync. A Managed log's
// RecoveryPoint is its log end offset afterwards, for its owner's files.
// Waiters (Wait) are woken. Readers must have released their
// ReadResults. A second Close does nothing.
//
// If any step fails, or an fsync failed earlier, the marker is not
// written (the next Open recovers) and the error wraps ErrStorage.
func (l *Log) Close() error {
	return l.close(closeSynced)
}

// CloseUnsynced closes a Managed log cleanly, as Close does, but leaves
// every fsync to its owner, which makes the whole log directory durable
// at once (vfs.FS.SyncFS: one syncfs(2)) before it records the log as
// cleanly closed. Nothing is sealed or fsynced and the directory is not
// synced; a segment the file budget evicted is not reopened (eviction
// trimmed its .log and indexes); each loaded segment's Close still writes
// its final time-index entry and trims its preallocated tails; producer
// snapshots are written without fsync (temporary file, write, rename: one
// a crash tears before the owner's SyncFS fails its CRC at the next Open
// and is ignored, the state rebuilt from the log). Afterwards
// RecoveryPoint is the log end offset, which the owner must record only
// once its SyncFS succeeded: until then it is not durable.
//
// If any step fails, or an fsync failed earlier, the error wraps
// ErrStorage and RecoveryPoint stays where the last flush put it. A log
// that is not Managed is closed with Close.
func (l *Log) CloseUnsynced() error {
	if !l.managed {
		return l.Close()
	}
	return l.close(closeUnsynced)
}

// closeMode is how close ends the log.
type closeMode int

const (
	closeDeleted  closeMode = iota // Delete: no clean-shutdown work
	closeSynced                    // Close
	closeUnsynced                  // CloseUnsynced
)

// Delete closes the log without the clean-shutdown work and removes its
// directory.
func (l *Log) Delete() error {
	err := l.close(closeDeleted)
	if rerr := l.fs.RemoveAll(l.dir); rerr != nil {
		err = errors.Join(err, fmt.Errorf("%w: delete %s: %w", ErrStorage, l.dir, rerr))
	}
	return err
}

func (l *Log) close(mode closeMode) error {
	err := l.closeLocked(mode)
	if l.ownFlusher {
		l.flusher.Close() // after flushMu is released: a round may be waiting for it
	}
	return err
}

func (l *Log) closeLocked(mode closeMode) error {
	l.retainMu.Lock()
	defer l.retainMu.Unlock()
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	l.mu.Lock()
	if l.closed.Load() {
		l.mu.Unlock()
		return nil
	}
	l.closed.Store(true)
	l.notify.close() // Wait returns this closed channel from now on
	pend := l.pendingSeal
	snaps := l.pendingSnaps
	l.pendingSeal, l.pendingSnaps = nil, nil
	segs := l.view.Load().segs
	active, leo := l.active, l.leo
	err := l.failed // after a failed fsync, the next open must recover
	clean := mode != closeDeleted && err == nil
	var seal []*segment.Segment
	dirDirty := l.dirDirty
	if clean && mode == closeSynced {
		seal = pend
		if l.activeWritten || l.synced < leo || len(pend) > 0 {
			seal = append(seal, active)
		}
	}
	// While the producer state is deferred no snapshot was written since
	// Open: the directory holds the ones Open listed (those past the log
	// end go when the state is read), and CloseUnsynced prunes without
	// listing it again.
	known := l.prodPending
	var listed []int64
	for _, off := range l.prodSnaps {
		if off <= leo {
			listed = append(listed, off)
		}
	}
	if clean {
		if l.snapshotWantedLocked() {
			if j, ok := l.snapshotLocked(); ok {
				snaps = append(snaps, j)
			}
		}
	}
	l.mu.Unlock()
	l.flusher.forget(l)

	switch {
	case clean && mode == closeUnsynced:
		err = l.writeSnapshotsUnsynced(snaps, listed, known)
	case clean:
		err = l.closeCleanly(seal, snaps, dirDirty, leo)
	}
	var cerrs []error
	for _, s := range segs {
		if cerr := s.Close(); cerr != nil {
			cerrs = append(cerrs, fmt.Errorf("close segment %d: %w", s.Base(), cerr))
		}
	}
	if cerr := errors.Join(cerrs...); cerr != nil {
		err = errors.Join(err, cerr)
	} else if err == nil && clean && !l.managed { // (CloseUnsynced: always Managed)
		// Written last: everything it vouches for is durable.
		err = writeFileAtomic(l.fs, l.dir, markerName, marker{logEnd: leo}.encode())
	}

	l.mu.Lock()
	if err == nil && clean {
		l.synced, l.recoveryPoint = leo, leo
		l.activeWritten, l.dirDirty = false, false
	}
	close(l.syncCh)
	l.syncCh = nil
	l.mu.Unlock()
	if err != nil {
		return fmt.Errorf("%w: close %s: %w", ErrStorage, l.dir, err)
	}
	return nil
}

// closeCleanly makes everything durable before the marker can be written:
// the segments to seal, the directory's new entries, the producer
// snapshots; then, unless the log is Managed, the checkpoint. flushMu must
// be held.
func (l *Log) closeCleanly(seal []*segment.Segment, snaps []snapshotJob, dirDirty bool, leo int64) error {
	for _, s := range seal {
		if err := s.Seal(); err != nil {
			return fmt.Errorf("seal segment %d: %w", s.Base(), err)
		}
	}
	if dirDirty && len(snaps) == 0 { // a snapshot's write syncs the directory
		if err := l.fs.SyncDir(l.dir); err != nil {
			return err
		}
	}
	for _, j := range snaps {
		if err := writeFileAtomic(l.fs, l.dir, snapshotName(j.offset), j.data); err != nil {
			return err
		}
	}
	if len(snaps) > 0 {
		l.pruneSnapshots()
	}
	if l.managed {
		return nil
	}
	return l.writeCheckpoint(leo)
}

// writeSnapshotsUnsynced writes CloseUnsynced's producer snapshots:
// temporary, write, rename, no fsync. Then it prunes the older ones, those
// of listed if known (the directory's snapshots are known without a
// listing). flushMu must be held.
func (l *Log) writeSnapshotsUnsynced(snaps []snapshotJob, listed []int64, known bool) error {
	for _, j := range snaps {
		if err := writeFileUnsynced(l.fs, l.dir, snapshotName(j.offset), j.data); err != nil {
			return err
		}
	}
	switch {
	case len(snaps) == 0:
	case !known:
		l.pruneSnapshots()
	default:
		for _, j := range snaps {
			listed = append(listed, j.offset)
		}
		slices.Sort(listed)
		listed = slices.Compact(listed)
		for _, off := range listed[:max(len(listed)-snapshotsToKeep, 0)] {
			if err := l.fs.Remove(filepath.Join(l.dir, snapshotName(off))); err != nil && !errors.Is(err, fs.ErrNotExist) {
				l.logger.Warn("removing snapshot", "dir", l.dir, "err", err)
			}
		}
	}
	return nil
}
