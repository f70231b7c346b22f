package partition

import (
	"errors"
	"fmt"
	"github.com/stratabroker/strata/segment"
)

// Close closes the log cleanly: it seals the unsealed segments (indexes
// trimmed, fsynced), writes the producer snapshot and the checkpoint (log
// start offset, recovery point = log end offset), closes the segments and
// writes the clean-shutdown marker last, so that the next Open scans
// nothing. Waiters (Wait) are woken. Readers must have released their
// ReadResults. A second Close does nothing.
//
// If any step fails, or an fsync failed earlier, the marker is not
// written (the next Open recovers) and the error wraps ErrStorage.
func (l *Log) Close() error {
	return l.close(true)
}

// Delete closes the log without the clean-shutdown work and removes its
// directory.
func (l *Log) Delete() error {
	err := l.close(false)
	if rerr := l.fs.RemoveAll(l.dir); rerr != nil {
		err = errors.Join(err, fmt.Errorf("%w: delete %s: %w", ErrStorage, l.dir, rerr))
	}
	return err
}

func (l *Log) close(clean bool) error {
	err := l.closeLocked(clean)
	if l.ownFlusher {
		l.flusher.Close() // after flushMu is released: a round may be waiting for it
	}
	return err
}

func (l *Log) closeLocked(clean bool) error {
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
	clean = clean && err == nil
	var snap []byte
	if clean {
		snap = l.producers.encodeSnapshot(leo)
	}
	l.mu.Unlock()
	l.flusher.forget(l)

	if clean {
		err = l.closeCleanly(pend, snaps, active, leo, snap)
	}
	var cerrs []error
	for _, s := range segs {
		if cerr := s.Close(); cerr != nil {
			cerrs = append(cerrs, fmt.Errorf("close segment %d: %w", s.Base(), cerr))
		}
	}
	if cerr := errors.Join(cerrs...); cerr != nil {
		err = errors.Join(err, cerr)
	} else if err == nil && clean {
		// Written last: everything it vouches for is durable.
		err = writeFileAtomic(l.fs, l.dir, markerName, marker{logEnd: leo}.encode())
	}

	l.mu.Lock()
	if err == nil && clean {
		l.synced = leo
	}
	close(l.syncCh)
	l.syncCh = nil
	l.mu.Unlock()
	if err != nil {
		return fmt.Errorf("%w: close %s: %w", ErrStorage, l.dir, err)
	}
	return nil
}

// closeCleanly makes everything durable before the marker can be written.
// flushMu must be held.
func (l *Log) closeCleanly(pend []*segment.Segment, snaps []snapshotJob, active *segment.Segment, leo int64, snap []byte) error {
	for _, s := range append(pend, active) {
		if err := s.Seal(); err != nil {
			return fmt.Errorf("seal segment %d: %w", s.Base(), err)
		}
	}
	for _, j := range append(snaps, snapshotJob{offset: leo, data: snap}) {
		if err := writeFileAtomic(l.fs, l.dir, snapshotName(j.offset), j.data); err != nil {
			return err
		}
	}
	l.pruneSnapshots()
	return l.writeCheckpoint(leo)
}
