package segment

import (
	"errors"
	"fmt"

	"github.com/stratabroker/strata/index"
	"github.com/stratabroker/strata/internal/mmap"
	"github.com/stratabroker/strata/internal/vfs"
)

// A segment's files (the .log, its two indexes, the log's read mapping)
// are open only while it is loaded. Loading opens them (and maps the log
// to its size); it costs three opens, a stat and, over vfs.OS, three
// mmaps, and it reads nothing but each index's last entry. What the
// segment knows of its log stays in memory across an eviction: the size,
// the next offset, the largest timestamp and its offset, the roll
// timestamp, the bytes since the last index entry, whether the indexes
// were checked (a reload neither checks nor recovers a segment that was
// fine when evicted), the preallocation lead (halved).
//
// Eviction (under appendMu and trunc, both taken with TryLock by the
// budget's sweep, and only while the owner's is the only reference) first
// trims what a reload must not find: the .log's preallocated tail (so the
// reopened file is exactly the published batches) and each index's
// preallocated tail (index Close: a trimmed index reopens with its
// entries, and grows again at its next append). It writes no final
// time-index entry (that is for Seal and Close) and does not fsync: Flush
// reopens a segment evicted with unsynced writes (dirty) and fsyncs it; a
// writeback error no descriptor has seen is reported to the next fsync on
// any descriptor of the file.

// touch marks the segment used for the clock sweep.
func (s *Segment) touch() {
	if !s.used.Load() {
		s.used.Store(true)
	}
}

// filesLocked loads the segment if it is not loaded. appendMu must be
// held.
func (s *Segment) filesLocked() error {
	if s.loaded.Load() {
		s.touch()
		return nil
	}
	admit(s)
	if err := s.openFilesLocked(nil); err != nil {
		forget(s)
		return err
	}
	s.used.Store(true)
	s.loaded.Store(true)
	return nil
}

// openFilesLocked opens the .log (unless f is it, just created) and both
// indexes at their current paths and maps the log; on an error it closes
// what it opened, f too. appendMu must be held.
func (s *Segment) openFilesLocked(f vfs.File) error {
	s.lifeMu.Lock()
	logPath, idxPath, tiPath := s.logPath, s.idxPath, s.tiPath
	s.lifeMu.Unlock()
	if f == nil {
		var err error
		if f, err = s.fs.OpenRW(logPath); err != nil {
			return fmt.Errorf("segment: open %s: %w", logPath, err)
		}
	}
	n, err := f.Size()
	if err != nil {
		return errors.Join(fmt.Errorf("segment: open %s: %w", logPath, err), f.Close())
	}
	off, err := index.OpenOffset(s.fs, idxPath, s.base, s.opts.MaxIndexBytes)
	if err != nil {
		return errors.Join(fmt.Errorf("segment %d: %w", s.base, err), f.Close())
	}
	tim, err := index.OpenTime(s.fs, tiPath, s.base, s.opts.MaxIndexBytes)
	if err != nil {
		return errors.Join(fmt.Errorf("segment %d: %w", s.base, err), off.Close(), f.Close())
	}
	s.trunc.Lock()
	defer s.trunc.Unlock()
	s.f, s.fd = f, nil
	if fd, ok := f.(vfs.FdFile); ok && mmap.Supported {
		s.fd = fd
	}
	if s.opts.PreallocateBytes == 0 && s.fd != nil {
		s.opts.PreallocateBytes = DefaultPreallocateBytes
	}
	s.off, s.tim = off, tim
	if size := s.size.Load(); n < size {
		// Cut behind the segment's back while its files were closed:
		// what it knew is wrong. Recover before the next use.
		s.state.Store(stateSuspect)
		s.size.Store(n)
	}
	s.fileSize = n
	s.mapReadLocked(s.size.Load())
	return nil
}

// closeFilesLocked closes the files of a loaded segment and unloads it;
// with discard (the files are being deleted) nothing is trimmed or written
// back. appendMu and trunc must be held exclusively, and lifeMu must not
// be (errors carry no path).
func (s *Segment) closeFilesLocked(discard bool) error {
	var errs []error
	if !discard {
		if size := s.size.Load(); s.fileSize > size {
			if err := s.f.Truncate(size); err != nil {
				errs = append(errs, fmt.Errorf("segment %d: trim the log to %d bytes: %w", s.base, size, err))
			} else {
				s.fileSize = size
			}
		}
		// A time index with no entry keeps the largest timestamp so far,
		// as a close would write it (one pwrite, CloseKeeping): a time
		// index file left empty has no disk block, and rebuilding it after
		// a crash faulted one in, 2 ms per segment (100 s of recovery for
		// 50,000 partitions).
		s.maxMu.Lock()
		ts, off := s.maxTs, s.maxOff
		s.maxMu.Unlock()
		if err := errors.Join(s.off.Close(), s.tim.CloseKeeping(ts, off)); err != nil {
			// An index may be stale on disk: rebuild it at the reload.
			s.state.Store(stateSuspect)
			errs = append(errs, err)
		}
	} else {
		errs = append(errs, s.off.Discard(), s.tim.Discard())
	}
	if s.m != nil {
		errs = append(errs, s.m.Unmap())
	}
	if err := s.f.Close(); err != nil {
		errs = append(errs, fmt.Errorf("segment %d: close the log: %w", s.base, err))
	}
	s.m, s.mb, s.off, s.tim, s.f, s.fd = nil, nil, nil, nil, nil, nil
	s.loaded.Store(false)
	return errors.Join(errs...)
}

// evict closes the files of a loaded segment that nobody uses: no call
// runs on it, no reader holds a reference, Close and Delete were not
// called. It never waits: a segment whose locks are taken is in use. It
// reports whether it unloaded the segment. budget.mu is held.
func (s *Segment) evict() bool {
	if s.refs.Load() != 1 || s.closing.Load() || !s.loaded.Load() {
		return false
	}
	if !s.appendMu.TryLock() {
		return false
	}
	defer s.appendMu.Unlock()
	if !s.trunc.TryLock() {
		return false
	}
	defer s.trunc.Unlock()
	s.evicting.Store(true)
	defer s.evicting.Store(false)
	// See hold: a reference taken from here on waits for the eviction; one
	// taken before is seen now.
	if s.refs.Load() != 1 || s.closing.Load() || !s.loaded.Load() {
		return false
	}
	if err := s.closeFilesLocked(false); err != nil {
		s.log.Warn("segment: evicting", "segment", s.base, "dir", s.dir, "err", err)
	}
	s.lead = max(s.lead/2, min(minLead, s.lead))
	return true
}
