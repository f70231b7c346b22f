package partition

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/stratabroker/strata/segment"
)

// What the log cleaner (package compact) needs of a log: the inactive
// segments to read, a destination segment to write, and the swap that
// puts it in the place of the segments it replaces (Kafka's
// LocalLog.replaceSegments), crash-safe by the .cleaned -> .swap -> live
// protocol that Open finishes or discards (finishSwaps).

// CleanerView is an immutable snapshot of a log for the cleaner.
type CleanerView struct {
	// Segments are every segment but the active one, oldest first. They
	// hold no reference: Acquire each before reading it (a failed Acquire
	// means retention or a swap took it: give up the pass).
	Segments      []*segment.Segment
	ActiveBase    int64 // the active segment's base offset: never cleaned
	LogStart      int64
	HighWatermark int64
	// LastStableOffset bounds cleaning as Kafka's firstUnstableOffset
	// does: an ongoing transaction's batches are not cleaned.
	LastStableOffset int64
}

// CleanerView returns the log's segments as the cleaner sees them.
func (l *Log) CleanerView() CleanerView {
	v := l.view.Load()
	n := len(v.segs) - 1
	v = l.ensureLSO()
	return CleanerView{Segments: slices.Clone(v.segs[:n]), ActiveBase: v.segs[n].Base(), LogStart: v.logStart, HighWatermark: v.hw,
		LastStableOffset: v.lso}
}

// OnRoll registers fn, called (with the append lock held: it must not
// block or call the log) each time the active segment rolls: the cleaner
// wakes on it. nil removes it.
func (l *Log) OnRoll(fn func()) {
	if fn == nil {
		l.onRoll.Store(nil)
		return
	}
	l.onRoll.Store(&fn)
}

// NewCleanedSegment creates the cleaner's destination segment with base
// offset base: files named with segment.CleanedSuffix, which Open deletes
// if a crash comes before the swap.
func (l *Log) NewCleanedSegment(base int64) (*segment.Segment, error) {
	if l.closed.Load() {
		return nil, ErrClosed
	}
	l.mu.Lock()
	opts := l.segmentOptions()
	l.mu.Unlock()
	s, err := segment.CreateSuffixed(l.fs, l.dir, base, segment.CleanedSuffix, opts)
	if err != nil {
		return nil, fmt.Errorf("%w: create cleaned segment %d in %s: %w", ErrStorage, base, l.dir, err)
	}
	return s, nil
}

// ErrSwapAborted is returned by ReplaceSegments when the segments to
// replace are no longer the log's (retention deleted some meanwhile).
var ErrSwapAborted = errors.New("partition: segments changed during cleaning")

// swapStep, if set (tests), runs after each durable step of a swap.
var swapStep func(step string)

func (l *Log) step(name string) {
	if swapStep != nil {
		swapStep(name)
	}
}

// ReplaceSegments puts cleaned, made by NewCleanedSegment and written with
// Append, in the place of old, a run of consecutive inactive segments of
// the log whose first base offset is cleaned's. As Kafka's
// LocalLog.replaceSegments:
//
//  1. cleaned is sealed (indexes trimmed, fsynced) and its files renamed
//     from .cleaned to .swap (the .log last), then the directory synced;
//  2. the view is replaced: readers see cleaned from now on, and reads in
//     flight keep the old segments' files alive (references);
//  3. the old segments are retired (renamed .deleted at once, removed with
//     their last reference) and the directory synced;
//  4. cleaned's files lose the .swap suffix (the .log first), and the
//     directory is synced.
//
// A crash before 1 ends leaves .cleaned files (or a .log still .cleaned),
// which Open deletes: the old segments stay. After it, Open finishes the
// swap: it deletes the segment files whose base lies in the swap
// segment's [base, next offset) and renames the .swap files. Either way
// every record is served as before or as cleaned, never both.
//
// On ErrSwapAborted or any other error cleaned is deleted and the log is
// as it was (unless the error came after step 1, when the swap is
// finished by the next Open).
func (l *Log) ReplaceSegments(cleaned *segment.Segment, old []*segment.Segment) (err error) {
	if len(old) == 0 || cleaned.Base() != old[0].Base() {
		cleaned.Delete()
		return fmt.Errorf("%w: replace %d segments with a segment at %d", ErrSwapAborted, len(old), cleaned.Base())
	}
	l.retainMu.Lock()
	defer l.retainMu.Unlock()
	swapped := false
	defer func() {
		if err != nil && !swapped {
			cleaned.Delete()
		}
	}()
	if l.closed.Load() {
		return ErrClosed
	}
	v := l.view.Load()
	i := slices.Index(v.segs, old[0])
	if i < 0 || i+len(old) >= len(v.segs) || !slices.Equal(v.segs[i:i+len(old)], old) {
		return ErrSwapAborted
	}
	if err := cleaned.Seal(); err != nil {
		return fmt.Errorf("%w: seal cleaned segment %d of %s: %w", ErrStorage, cleaned.Base(), l.dir, err)
	}
	l.step("sealed")
	if err := cleaned.Rename(segment.CleanedSuffix, segment.SwapSuffix); err != nil {
		return fmt.Errorf("%w: swap in cleaned segment %d of %s: %w", ErrStorage, cleaned.Base(), l.dir, err)
	}
	l.step("renamed-swap")
	if err := l.fs.SyncDir(l.dir); err != nil {
		return fmt.Errorf("%w: sync %s: %w", ErrStorage, l.dir, err)
	}
	swapped = true // from here on the next Open finishes the swap
	l.step("swap-durable")

	l.mu.Lock()
	cur := l.view.Load()
	segs := make([]*segment.Segment, 0, len(cur.segs)-len(old)+1)
	segs = append(segs, cur.segs[:i]...)
	segs = append(segs, cleaned)
	segs = append(segs, cur.segs[i+len(old):]...)
	l.pendingSeal = slices.DeleteFunc(l.pendingSeal, func(s *segment.Segment) bool { return slices.Contains(old, s) })
	if l.lsoFirst >= 0 && slices.Contains(old, l.lsoSeg) {
		l.refreshLSOLocked(segs) // its batch moved into cleaned
	}
	l.storeViewLocked(segs)
	l.mu.Unlock()
	l.step("published")

	var errs []error
	for _, s := range old {
		if err := s.Retire(); err != nil {
			errs = append(errs, err)
		}
	}
	l.step("retired")
	if err := l.fs.SyncDir(l.dir); err != nil {
		errs = append(errs, err)
	}
	l.step("retired-durable")
	if err := cleaned.Rename(segment.SwapSuffix, ""); err != nil {
		errs = append(errs, err)
	}
	l.step("renamed-live")
	if err := l.fs.SyncDir(l.dir); err != nil {
		errs = append(errs, err)
	}
	l.step("done")
	if len(errs) > 0 {
		return fmt.Errorf("%w: swap of cleaned segment %d in %s: %w", ErrStorage, cleaned.Base(), l.dir, errors.Join(errs...))
	}
	return nil
}

// fileBase returns the base offset of a segment file name with any of
// the given suffixes after the segment suffix (".log", ".index",
// ".timeindex", ".txnindex"), and which segment suffix it has.
func fileBase(name string) (base int64, kind string, ok bool) {
	digits, rest, found := strings.Cut(name, ".")
	if !found || len(digits) != 20 {
		return 0, "", false
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n < 0 {
		return 0, "", false
	}
	kind, _, _ = strings.Cut(rest, ".")
	switch "." + kind {
	case segment.LogSuffix, segment.IndexSuffix, segment.TimeIndexSuffix, segment.TxnIndexSuffix:
		return n, "." + kind, true
	}
	return 0, "", false
}

// finishSwaps follows Kafka's LogLoader (removeTempFilesAndCollectSwapFiles
// and the passes after it) for what a crash left of a cleaner's swap:
//
//   - .cleaned files are deleted, and every .swap file whose base offset is
//     at or above the smallest .cleaned file's (a swap not wholly renamed);
//   - for the remaining .swap logs, the segment files (not .swap) whose base
//     lies in [smallest swap base, largest swap next offset) are deleted:
//     the swap replaced them;
//   - every .swap file is renamed to its live name.
//
// It reports whether it changed anything (the directory is then synced).
func (l *Log) finishSwaps(names []string) (bool, error) {
	fsys := l.fs
	minCleaned := int64(1<<63 - 1)
	var cleaned, swaps []string
	for _, name := range names {
		switch {
		case strings.HasSuffix(name, segment.CleanedSuffix):
			if b, _, ok := fileBase(name); ok {
				minCleaned = min(minCleaned, b)
			}
			cleaned = append(cleaned, name)
		case strings.HasSuffix(name, segment.SwapSuffix):
			swaps = append(swaps, name)
		}
	}
	if len(cleaned) == 0 && len(swaps) == 0 {
		return false, nil
	}
	remove := func(name string) error {
		if err := fsys.Remove(filepath.Join(l.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	valid := swaps[:0]
	for _, name := range swaps {
		if b, _, ok := fileBase(name); ok && b < minCleaned {
			valid = append(valid, name)
			continue
		}
		l.logger.Info("deleting swap file of an unfinished swap", "dir", l.dir, "file", name)
		if err := remove(name); err != nil {
			return true, err
		}
	}
	for _, name := range cleaned {
		if err := remove(name); err != nil {
			return true, err
		}
	}
	lo, hi := int64(1<<63-1), int64(-1<<63)
	opts := l.segmentOptions()
	for _, name := range valid {
		b, kind, ok := fileBase(name)
		if !ok || kind != segment.LogSuffix {
			continue
		}
		s, err := segment.OpenSuffixed(fsys, l.dir, b, segment.SwapSuffix, opts)
		if err != nil {
			return true, err
		}
		next, err := s.NextOffset()
		s.Close()
		if err != nil {
			return true, fmt.Errorf("swap segment %d: %w", b, err)
		}
		l.logger.Info("finishing an interrupted swap of cleaned segments", "dir", l.dir, "base", b, "nextOffset", next)
		lo, hi = min(lo, b), max(hi, next)
	}
	for _, name := range names {
		if strings.HasSuffix(name, segment.SwapSuffix) || strings.HasSuffix(name, segment.CleanedSuffix) {
			continue
		}
		if b, _, ok := fileBase(name); ok && b >= lo && b < hi {
			l.logger.Info("deleting a segment file a swap replaced", "dir", l.dir, "file", name)
			if err := remove(name); err != nil {
				return true, err
			}
		}
	}
	for _, name := range valid {
		if err := fsys.Rename(filepath.Join(l.dir, name), filepath.Join(l.dir, strings.TrimSuffix(name, segment.SwapSuffix))); err != nil {
			return true, err
		}
	}
	return true, fsys.SyncDir(l.dir)
}
