package logs

// dump-log --repair: what segment.Recover would cut is copied aside, then
// cut, and the indexes rebuilt, under the lock of the segment's log dir.

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/stratabroker/strata/tools/cli"

	"github.com/stratabroker/strata/internal/dirlock"
	"github.com/stratabroker/strata/internal/vfs"
	"github.com/stratabroker/strata/recordbatch"
	"github.com/stratabroker/strata/segment"
)

// repairAll repairs the segment of each file named.
func (d *dumper) repairAll(files []string, interval int) int {
	done := map[string]bool{}
	failed := false
	locks := map[string]*dirlock.Lock{}
	defer func() {
		for _, l := range locks {
			l.Unlock()
		}
	}()
	for _, file := range files {
		base, err := baseOffsetOf(file)
		if err != nil {
			fmt.Fprintf(d.e.Stderr, "strata dump-log: %v\n", err)
			failed = true
			continue
		}
		logPath := siblingLog(file, base)
		if done[logPath] {
			continue
		}
		done[logPath] = true
		lock, err := lockLogDirOf(logPath, locks)
		if err != nil {
			fmt.Fprintf(d.e.Stderr, "strata dump-log: not repairing %s: %v\n", logPath, err)
			failed = true
			continue
		}
		if lock != nil {
			locks[lock.Dir()] = lock
		}
		if err := d.repair(logPath, base, interval); err != nil {
			d.out.Flush()
			fmt.Fprintf(d.e.Stderr, "strata dump-log: repairing %s: %v\n", logPath, err)
			failed = true
		}
	}
	d.out.Flush()
	if failed {
		return cli.ExitError
	}
	return cli.ExitOK
}

// lockLogDirOf takes the lock of the log dir that holds the segment at
// logPath (<log dir>/<topic>-<partition>/<base>.log), as a broker would:
// --repair writes, so it refuses to run beside a broker that owns the dir.
// A file outside a log dir (no meta.properties two levels up) needs no
// lock: nil. held are the locks already taken by this run.
func lockLogDirOf(logPath string, held map[string]*dirlock.Lock) (*dirlock.Lock, error) {
	dir := filepath.Dir(filepath.Dir(logPath))
	if _, ok := held[dir]; ok {
		return nil, nil
	}
	if _, err := os.Stat(filepath.Join(dir, "meta.properties")); err != nil {
		return nil, nil
	}
	return dirlock.Acquire(dir)
}

// validPrefix finds where segment.Recover will cut the log: at the first
// batch that is torn, garbled, fails its CRC, or whose offsets do not
// follow the previous batch's within the segment's range.
func validPrefix(logPath string, base int64, maxBatch int) (valid, size int64, err error) {
	r, err := openLog(logPath, maxBatch)
	if err != nil {
		return 0, 0, err
	}
	defer r.Close()
	next := base
	for {
		pos := r.pos
		b, err := r.next()
		if err != nil {
			return 0, 0, err
		}
		if b == nil {
			return r.pos, r.size, nil
		}
		h := recordbatch.Header(b)
		if recordbatch.CheckStored(b) != nil || h.BaseOffset() < next || h.LastOffset() < h.BaseOffset() || h.LastOffset()-base > math.MaxInt32 {
			return pos, r.size, nil
		}
		next = h.LastOffset() + 1
	}
}

func (d *dumper) repair(logPath string, base int64, interval int) error {
	valid, size, err := validPrefix(logPath, base, math.MaxInt32)
	if err != nil {
		return err
	}
	cut := size - valid
	broken := ""
	if cut > 0 {
		r, err := openLog(logPath, 0)
		if err != nil {
			return err
		}
		zeros, err := r.zerosFrom(valid)
		if err == nil && !zeros {
			broken = logPath + ".broken"
			err = copyTail(r.f, valid, cut, broken)
		}
		r.Close()
		if err != nil {
			return err
		}
	}
	seg, err := segment.Open(vfs.OS, filepath.Dir(logPath), base, segment.Options{IndexIntervalBytes: interval, PreallocateBytes: -1})
	if err != nil {
		return err
	}
	truncated, rerr := seg.Recover()
	cerr := seg.Close()
	if rerr != nil {
		return rerr
	}
	if cerr != nil {
		return cerr
	}
	if truncated != cut {
		return fmt.Errorf("segment Recover cut %d bytes where %d were expected (the copy in %s may be incomplete)", truncated, cut, broken)
	}
	switch {
	case broken != "":
		fmt.Fprintf(d.out, "Repaired %s: cut %d bytes at position %d (copied to %s); rebuilt %s and %s\n",
			logPath, cut, valid, broken, filepath.Base(segment.IndexPath("", base)), filepath.Base(segment.TimeIndexPath("", base)))
	case cut > 0:
		fmt.Fprintf(d.out, "Repaired %s: cut %d bytes of preallocated zeros at position %d; rebuilt %s and %s\n",
			logPath, cut, valid, filepath.Base(segment.IndexPath("", base)), filepath.Base(segment.TimeIndexPath("", base)))
	default:
		fmt.Fprintf(d.out, "Repaired %s: the log is intact (%d bytes); rebuilt %s and %s\n",
			logPath, size, filepath.Base(segment.IndexPath("", base)), filepath.Base(segment.TimeIndexPath("", base)))
	}
	return nil
}

// copyTail writes n bytes of src from off to a new file dst, durably.
func copyTail(src *os.File, off, n int64, dst string) error {
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("keeping the cut bytes: %w", err)
	}
	if _, err := io.Copy(out, io.NewSectionReader(src, off, n)); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
