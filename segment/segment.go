package segment

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
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
	// PreallocateBytes is how far ahead of the append position the .log is
	// extended, with its blocks reserved (fallocate): whenever less than
	// half of it is left, the file is extended to this far past the end of
	// the append, so that appends write into an already sized file. The log
	// is trimmed to its data on Seal and Close, and Recover cuts the zeros
	// a crash leaves. It costs up to this much reserved disk per segment
	// being appended to. 0 means 4 MiB for files of vfs.OS and none over
	// other filesystems (an in-memory file would hold the zeros in
	// memory); negative turns it off.
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

// Load states. The indexes are opened by the first method that needs them.
const (
	stateUnloaded int32 = iota // indexes not open
	stateSuspect               // indexes open but not (or not any more) known to agree with the log
	stateReady                 // indexes open and checked
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
// the files removed when the last reference is dropped.
type Segment struct {
	fs   vfs.FS
	dir  string
	base int64
	opts Options
	log  *slog.Logger

	f  vfs.File   // the .log, open from Create or Open to teardown
	fd vfs.FdFile // f when it can be mapped (vfs.OS), else nil

	refs    atomic.Int64 // the owner's reference until Close or Delete, plus readers'
	closing atomic.Bool  // Close or Delete was called: Acquire fails

	// lifeMu guards the paths, deleted and tornDown. Taken after appendMu.
	lifeMu                   sync.Mutex
	logPath, idxPath, tiPath string
	deleted                  bool
	tornDown                 bool

	// appendMu serialises mutations: Append, Recover, TruncateTo, Seal,
	// loading the indexes, Close's finalisation, Delete's renames. Taken
	// before trunc.
	appendMu sync.Mutex
	// trunc is held shared by readers while they read the log's bytes (the
	// mapping or ReadAt), and exclusively by whatever makes bytes below the
	// published size change or the mapping move: Recover, TruncateTo,
	// loading, remapping, rolling back a failed append's index entry.
	trunc sync.RWMutex

	state atomic.Int32  // stateUnloaded, stateSuspect, stateReady
	off   *index.Offset // set with tim, under appendMu and trunc, before state leaves stateUnloaded
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
		maxTs: -1, maxOff: -1,
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
	s, err := newSegment(fsys, dir, base, opts)
	if err != nil {
		return nil, err
	}
	for _, p := range []string{s.idxPath, s.tiPath} {
		if err := fsys.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("segment: create %s: remove stale index: %w", p, err)
		}
	}
	f, err := fsys.Create(s.logPath)
	if err != nil {
		return nil, fmt.Errorf("segment: create %s: %w", s.logPath, err)
	}
	s.setFile(f)
	if err := s.openIndexes(); err != nil {
		liveAdd(-1)
		return nil, errors.Join(err, f.Close())
	}
	s.state.Store(stateReady)
	return s, nil
}

// Open opens the existing segment with base offset base in dir without
// reading its log or its indexes: it costs a stat and an open. The indexes
// are opened, and checked against the log, by the first method that needs
// them (Append, Read, FindTimestamp, NextOffset, MaxTimestamp, IndexFull,
// TruncateTo, Seal); if they disagree with the log then, that method
// recovers the segment first (see Recover) and logs it to Options.Logger.
// A missing .log is an error wrapping fs.ErrNotExist; missing indexes are
// rebuilt.
//
// Size is the .log's length until the first such method: after a crash it
// may include bytes that recovery cuts.
func Open(fsys vfs.FS, dir string, base int64, opts Options) (*Segment, error) {
	s, err := newSegment(fsys, dir, base, opts)
	if err != nil {
		return nil, err
	}
	st, err := fsys.Stat(s.logPath)
	if err != nil {
		return nil, fmt.Errorf("segment: open %s: %w", s.logPath, err)
	}
	f, err := fsys.OpenRW(s.logPath)
	if err != nil {
		return nil, fmt.Errorf("segment: open %s: %w", s.logPath, err)
	}
	s.setFile(f)
	s.size.Store(st.Size())
	s.fileSize = st.Size()
	return s, nil
}

func (s *Segment) setFile(f vfs.File) {
	liveAdd(1)
	s.f = f
	if fd, ok := f.(vfs.FdFile); ok && mmap.Supported {
		s.fd = fd
	}
	if s.opts.PreallocateBytes == 0 && s.fd != nil {
		s.opts.PreallocateBytes = DefaultPreallocateBytes
	}
}

// openIndexes opens both index files at their current paths and stores
// them. It is called by Create, and under appendMu when loading.
func (s *Segment) openIndexes() error {
	s.lifeMu.Lock()
	idxPath, tiPath := s.idxPath, s.tiPath
	s.lifeMu.Unlock()
	off, err := index.OpenOffset(s.fs, idxPath, s.base, s.opts.MaxIndexBytes)
	if err != nil {
		return fmt.Errorf("segment %d: %w", s.base, err)
	}
	tim, err := index.OpenTime(s.fs, tiPath, s.base, s.opts.MaxIndexBytes)
	if err != nil {
		return errors.Join(fmt.Errorf("segment %d: %w", s.base, err), off.Close())
	}
	s.trunc.Lock()
	s.off, s.tim = off, tim
	s.trunc.Unlock()
	return nil
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
	if s.ready() != nil {
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

// ready loads the indexes if needed and recovers the segment if they
// disagree with the log.
func (s *Segment) ready() error {
	if s.state.Load() == stateReady {
		return nil
	}
	s.appendMu.Lock()
	defer s.appendMu.Unlock()
	return s.readyLocked()
}

// readyLocked is ready with appendMu held.
func (s *Segment) readyLocked() error {
	switch s.state.Load() {
	case stateReady:
		return nil
	case stateUnloaded:
		if err := s.load(); err != nil {
			return err
		}
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

// load opens the indexes and maps the log. appendMu must be held. It
// leaves the segment in stateSuspect: check decides.
func (s *Segment) load() error {
	if err := s.openIndexes(); err != nil {
		return err
	}
	s.trunc.Lock()
	s.mapReadLocked(s.size.Load())
	s.trunc.Unlock()
	s.state.Store(stateSuspect)
	return nil
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
func (s *Segment) hold() bool {
	for n := s.refs.Load(); n > 0; n = s.refs.Load() {
		if s.refs.CompareAndSwap(n, n+1) {
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
	for _, p := range []*string{&s.logPath, &s.idxPath, &s.tiPath} {
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
	for _, p := range []string{s.logPath, s.idxPath, s.tiPath} {
		if err := s.fs.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("segment: delete: %w", err))
		}
	}
	return errors.Join(errs...)
}

// teardown runs when the last reference is dropped: nothing else can use
// the segment any more.
func (s *Segment) teardown() error {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	s.tornDown = true
	var errs []error
	if s.state.Load() != stateUnloaded {
		if s.deleted { // the files are going: no trims
			errs = append(errs, s.off.Discard(), s.tim.Discard())
		} else {
			errs = append(errs, s.off.Close(), s.tim.Close())
		}
	}
	if s.m != nil {
		errs = append(errs, s.m.Unmap())
		s.m, s.mb = nil, nil
	}
	if err := s.f.Close(); err != nil {
		errs = append(errs, fmt.Errorf("segment: close %s: %w", s.logPath, err))
	}
	liveAdd(-1)
	if s.deleted {
		errs = append(errs, s.removeFilesLocked())
	}
	return errors.Join(errs...)
}
