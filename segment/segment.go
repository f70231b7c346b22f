package segment

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/stratabroker/strata/index"
	"github.com/stratabroker/strata/internal/mmap"
	"github.com/stratabroker/strata/internal/vfs"
)

// Defaults of Options, Kafka's where Kafka has the setting.
const (
	DefaultIndexIntervalBytes   = 4096     // index.interval.bytes
	DefaultMaxIndexBytes        = 10 << 20 // segment.index.bytes
	DefaultPreallocateBytes     = 4 << 20  // over vfs.OS
	DefaultMaxDecompressedBytes = 64 << 20
)

// MaxLogBytes is the largest a .log may grow: Kafka's limit (positions are
// 32-bit signed in its index and FileRecords).
const MaxLogBytes = math.MaxInt32

// Options configure a segment. The zero value gives the defaults.
type Options struct {
	// IndexIntervalBytes is index.interval.bytes: an offset-index entry is
	// added for a batch once more than this many bytes were appended since
	// the batch of the last entry. 0 means 4096; 1 indexes every batch
	// after the first.
	IndexIntervalBytes int
	// MaxIndexBytes is segment.index.bytes, the size each index file is
	// preallocated to; 0 means 10 MiB.
	MaxIndexBytes int
	// PreallocateBytes is the most the .log is extended ahead of the
	// append position, with its blocks reserved (fallocate), so that
	// appends write into an already sized file. The lead adapts: a
	// segment's first extension reserves 64 KiB (or PreallocateBytes if
	// smaller), and each time appends use up half of the lead it doubles,
	// up to PreallocateBytes; an eviction halves it. So a partition that
	// took a few records reserves 64 KiB of disk and a busy one soon
	// writes 4 MiB ahead. The log is trimmed to its data on Seal, Close and
	// eviction, and Recover cuts the zeros a crash leaves. 0 means 4 MiB
	// for files of vfs.OS and none over other filesystems (an in-memory
	// file would hold the zeros in memory); negative turns it off.
	PreallocateBytes int64
	// MaxBytes is the size the log rolls at (segment.bytes), if known:
	// preallocation never reserves past it (rounded up to 64 KiB), so a
	// small segment does not hold four times its size on disk until it is
	// sealed, nor cost that much to delete unsealed. 0: no such cap.
	MaxBytes int64
	// MaxDecompressedBytes bounds the decompressed size of one batch when
	// FindTimestamp or MaxTimestamp must look at its records; 0 means 64 MiB.
	MaxDecompressedBytes int
	// Logger receives what the segment repairs on its own (indexes
	// rebuilt on first use, bytes cut by Recover) and errors of a teardown
	// run by Release. nil discards.
	Logger *slog.Logger
}

func (o Options) withDefaults() (Options, error) {
	if o.IndexIntervalBytes < 0 || o.MaxIndexBytes < 0 || o.MaxDecompressedBytes < 0 || o.MaxBytes < 0 {
		return o, fmt.Errorf("%w: negative option in %+v", ErrInvalidArgument, o)
	}
	if o.IndexIntervalBytes == 0 {
		o.IndexIntervalBytes = DefaultIndexIntervalBytes
	}
	if o.MaxIndexBytes == 0 {
		o.MaxIndexBytes = DefaultMaxIndexBytes
	}
	if o.MaxDecompressedBytes == 0 {
		o.MaxDecompressedBytes = DefaultMaxDecompressedBytes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// Check states of the indexes, which the first method that needs them
// checks against the log. A state outlives an eviction: a segment that
// was checked is not checked again when its files are reopened.
const (
	stateUnchecked int32 = iota // not checked since Open
	stateSuspect                // not (or not any more) known to agree with the log: recover
	stateReady                  // checked, or rebuilt
)

// noRollTimestamp marks rollTs as not yet read.
const noRollTimestamp = math.MinInt64

// Segment is one .log file and its offset and time indexes.
//
// Concurrency: one appender and any number of readers. Append, Recover,
// TruncateTo, Seal and Close are mutations and must be serialised by the
// caller (the partition holds its lock); they also exclude one another
// internally, so a mistake costs waiting, not corruption. Read,
// FindTimestamp, MaxTimestamp, NextOffset, RollTimestamp, Size and Flush
// may run at any time, concurrently with an Append: readers see only
// whole batches, because Append publishes the new size atomically after
// the bytes are written. Recover and TruncateTo make concurrent readers
// wait; a Slice obtained before a truncation may name bytes that are gone.
//
// Lifetime: Create and Open hold one reference, which Close or Delete
// drops. Readers that keep using the segment's file after a call returns
// (a Slice sent with sendfile) take their own with Acquire and drop it with
// Release. The files are closed, the mapping unmapped and, after Delete,
// the files removed when the last reference is dropped. In between, the
// files are open only while the segment is loaded (budget.go, files.go):
// from the first call that needs them until the process's file budget
// evicts the segment, which it does only while no call runs on it and no
// reader holds a reference.
type Segment struct {
	fs   vfs.FS
	dir  string
	base int64
	opts Options
	log  *slog.Logger

	// Set while loaded (see loaded), under appendMu and trunc.
	f  vfs.File   // the .log
	fd vfs.FdFile // f when it can be mapped (vfs.OS), else nil

	refs    atomic.Int64 // the owner's reference until Close or Delete, plus readers' and calls'
	closing atomic.Bool  // Close or Delete was called: Acquire fails

	// loaded: f, the indexes and the mapping are open (files.go). Set
	// under appendMu after they are; cleared by an eviction or the
	// teardown under appendMu and trunc. A call that holds a reference
	// and saw it set may use the files until it releases the reference.
	loaded atomic.Bool
	// evicting is set while an eviction decides and closes the files
	// (under appendMu and trunc held exclusively): hold waits for it.
	evicting atomic.Bool
	// used is the clock's second chance: set by calls, cleared by the
	// sweep (budget.go).
	used atomic.Bool
	// dirty: something was written since the last Flush began; Flush of a
	// segment that is not loaded and not dirty opens nothing.
	dirty   atomic.Bool
	ringIdx int // place in budget.ring, -1 when not loaded; under budget.mu

	// lifeMu guards the paths, deleted and tornDown. Taken after appendMu.
	lifeMu                   sync.Mutex
	logPath, idxPath, tiPath string
	txnPath                  string // the transaction index (txn.go)
	deleted                  bool

	// txnMu guards the transaction index's entries (txn.go). Taken before
	// lifeMu.
	txnMu     sync.Mutex
	txns      []index.AbortedTxn
	txnLoaded bool // txns holds the file's entries
	txnDirty  bool // written since the last fsync
	tornDown  bool

	// appendMu serialises mutations: Append, Recover, TruncateTo, Seal,
	// loading the indexes, Close's finalisation, Delete's renames. Taken
	// before trunc.
	appendMu sync.Mutex
	// trunc is held shared by readers while they read the log's bytes (the
	// mapping or ReadAt), and exclusively by whatever makes bytes below the
	// published size change or the mapping move: Recover, TruncateTo,
	// loading, remapping, rolling back a failed append's index entry.
	trunc sync.RWMutex

	state atomic.Int32  // stateUnchecked, stateSuspect, stateReady
	off   *index.Offset // set with tim while loaded, under appendMu and trunc
	tim   *index.Time

	// Guarded by trunc: written with it held exclusively (and appendMu),
	// read with it shared (or with appendMu).
	m  *mmap.Mapping // read-only mapping of the .log (mapping.go), nil when not mapped
	mb []byte        // m.Bytes()

	size   atomic.Int64 // published length of the log: whole batches only
	next   atomic.Int64 // offset after the last batch; valid once loaded
	rollTs atomic.Int64 // first batch's MaxTimestamp, noRollTimestamp until read

	// maxMu guards what readers read of the max-timestamp bookkeeping;
	// writers also hold appendMu, so they may read it without maxMu.
	maxMu       sync.Mutex
	maxTs       int64 // largest batch MaxTimestamp so far (Kafka's maxTimestampSoFar), -1 if none
	maxOff      int64 // last offset of the first batch carrying maxTs (Kafka's shallow offset), -1 if none
	resolved    bool  // resolvedOff holds MaxTimestamp's answer for maxTs
	resolvedOff int64

	// Guarded by appendMu.
	fileSize   int64 // the file's length as the appender last set it (>= size when preallocated)
	mapFailed  bool  // mapping the log failed once: readers use ReadAt, appends stop retrying
	bytesSince int64 // bytes appended since the batch of the last offset-index entry
	lead       int64 // how far extend reserves ahead now (adaptive, append.go); 0 before the first
}

func newSegment(fsys vfs.FS, dir string, base int64, opts Options) (*Segment, error) {
	if base < 0 {
		return nil, fmt.Errorf("%w: base offset %d", ErrInvalidArgument, base)
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Segment{
		fs: fsys, dir: dir, base: base, opts: opts, log: opts.Logger,
		logPath: LogPath(dir, base), idxPath: IndexPath(dir, base), tiPath: TimeIndexPath(dir, base),
		txnPath: TxnIndexPath(dir, base),
		maxTs:   -1, maxOff: -1, ringIdx: -1,
	}
	s.refs.Store(1)
	s.rollTs.Store(noRollTimestamp)
	s.next.Store(base)
	return s, nil
}

// Create creates an empty segment with base offset base in dir: a new,
// empty .log (an existing one is truncated) and empty indexes (stale index
// files of the same base are removed first).
func Create(fsys vfs.FS, dir string, base int64, opts Options) (*Segment, error) {
	return CreateSuffixed(fsys, dir, base, "", opts)
}

// CreateSuffixed is Create with suffix (CleanedSuffix) appended to the
// three file names: the log cleaner's new segment, which Rename later
// gives its final names.
func CreateSuffixed(fsys vfs.FS, dir string, base int64, suffix string, opts Options) (*Segment, error) {
	s, err := newSegment(fsys, dir, base, opts)
	if err != nil {
		return nil, err
	}
	s.logPath, s.idxPath, s.tiPath, s.txnPath = s.logPath+suffix, s.idxPath+suffix, s.tiPath+suffix, s.txnPath+suffix
	s.txnLoaded = true // a new segment has no aborted transaction
	for _, p := range []string{s.idxPath, s.tiPath, s.txnPath} {
		if err := fsys.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("segment: create %s: remove stale index: %w", p, err)
		}
	}
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	admit(s)
	f, err := fsys.Create(s.logPath)
	if err != nil {
		forget(s)
		return nil, fmt.Errorf("segment: create %s: %w", s.logPath, err)
	}
	if err := s.openFilesLocked(f); err != nil {
		forget(s)
		return nil, err
	}
	s.state.Store(stateReady)
	s.used.Store(true)
	s.loaded.Store(true)
	return s, nil
}

// Open opens the existing segment with base offset base in dir without
// opening or reading its files: it costs a stat. The files are opened, and
// the indexes checked against the log, by the first method that needs
// them (Append, Read, FindTimestamp, NextOffset, MaxTimestamp, IndexFull,
// TruncateTo, Seal); if they disagree with the log then, that method
// recovers the segment first (see Recover) and logs it to Options.Logger.
// A missing .log is an error wrapping fs.ErrNotExist; missing indexes are
// rebuilt.
//
// Size is the .log's length until the first such method: after a crash it
// may include bytes that recovery cuts.
func Open(fsys vfs.FS, dir string, base int64, opts Options) (*Segment, error) {
	return OpenSuffixed(fsys, dir, base, "", opts)
}

// OpenSuffixed is Open of a segment whose file names end in suffix
// (SwapSuffix: what a crash left of the cleaner's swap).
func OpenSuffixed(fsys vfs.FS, dir string, base int64, suffix string, opts Options) (*Segment, error) {
	s, err := newSegment(fsys, dir, base, opts)
	if err != nil {
		return nil, err
	}
	s.logPath, s.idxPath, s.tiPath, s.txnPath = s.logPath+suffix, s.idxPath+suffix, s.tiPath+suffix, s.txnPath+suffix
	st, err := fsys.Stat(s.logPath)
	if err != nil {
		return nil, fmt.Errorf("segment: open %s: %w", s.logPath, err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("segment: open %s: is a directory", s.logPath)
	}
	s.size.Store(st.Size())
	s.fileSize = st.Size()
	return s, nil
}

// Base is the segment's base offset: no batch in it has a smaller offset.
func (s *Segment) Base() int64 { return s.base }

// Size is the number of bytes of whole batches in the .log.
func (s *Segment) Size() int64 { return s.size.Load() }

// Fits reports whether a batch whose last offset is lastOffset may be
// appended: lastOffset-Base() fits the indexes' 4-byte relative offset
// (0..math.MaxInt32). Otherwise the caller must roll.
func (s *Segment) Fits(lastOffset int64) bool {
	d := lastOffset - s.base
	return lastOffset >= s.base && d <= math.MaxInt32
}

// NextOffset is the offset after the segment's last batch, Base() when it
// is empty. The first call on an opened segment loads its indexes; later
// calls read a cached value.
func (s *Segment) NextOffset() (int64, error) {
	if !s.hold() {
		return 0, ErrClosed
	}
	defer s.Release()
	if err := s.ready(); err != nil {
		return 0, err
	}
	return s.next.Load(), nil
}

// IndexFull reports whether either index has no room for another entry:
// the caller must roll before the next Append. It is false when the
// indexes cannot be loaded (Append then reports the error).
func (s *Segment) IndexFull() bool {
	if !s.hold() {
		return false
	}
	defer s.Release()
	if s.use() != nil {
		return false
	}
	return s.off.Full() || s.tim.Full()
}

// LargestTimestamp is the largest MaxTimestamp of the segment's batches
// (Kafka's maxTimestampSoFar), -1 when it is empty or no batch has a
// timestamp: what retention.ms compares and what picks the segment that
// ListOffsets(-3) looks in. Unlike MaxTimestamp it reads no records.
func (s *Segment) LargestTimestamp() (int64, error) {
	if !s.hold() {
		return 0, ErrClosed
	}
	defer s.Release()
	if err := s.ready(); err != nil {
		return 0, err
	}
	s.maxMu.Lock()
	defer s.maxMu.Unlock()
	return s.maxTs, nil
}

// ready makes sure the indexes were checked against the log (loading the
// segment and recovering it if needed), for calls that need only the
// in-memory state. The caller holds a reference.
func (s *Segment) ready() error {
	if s.state.Load() == stateReady {
		return nil
	}
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	return s.useLocked()
}

// use makes sure the segment is loaded and its indexes checked, for calls
// that use its files. The caller holds a reference, which keeps the files
// open until it releases it.
func (s *Segment) use() error {
	if s.loaded.Load() && s.state.Load() == stateReady {
		s.touch()
		return nil
	}
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	return s.useLocked()
}

// files makes sure the segment is loaded, without checking its indexes
// (RollTimestamp, Flush). The caller holds a reference.
func (s *Segment) files() error {
	if s.loaded.Load() {
		s.touch()
		return nil
	}
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	return s.filesLocked()
}

// useLocked is use with appendMu held.
func (s *Segment) useLocked() error {
	if err := s.filesLocked(); err != nil {
		return err
	}
	return s.readyLocked()
}

// readyLocked checks or recovers the indexes of a loaded segment.
// appendMu must be held.
func (s *Segment) readyLocked() error {
	switch s.state.Load() {
	case stateReady:
		return nil
	case stateUnchecked:
		t, err := s.check()
		if err == nil {
			s.applyTail(t)
			s.state.Store(stateReady)
			return nil
		}
		s.log.Warn("segment: indexes disagree with the log; recovering",
			"segment", s.logPathNow(), "err", err)
	default:
		s.log.Warn("segment: indexes found inconsistent; recovering", "segment", s.logPathNow())
	}
	_, err := s.recoverLocked()
	return err
}

// markSuspect records that a reader found an index entry that disagrees
// with the log; the next method that loads the segment recovers it.
func (s *Segment) markSuspect(what string, pos int64) {
	if s.state.CompareAndSwap(stateReady, stateSuspect) {
		s.log.Warn("segment: index entry disagrees with the log; the indexes will be rebuilt",
			"segment", s.logPathNow(), "what", what, "position", pos)
	}
}

func (s *Segment) logPathNow() string {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	return s.logPath
}

// hold takes a reference for the length of a method call. Unlike Acquire
// it succeeds after Close or Delete for as long as references remain, so
// that a reader holding one can keep using the segment.
//
// A reference pins the files: an eviction sets evicting, then checks that
// the owner's is the only reference, with both locks held exclusively;
// hold adds its reference, then reads evicting. Atomics being sequentially
// consistent, either the eviction sees the reference and gives up, or hold
// sees evicting and waits for the eviction to end (trunc), after which the
// segment is unloaded and the call loads it again. No eviction can start
// while the reference is held.
func (s *Segment) hold() bool {
	for n := s.refs.Load(); n > 0; n = s.refs.Load() {
		if s.refs.CompareAndSwap(n, n+1) {
			if s.evicting.Load() {
				s.trunc.RLock()
				s.trunc.RUnlock() // only waited for the eviction to end
			}
			return true
		}
	}
	return false
}

// Acquire takes a reader's reference, which keeps the files open and
// mapped until the matching Release, even across Close or Delete. It
// returns false once Close or Delete was called: the reader must look the
// segment up again (it was rolled away or deleted).
func (s *Segment) Acquire() bool {
	if s.closing.Load() {
		return false
	}
	return s.hold()
}

// Release drops a reference taken by Acquire. Dropping the last one closes
// the files and unmaps the log and, after Delete, removes the files; an
// error doing so is logged (Close and Delete return it when they drop the
// last one themselves).
func (s *Segment) Release() {
	if err := s.release(); err != nil {
		s.log.Error("segment: teardown", "segment", s.logPathNow(), "err", err)
	}
}

func (s *Segment) release() error {
	switch n := s.refs.Add(-1); {
	case n == 0:
		return s.teardown()
	case n < 0:
		panic("segment: Release without a reference")
	case n == 1:
		shrink() // the segment may be evictable now; only if over budget
	}
	return nil
}

// Close finishes the segment as Kafka's LogSegment.close does (the largest
// timestamp goes into the time index, the .log loses its preallocated tail)
// and drops the reference that Create or Open took. The files are closed
// when the last reader releases. Close does not fsync: call Flush (or Seal)
// first for durability. A second Close does nothing.
func (s *Segment) Close() error {
	if !s.closing.CompareAndSwap(false, true) {
		return nil
	}
	s.appendMu.Lock()
	err := s.finishLocked()
	s.appendMu.Unlock()
	return errors.Join(err, s.release())
}

// Delete marks the segment deleted: its files are closed and removed when
// the last reference is released (now, unless a reader holds one; then
// they are renamed with DeletedSuffix at once). It drops the reference
// that Create or Open took, unless Close already did. A second Delete
// does nothing.
func (s *Segment) Delete() error {
	s.appendMu.Lock()
	s.lifeMu.Lock()
	if s.deleted {
		s.lifeMu.Unlock()
		s.appendMu.Unlock()
		return nil
	}
	s.deleted = true
	var err error
	switch {
	case s.tornDown:
		err = s.removeFilesLocked()
	case s.readersLocked() > 0:
		// A reader holds it: the files stay, out of the way, until the
		// last Release. With none, the release below removes them now,
		// and three renames would only cost retention time.
		err = s.renameDeletedLocked()
	}
	torn := s.tornDown
	s.lifeMu.Unlock()
	s.appendMu.Unlock()
	if !torn && s.closing.CompareAndSwap(false, true) {
		err = errors.Join(err, s.release())
	}
	return err
}

// Retire is Delete for a segment that another takes the place of (the log
// cleaner's swap): its files are renamed with DeletedSuffix at once,
// whether or not a reader holds it, so that the replacement may take its
// names, and removed when the last reference goes: the owner's reference
// is dropped in the background (as Kafka deletes replaced segments
// asynchronously), so the files may still be there, renamed, when Retire
// returns.
func (s *Segment) Retire() error {
	s.appendMu.Lock()
	s.lifeMu.Lock()
	if s.deleted {
		s.lifeMu.Unlock()
		s.appendMu.Unlock()
		return nil
	}
	s.deleted = true
	var err error
	if s.tornDown {
		err = s.removeFilesLocked()
	} else {
		err = s.renameDeletedLocked()
	}
	torn := s.tornDown
	s.lifeMu.Unlock()
	s.appendMu.Unlock()
	if !torn && s.closing.CompareAndSwap(false, true) {
		go s.Release() // unlinking large files takes milliseconds: not on the caller's time
	}
	return err
}

// Rename changes the suffix of the segment's three file names from from
// to to (CleanedSuffix to SwapSuffix, SwapSuffix to ""), the .log last
// when to is a suffix and first when it is "" (see the partition's swap).
// A missing index file is skipped (it is rebuilt when loaded). The
// directory is not synced.
func (s *Segment) Rename(from, to string) error {
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.deleted {
		return ErrClosed
	}
	paths := []*string{&s.idxPath, &s.tiPath, &s.txnPath, &s.logPath}
	if to == "" {
		paths = []*string{&s.logPath, &s.idxPath, &s.tiPath, &s.txnPath}
	}
	for _, p := range paths {
		cur, ok := strings.CutSuffix(*p, from)
		if !ok {
			return fmt.Errorf("%w: rename %s: no suffix %q", ErrInvalidArgument, *p, from)
		}
		next := cur + to
		switch err := s.fs.Rename(*p, next); {
		case err == nil:
			*p = next
		case errors.Is(err, fs.ErrNotExist) && p != &s.logPath:
			*p = next
		default:
			return fmt.Errorf("segment: rename: %w", err)
		}
	}
	return nil
}

// readersLocked is how many references readers hold: all of them but the
// owner's, which Close or Delete drops. appendMu must be held.
func (s *Segment) readersLocked() int64 {
	n := s.refs.Load()
	if !s.closing.Load() {
		n--
	}
	return n
}

// renameDeletedLocked appends DeletedSuffix to the three file names. lifeMu
// must be held.
func (s *Segment) renameDeletedLocked() error {
	var errs []error
	for _, p := range []*string{&s.logPath, &s.idxPath, &s.tiPath, &s.txnPath} {
		to := *p + DeletedSuffix
		switch err := s.fs.Rename(*p, to); {
		case err == nil:
			*p = to
		case errors.Is(err, fs.ErrNotExist):
		default:
			errs = append(errs, fmt.Errorf("segment: delete: %w", err))
		}
	}
	return errors.Join(errs...)
}

// removeFilesLocked removes the three files. lifeMu must be held.
func (s *Segment) removeFilesLocked() error {
	var errs []error
	for _, p := range []string{s.logPath, s.idxPath, s.tiPath, s.txnPath} {
		if err := s.fs.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("segment: delete: %w", err))
		}
	}
	return errors.Join(errs...)
}

// teardown runs when the last reference is dropped: nothing else can use
// the segment any more. appendMu excludes an eviction that began before
// the owner's reference went.
func (s *Segment) teardown() error {
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	var errs []error
	wasLoaded := s.loaded.Load()
	if wasLoaded {
		s.trunc.Lock()
		s.lifeMu.Lock()
		errs = append(errs, s.closeFilesLocked(s.deleted))
		s.lifeMu.Unlock()
		s.trunc.Unlock()
		forget(s)
	}
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	s.tornDown = true
	if s.deleted {
		errs = append(errs, s.removeFilesLocked())
	}
	return errors.Join(errs...)
}

// IndexBytes is the bytes of entries in the offset index and in the time
// index (Kafka's OffsetIndex.sizeInBytes, which the cleaner's grouping
// sums). It loads the segment.
func (s *Segment) IndexBytes() (offsetIndex, timeIndex int64, err error) {
	if !s.hold() {
		return 0, 0, ErrClosed
	}
	defer s.Release()
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	if err := s.useLocked(); err != nil {
		return 0, 0, err
	}
	return int64(s.off.Entries()) * 8, int64(s.tim.Entries()) * 12, nil
}
